//! IAM data sources: `aws_iam_policy_document` (rendered byte for byte as hashicorp/aws
//! renders it, so a policy written from it plans no change under either tool) and
//! `aws_iam_policy` (a managed policy by ARN or name).
//!
//! hashicorp/aws's rendering, which the JSON reproduces:
//! - fields in the order Version, Id, Statement; per statement Sid, Effect, Action,
//!   NotAction, Resource, NotResource, Principal, NotPrincipal, Condition; empty ones left out;
//! - a one-element set is a string, a longer one a list sorted in *reverse* order (actions,
//!   resources, principal identifiers); condition values keep their order;
//! - principals grouped by type and conditions by test then variable, keys sorted;
//!   a lone `*` principal of type `*` is `"*"`;
//! - `&{…}` becomes `${…}` (IAM policy variables) in resources, principals and conditions;
//! - `source_policy_documents`, this document, then `override_policy_documents` merged by
//!   statement Sid;
//! - Go's encoding: two-space indent, `<`, `>`, `&` escaped as `\u003c` `\u003e` `\u0026`;
//!   `id` is the CRC-32 of the JSON text.

use crate::clients::Clients;
use crate::error::sdk;
use crate::iam_role::go_escape;
use crate::util::*;
use gantry_core::provider::{ErrorKind, ProviderError, ProviderResult};
use gantry_core::value::Value;
use serde_json::{json, Map, Value as Json};

pub async fn read(c: &Clients, type_name: &str, config: &Value) -> Option<ProviderResult<Value>> {
    match type_name {
        "aws_iam_policy_document" => Some(policy_document(config)),
        "aws_iam_policy" => Some(managed_policy(c, config).await),
        _ => None,
    }
}

fn invalid(msg: impl Into<String>) -> ProviderError {
    ProviderError::new(ErrorKind::Validation, msg)
}

/// One string, or the strings in reverse order (upstream's `policyDecodeConfigStringList`).
fn string_or_reverse_list(mut items: Vec<String>) -> Json {
    if items.len() == 1 {
        return Json::String(items.remove(0));
    }
    items.sort();
    items.reverse();
    Json::Array(items.into_iter().map(Json::String).collect())
}

/// IAM policy variables: `&{aws:username}` is written `${aws:username}` in the document.
fn replace_vars(v: Json, version: &str) -> ProviderResult<Json> {
    let one = |s: String| -> ProviderResult<String> {
        if version == "2008-10-17" && s.contains("&{") {
            return Err(invalid(format!(
                "found &{{ sequence in ({s}), which is not supported in document version 2008-10-17"
            )));
        }
        Ok(s.replace("&{", "${"))
    };
    Ok(match v {
        Json::String(s) => Json::String(one(s)?),
        Json::Array(items) => Json::Array(
            items
                .into_iter()
                .map(|i| match i {
                    Json::String(s) => one(s).map(Json::String),
                    other => Ok(other),
                })
                .collect::<ProviderResult<_>>()?,
        ),
        other => other,
    })
}

/// A principal set: (type, identifiers as a string or list) pairs in order.
type Principals = Vec<(String, Json)>;

fn principals_json(ps: &Principals) -> Json {
    if let [(t, ids)] = ps.as_slice() {
        let star = match ids {
            Json::String(s) => s == "*",
            Json::Array(a) => a.len() == 1 && a[0] == "*",
            _ => false,
        };
        if t == "*" && star {
            return Json::String("*".into());
        }
    }
    let mut raw: std::collections::BTreeMap<String, Json> = Default::default();
    for (t, ids) in ps {
        let mut ids = ids.clone();
        if let Json::Array(a) = &mut ids {
            a.sort_by(|x, y| y.as_str().cmp(&x.as_str()));
        }
        let merged = match (raw.remove(t), ids) {
            (None, ids) => ids,
            (Some(Json::String(prev)), Json::String(s)) => json!([prev, s]),
            (Some(Json::String(prev)), Json::Array(a)) => {
                let mut v = vec![Json::String(prev)];
                v.extend(a);
                Json::Array(v)
            }
            (Some(Json::Array(mut prev)), Json::String(s)) => {
                prev.push(Json::String(s));
                Json::Array(prev)
            }
            (Some(Json::Array(mut prev)), Json::Array(a)) => {
                prev.extend(a);
                Json::Array(prev)
            }
            (Some(prev), _) => prev,
        };
        raw.insert(t.clone(), merged);
    }
    Json::Object(raw.into_iter().collect())
}

