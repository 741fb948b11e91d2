//! `aws_iam_role`: e.g. the execution role SageMaker assumes. Policies are JSON documents
//! compared by structure: a key reorder or whitespace change is not a change.

use crate::clients::Clients;
use crate::error::sdk;
use crate::util::*;
use crate::ResourceType;
use async_trait::async_trait;
use aws_sdk_iam::types::Tag;
use gantry_core::provider::{
    ErrorKind, Op, PlanRequest, PlanResponse, ProviderError, ProviderResult, ResourceSchema,
};
use gantry_core::value::Value;
use std::collections::BTreeMap;

pub struct Role;

/// Tag carrying the idempotency token of the create that made the role.
const TOKEN_TAG: &str = "gantry:token";

/// Same JSON document?
pub fn same_json(a: &str, b: &str) -> bool {
    a == b
        || matches!((serde_json::from_str::<serde_json::Value>(a), serde_json::from_str::<serde_json::Value>(b)), (Ok(x), Ok(y)) if x == y)
}

/// A JSON document as Go's `structure.NormalizeJsonString` writes it (upstream's state form
/// of `aws_iam_policy.policy`): keys sorted, compact, `<` `>` `&` escaped. Text that is not
/// JSON stays as is.
pub fn normalized_json(doc: &str) -> String {
    fn sorted(v: serde_json::Value) -> serde_json::Value {
        match v {
            serde_json::Value::Object(m) => {
                let mut pairs: Vec<_> = m.into_iter().collect();
                pairs.sort_by(|a, b| a.0.cmp(&b.0));
                serde_json::Value::Object(pairs.into_iter().map(|(k, v)| (k, sorted(v))).collect())
            }
            serde_json::Value::Array(a) => {
                serde_json::Value::Array(a.into_iter().map(sorted).collect())
            }
            other => other,
        }
    }
    match serde_json::from_str::<serde_json::Value>(doc) {
        Ok(v) => go_escape(sorted(v).to_string()),
        Err(_) => doc.to_string(),
    }
}

/// upstream's `LegacyPolicyNormalize` (role inline policies, `aws_iam_role_policy`): the
/// normalized document with a top-level `"Version":"2012-10-17"` moved to the front.
pub fn legacy_normalized(doc: &str) -> String {
    let n = normalized_json(doc);
    let version = "\"Version\":\"2012-10-17\"";
    match serde_json::from_str::<serde_json::Value>(&n) {
        Ok(serde_json::Value::Object(m))
            if m.get("Version").and_then(|v| v.as_str()) == Some("2012-10-17") =>
        {
            let rest: Vec<String> = m
                .iter()
                .filter(|(k, _)| k.as_str() != "Version")
                .map(|(k, v)| go_escape(format!("{}:{}", serde_json::Value::from(k.as_str()), v)))
                .collect();
            match rest.is_empty() {
                true => format!("{{{version}}}"),
                false => format!("{{{version},{}}}", rest.join(",")),
            }
        }
        _ => n,
    }
}

