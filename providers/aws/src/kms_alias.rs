//! `aws_kms_alias`: a stable name (`alias/…`) for a key. The name is the identity (an
//! interrupted create is found by it); moving it to another key is an UpdateAlias in place.

use crate::clients::Clients;
use crate::error::sdk;
use crate::util::*;
use crate::ResourceType;
use async_trait::async_trait;
use gantry_core::provider::{ErrorKind, Op, ProviderResult, ResourceSchema};
use gantry_core::value::Value;

pub struct KmsAlias;

impl KmsAlias {
    /// The alias's name: configured, or `name_prefix` (else `alias/`) plus the token suffix.
    fn name(planned: &Value, token: &str) -> String {
        match attr_str(planned, "name") {
            Some(n) => n,
            None => format!(
                "{}{}",
                attr_str(planned, "name_prefix").unwrap_or_else(|| "alias/".into()),
                unique_suffix(token)
            ),
        }
    }
}

#[async_trait]
impl ResourceType for KmsAlias {
    fn name(&self) -> &'static str {
        "aws_kms_alias"
    }

    fn schema(&self) -> ResourceSchema {
        crate::upstream::resource("aws_kms_alias").force_new_at(&["name", "name_prefix"])
    }

    fn implemented(&self) -> &'static [&'static str] {
        &["name", "name_prefix", "target_key_id"]
    }

    async fn create(&self, c: &Clients, planned: &Value, op: &Op<'_>) -> ProviderResult<Value> {
        let name = Self::name(planned, op.token);
        let r = c
            .kms
            .create_alias()
            .alias_name(&name)
            .target_key_id(need_str(planned, "target_key_id")?)
            .send()
            .await
            .map_err(sdk);
        match r {
            Ok(_) => {}
            // Made by an earlier attempt whose answer was lost: the name is the identity.
            Err(e) if e.code.as_deref() == Some("AlreadyExistsException") => {}
            Err(e) => return Err(e),
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
        let mut marker: Option<String> = None;
        loop {
            let r = match c
                .kms
                .list_aliases()
                .set_marker(marker.clone())
                .send()
                .await
                .map_err(sdk)
            {
                Ok(r) => r,
                Err(e) if e.kind == ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(e),
            };
            if let Some(a) = r
                .aliases()
                .iter()
                .find(|a| a.alias_name() == Some(name.as_str()))
            {
                let target = a.target_key_id().unwrap_or_default().to_string();
                let key = c
                    .kms
                    .describe_key()
                    .key_id(&target)
                    .send()
                    .await
                    .map_err(sdk)?;
                let key_arn = key
                    .key_metadata()
                    .and_then(|m| m.arn())
                    .unwrap_or_default()
                    .to_string();
                // Terraform keeps the key reference as configured (id or ARN) when it names
                // the same key.
                let target_id = match attr_str(prior, "target_key_id") {
                    Some(t) if t == target || t == key_arn => t,
                    _ => target.clone(),
                };
                return Ok(Some(fill(
                    prior,
                    vec![
                        ("id", Value::string(&name)),
                        ("name", Value::string(&name)),
                        ("arn", opt_str(a.alias_arn())),
                        ("target_key_id", Value::string(target_id)),
                        ("target_key_arn", Value::string(key_arn)),
                    ],
                )));
            }
            marker = r.next_marker().map(String::from);
            if !r.truncated() || marker.is_none() {
                return Ok(None);
            }
        }
    }

    async fn update(
        &self,
        c: &Clients,
        prior: &Value,
        planned: &Value,
        _op: &Op<'_>,
    ) -> ProviderResult<Value> {
        let name = need_str(prior, "id")?;
        c.kms
            .update_alias()
            .alias_name(&name)
            .target_key_id(need_str(planned, "target_key_id")?)
            .send()
            .await
            .map_err(sdk)?;
        self.read_back(
            c,
            &fill(planned, vec![("id", Value::string(&name))]),
            "during update",
        )
        .await
    }

    async fn delete(&self, c: &Clients, prior: &Value, _op: &Op<'_>) -> ProviderResult<()> {
        gone_is_ok(
            c.kms
                .delete_alias()
                .alias_name(need_str(prior, "id")?)
                .send()
                .await
                .map(|_| ())
                .map_err(sdk),
        )
    }

    async fn import(&self, c: &Clients, id: &str) -> ProviderResult<Option<Value>> {
        self.read(c, &obj(vec![("id", Value::string(id))])).await
    }

    async fn find_by_token(
        &self,
        c: &Clients,
        token: &str,
        planned: &Value,
    ) -> ProviderResult<Option<Value>> {
        let name = Self::name(planned, token);
        self.read(c, &fill(planned, vec![("id", Value::string(name))]))
            .await
    }
}
