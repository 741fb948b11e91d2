//! HCL identifier rules.

/// True when `s` is a valid HCL identifier (letters, digits, `_` and `-`, not starting with a
/// digit or `-`).
pub fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if c.is_alphabetic() || c == '_' => {}
        _ => return false,
    }
    chars.all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}