/// Conditions: (test, variable, values as a string or list) in order.
type Conditions = Vec<(String, String, Json)>;

fn conditions_json(cs: &Conditions) -> Json {
    let mut raw: std::collections::BTreeMap<String, std::collections::BTreeMap<String, Json>> =
        Default::default();
    for (test, var, values) in cs {
        let slot = raw.entry(test.clone()).or_default();
        let merged = match (slot.remove(var), values.clone()) {
            (None, v) => v,
            (Some(Json::String(prev)), Json::String(s)) => json!([prev, s]),
            (Some(Json::Array(mut prev)), Json::Array(a)) => {
                prev.extend(a);
                Json::Array(prev)
            }
            (Some(Json::Array(mut prev)), Json::String(s)) => {
                prev.push(Json::String(s));
                Json::Array(prev)
            }
            (Some(Json::String(_)), Json::Array(a)) => Json::Array(a),
            (Some(prev), _) => prev,
        };
        slot.insert(var.clone(), merged);
    }
    Json::Object(
        raw.into_iter()
            .map(|(t, vars)| (t, Json::Object(vars.into_iter().collect())))
            .collect(),
    )
}

/// One statement, in upstream's field order.
#[derive(Default, Clone)]
struct Statement {
    sid: String,
    effect: String,
    action: Option<Json>,
    not_action: Option<Json>,
    resource: Option<Json>,
    not_resource: Option<Json>,
    principal: Principals,
    not_principal: Principals,
    condition: Conditions,
}

impl Statement {
    fn to_json(&self) -> Json {
        let mut m = Map::new();
        let mut put = |k: &str, v: Option<Json>| {
            if let Some(v) = v {
                m.insert(k.to_string(), v);
            }
        };
        put(
            "Sid",
            Some(self.sid.clone())
                .filter(|s| !s.is_empty())
                .map(Json::String),
        );
        put(
            "Effect",
            Some(self.effect.clone())
                .filter(|s| !s.is_empty())
                .map(Json::String),
        );
        put("Action", self.action.clone());
        put("NotAction", self.not_action.clone());
        put("Resource", self.resource.clone());
        put("NotResource", self.not_resource.clone());
        put(
            "Principal",
            (!self.principal.is_empty()).then(|| principals_json(&self.principal)),
        );
        put(
            "NotPrincipal",
            (!self.not_principal.is_empty()).then(|| principals_json(&self.not_principal)),
        );
        put(
            "Condition",
            (!self.condition.is_empty()).then(|| conditions_json(&self.condition)),
        );
        Json::Object(m)
    }

    /// A statement of a source or override document (JSON), as upstream reads it back.
    fn from_json(v: &Json) -> ProviderResult<Statement> {
        let o = v
            .as_object()
            .ok_or_else(|| invalid("a policy statement must be a JSON object"))?;
        let s = |k: &str| o.get(k).and_then(Json::as_str).unwrap_or("").to_string();
        let principals = |k: &str| -> Principals {
            match o.get(k) {
                Some(Json::String(_)) => vec![("*".into(), json!(["*"]))],
                Some(Json::Object(m)) => {
                    m.iter().map(|(t, ids)| (t.clone(), ids.clone())).collect()
                }
                _ => vec![],
            }
        };
        let mut condition = Conditions::new();
        if let Some(Json::Object(tests)) = o.get("Condition") {
            for (test, vars) in tests {
                if let Json::Object(vars) = vars {
                    for (var, values) in vars {
                        condition.push((test.clone(), var.clone(), values.clone()));
                    }
                }
            }
        }
        Ok(Statement {
            sid: s("Sid"),
            effect: s("Effect"),
            action: o.get("Action").cloned(),
            not_action: o.get("NotAction").cloned(),
            resource: o.get("Resource").cloned(),
            not_resource: o.get("NotResource").cloned(),
            principal: principals("Principal"),
            not_principal: principals("NotPrincipal"),
            condition,
        })
    }
}

#[derive(Default)]
struct Document {
    version: String,
    id: String,
    statements: Vec<Statement>,
}

impl Document {
    /// Upstream's merge: the newer Id and higher Version win; statements with a Sid replace
    /// the one with the same Sid, the rest are appended.
    fn merge(&mut self, new: Document) {
        if !new.id.is_empty() {
            self.id = new.id;
        }
        if new.version > self.version {
            self.version = new.version;
        }
        for st in new.statements {
            match self
                .statements
                .iter_mut()
                .find(|s| !st.sid.is_empty() && s.sid == st.sid)
            {
                Some(slot) => *slot = st,
                None => self.statements.push(st),
            }
        }
    }

