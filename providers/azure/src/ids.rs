//! ARM resource ids: built from names, and read back case-insensitively (ARM ids are).

use gantry_core::provider::{ErrorKind, ProviderError, ProviderResult};

/// `/subscriptions/S/resourceGroups/RG`.
pub fn group(sub: &str, rg: &str) -> String {
    format!("/subscriptions/{sub}/resourceGroups/{rg}")
}

/// The value after segment `key` (case-insensitive), e.g. `segment(id, "workspaces")`.
pub fn segment<'a>(id: &'a str, key: &str) -> Option<&'a str> {
    let parts: Vec<&str> = id.split('/').collect();
    parts
        .windows(2)
        .find(|w| w[0].eq_ignore_ascii_case(key))
        .map(|w| w[1])
}

/// The resource group of an id.
pub fn group_of(id: &str) -> Option<&str> {
    segment(id, "resourceGroups")
}

/// Checks that `id` is an ARM id of the type whose last collection is `collection`.
pub fn check(id: &str, collection: &str, what: &str) -> ProviderResult<()> {
    let parts: Vec<&str> = id.split('/').collect();
    let ok = id.starts_with("/subscriptions/")
        && parts.len() >= 3
        && parts[parts.len() - 2].eq_ignore_ascii_case(collection);
    if ok {
        Ok(())
    } else {
        Err(ProviderError::new(
            ErrorKind::Validation,
            format!("{what} {id:?} is not an ARM id ending in /{collection}/NAME"),
        ))
    }
}

/// The parent id (the id without its last type/name pair).
pub fn parent(id: &str) -> String {
    let parts: Vec<&str> = id.split('/').collect();
    parts[..parts.len().saturating_sub(2)].join("/")
}
