//! `aws_kms_key`: the customer-managed key that encrypts model artifacts, volumes and
//! endpoints. CreateKey takes no idempotency token: the create carries a `gantry:token` tag,
//! and an interrupted create is found by it (one ListResourceTags per key of the account).
//! Description, policy, rotation and enablement change in place; a delete schedules the key's
//! deletion (`deletion_window_in_days`, 30 by default), which is what "gone" means for KMS.

use crate::clients::Clients;
use crate::error::sdk;
use crate::iam_role::{normalized_json, plan_document, same_json};
use crate::util::*;
use crate::ResourceType;
use async_trait::async_trait;
use aws_sdk_kms::types::{KeySpec, KeyState, KeyUsageType, Tag};
use gantry_core::provider::{
    ErrorKind, Op, PlanRequest, PlanResponse, ProviderResult, ResourceSchema,
};
use gantry_core::value::Value;
use std::collections::BTreeMap;

pub struct KmsKey;

const TOKEN_TAG: &str = "gantry:token";

fn kms_tags(t: &BTreeMap<String, String>) -> Vec<Tag> {
    t.iter()
        .filter_map(|(k, v)| Tag::builder().tag_key(k).tag_value(v).build().ok())
        .collect()
}

impl KmsKey {
    async fn live_tags(&self, c: &Clients, id: &str) -> ProviderResult<BTreeMap<String, String>> {
        let r = c
            .kms
            .list_resource_tags()
            .key_id(id)
            .send()
            .await
            .map_err(sdk)?;
        Ok(r.tags()
            .iter()
            .map(|t| (t.tag_key().to_string(), t.tag_value().to_string()))
            .collect())
    }

    async fn set_rotation(&self, c: &Clients, id: &str, on: bool) -> ProviderResult<()> {
        if on {
            c.kms
                .enable_key_rotation()
                .key_id(id)
                .send()
                .await
                .map_err(sdk)?;
        } else {
            c.kms
                .disable_key_rotation()
                .key_id(id)
                .send()
                .await
                .map_err(sdk)?;
        }
        Ok(())
    }
}

