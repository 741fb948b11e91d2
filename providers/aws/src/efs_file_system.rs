//! `aws_efs_file_system`: shared storage for training data and notebooks. EFS takes a
//! CreationToken, so an interrupted create is idempotent: gantry derives the token upstream
//! would generate (`terraform-` + 26) from the journal's token, and a repeated create answers
//! `FileSystemAlreadyExists` for the one the lost attempt made, which is then adopted.
//! Throughput, lifecycle policies, protection and tags change in place.

use crate::clients::Clients;
use crate::error::sdk;
use crate::util::*;
use crate::ResourceType;
use async_trait::async_trait;
use aws_sdk_efs::types::{
    FileSystemDescription, LifecyclePolicy, PerformanceMode, ReplicationOverwriteProtection, Tag,
    ThroughputMode, TransitionToArchiveRules, TransitionToIaRules,
    TransitionToPrimaryStorageClassRules,
};
use gantry_core::provider::{
    ErrorKind, Op, PlanRequest, PlanResponse, ProviderResult, ResourceSchema,
};
use gantry_core::value::Value;
use std::collections::BTreeMap;

pub struct FileSystem;

const LIFECYCLE_KEYS: [&str; 3] = [
    "transition_to_archive",
    "transition_to_ia",
    "transition_to_primary_storage_class",
];

pub(crate) fn efs_tags(t: &BTreeMap<String, String>) -> Vec<Tag> {
    t.iter()
        .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
        .collect()
}

/// The configured lifecycle policies, one transition each (as the API takes them).
fn lifecycle_policies(v: &Value) -> Vec<LifecyclePolicy> {
    let set = |p: &Value, k: &str| attr_str(p, k).filter(|s| !s.is_empty());
    v.get_attr("lifecycle_policy")
        .and_then(Value::as_seq)
        .unwrap_or_default()
        .iter()
        .map(|p| {
            LifecyclePolicy::builder()
                .set_transition_to_archive(
                    set(p, "transition_to_archive")
                        .map(|s| TransitionToArchiveRules::from(s.as_str())),
                )
                .set_transition_to_ia(
                    set(p, "transition_to_ia").map(|s| TransitionToIaRules::from(s.as_str())),
                )
                .set_transition_to_primary_storage_class(
                    set(p, "transition_to_primary_storage_class")
                        .map(|s| TransitionToPrimaryStorageClassRules::from(s.as_str())),
                )
                .build()
        })
        .collect()
}

fn lifecycle_value(policies: &[LifecyclePolicy]) -> Value {
    Value::list(
        policies
            .iter()
            .map(|p| {
                let vals = [
                    p.transition_to_archive().map(|r| r.as_str()),
                    p.transition_to_ia().map(|r| r.as_str()),
                    p.transition_to_primary_storage_class().map(|r| r.as_str()),
                ];
                // SDKv2 keeps the unset transitions of a policy as "".
                obj(LIFECYCLE_KEYS
                    .iter()
                    .zip(vals)
                    .map(|(k, v)| (*k, Value::string(v.unwrap_or(""))))
                    .collect())
            })
            .collect(),
    )
}

fn protection(v: &Value) -> Option<String> {
    first(v, "protection").and_then(|p| attr_str(p, "replication_overwrite"))
}

impl FileSystem {
    /// The creation token: configured, or upstream's `terraform-` + 26 from the journal token.
    fn creation_token(planned: &Value, token: &str) -> String {
        name_or_generated(planned, "creation_token", "creation_token_prefix", token)
    }

