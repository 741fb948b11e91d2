//! `aws_key_pair`: an SSH public key imported for GPU nodes. Terraform's id is the key name;
//! tags live on its `key-…` id. The name is generated from the idempotency token when the
//! configuration gives none (`terraform-…` or `key_name_prefix`), so a retried import finds
//! the first one.

use crate::clients::Clients;
use crate::ec2_object::*;
use crate::error::sdk;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_ec2::primitives::Blob;
use aws_sdk_ec2::types::ResourceType as Ec2ResourceType;
use gantry_core::provider::{PlanRequest, PlanResponse, ProviderResult, ResourceSchema};
use gantry_core::value::Value;

pub struct KeyPair;

#[async_trait]
impl Ec2Kind for KeyPair {
    fn type_name(&self) -> &'static str {
        "aws_key_pair"
    }

    fn schema(&self) -> ResourceSchema {
        crate::upstream::resource("aws_key_pair").force_new_at(&[
            "key_name",
            "key_name_prefix",
            "public_key",
        ])
    }

    fn implemented(&self) -> &'static [&'static str] {
        &["key_name", "key_name_prefix", "public_key", "tags"]
    }

    async fn plan(&self, _c: &Clients, req: &PlanRequest<'_>) -> ProviderResult<PlanResponse> {
        let mut planned = req.proposed.clone();
        // Upstream records the prefix a generated name has: "" for a configured name,
        // "terraform-" for one made without a prefix.
        if req.prior.is_none() && attr_str(req.config, "key_name_prefix").is_none() {
            let prefix = match attr_str(req.config, "key_name") {
                Some(_) => "",
                None => "terraform-",
            };
            planned = fill(&planned, vec![("key_name_prefix", Value::string(prefix))]);
        }
        Ok(PlanResponse::of(planned))
    }

    async fn describe(&self, c: &Clients, by: By<'_>) -> ProviderResult<Vec<Live>> {
        let r = c
            .ec2
            .describe_key_pairs()
            .filters(by.filter("key-name"))
            .send()
            .await
            .map_err(sdk)?;
        let account = c.account_id().await?;
        Ok(r.key_pairs()
            .iter()
            .map(|k| {
                let name = k.key_name().unwrap_or_default().to_string();
                Live {
                    attrs: vec![
                        ("key_name", Value::string(&name)),
                        (
                            "arn",
                            Value::string(format!(
                                "arn:aws:ec2:{}:{account}:key-pair/{name}",
                                c.region
                            )),
                        ),
                        ("key_pair_id", opt_str(k.key_pair_id())),
                        ("fingerprint", opt_str(k.key_fingerprint())),
                        ("key_type", opt_str(k.key_type().map(|t| t.as_str()))),
                    ],
                    tags: live_tags(k.tags()),
                    id: name,
                }
            })
            .collect())
    }

    async fn create(&self, c: &Clients, planned: &Value, token: &str) -> ProviderResult<String> {
        let name = name_or_generated(planned, "key_name", "key_name_prefix", token);
        c.ec2_once
            .import_key_pair()
            .key_name(&name)
            .public_key_material(Blob::new(need_str(planned, "public_key")?.into_bytes()))
            .tag_specifications(tag_spec(Ec2ResourceType::KeyPair, planned, token))
            .send()
            .await
            .map_err(sdk)?;
        Ok(name)
    }

    async fn delete(&self, c: &Clients, id: &str, _prior: &Value) -> ProviderResult<()> {
        c.ec2
            .delete_key_pair()
            .key_name(id)
            .send()
            .await
            .map_err(sdk)?;
        Ok(())
    }

    fn tag_target(&self, value: &Value) -> Option<String> {
        attr_str(value, "key_pair_id")
    }
}