#[async_trait]
impl ResourceType for KmsKey {
    fn name(&self) -> &'static str {
        "aws_kms_key"
    }

    fn schema(&self) -> ResourceSchema {
        crate::upstream::resource("aws_kms_key")
            .force_new_at(&["customer_master_key_spec", "key_usage", "multi_region"])
            .default_at("bypass_policy_lockout_safety_check", Value::Bool(false))
            .default_at(
                "customer_master_key_spec",
                Value::string("SYMMETRIC_DEFAULT"),
            )
            .default_at("enable_key_rotation", Value::Bool(false))
            .default_at("is_enabled", Value::Bool(true))
            .default_at("key_usage", Value::string("ENCRYPT_DECRYPT"))
    }

    fn implemented(&self) -> &'static [&'static str] {
        &[
            "description",
            "key_usage",
            "customer_master_key_spec",
            "policy",
            "bypass_policy_lockout_safety_check",
            "deletion_window_in_days",
            "is_enabled",
            "enable_key_rotation",
            "multi_region",
            "tags",
            "timeouts",
        ]
    }

    async fn plan(&self, _c: &Clients, req: &PlanRequest<'_>) -> ProviderResult<PlanResponse> {
        Ok(plan_document(req, "policy", normalized_json))
    }

    async fn create(&self, c: &Clients, planned: &Value, op: &Op<'_>) -> ProviderResult<Value> {
        let mut tags = send_tags(planned);
        tags.insert(TOKEN_TAG.into(), op.token.into());
        let r = c
            .kms
            .create_key()
            .set_description(attr_str(planned, "description"))
            .key_usage(KeyUsageType::from(
                attr_str(planned, "key_usage")
                    .unwrap_or_else(|| "ENCRYPT_DECRYPT".into())
                    .as_str(),
            ))
            .key_spec(KeySpec::from(
                attr_str(planned, "customer_master_key_spec")
                    .unwrap_or_else(|| "SYMMETRIC_DEFAULT".into())
                    .as_str(),
            ))
            .set_policy(attr_str(planned, "policy"))
            .set_bypass_policy_lockout_safety_check(attr_bool(
                planned,
                "bypass_policy_lockout_safety_check",
            ))
            .set_multi_region(attr_bool(planned, "multi_region"))
            .set_tags(Some(kms_tags(&tags)))
            .send()
            .await
            .map_err(sdk)?;
        let id = r
            .key_metadata()
            .map(|m| m.key_id().to_string())
            .ok_or_else(|| crate::ec2_object::invalid("CreateKey returned no key"))?;
        let base = fill(planned, vec![("id", Value::string(&id))]);
        if let Err(mut e) = self.configure(c, &id, planned).await {
            e.partial = self.read(c, &base).await.ok().flatten().map(Box::new);
            return Err(e);
        }
        self.read_back(c, &base, "after create").await
    }

    async fn read(&self, c: &Clients, prior: &Value) -> ProviderResult<Option<Value>> {
        let id = attr_str(prior, "id").unwrap_or_default();
        let r = match c.kms.describe_key().key_id(&id).send().await.map_err(sdk) {
            Ok(r) => r,
            Err(e) if e.kind == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let Some(m) = r.key_metadata() else {
            return Ok(None);
        };
        if matches!(
            m.key_state(),
            Some(KeyState::PendingDeletion) | Some(KeyState::PendingReplicaDeletion)
        ) {
            return Ok(None);
        }
        let policy = c
            .kms
            .get_key_policy()
            .key_id(&id)
            .policy_name("default")
            .send()
            .await
            .map_err(sdk)?
            .policy()
            .unwrap_or_default()
            .to_string();
        let policy = match attr_str(prior, "policy") {
            Some(p) if same_json(&p, &policy) => p,
            _ => normalized_json(&policy),
        };
        let rotation = c
            .kms
            .get_key_rotation_status()
            .key_id(&id)
            .send()
            .await
            .map_err(sdk)?;
        let mut tags = self.live_tags(c, &id).await?;
        tags.remove(TOKEN_TAG);
        let mut pairs = vec![
            ("id", Value::string(&id)),
            ("key_id", Value::string(&id)),
            ("arn", opt_str(m.arn())),
            ("description", Value::string(m.description().unwrap_or(""))),
            ("key_usage", opt_str(m.key_usage().map(|u| u.as_str()))),
            (
                "customer_master_key_spec",
                opt_str(m.key_spec().map(|s| s.as_str())),
            ),
            ("is_enabled", Value::Bool(m.enabled())),
            (
                "multi_region",
                Value::Bool(m.multi_region().unwrap_or(false)),
            ),
            ("policy", Value::string(policy)),
            (
                "enable_key_rotation",
                Value::Bool(rotation.key_rotation_enabled()),
            ),
        ];
        if let Some(days) = rotation.rotation_period_in_days() {
            pairs.push(("rotation_period_in_days", Value::Number(days as f64)));
        }
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
        let id = need_str(prior, "id")?;
        if attr_str(prior, "description") != attr_str(planned, "description") {
            c.kms
                .update_key_description()
                .key_id(&id)
                .description(attr_str(planned, "description").unwrap_or_default())
                .send()
                .await
                .map_err(sdk)?;
        }
        if let Some(p) = attr_str(planned, "policy") {
            if !attr_str(prior, "policy").is_some_and(|old| same_json(&old, &p)) {
                c.kms
                    .put_key_policy()
                    .key_id(&id)
                    .policy_name("default")
                    .policy(p)
                    .send()
                    .await
                    .map_err(sdk)?;
            }
        }
        if attr_bool(prior, "is_enabled") != attr_bool(planned, "is_enabled")
            || attr_bool(prior, "enable_key_rotation") != attr_bool(planned, "enable_key_rotation")
        {
            self.configure(c, &id, planned).await?;
        }
        let (removed, changed) = tag_changes(prior, planned);
        if !removed.is_empty() {
            c.kms
                .untag_resource()
                .key_id(&id)
                .set_tag_keys(Some(removed))
                .send()
                .await
                .map_err(sdk)?;
        }
        if !changed.is_empty() {
            c.kms
                .tag_resource()
                .key_id(&id)
                .set_tags(Some(kms_tags(&changed)))
                .send()
                .await
                .map_err(sdk)?;
        }
        self.read_back(c, planned, "during update").await
    }

    async fn delete(&self, c: &Clients, prior: &Value, _op: &Op<'_>) -> ProviderResult<()> {
        let id = need_str(prior, "id")?;
        let days = attr_num(prior, "deletion_window_in_days").unwrap_or(30.0) as i32;
        let r = c
            .kms
            .schedule_key_deletion()
            .key_id(&id)
            .pending_window_in_days(days)
            .send()
            .await
            .map_err(sdk);
        match r {
            Ok(_) => Ok(()),
            Err(e)
                if e.kind == ErrorKind::NotFound
                    || e.message.contains("pending deletion")
                    || e.message.contains("PendingDeletion") =>
            {
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    async fn import(&self, c: &Clients, id: &str) -> ProviderResult<Option<Value>> {
        self.read(c, &obj(vec![("id", Value::string(id))])).await
    }

    async fn settle(&self, c: &Clients, value: &Value) -> ProviderResult<()> {
        c.kms
            .untag_resource()
            .key_id(need_str(value, "id")?)
            .tag_keys(TOKEN_TAG)
            .send()
            .await
            .map_err(sdk)?;
        Ok(())
    }

    async fn find_by_token(
        &self,
        c: &Clients,
        token: &str,
        planned: &Value,
    ) -> ProviderResult<Option<Value>> {
        let mut marker: Option<String> = None;
        loop {
            let r = c
                .kms
                .list_keys()
                .set_marker(marker.clone())
                .send()
                .await
                .map_err(sdk)?;
            for k in r.keys() {
                let Some(id) = k.key_id() else { continue };
                if self
                    .live_tags(c, id)
                    .await?
                    .get(TOKEN_TAG)
                    .map(String::as_str)
                    == Some(token)
                {
                    return self
                        .read(c, &fill(planned, vec![("id", Value::string(id))]))
                        .await;
                }
            }
            marker = r.next_marker().map(String::from);
            if !r.truncated() || marker.is_none() {
                return Ok(None);
            }
        }
    }
}

impl KmsKey {
    /// Enablement and rotation: settings CreateKey cannot carry.
    async fn configure(&self, c: &Clients, id: &str, planned: &Value) -> ProviderResult<()> {
        if attr_bool(planned, "is_enabled") == Some(false) {
            c.kms.disable_key().key_id(id).send().await.map_err(sdk)?;
        } else {
            c.kms.enable_key().key_id(id).send().await.map_err(sdk)?;
        }
        self.set_rotation(
            c,
            id,
            attr_bool(planned, "enable_key_rotation").unwrap_or(false),
        )
        .await
    }
}
