//! `aws_iam_policy_attachment`: one managed policy attached to sets of users, roles and
//! groups. As upstream, it is exclusive: refresh reports every entity the policy is attached
//! to (ListEntitiesForPolicy), so an attachment made elsewhere shows as drift and is removed
//! on apply. Its id is its `name`; an attachment with no entity left is gone.

use crate::clients::Clients;
use crate::ec2_object::string_set;
use crate::error::sdk;
use crate::util::*;
use crate::ResourceType;
use async_trait::async_trait;
use gantry_core::provider::{ErrorKind, Op, ProviderResult, ResourceSchema};
use gantry_core::value::Value;
use std::collections::BTreeSet;

pub struct PolicyAttachment;

#[derive(Clone, Copy)]
enum Entity {
    User,
    Role,
    Group,
}

const ENTITIES: [(Entity, &str); 3] = [
    (Entity::User, "users"),
    (Entity::Role, "roles"),
    (Entity::Group, "groups"),
];

impl PolicyAttachment {
    async fn attach(&self, c: &Clients, e: Entity, name: &str, arn: &str) -> ProviderResult<()> {
        let iam = &c.iam;
        match e {
            Entity::User => iam
                .attach_user_policy()
                .user_name(name)
                .policy_arn(arn)
                .send()
                .await
                .map(|_| ())
                .map_err(sdk),
            Entity::Role => iam
                .attach_role_policy()
                .role_name(name)
                .policy_arn(arn)
                .send()
                .await
                .map(|_| ())
                .map_err(sdk),
            Entity::Group => iam
                .attach_group_policy()
                .group_name(name)
                .policy_arn(arn)
                .send()
                .await
                .map(|_| ())
                .map_err(sdk),
        }
    }

    async fn detach(&self, c: &Clients, e: Entity, name: &str, arn: &str) -> ProviderResult<()> {
        let r = match e {
            Entity::User => c
                .iam
                .detach_user_policy()
                .user_name(name)
                .policy_arn(arn)
                .send()
                .await
                .map(|_| ())
                .map_err(sdk),
            Entity::Role => c
                .iam
                .detach_role_policy()
                .role_name(name)
                .policy_arn(arn)
                .send()
                .await
                .map(|_| ())
                .map_err(sdk),
            Entity::Group => c
                .iam
                .detach_group_policy()
                .group_name(name)
                .policy_arn(arn)
                .send()
                .await
                .map(|_| ())
                .map_err(sdk),
        };
        gone_is_ok(r)
    }

    /// Brings the policy's entities from `had` to `want`.
    async fn sync(&self, c: &Clients, had: &Value, want: &Value) -> ProviderResult<()> {
        let arn = need_str(want, "policy_arn")?;
        for (e, k) in ENTITIES {
            let before: BTreeSet<String> = strings(had, k).into_iter().collect();
            let after: BTreeSet<String> = strings(want, k).into_iter().collect();
            for n in after.difference(&before) {
                self.attach(c, e, n, &arn).await?;
            }
            for n in before.difference(&after) {
                self.detach(c, e, n, &arn).await?;
            }
        }
        Ok(())
    }
}

#[async_trait]
impl ResourceType for PolicyAttachment {
    fn name(&self) -> &'static str {
        "aws_iam_policy_attachment"
    }

    fn schema(&self) -> ResourceSchema {
        crate::upstream::resource("aws_iam_policy_attachment").force_new_at(&["name", "policy_arn"])
    }

    fn implemented(&self) -> &'static [&'static str] {
        &["name", "policy_arn", "users", "roles", "groups"]
    }

    async fn create(&self, c: &Clients, planned: &Value, _op: &Op<'_>) -> ProviderResult<Value> {
        // Attaching is idempotent: a retried create attaches nothing twice.
        self.sync(c, &Value::Null, planned).await?;
        let base = fill(
            planned,
            vec![("id", Value::string(need_str(planned, "name")?))],
        );
        self.read_back(c, &base, "after create").await
    }

    async fn read(&self, c: &Clients, prior: &Value) -> ProviderResult<Option<Value>> {
        let arn = need_str(prior, "policy_arn")?;
        let (mut users, mut roles, mut groups) = (vec![], vec![], vec![]);
        let mut marker: Option<String> = None;
        loop {
            let r = match c
                .iam
                .list_entities_for_policy()
                .policy_arn(&arn)
                .set_marker(marker.clone())
                .send()
                .await
                .map_err(sdk)
            {
                Ok(r) => r,
                Err(e) if e.kind == ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(e),
            };
            users.extend(
                r.policy_users()
                    .iter()
                    .filter_map(|u| u.user_name().map(String::from)),
            );
            roles.extend(
                r.policy_roles()
                    .iter()
                    .filter_map(|u| u.role_name().map(String::from)),
            );
            groups.extend(
                r.policy_groups()
                    .iter()
                    .filter_map(|u| u.group_name().map(String::from)),
            );
            marker = r.marker().map(String::from);
            if !r.is_truncated() || marker.is_none() {
                break;
            }
        }
        if users.is_empty() && roles.is_empty() && groups.is_empty() {
            return Ok(None);
        }
        let id = attr_str(prior, "id")
            .or_else(|| attr_str(prior, "name"))
            .unwrap_or_default();
        Ok(Some(fill(
            prior,
            vec![
                ("id", Value::string(&id)),
                ("name", Value::string(&id)),
                ("users", string_set(users)),
                ("roles", string_set(roles)),
                ("groups", string_set(groups)),
            ],
        )))
    }

    async fn update(
        &self,
        c: &Clients,
        prior: &Value,
        planned: &Value,
        _op: &Op<'_>,
    ) -> ProviderResult<Value> {
        self.sync(c, prior, planned).await?;
        self.read_back(c, planned, "during update").await
    }

    async fn delete(&self, c: &Clients, prior: &Value, _op: &Op<'_>) -> ProviderResult<()> {
        self.sync(
            c,
            prior,
            &fill(
                prior,
                vec![
                    ("users", Value::Null),
                    ("roles", Value::Null),
                    ("groups", Value::Null),
                ],
            ),
        )
        .await
    }

    async fn import(&self, _c: &Clients, _id: &str) -> ProviderResult<Option<Value>> {
        Err(gantry_core::provider::ProviderError::new(
            ErrorKind::Validation,
            "aws_iam_policy_attachment cannot be imported (hashicorp/aws does not support it either); use aws_iam_role_policy_attachment",
        ))
    }

    async fn find_by_token(
        &self,
        c: &Clients,
        _token: &str,
        planned: &Value,
    ) -> ProviderResult<Option<Value>> {
        // The attachments are the object: make what is missing and read the result.
        self.sync(c, &Value::Null, planned).await?;
        let base = fill(
            planned,
            vec![("id", Value::string(need_str(planned, "name")?))],
        );
        self.read(c, &base).await
    }
}
