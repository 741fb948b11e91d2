//! `data "terraform_remote_state"`: the root outputs of another configuration's state, read
//! from any backend (`local` or one compiled in: s3, gcs, azurerm, pg, http) with the same
//! arguments that backend's block takes. Sensitive outputs stay sensitive; `defaults`
//! fills outputs the state lacks. Read-only: it never locks.

use gantry_core::provider::{
    AttributeSchema, ErrorKind, ProviderError, ProviderResult, ResourceSchema,
};
use gantry_core::state::remote::{known_backend, BackendArgs};
use gantry_core::state::State;
use gantry_core::types::Type;
use gantry_core::value::{Map, Value};

pub const TYPE: &str = "terraform_remote_state";

pub fn schema() -> ResourceSchema {
    let mut s = ResourceSchema {
        description: "Root module outputs of another configuration's state.".into(),
        ..Default::default()
    };
    let a = &mut s.block.attributes;
    a.insert("backend".into(), AttributeSchema::required(Type::String));
    a.insert("config".into(), AttributeSchema::optional(Type::Any));
    a.insert("defaults".into(), AttributeSchema::optional(Type::Any));
    a.insert("workspace".into(), AttributeSchema::optional(Type::String));
    a.insert("outputs".into(), AttributeSchema::computed(Type::Any));
    s
}

fn invalid(msg: String) -> ProviderError {
    ProviderError::new(ErrorKind::Validation, msg)
}

/// Reads the state and returns the data source's object.
pub async fn read(config: &Value) -> ProviderResult<Value> {
    let plain = config.unmark_deep().0;
    let kind = plain
        .get_attr("backend")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("backend is required".into()))?
        .to_string();
    let workspace = plain
        .get_attr("workspace")
        .and_then(Value::as_str)
        .unwrap_or("default")
        .to_string();
    let settings = match plain.get_attr("config") {
        Some(v) if !v.is_null() => match v.to_json() {
            serde_json::Value::Object(m) => m,
            _ => {
                return Err(invalid(
                    "config must be an object of the backend's arguments".into(),
                ))
            }
        },
        _ => serde_json::Map::new(),
    };
    let dir = std::env::current_dir().map_err(|e| ProviderError::other(e.to_string()))?;
    let bytes = if kind == "local" {
        let arg = |k: &str, d: &str| {
            settings
                .get(k)
                .and_then(|v| v.as_str())
                .unwrap_or(d)
                .to_string()
        };
        let path = if workspace == "default" {
            dir.join(arg("path", "terraform.tfstate"))
        } else {
            dir.join(arg("workspace_dir", "terraform.tfstate.d"))
                .join(&workspace)
                .join("terraform.tfstate")
        };
        match std::fs::read(&path) {
            Ok(b) => Some(b),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => {
                return Err(ProviderError::other(format!(
                    "reading {}: {e}",
                    path.display()
                )))
            }
        }
    } else {
        let connect = known_backend(&kind).ok_or_else(|| {
            invalid(format!(
                "backend {kind:?} is not supported by this build of gantry"
            ))
        })?;
        let backend = connect(BackendArgs {
            config: settings,
            dir,
        })
        .await
        .map_err(|e| invalid(format!("configuring the {kind:?} backend: {e}")))?;
        backend
            .state(&workspace)
            .get()
            .await
            .map_err(|e| ProviderError::new(ErrorKind::Transient, e.to_string()))?
    };
    let mut outputs: Map = match plain.get_attr("defaults").and_then(Value::as_map) {
        Some(d) => d.clone(),
        None => Map::new(),
    };
    if let Some(b) = bytes.filter(|b| !b.iter().all(u8::is_ascii_whitespace)) {
        let state = State::from_slice(&b)
            .map_err(|e| ProviderError::other(format!("the remote state is not valid: {e}")))?;
        for (name, o) in state.outputs {
            outputs.insert(name, o.value.mark_if(o.sensitive));
        }
    }
    let mut m = plain.as_map().cloned().unwrap_or_default();
    // `config` may hold credentials: keep it as given (with its marks) in state.
    if let Some(c) = config.get_attr("config") {
        m.insert("config".into(), c.clone());
    }
    m.insert("workspace".into(), Value::string(workspace));
    m.insert("outputs".into(), Value::map(outputs));
    Ok(Value::map(m))
}