    fn parse(text: &str, what: &str) -> ProviderResult<Document> {
        let v: Json = serde_json::from_str(text)
            .map_err(|e| invalid(format!("{what} is not a JSON policy document: {e}")))?;
        let s = |k: &str| v.get(k).and_then(Json::as_str).unwrap_or("").to_string();
        let statements = match v.get("Statement") {
            Some(Json::Array(a)) => a
                .iter()
                .map(Statement::from_json)
                .collect::<ProviderResult<_>>()?,
            Some(one @ Json::Object(_)) => vec![Statement::from_json(one)?],
            _ => vec![],
        };
        Ok(Document {
            version: s("Version"),
            id: s("Id"),
            statements,
        })
    }

    fn to_json(&self) -> Json {
        let mut m = Map::new();
        if !self.version.is_empty() {
            m.insert("Version".into(), Json::String(self.version.clone()));
        }
        if !self.id.is_empty() {
            m.insert("Id".into(), Json::String(self.id.clone()));
        }
        if !self.statements.is_empty() {
            m.insert(
                "Statement".into(),
                Json::Array(self.statements.iter().map(Statement::to_json).collect()),
            );
        }
        Json::Object(m)
    }
}

fn set_strings(v: &Value, k: &str) -> Vec<String> {
    strings(v, k)
}

fn principal_blocks(st: &Value, k: &str, version: &str) -> ProviderResult<Principals> {
    st.get_attr(k)
        .and_then(Value::as_seq)
        .unwrap_or_default()
        .iter()
        .map(|p| {
            let ids = string_or_reverse_list(set_strings(p, "identifiers"));
            Ok((
                attr_str(p, "type").unwrap_or_default(),
                replace_vars(ids, version)?,
            ))
        })
        .collect()
}

fn configured_statement(st: &Value, version: &str) -> ProviderResult<Statement> {
    let list = |k: &str| {
        Some(set_strings(st, k))
            .filter(|l| !l.is_empty())
            .map(string_or_reverse_list)
    };
    let resource = match list("resources") {
        Some(r) => Some(replace_vars(r, version)?),
        None => None,
    };
    let not_resource = match list("not_resources") {
        Some(r) => Some(replace_vars(r, version)?),
        None => None,
    };
    let condition = st
        .get_attr("condition")
        .and_then(Value::as_seq)
        .unwrap_or_default()
        .iter()
        .map(|c| {
            // Values are a list: their order is the configuration's.
            let mut values = strings(c, "values");
            let values = match values.len() {
                1 => Json::String(values.remove(0)),
                _ => Json::Array(values.into_iter().map(Json::String).collect()),
            };
            Ok((
                attr_str(c, "test").unwrap_or_default(),
                attr_str(c, "variable").unwrap_or_default(),
                replace_vars(values, version)?,
            ))
        })
        .collect::<ProviderResult<_>>()?;
    Ok(Statement {
        sid: attr_str(st, "sid").unwrap_or_default(),
        effect: attr_str(st, "effect").unwrap_or_else(|| "Allow".into()),
        action: list("actions"),
        not_action: list("not_actions"),
        resource,
        not_resource,
        principal: principal_blocks(st, "principals", version)?,
        not_principal: principal_blocks(st, "not_principals", version)?,
        condition,
    })
}

