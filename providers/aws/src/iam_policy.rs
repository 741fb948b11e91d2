//! `aws_iam_policy`: a customer-managed policy (what a SageMaker or EKS role may touch).
//! Its id is its ARN. A changed document becomes a new default version; IAM keeps five, so
//! the oldest non-default one goes first, as upstream does.

use crate::clients::Clients;
use crate::error::sdk;
use crate::iam_role::{decode_policy, iam_tags, same_json};
use crate::util::*;
use crate::ResourceType;
use async_trait::async_trait;
use aws_sdk_iam::types::Tag;
use gantry_core::provider::{
    ErrorKind, Op, PlanRequest, PlanResponse, ProviderResult, ResourceSchema,
};
use gantry_core::value::Value;
use std::collections::BTreeMap;

pub struct Policy;

const TOKEN_TAG: &str = "gantry:token";

impl Policy {
    async fn arn_for(&self, c: &Clients, path: &str, name: &str) -> ProviderResult<String> {
        let account = c.account_id().await?;
        let (partition, _, _) = crate::data_zones::partition(&c.region);
        Ok(format!("arn:{partition}:iam::{account}:policy{path}{name}"))
    }
}

#[async_trait]
impl ResourceType for Policy {
    fn name(&self) -> &'static str {
        "aws_iam_policy"
    }

    fn schema(&self) -> ResourceSchema {
        crate::upstream::resource("aws_iam_policy")
            .force_new_at(&["name", "name_prefix", "path", "description"])
            .default_at("path", Value::string("/"))
    }

    fn implemented(&self) -> &'static [&'static str] {
        &[
            "name",
            "name_prefix",
            "path",
            "description",
            "policy",
            "tags",
        ]
    }

    async fn plan(&self, _c: &Clients, req: &PlanRequest<'_>) -> ProviderResult<PlanResponse> {
        Ok(crate::iam_role::plan_document(
            req,
            "policy",
            crate::iam_role::normalized_json,
        ))
    }

    async fn create(&self, c: &Clients, planned: &Value, op: &Op<'_>) -> ProviderResult<Value> {
        let name = name_or_generated(planned, "name", "name_prefix", op.token);
        let path = attr_str(planned, "path").unwrap_or_else(|| "/".into());
        let mut tags = iam_tags(&send_tags(planned));
        tags.extend(Tag::builder().key(TOKEN_TAG).value(op.token).build().ok());
        let made = c
            .iam
            .create_policy()
            .policy_name(&name)
            .path(&path)
            .policy_document(need_str(planned, "policy")?)
            .set_description(attr_str(planned, "description"))
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(sdk);
        let arn = match made {
            Ok(r) => r
                .policy()
                .and_then(|p| p.arn())
                .unwrap_or_default()
                .to_string(),
            // Ours only if it carries this operation's token (a lost response, retried).
            Err(e) if e.kind == ErrorKind::Conflict => {
                let arn = self.arn_for(c, &path, &name).await?;
                let live = c
                    .iam
                    .get_policy()
                    .policy_arn(&arn)
                    .send()
                    .await
                    .map_err(sdk)?;
                let ours = live.policy().is_some_and(|p| {
                    p.tags()
                        .iter()
                        .any(|t| t.key() == TOKEN_TAG && t.value() == op.token)
                });
                if !ours {
                    return Err(e);
                }
                arn
            }
            Err(e) => return Err(e),
        };
        self.read_back(
            c,
            &fill(planned, vec![("id", Value::string(arn))]),
            "after create",
        )
        .await
    }

    async fn read(&self, c: &Clients, prior: &Value) -> ProviderResult<Option<Value>> {
        let arn = attr_str(prior, "id")
            .or_else(|| attr_str(prior, "arn"))
            .unwrap_or_default();
        let p = match c
            .iam
            .get_policy()
            .policy_arn(&arn)
            .send()
            .await
            .map_err(sdk)
        {
            Ok(r) => match r.policy() {
                Some(p) => p.clone(),
                None => return Ok(None),
            },
            Err(e) if e.kind == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let version = p.default_version_id().unwrap_or("v1");
        let doc = c
            .iam
            .get_policy_version()
            .policy_arn(&arn)
            .version_id(version)
            .send()
            .await
            .map_err(sdk)?
            .policy_version()
            .and_then(|v| v.document())
            .map(decode_policy)
            .unwrap_or_default();
        // The configured text when it means the same (key order, spacing), as upstream.
        let policy = match attr_str(prior, "policy") {
            Some(mine) if same_json(&mine, &doc) => mine,
            _ => doc,
        };
        let tags: BTreeMap<String, String> = p
            .tags()
            .iter()
            .filter(|t| t.key() != TOKEN_TAG)
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect();
        let mut pairs = vec![
            ("id", Value::string(&arn)),
            ("arn", Value::string(&arn)),
            ("name", opt_str(p.policy_name())),
            ("path", opt_str(p.path())),
            ("description", opt_str(p.description())),
            ("policy", Value::string(policy)),
            ("policy_id", opt_str(p.policy_id())),
            (
                "attachment_count",
                Value::Number(p.attachment_count().unwrap_or(0) as f64),
            ),
        ];
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
        let arn = need_str(prior, "id")?;
        let (old, new) = (
            attr_str(prior, "policy").unwrap_or_default(),
            need_str(planned, "policy")?,
        );
        if !same_json(&old, &new) {
            let versions = c
                .iam
                .list_policy_versions()
                .policy_arn(&arn)
                .send()
                .await
                .map_err(sdk)?;
            let mut old_versions: Vec<_> = versions
                .versions()
                .iter()
                .filter(|v| !v.is_default_version())
                .collect();
            if versions.versions().len() >= 5 {
                old_versions.sort_by_key(|v| v.create_date().map(|d| d.secs()));
                if let Some(oldest) = old_versions.first().and_then(|v| v.version_id()) {
                    c.iam
                        .delete_policy_version()
                        .policy_arn(&arn)
                        .version_id(oldest)
                        .send()
                        .await
                        .map_err(sdk)?;
                }
            }
            c.iam
                .create_policy_version()
                .policy_arn(&arn)
                .policy_document(new)
                .set_as_default(true)
                .send()
                .await
                .map_err(sdk)?;
        }
        let (removed, changed) = tag_changes(prior, planned);
        if !removed.is_empty() {
            c.iam
                .untag_policy()
                .policy_arn(&arn)
                .set_tag_keys(Some(removed))
                .send()
                .await
                .map_err(sdk)?;
        }
        if !changed.is_empty() {
            c.iam
                .tag_policy()
                .policy_arn(&arn)
                .set_tags(Some(iam_tags(&changed)))
                .send()
                .await
                .map_err(sdk)?;
        }
        self.read_back(
            c,
            &fill(planned, vec![("id", Value::string(&arn))]),
            "during update",
        )
        .await
    }

    async fn delete(&self, c: &Clients, prior: &Value, _op: &Op<'_>) -> ProviderResult<()> {
        let arn = need_str(prior, "id")?;
        // Non-default versions first: IAM refuses to delete a policy that has them.
        let versions = match c
            .iam
            .list_policy_versions()
            .policy_arn(&arn)
            .send()
            .await
            .map_err(sdk)
        {
            Ok(v) => v,
            Err(e) if e.kind == ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        for v in versions
            .versions()
            .iter()
            .filter(|v| !v.is_default_version())
        {
            if let Some(id) = v.version_id() {
                gone_is_ok(
                    c.iam
                        .delete_policy_version()
                        .policy_arn(&arn)
                        .version_id(id)
                        .send()
                        .await
                        .map_err(sdk),
                )?;
            }
        }
        gone_is_ok(
            c.iam
                .delete_policy()
                .policy_arn(&arn)
                .send()
                .await
                .map_err(sdk),
        )
    }

    async fn import(&self, c: &Clients, id: &str) -> ProviderResult<Option<Value>> {
        self.read(c, &obj(vec![("id", Value::string(id))])).await
    }

    async fn settle(&self, c: &Clients, value: &Value) -> ProviderResult<()> {
        c.iam
            .untag_policy()
            .policy_arn(need_str(value, "id")?)
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
        let name = name_or_generated(planned, "name", "name_prefix", token);
        let path = attr_str(planned, "path").unwrap_or_else(|| "/".into());
        let arn = self.arn_for(c, &path, &name).await?;
        let Some(found) = self
            .read(c, &fill(planned, vec![("id", Value::string(&arn))]))
            .await?
        else {
            return Ok(None);
        };
        // Ours only with our token (or already settled under our name by this create).
        let live = c
            .iam
            .get_policy()
            .policy_arn(&arn)
            .send()
            .await
            .map_err(sdk)?;
        let ours = live.policy().is_some_and(|p| {
            p.tags()
                .iter()
                .any(|t| t.key() == TOKEN_TAG && t.value() == token)
        });
        Ok(ours.then_some(found))
    }
}