    async fn describe(
        &self,
        c: &Clients,
        id: Option<&str>,
        creation_token: Option<&str>,
    ) -> ProviderResult<Option<FileSystemDescription>> {
        let r = c
            .efs
            .describe_file_systems()
            .set_file_system_id(id.map(String::from))
            .set_creation_token(creation_token.map(String::from))
            .send()
            .await
            .map_err(sdk);
        match r {
            Ok(r) => Ok(r
                .file_systems()
                .iter()
                .find(|f| f.life_cycle_state().as_str() != "deleted")
                .cloned()),
            Err(e) if e.kind == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Waits (no fixed limit) until the file system is available, or gone.
    async fn wait(
        &self,
        c: &Clients,
        id: &str,
        want_gone: bool,
        op: &Op<'_>,
    ) -> ProviderResult<()> {
        let awaited = Awaited {
            object: format!("EFS file system {id}"),
            ready: &["available"],
            gone: want_gone,
        };
        wait_for_status(
            None,
            awaited,
            op.progress,
            |s| s == "error",
            || async {
                Ok(self
                    .describe(c, Some(id), None)
                    .await?
                    .map(|fs| (fs.life_cycle_state().as_str().to_string(), String::new())))
            },
        )
        .await
    }

    async fn put_lifecycle(&self, c: &Clients, id: &str, planned: &Value) -> ProviderResult<()> {
        c.efs
            .put_lifecycle_configuration()
            .file_system_id(id)
            .set_lifecycle_policies(Some(lifecycle_policies(planned)))
            .send()
            .await
            .map_err(sdk)?;
        Ok(())
    }

    async fn put_protection(&self, c: &Clients, id: &str, setting: &str) -> ProviderResult<()> {
        c.efs
            .update_file_system_protection()
            .file_system_id(id)
            .replication_overwrite_protection(ReplicationOverwriteProtection::from(setting))
            .send()
            .await
            .map_err(sdk)?;
        Ok(())
    }

    async fn to_value(
        &self,
        c: &Clients,
        prior: &Value,
        fs: &FileSystemDescription,
    ) -> ProviderResult<Value> {
        let id = fs.file_system_id();
        let lifecycle = c
            .efs
            .describe_lifecycle_configuration()
            .file_system_id(id)
            .send()
            .await
            .map_err(sdk)?;
        let tags: BTreeMap<String, String> = fs
            .tags()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect();
        let size = fs
            .size_in_bytes()
            .map(|s| {
                vec![obj(vec![
                    ("value", Value::Number(s.value() as f64)),
                    (
                        "value_in_ia",
                        Value::Number(s.value_in_ia().unwrap_or(0) as f64),
                    ),
                    (
                        "value_in_standard",
                        Value::Number(s.value_in_standard().unwrap_or(0) as f64),
                    ),
                ])]
            })
            .unwrap_or_default();
        let protection = fs
            .file_system_protection()
            .map(|p| {
                vec![obj(vec![(
                    "replication_overwrite",
                    opt_str(p.replication_overwrite_protection().map(|r| r.as_str())),
                )])]
            })
            .unwrap_or_default();
        let mut pairs = vec![
            ("id", Value::string(id)),
            ("arn", opt_str(fs.file_system_arn())),
            (
                "availability_zone_id",
                Value::string(fs.availability_zone_id().unwrap_or("")),
            ),
            (
                "availability_zone_name",
                Value::string(fs.availability_zone_name().unwrap_or("")),
            ),
            ("creation_token", Value::string(fs.creation_token())),
            (
                "dns_name",
                Value::string(c.regional_hostname(&format!("{id}.efs"))),
            ),
            ("encrypted", Value::Bool(fs.encrypted().unwrap_or(false))),
            ("kms_key_id", Value::string(fs.kms_key_id().unwrap_or(""))),
            ("name", opt_str(fs.name())),
            (
                "number_of_mount_targets",
                Value::Number(fs.number_of_mount_targets() as f64),
            ),
            ("owner_id", Value::string(fs.owner_id())),
            (
                "performance_mode",
                Value::string(fs.performance_mode().as_str()),
            ),
            ("protection", Value::list(protection)),
            (
                "provisioned_throughput_in_mibps",
                fs.provisioned_throughput_in_mibps()
                    .map(Value::Number)
                    .unwrap_or(Value::Number(0.0)),
            ),
            ("size_in_bytes", Value::list(size)),
            (
                "throughput_mode",
                opt_str(fs.throughput_mode().map(|t| t.as_str())),
            ),
            (
                "lifecycle_policy",
                lifecycle_value(lifecycle.lifecycle_policies()),
            ),
        ];
        pairs.extend(tag_attrs(prior, &tags));
        Ok(fill(prior, pairs))
    }
}

#[async_trait]
impl ResourceType for FileSystem {
    fn name(&self) -> &'static str {
        "aws_efs_file_system"
    }

    fn schema(&self) -> ResourceSchema {
        crate::upstream::resource("aws_efs_file_system")
            .force_new_at(&[
                "availability_zone_name",
                "creation_token",
                "encrypted",
                "kms_key_id",
                "performance_mode",
            ])
            .default_at("throughput_mode", Value::string("bursting"))
    }

    fn implemented(&self) -> &'static [&'static str] {
        &[
            "availability_zone_name",
            "creation_token",
            "encrypted",
            "kms_key_id",
            "lifecycle_policy",
            "performance_mode",
            "protection",
            "provisioned_throughput_in_mibps",
            "throughput_mode",
            "tags",
        ]
    }

    async fn plan(&self, _c: &Clients, req: &PlanRequest<'_>) -> ProviderResult<PlanResponse> {
        Ok(PlanResponse::of(keep_computed_blocks(
            &["protection"],
            req.prior,
            req.config,
            req.proposed,
        )))
    }