/// Go's encoding/json escapes these even inside strings (the only place they can occur).
pub fn go_escape(s: String) -> String {
    s.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

/// The plan of a policy-document attribute: an unchanged meaning keeps the recorded text (no
/// churn on key order or whitespace), a new one is written in upstream's `form`.
pub fn plan_document(req: &PlanRequest<'_>, attr: &str, form: fn(&str) -> String) -> PlanResponse {
    let planned = match attr_str(req.proposed, attr) {
        Some(p) => {
            let kept = req
                .prior
                .and_then(|pr| attr_str(pr, attr))
                .filter(|old| same_json(old, &p));
            let text = kept.unwrap_or_else(|| form(&p));
            fill(req.proposed, vec![(attr, Value::string(text))])
        }
        None => req.proposed.clone(),
    };
    PlanResponse::of(planned)
}

/// IAM returns policy documents URL-encoded.
pub fn decode_policy(s: &str) -> String {
    if s.trim_start().starts_with('{') {
        return s.to_string();
    }
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

pub fn iam_tags(t: &BTreeMap<String, String>) -> Vec<Tag> {
    t.iter()
        .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
        .collect()
}

#[async_trait]
impl ResourceType for Role {
    fn name(&self) -> &'static str {
        "aws_iam_role"
    }

    fn schema(&self) -> ResourceSchema {
        crate::upstream::resource("aws_iam_role")
            .force_new_at(&["name", "name_prefix", "path"])
            .default_at("path", Value::string("/"))
            .default_at("max_session_duration", Value::Number(3600.0))
            .default_at("force_detach_policies", Value::Bool(false))
    }

    fn implemented(&self) -> &'static [&'static str] {
        &[
            "name",
            "name_prefix",
            "assume_role_policy",
            "description",
            "path",
            "max_session_duration",
            "force_detach_policies",
            "inline_policy",
            "tags",
        ]
    }

    async fn plan(&self, _c: &Clients, req: &PlanRequest<'_>) -> ProviderResult<PlanResponse> {
        let planned = plan_document(req, "assume_role_policy", normalized_json).planned;
        // inline_policy is computed upstream: left out, it keeps what the role has.
        if crate::iam_role_inline::managed(req.config) {
            let planned = crate::iam_role_inline::plan(req.prior, &planned);
            return Ok(PlanResponse::of(planned));
        }
        let kept = match req.prior {
            Some(p) => p.get_attr("inline_policy").cloned().unwrap_or(Value::Null),
            None => Value::Unknown,
        };
        Ok(PlanResponse::of(fill(
            &planned,
            vec![("inline_policy", kept)],
        )))
    }

    async fn create(&self, c: &Clients, planned: &Value, op: &Op<'_>) -> ProviderResult<Value> {
        let name = name_or_generated(planned, "name", "name_prefix", op.token);
        let policy = need_str(planned, "assume_role_policy")?;
        if serde_json::from_str::<serde_json::Value>(&policy).is_err() {
            return Err(ProviderError::new(
                ErrorKind::Validation,
                "assume_role_policy is not valid JSON",
            ));
        }
        let mut tags = iam_tags(&send_tags(planned));
        tags.extend(Tag::builder().key(TOKEN_TAG).value(op.token).build().ok());
        let created =
            c.iam
                .create_role()
                .role_name(&name)
                .assume_role_policy_document(policy)
                .set_description(attr_str(planned, "description"))
                .path(attr_str(planned, "path").unwrap_or_else(|| "/".into()))
                .max_session_duration(
                    attr_num(planned, "max_session_duration").unwrap_or(3600.0) as i32
                )
                .set_tags(Some(tags))
                .send()
                .await
                .map_err(sdk);
        match created {
            Ok(_) => {}
            // A role of that name exists: it is ours only if it carries this operation's token
            // (an earlier attempt whose response was lost).
            Err(e) if e.kind == ErrorKind::Conflict => {
                let live = c
                    .iam
                    .get_role()
                    .role_name(&name)
                    .send()
                    .await
                    .map_err(sdk)?;
                let ours = live.role().is_some_and(|r| {
                    r.tags()
                        .iter()
                        .any(|t| t.key() == TOKEN_TAG && t.value() == op.token)
                });
                if !ours {
                    return Err(e);
                }
            }
            Err(e) => return Err(e),
        }
        if crate::iam_role_inline::managed(planned) {
            crate::iam_role_inline::sync(c, &name, &Value::Null, planned).await?;
        }
        self.read_back(
            c,
            &fill(planned, vec![("id", Value::string(&name))]),
            "after create",
        )
        .await
    }

    async fn read(&self, c: &Clients, prior: &Value) -> ProviderResult<Option<Value>> {
        let name = attr_str(prior, "id")
            .or_else(|| attr_str(prior, "name"))
            .unwrap_or_default();
        let r = match c.iam.get_role().role_name(&name).send().await.map_err(sdk) {
            Ok(r) => r,
            Err(e) if e.kind == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let Some(role) = r.role() else {
            return Ok(None);
        };
        let live_policy = role
            .assume_role_policy_document()
            .map(decode_policy)
            .unwrap_or_default();
        let policy = match attr_str(prior, "assume_role_policy") {
            Some(p) if same_json(&p, &live_policy) => p,
            _ => live_policy,
        };
        let tags: BTreeMap<String, String> = role
            .tags()
            .iter()
            .filter(|t| t.key() != TOKEN_TAG)
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect();
        let mut pairs = vec![
            ("id", Value::string(&name)),
            ("name", Value::string(role.role_name())),
            ("arn", Value::string(role.arn())),
            ("unique_id", Value::string(role.role_id())),
            ("path", Value::string(role.path())),
            ("assume_role_policy", Value::string(policy)),
            ("description", opt_str(role.description())),
            (
                "max_session_duration",
                Value::Number(role.max_session_duration().unwrap_or(3600) as f64),
            ),
            (
                "create_date",
                Value::string(rfc3339_seconds(role.create_date())),
            ),
        ];
        pairs.push((
            "inline_policy",
            crate::iam_role_inline::read(c, &name, prior).await?,
        ));
        pairs.extend(tag_attrs(prior, &tags));
        Ok(Some(fill(prior, pairs)))
    }

    async fn update(
        &self,
        c: &Clients,
        prior: &Value,
        planned: &Value,
        _op: &Op<'_>,
    ) -> ProviderResult<Value> {
        let name = need_str(prior, "id")?;
        let (old, new) = (
            attr_str(prior, "assume_role_policy").unwrap_or_default(),
            need_str(planned, "assume_role_policy")?,
        );
        if !same_json(&old, &new) {
            c.iam
                .update_assume_role_policy()
                .role_name(&name)
                .policy_document(new)
                .send()
                .await
                .map_err(sdk)?;
        }
        if attr_str(prior, "description") != attr_str(planned, "description")
            || attr_num(prior, "max_session_duration") != attr_num(planned, "max_session_duration")
        {
            c.iam
                .update_role()
                .role_name(&name)
                .description(attr_str(planned, "description").unwrap_or_default())
                .max_session_duration(
                    attr_num(planned, "max_session_duration").unwrap_or(3600.0) as i32
                )
                .send()
                .await
                .map_err(sdk)?;
        }
        if crate::iam_role_inline::managed(planned) {
            crate::iam_role_inline::sync(c, &name, prior, planned).await?;
        }
        let (removed, changed) = tag_changes(prior, planned);
        if !removed.is_empty() {
            c.iam
                .untag_role()
                .role_name(&name)
                .set_tag_keys(Some(removed))
                .send()
                .await
                .map_err(sdk)?;
        }
        if !changed.is_empty() {
            c.iam
                .tag_role()
                .role_name(&name)
                .set_tags(Some(iam_tags(&changed)))
                .send()
                .await
                .map_err(sdk)?;
        }
        self.read_back(
            c,
            &fill(planned, vec![("id", Value::string(&name))]),
            "during update",
        )
        .await
    }

    async fn delete(&self, c: &Clients, prior: &Value, _op: &Op<'_>) -> ProviderResult<()> {
        let name = need_str(prior, "id")?;
        // A role with attached policies cannot be deleted: detach first, as Terraform does.
        let attached = match c
            .iam
            .list_attached_role_policies()
            .role_name(&name)
            .send()
            .await
            .map_err(sdk)
        {
            Ok(r) => r
                .attached_policies()
                .iter()
                .filter_map(|p| p.policy_arn().map(String::from))
                .collect::<Vec<_>>(),
            Err(e) if e.kind == ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        // Its inline policies too (those the state knows, as upstream).
        crate::iam_role_inline::sync(
            c,
            &name,
            prior,
            &fill(prior, vec![("inline_policy", Value::Null)]),
        )
        .await?;
        for arn in attached {
            c.iam
                .detach_role_policy()
                .role_name(&name)
                .policy_arn(arn)
                .send()
                .await
                .map_err(sdk)?;
        }
        gone_is_ok(
            c.iam
                .delete_role()
                .role_name(&name)
                .send()
                .await
                .map_err(sdk),
        )
    }

    async fn import(&self, c: &Clients, id: &str) -> ProviderResult<Option<Value>> {
        self.read(c, &obj(vec![("id", Value::string(id))])).await
    }

    async fn settle(&self, c: &Clients, value: &Value) -> ProviderResult<()> {
        let name = need_str(value, "id")?;
        c.iam
            .untag_role()
            .role_name(name)
            .tag_keys(TOKEN_TAG)
            .send()
            .await
            .map_err(sdk)?;
        Ok(())
    }
}

/// A timestamp as hashicorp/aws writes it (Go's time.RFC3339: whole seconds, `Z`).
pub fn rfc3339_seconds(t: &aws_sdk_iam::primitives::DateTime) -> String {
    let text = t.to_string();
    match text.split_once('.') {
        Some((whole, _fraction)) => format!("{whole}Z"),
        None => text,
    }
}
