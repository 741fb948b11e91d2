//! `aws_ecr_repository`: where serving and training images live. The name is the identity
//! (an interrupted create is found by it); tag mutability and scan-on-push change in place,
//! encryption forces a new repository. Blocks left out of the configuration keep what ECR
//! reports (upstream suppresses that diff).

use crate::clients::Clients;
use crate::error::sdk;
use crate::util::*;
use crate::ResourceType;
use async_trait::async_trait;
use aws_sdk_ecr::types::{
    EncryptionConfiguration, EncryptionType, ImageScanningConfiguration, ImageTagMutability, Tag,
};
use gantry_core::provider::{
    ErrorKind, Op, PlanRequest, PlanResponse, ProviderResult, ResourceSchema,
};
use gantry_core::value::Value;
use std::collections::BTreeMap;

pub struct Repository;

fn ecr_tags(t: &BTreeMap<String, String>) -> Vec<Tag> {
    t.iter()
        .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
        .collect()
}

#[async_trait]
impl ResourceType for Repository {
    fn name(&self) -> &'static str {
        "aws_ecr_repository"
    }

    fn schema(&self) -> ResourceSchema {
        crate::upstream::resource("aws_ecr_repository")
            .force_new_at(&["name", "encryption_configuration"])
            .default_at("image_tag_mutability", Value::string("MUTABLE"))
            .default_at("force_delete", Value::Bool(false))
    }

    fn implemented(&self) -> &'static [&'static str] {
        &[
            "name",
            "image_tag_mutability",
            "image_scanning_configuration",
            "encryption_configuration",
            "force_delete",
            "tags",
            "timeouts",
        ]
    }

    async fn plan(&self, _c: &Clients, req: &PlanRequest<'_>) -> ProviderResult<PlanResponse> {
        let Some(prior) = req.prior else {
            return Ok(PlanResponse::of(req.proposed.clone()));
        };
        let kept: Vec<(&str, Value)> = ["encryption_configuration", "image_scanning_configuration"]
            .into_iter()
            .filter(|b| first(req.config, b).is_none())
            .map(|b| (b, prior.get_attr(b).cloned().unwrap_or(Value::Null)))
            .collect();
        Ok(PlanResponse::of(fill(req.proposed, kept)))
    }

    async fn create(&self, c: &Clients, planned: &Value, _op: &Op<'_>) -> ProviderResult<Value> {
        let name = need_str(planned, "name")?;
        let mut req = c
            .ecr
            .create_repository()
            .repository_name(&name)
            .image_tag_mutability(ImageTagMutability::from(
                attr_str(planned, "image_tag_mutability")
                    .unwrap_or_else(|| "MUTABLE".into())
                    .as_str(),
            ))
            .set_tags(Some(ecr_tags(&send_tags(planned))));
        if let Some(s) = first(planned, "image_scanning_configuration") {
            req = req.image_scanning_configuration(
                ImageScanningConfiguration::builder()
                    .scan_on_push(attr_bool(s, "scan_on_push").unwrap_or(false))
                    .build(),
            );
        }
        if let Some(e) = first(planned, "encryption_configuration") {
            let t = attr_str(e, "encryption_type").unwrap_or_else(|| "AES256".into());
            req = req.encryption_configuration(
                EncryptionConfiguration::builder()
                    .encryption_type(EncryptionType::from(t.as_str()))
                    .set_kms_key(attr_str(e, "kms_key").filter(|k| !k.is_empty()))
                    .build()
                    .map_err(|e| crate::ec2_object::invalid(e.to_string()))?,
            );
        }
        match req.send().await.map_err(sdk) {
            Ok(_) => {}
            // Made by an earlier attempt whose response was lost: names are the identity.
            Err(e) if e.code.as_deref() == Some("RepositoryAlreadyExistsException") => {}
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
        let r = match c
            .ecr
            .describe_repositories()
            .repository_names(&name)
            .send()
            .await
            .map_err(sdk)
        {
            Ok(r) => r,
            Err(e) if e.kind == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let Some(repo) = r.repositories().first() else {
            return Ok(None);
        };
        let arn = repo.repository_arn().unwrap_or_default().to_string();
        let tags = c
            .ecr
            .list_tags_for_resource()
            .resource_arn(&arn)
            .send()
            .await
            .map_err(sdk)?;
        let tags: BTreeMap<String, String> = tags
            .tags()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect();
        let scan = repo
            .image_scanning_configuration()
            .map(|s| vec![obj(vec![("scan_on_push", Value::Bool(s.scan_on_push()))])])
            .unwrap_or_default();
        let enc = repo
            .encryption_configuration()
            .map(|e| {
                vec![obj(vec![
                    (
                        "encryption_type",
                        Value::string(e.encryption_type().as_str()),
                    ),
                    ("kms_key", Value::string(e.kms_key().unwrap_or(""))),
                ])]
            })
            .unwrap_or_default();
        let mut pairs = vec![
            ("id", Value::string(&name)),
            ("name", Value::string(&name)),
            ("arn", Value::string(&arn)),
            ("registry_id", opt_str(repo.registry_id())),
            ("repository_url", opt_str(repo.repository_uri())),
            (
                "image_tag_mutability",
                opt_str(repo.image_tag_mutability().map(|m| m.as_str())),
            ),
            ("image_scanning_configuration", Value::list(scan)),
            ("encryption_configuration", Value::list(enc)),
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
        let arn = need_str(prior, "arn")?;
        if attr_str(prior, "image_tag_mutability") != attr_str(planned, "image_tag_mutability") {
            c.ecr
                .put_image_tag_mutability()
                .repository_name(&name)
                .image_tag_mutability(ImageTagMutability::from(
                    need_str(planned, "image_tag_mutability")?.as_str(),
                ))
                .send()
                .await
                .map_err(sdk)?;
        }
        let scan = |v: &Value| {
            first(v, "image_scanning_configuration").and_then(|s| attr_bool(s, "scan_on_push"))
        };
        if scan(prior) != scan(planned) {
            c.ecr
                .put_image_scanning_configuration()
                .repository_name(&name)
                .image_scanning_configuration(
                    ImageScanningConfiguration::builder()
                        .scan_on_push(scan(planned).unwrap_or(false))
                        .build(),
                )
                .send()
                .await
                .map_err(sdk)?;
        }
        let (removed, changed) = tag_changes(prior, planned);
        if !removed.is_empty() {
            c.ecr
                .untag_resource()
                .resource_arn(&arn)
                .set_tag_keys(Some(removed))
                .send()
                .await
                .map_err(sdk)?;
        }
        if !changed.is_empty() {
            c.ecr
                .tag_resource()
                .resource_arn(&arn)
                .set_tags(Some(ecr_tags(&changed)))
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
        gone_is_ok(
            c.ecr
                .delete_repository()
                .repository_name(name)
                .force(attr_bool(prior, "force_delete").unwrap_or(false))
                .send()
                .await
                .map_err(sdk),
        )
    }

    async fn import(&self, c: &Clients, id: &str) -> ProviderResult<Option<Value>> {
        self.read(c, &obj(vec![("id", Value::string(id))])).await
    }
}