    async fn create(&self, c: &Clients, planned: &Value, op: &Op<'_>) -> ProviderResult<Value> {
        let creation_token = Self::creation_token(planned, op.token);
        if attr_bool(planned, "encrypted") == Some(false)
            && attr_str(planned, "kms_key_id").is_some()
        {
            return Err(crate::ec2_object::invalid(
                "encrypted must be set to true when kms_key_id is specified",
            ));
        }
        let throughput = attr_str(planned, "throughput_mode").unwrap_or_else(|| "bursting".into());
        let r = c
            .efs
            .create_file_system()
            .creation_token(&creation_token)
            .throughput_mode(ThroughputMode::from(throughput.as_str()))
            .set_provisioned_throughput_in_mibps(
                (throughput == "provisioned")
                    .then(|| attr_num(planned, "provisioned_throughput_in_mibps"))
                    .flatten(),
            )
            .set_availability_zone_name(attr_str(planned, "availability_zone_name"))
            .set_performance_mode(
                attr_str(planned, "performance_mode").map(|p| PerformanceMode::from(p.as_str())),
            )
            .set_encrypted(attr_bool(planned, "encrypted"))
            .set_kms_key_id(attr_str(planned, "kms_key_id"))
            .set_tags(Some(efs_tags(&send_tags(planned))))
            .send()
            .await
            .map_err(sdk);
        let id = match r {
            Ok(r) => r.file_system_id().to_string(),
            // The token is the identity: a lost earlier attempt made it.
            Err(e) if e.code.as_deref() == Some("FileSystemAlreadyExists") => self
                .describe(c, None, Some(&creation_token))
                .await?
                .map(|f| f.file_system_id().to_string())
                .ok_or(e)?,
            Err(e) => return Err(e),
        };
        self.wait(c, &id, false, op).await?;
        if planned
            .get_attr("lifecycle_policy")
            .and_then(Value::as_seq)
            .is_some_and(|l| !l.is_empty())
        {
            self.put_lifecycle(c, &id, planned).await?;
        }
        if let Some(p) = protection(planned) {
            self.put_protection(c, &id, &p).await?;
        }
        self.read_back(
            c,
            &fill(planned, vec![("id", Value::string(&id))]),
            "after create",
        )
        .await
    }

    async fn read(&self, c: &Clients, prior: &Value) -> ProviderResult<Option<Value>> {
        let id = need_str(prior, "id")?;
        match self.describe(c, Some(&id), None).await? {
            Some(fs) => Ok(Some(self.to_value(c, prior, &fs).await?)),
            None => Ok(None),
        }
    }

    async fn update(
        &self,
        c: &Clients,
        prior: &Value,
        planned: &Value,
        op: &Op<'_>,
    ) -> ProviderResult<Value> {
        let id = need_str(prior, "id")?;
        let throughput = |v: &Value| {
            (
                attr_str(v, "throughput_mode"),
                attr_num(v, "provisioned_throughput_in_mibps"),
            )
        };
        if throughput(prior) != throughput(planned) {
            let mode = attr_str(planned, "throughput_mode").unwrap_or_else(|| "bursting".into());
            c.efs
                .update_file_system()
                .file_system_id(&id)
                .throughput_mode(ThroughputMode::from(mode.as_str()))
                .set_provisioned_throughput_in_mibps(
                    (mode == "provisioned")
                        .then(|| attr_num(planned, "provisioned_throughput_in_mibps"))
                        .flatten(),
                )
                .send()
                .await
                .map_err(sdk)?;
            self.wait(c, &id, false, op).await?;
        }
        if prior.get_attr("lifecycle_policy") != planned.get_attr("lifecycle_policy") {
            self.put_lifecycle(c, &id, planned).await?;
        }
        if let Some(p) = protection(planned).filter(|p| Some(p) != protection(prior).as_ref()) {
            self.put_protection(c, &id, &p).await?;
        }
        let (removed, changed) = tag_changes(prior, planned);
        if !removed.is_empty() {
            c.efs
                .untag_resource()
                .resource_id(&id)
                .set_tag_keys(Some(removed))
                .send()
                .await
                .map_err(sdk)?;
        }
        if !changed.is_empty() {
            c.efs
                .tag_resource()
                .resource_id(&id)
                .set_tags(Some(efs_tags(&changed)))
                .send()
                .await
                .map_err(sdk)?;
        }
        self.read_back(
            c,
            &fill(planned, vec![("id", Value::string(&id))]),
            "during update",
        )
        .await
    }

    async fn delete(&self, c: &Clients, prior: &Value, op: &Op<'_>) -> ProviderResult<()> {
        let id = need_str(prior, "id")?;
        gone_is_ok(
            c.efs
                .delete_file_system()
                .file_system_id(&id)
                .send()
                .await
                .map_err(sdk),
        )?;
        self.wait(c, &id, true, op).await
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
        let creation_token = Self::creation_token(planned, token);
        match self.describe(c, None, Some(&creation_token)).await? {
            Some(fs) => Ok(Some(self.to_value(c, planned, &fs).await?)),
            None => Ok(None),
        }
    }
}
