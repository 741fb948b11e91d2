//! `aws_iam_instance_profile`: how a GPU instance assumes its role. The profile's name is its
//! identity (and carries the token tag until the create is recorded); the role is added
//! after the create and swapped in place.

use crate::clients::Clients;
use crate::error::sdk;
use crate::iam_role::{iam_tags, rfc3339_seconds};
use crate::util::*;
use crate::ResourceType;
use async_trait::async_trait;
use aws_sdk_iam::types::Tag;
use gantry_core::provider::{ErrorKind, Op, ProviderResult, ResourceSchema};
use gantry_core::value::Value;
use std::collections::BTreeMap;

pub struct InstanceProfile;

const TOKEN_TAG: &str = "gantry:token";

impl InstanceProfile {
    async fn set_role(
        &self,
        c: &Clients,
        name: &str,
        old: Option<String>,
        new: Option<String>,
    ) -> ProviderResult<()> {
        if old == new {
            return Ok(());
        }
        if let Some(o) = old {
            gone_is_ok(
                c.iam
                    .remove_role_from_instance_profile()
                    .instance_profile_name(name)
                    .role_name(o)
                    .send()
                    .await
                    .map_err(sdk),
            )?;
        }
        if let Some(n) = new {
            c.iam
                .add_role_to_instance_profile()
                .instance_profile_name(name)
                .role_name(n)
                .send()
                .await
                .map_err(sdk)?;
        }
        Ok(())
    }
}

#[async_trait]
impl ResourceType for InstanceProfile {
    fn name(&self) -> &'static str {
        "aws_iam_instance_profile"
    }

    fn schema(&self) -> ResourceSchema {
        crate::upstream::resource("aws_iam_instance_profile")
            .force_new_at(&["name", "name_prefix", "path"])
            .default_at("path", Value::string("/"))
    }

    fn implemented(&self) -> &'static [&'static str] {
        &["name", "name_prefix", "path", "role", "tags"]
    }

    async fn create(&self, c: &Clients, planned: &Value, op: &Op<'_>) -> ProviderResult<Value> {
        let name = name_or_generated(planned, "name", "name_prefix", op.token);
        let mut tags = iam_tags(&send_tags(planned));
        tags.extend(Tag::builder().key(TOKEN_TAG).value(op.token).build().ok());
        let made = c
            .iam
            .create_instance_profile()
            .instance_profile_name(&name)
            .path(attr_str(planned, "path").unwrap_or_else(|| "/".into()))
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(sdk);
        let current_role = match made {
            Ok(_) => None,
            Err(e) if e.kind == ErrorKind::Conflict => {
                let live = c
                    .iam
                    .get_instance_profile()
                    .instance_profile_name(&name)
                    .send()
                    .await
                    .map_err(sdk)?;
                let p = live.instance_profile();
                let ours = p.is_some_and(|p| {
                    p.tags()
                        .iter()
                        .any(|t| t.key() == TOKEN_TAG && t.value() == op.token)
                });
                if !ours {
                    return Err(e);
                }
                p.and_then(|p| p.roles().first())
                    .map(|r| r.role_name().to_string())
            }
            Err(e) => return Err(e),
        };
        self.set_role(c, &name, current_role, attr_str(planned, "role"))
            .await?;
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
        let r = match c
            .iam
            .get_instance_profile()
            .instance_profile_name(&name)
            .send()
            .await
            .map_err(sdk)
        {
            Ok(r) => r,
            Err(e) if e.kind == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let Some(p) = r.instance_profile() else {
            return Ok(None);
        };
        let tags: BTreeMap<String, String> = p
            .tags()
            .iter()
            .filter(|t| t.key() != TOKEN_TAG)
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect();
        let mut pairs = vec![
            ("id", Value::string(&name)),
            ("name", Value::string(p.instance_profile_name())),
            ("arn", Value::string(p.arn())),
            ("path", Value::string(p.path())),
            ("unique_id", Value::string(p.instance_profile_id())),
            (
                "create_date",
                Value::string(rfc3339_seconds(p.create_date())),
            ),
            ("role", opt_str(p.roles().first().map(|r| r.role_name()))),
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
        let name = need_str(prior, "id")?;
        self.set_role(c, &name, attr_str(prior, "role"), attr_str(planned, "role"))
            .await?;
        let (removed, changed) = tag_changes(prior, planned);
        if !removed.is_empty() {
            c.iam
                .untag_instance_profile()
                .instance_profile_name(&name)
                .set_tag_keys(Some(removed))
                .send()
                .await
                .map_err(sdk)?;
        }
        if !changed.is_empty() {
            c.iam
                .tag_instance_profile()
                .instance_profile_name(&name)
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
        // A profile with a role cannot be deleted: remove it first, as upstream does.
        if let Ok(Some(live)) = self.read(c, prior).await {
            self.set_role(c, &name, attr_str(&live, "role"), None)
                .await?;
        }
        gone_is_ok(
            c.iam
                .delete_instance_profile()
                .instance_profile_name(&name)
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
            .untag_instance_profile()
            .instance_profile_name(need_str(value, "id")?)
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
        let r = match c
            .iam
            .get_instance_profile()
            .instance_profile_name(&name)
            .send()
            .await
            .map_err(sdk)
        {
            Ok(r) => r,
            Err(e) if e.kind == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let ours = r.instance_profile().is_some_and(|p| {
            p.tags()
                .iter()
                .any(|t| t.key() == TOKEN_TAG && t.value() == token)
        });
        if !ours {
            return Ok(None);
        }
        // The create may have stopped before adding the role.
        let live_role = r
            .instance_profile()
            .and_then(|p| p.roles().first())
            .map(|r| r.role_name().to_string());
        self.set_role(c, &name, live_role, attr_str(planned, "role"))
            .await?;
        self.read(c, &fill(planned, vec![("id", Value::string(&name))]))
            .await
    }
}