fn policy_document(config: &Value) -> ProviderResult<Value> {
    let mut merged = Document::default();
    if let Some(src) = attr_str(config, "source_json") {
        merged.merge(Document::parse(&src, "source_json")?);
    }
    let mut sids: std::collections::BTreeSet<String> = merged
        .statements
        .iter()
        .map(|s| s.sid.clone())
        .filter(|s| !s.is_empty())
        .collect();
    for (i, src) in strings(config, "source_policy_documents")
        .iter()
        .enumerate()
    {
        let doc = Document::parse(src, &format!("source_policy_documents[{i}]"))?;
        for (j, st) in doc.statements.iter().enumerate() {
            if !st.sid.is_empty() && !sids.insert(st.sid.clone()) {
                return Err(invalid(format!(
                    "duplicate Sid ({}) in source_policy_documents (item {i}; statement {j}). Remove the Sid or ensure Sids are unique.",
                    st.sid
                )));
            }
        }
        merged.merge(doc);
    }
    let version = attr_str(config, "version").unwrap_or_else(|| "2012-10-17".into());
    let mut own = Document {
        version: version.clone(),
        id: attr_str(config, "policy_id").unwrap_or_default(),
        statements: vec![],
    };
    let mut own_sids = std::collections::BTreeSet::new();
    for st in config
        .get_attr("statement")
        .and_then(Value::as_seq)
        .unwrap_or_default()
        .iter()
    {
        let st = configured_statement(st, &version)?;
        if !st.sid.is_empty() && !own_sids.insert(st.sid.clone()) {
            return Err(invalid(format!(
                "duplicate Sid ({}). Remove the Sid or ensure the Sid is unique.",
                st.sid
            )));
        }
        own.statements.push(st);
    }
    merged.merge(own);
    for (i, o) in strings(config, "override_policy_documents")
        .iter()
        .enumerate()
    {
        merged.merge(Document::parse(
            o,
            &format!("override_policy_documents[{i}]"),
        )?);
    }
    if let Some(o) = attr_str(config, "override_json") {
        merged.merge(Document::parse(&o, "override_json")?);
    }
    let doc = merged.to_json();
    let pretty = go_escape(serde_json::to_string_pretty(&doc).expect("JSON values serialize"));
    let minified = go_escape(serde_json::to_string(&doc).expect("JSON values serialize"));
    let id = crc32fast::hash(pretty.as_bytes()).to_string();
    Ok(fill(
        config,
        vec![
            ("id", Value::string(id)),
            ("json", Value::string(pretty)),
            ("minified_json", Value::string(minified)),
            ("version", Value::string(&version)),
        ],
    ))
}

/// `aws_iam_policy`: by `arn`, else by `name` (and `path_prefix`) among the account's and
/// AWS's managed policies.
async fn managed_policy(c: &Clients, config: &Value) -> ProviderResult<Value> {
    let arn = match attr_str(config, "arn") {
        Some(a) => a,
        None => {
            let name = attr_str(config, "name")
                .ok_or_else(|| invalid("data aws_iam_policy needs arn or name"))?;
            let prefix = attr_str(config, "path_prefix");
            let mut found = Vec::new();
            let mut marker: Option<String> = None;
            loop {
                let r = c
                    .iam
                    .list_policies()
                    .set_path_prefix(prefix.clone())
                    .set_marker(marker.clone())
                    .send()
                    .await
                    .map_err(sdk)?;
                found.extend(
                    r.policies()
                        .iter()
                        .filter(|p| p.policy_name() == Some(name.as_str()))
                        .filter_map(|p| p.arn().map(String::from)),
                );
                marker = r.marker().map(String::from);
                if !r.is_truncated() || marker.is_none() {
                    break;
                }
            }
            match found.len() {
                1 => found.remove(0),
                0 => {
                    return Err(invalid(format!(
                        "no IAM policy found matching name {name:?}"
                    )))
                }
                n => {
                    return Err(invalid(format!(
                        "{n} IAM policies match name {name:?}: set path_prefix or arn"
                    )))
                }
            }
        }
    };
    let p = c
        .iam
        .get_policy()
        .policy_arn(&arn)
        .send()
        .await
        .map_err(sdk)?;
    let p = p
        .policy()
        .ok_or_else(|| invalid(format!("IAM policy {arn} not found")))?;
    let v = c
        .iam
        .get_policy_version()
        .policy_arn(&arn)
        .version_id(p.default_version_id().unwrap_or("v1"))
        .send()
        .await
        .map_err(sdk)?;
    let doc = v
        .policy_version()
        .and_then(|v| v.document())
        .map(crate::iam_role::decode_policy)
        .unwrap_or_default();
    let tags: std::collections::BTreeMap<String, String> = p
        .tags()
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect();
    Ok(fill(
        config,
        vec![
            ("id", Value::string(&arn)),
            ("arn", Value::string(&arn)),
            ("name", opt_str(p.policy_name())),
            ("path", opt_str(p.path())),
            ("description", Value::string(p.description().unwrap_or(""))),
            ("policy_id", opt_str(p.policy_id())),
            (
                "attachment_count",
                Value::Number(p.attachment_count().unwrap_or(0) as f64),
            ),
            ("policy", Value::string(doc)),
            ("tags", tags_value(&tags)),
        ],
    ))
}
