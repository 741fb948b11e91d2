//! Resources named `projects/P/locations/L/COLLECTION/ID` (Vertex AI endpoints and models,
//! TPU nodes): their full name from state or configuration, the identity filled in at plan,
//! and the import id checked — one description per type instead of one parser each.

use crate::config::Ctx;
use gantry_core::provider::{ErrorKind, ProviderError, ProviderResult};
use gantry_core::provider_kit::*;
use gantry_core::value::Value;

pub struct Located {
    /// The attribute naming the location (`location`, `region`, `zone`); `zone` falls back
    /// to the provider's zone, the others to its region.
    pub location_attr: &'static str,
    pub collection: &'static str,
    /// The attribute holding the last segment of the name (`name`, `model_id`).
    pub id_attr: &'static str,
}

impl Located {
    fn location(&self, c: &Ctx, v: &Value) -> ProviderResult<String> {
        if self.location_attr == "zone" {
            c.zone(v)
        } else {
            c.region(v, self.location_attr)
        }
    }

    /// The full resource name (the recorded `id` when there is one) and its location.
    pub fn name(&self, c: &Ctx, v: &Value) -> ProviderResult<(String, String)> {
        if let Some(id) = attr_str(v, "id").filter(|s| s.starts_with("projects/")) {
            let loc = id.split('/').nth(3).unwrap_or_default().to_string();
            return Ok((id, loc));
        }
        let loc = self.location(c, v)?;
        Ok((
            format!(
                "projects/{}/locations/{loc}/{}/{}",
                c.project(v)?,
                self.collection,
                need_str(v, self.id_attr)?
            ),
            loc,
        ))
    }

    /// A create's planned object with the provider's project and location filled in where
    /// the configuration leaves them, and the `id` when everything it needs is known.
    pub fn plan_identity(&self, c: &Ctx, mut planned: Value) -> Value {
        let location_default = if self.location_attr == "zone" {
            &c.zone
        } else {
            &c.region
        };
        for (k, d) in [
            ("project", &c.project),
            (self.location_attr, location_default),
        ] {
            if attr_str(&planned, k).is_none() {
                if let Some(d) = d {
                    planned = fill(&planned, vec![(k, Value::string(d))]);
                }
            }
        }
        if let Ok((name, _)) = self.name(c, &planned) {
            planned = fill(&planned, vec![("id", Value::string(name))]);
        }
        planned
    }

    /// Checks an import id (`projects/P/locations/L/COLLECTION/ID`); returns its segments.
    pub fn import_parts<'a>(&self, id: &'a str) -> ProviderResult<Vec<&'a str>> {
        let parts: Vec<&str> = id.split('/').collect();
        if parts.len() != 6 || parts[0] != "projects" || parts[4] != self.collection {
            return Err(ProviderError::new(
                ErrorKind::Validation,
                format!(
                    "import id {id:?} must be projects/PROJECT/locations/{}/{}/{}",
                    self.location_attr.to_ascii_uppercase(),
                    self.collection,
                    self.id_attr.to_ascii_uppercase()
                ),
            ));
        }
        Ok(parts)
    }
}
