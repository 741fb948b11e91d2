//! `aws_fsx_lustre_file_system`: the parallel file system GPU training reads its data from
//! (linked to an S3 prefix). CreateFileSystem takes a ClientRequestToken (the journal token),
//! and the create also carries a `gantry:token` tag, by which an interrupted create is found
//! (FSx cannot be asked by token). Creation and deletion wait with live status and no fixed
//! limit. Capacity grows in place (shrinking, or any change on SCRATCH_1, replaces, as
//! upstream); maintenance window, compression, backups and logging change in place.

use crate::clients::Clients;
use crate::ec2_object::TOKEN_TAG;
use crate::error::sdk;
use crate::util::*;
use crate::ResourceType;
use async_trait::async_trait;
use aws_sdk_fsx::types::{
    AutoImportPolicyType, CreateFileSystemLustreConfiguration, DataCompressionType,
    DeleteFileSystemLustreConfiguration, DriveCacheType, FileSystem, FileSystemType,
    LustreAccessAuditLogLevel, LustreDeploymentType, LustreLogCreateConfiguration, StorageType,
    Tag, UpdateFileSystemLustreConfiguration,
};
use gantry_core::provider::{
    ErrorKind, Op, PlanRequest, PlanResponse, ProviderResult, ResourceSchema,
};
use gantry_core::value::{PathStep, Value};
use std::collections::BTreeMap;

pub struct LustreFileSystem;

/// Blocks upstream declares Optional + Computed.
const COMPUTED_BLOCKS: &[&str] = &["log_configuration"];

fn int(v: &Value, k: &str) -> Option<i32> {
    attr_num(v, k).filter(|n| *n > 0.0).map(|n| n as i32)
}

fn log_config(v: &Value) -> Option<LustreLogCreateConfiguration> {
    first(v, "log_configuration").map(|l| {
        LustreLogCreateConfiguration::builder()
            .set_level(nonempty(l, "level").map(|x| LustreAccessAuditLogLevel::from(x.as_str())))
            .set_destination(nonempty(l, "destination"))
            .build()
    })
}

impl LustreFileSystem {
    async fn all(&self, c: &Clients) -> ProviderResult<Vec<FileSystem>> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let r = c
                .fsx
                .describe_file_systems()
                .set_next_token(token.clone())
                .send()
                .await
                .map_err(sdk)?;
            out.extend(r.file_systems().iter().cloned());
            token = r.next_token().map(String::from).filter(|t| !t.is_empty());
            if token.is_none() {
                return Ok(out);
            }
        }
    }

    async fn by_id(&self, c: &Clients, id: &str) -> ProviderResult<Option<FileSystem>> {
        match c
            .fsx
            .describe_file_systems()
            .file_system_ids(id)
            .send()
            .await
            .map_err(sdk)
        {
            Ok(r) => Ok(r
                .file_systems()
                .iter()
                .find(|f| f.lifecycle().map(|l| l.as_str()) != Some("DELETING"))
                .cloned()),
            Err(e) if e.kind == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn wait(
        &self,
        c: &Clients,
        id: &str,
        want_gone: bool,
        op: &Op<'_>,
    ) -> ProviderResult<()> {
        let limit = timeout(op.config, if want_gone { "delete" } else { "create" });
        let awaited = Awaited {
            object: format!("FSx for Lustre file system {id}"),
            ready: &["AVAILABLE"],
            gone: want_gone,
        };
        let failed = |s: &str| s == "FAILED" || s == "MISCONFIGURED";
        wait_for_status(limit, awaited, op.progress, failed, || async {
            Ok(self.by_id(c, id).await?.map(|fs| {
                (
                    fs.lifecycle().map(|l| l.as_str()).unwrap_or("").to_string(),
                    fs.failure_details()
                        .and_then(|d| d.message())
                        .unwrap_or_default()
                        .to_string(),
                )
            }))
        })
        .await
    }

    fn to_value(&self, prior: &Value, fs: &FileSystem) -> Value {
        let l = fs.lustre_configuration();
        let repo = l.and_then(|l| l.data_repository_configuration());
        let s = |x: Option<&str>| Value::string(x.unwrap_or(""));
        let n = |x: Option<i32>| Value::Number(x.unwrap_or(0) as f64);
        let tags: BTreeMap<String, String> = fs
            .tags()
            .iter()
            .filter(|t| t.key() != Some(TOKEN_TAG))
            .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
            .collect();
        let log = l
            .and_then(|l| l.log_configuration())
            .map(|g| {
                vec![obj(vec![
                    // Upstream records the log group's ARN without its `:*` suffix.
                    (
                        "destination",
                        s(g.destination().map(|d| d.trim_end_matches(":*"))),
                    ),
                    ("level", s(g.level().map(|l| l.as_str()))),
                ])]
            })
            .unwrap_or_default();
        let mut pairs = vec![
            ("id", opt_str(fs.file_system_id())),
            ("arn", opt_str(fs.resource_arn())),
            ("dns_name", opt_str(fs.dns_name())),
            ("owner_id", opt_str(fs.owner_id())),
            ("vpc_id", opt_str(fs.vpc_id())),
            (
                "network_interface_ids",
                Value::list(
                    fs.network_interface_ids()
                        .iter()
                        .map(Value::string)
                        .collect(),
                ),
            ),
            (
                "subnet_ids",
                Value::list(fs.subnet_ids().iter().map(Value::string).collect()),
            ),
            ("storage_capacity", n(fs.storage_capacity())),
            ("storage_type", s(fs.storage_type().map(|t| t.as_str()))),
            ("kms_key_id", s(fs.kms_key_id())),
            ("file_system_type_version", s(fs.file_system_type_version())),
            ("mount_name", s(l.and_then(|l| l.mount_name()))),
            (
                "deployment_type",
                s(l.and_then(|l| l.deployment_type()).map(|d| d.as_str())),
            ),
            (
                "per_unit_storage_throughput",
                n(l.and_then(|l| l.per_unit_storage_throughput())),
            ),
            (
                "data_compression_type",
                s(l.and_then(|l| l.data_compression_type())
                    .map(|d| d.as_str())),
            ),
            (
                "weekly_maintenance_start_time",
                s(l.and_then(|l| l.weekly_maintenance_start_time())),
            ),
            (
                "automatic_backup_retention_days",
                n(l.and_then(|l| l.automatic_backup_retention_days())),
            ),
            (
                "daily_automatic_backup_start_time",
                s(l.and_then(|l| l.daily_automatic_backup_start_time())),
            ),
            (
                "copy_tags_to_backups",
                Value::Bool(l.and_then(|l| l.copy_tags_to_backups()).unwrap_or(false)),
            ),
            (
                "drive_cache_type",
                s(l.and_then(|l| l.drive_cache_type()).map(|d| d.as_str())),
            ),
            ("import_path", s(repo.and_then(|r| r.import_path()))),
            ("export_path", s(repo.and_then(|r| r.export_path()))),
            (
                "imported_file_chunk_size",
                n(repo.and_then(|r| r.imported_file_chunk_size())),
            ),
            (
                "auto_import_policy",
                s(repo
                    .and_then(|r| r.auto_import_policy())
                    .map(|p| p.as_str())),
            ),
            ("log_configuration", Value::list(log)),
            (
                "efa_enabled",
                Value::Bool(l.and_then(|l| l.efa_enabled()).unwrap_or(false)),
            ),
            // A Lustre file system reports no throughput capacity (an OpenZFS setting).
            ("throughput_capacity", Value::Number(0.0)),
        ];
        pairs.extend(tag_attrs(prior, &tags));
        let schema = crate::resource_schema("aws_fsx_lustre_file_system");
        sdkv2_fill(&schema.block, &fill(prior, pairs))
    }
}

#[async_trait]
impl ResourceType for LustreFileSystem {
    fn name(&self) -> &'static str {
        "aws_fsx_lustre_file_system"
    }

    fn schema(&self) -> ResourceSchema {
        crate::upstream::resource("aws_fsx_lustre_file_system")
            .force_new_at(&[
                "copy_tags_to_backups",
                "deployment_type",
                "drive_cache_type",
                "export_path",
                "file_system_type_version",
                "import_path",
                "imported_file_chunk_size",
                "kms_key_id",
                "security_group_ids",
                "storage_type",
                "subnet_ids",
            ])
            .default_at("copy_tags_to_backups", Value::Bool(false))
            .default_at("data_compression_type", Value::string("NONE"))
            .default_at("deployment_type", Value::string("SCRATCH_1"))
            .default_at("skip_final_backup", Value::Bool(true))
            .default_at("storage_type", Value::string("SSD"))
    }

    fn implemented(&self) -> &'static [&'static str] {
        &[
            "subnet_ids",
            "security_group_ids",
            "storage_capacity",
            "storage_type",
            "deployment_type",
            "per_unit_storage_throughput",
            "data_compression_type",
            "weekly_maintenance_start_time",
            "automatic_backup_retention_days",
            "daily_automatic_backup_start_time",
            "copy_tags_to_backups",
            "drive_cache_type",
            "import_path",
            "export_path",
            "imported_file_chunk_size",
            "auto_import_policy",
            "kms_key_id",
            "file_system_type_version",
            "log_configuration",
            "skip_final_backup",
            "tags",
            "timeouts",
        ]
    }

    async fn plan(&self, _c: &Clients, req: &PlanRequest<'_>) -> ProviderResult<PlanResponse> {
        let mut resp = PlanResponse::of(keep_computed_blocks(
            COMPUTED_BLOCKS,
            req.prior,
            req.config,
            req.proposed,
        ));
        // Upstream's CustomizeDiff: less capacity, or any change on SCRATCH_1, replaces.
        if let Some(prior) = req.prior {
            let (was, now) = (
                attr_num(prior, "storage_capacity"),
                attr_num(req.proposed, "storage_capacity"),
            );
            let scratch = attr_str(req.proposed, "deployment_type").as_deref() == Some("SCRATCH_1");
            if was != now && (now < was || scratch) {
                resp.requires_replace
                    .push(vec![PathStep::Key("storage_capacity".into())]);
            }
        }
        Ok(resp)
    }

    async fn create(&self, c: &Clients, planned: &Value, op: &Op<'_>) -> ProviderResult<Value> {
        let mut tags: Vec<Tag> = send_tags(planned)
            .into_iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build())
            .collect();
        tags.push(Tag::builder().key(TOKEN_TAG).value(op.token).build());
        let lustre = CreateFileSystemLustreConfiguration::builder()
            .set_deployment_type(
                nonempty(planned, "deployment_type")
                    .map(|d| LustreDeploymentType::from(d.as_str())),
            )
            .set_per_unit_storage_throughput(int(planned, "per_unit_storage_throughput"))
            .set_data_compression_type(
                nonempty(planned, "data_compression_type")
                    .map(|d| DataCompressionType::from(d.as_str())),
            )
            .set_weekly_maintenance_start_time(nonempty(planned, "weekly_maintenance_start_time"))
            .set_automatic_backup_retention_days(int(planned, "automatic_backup_retention_days"))
            .set_daily_automatic_backup_start_time(nonempty(
                planned,
                "daily_automatic_backup_start_time",
            ))
            .set_copy_tags_to_backups(attr_bool(planned, "copy_tags_to_backups").filter(|b| *b))
            .set_drive_cache_type(
                nonempty(planned, "drive_cache_type").map(|d| DriveCacheType::from(d.as_str())),
            )
            .set_import_path(nonempty(planned, "import_path"))
            .set_export_path(nonempty(planned, "export_path"))
            .set_imported_file_chunk_size(int(planned, "imported_file_chunk_size"))
            .set_auto_import_policy(
                nonempty(planned, "auto_import_policy")
                    .map(|p| AutoImportPolicyType::from(p.as_str())),
            )
            .set_log_configuration(log_config(planned))
            .build();
        let groups = strings(planned, "security_group_ids");
        // ClientRequestToken: 1–63 characters.
        let request_token: String = op.token.chars().take(63).collect();
        let r = c
            .fsx
            .create_file_system()
            .client_request_token(request_token)
            .file_system_type(FileSystemType::Lustre)
            .set_storage_capacity(int(planned, "storage_capacity"))
            .set_storage_type(
                nonempty(planned, "storage_type").map(|s| StorageType::from(s.as_str())),
            )
            .set_subnet_ids(Some(strings(planned, "subnet_ids")))
            .set_security_group_ids((!groups.is_empty()).then_some(groups))
            .set_kms_key_id(nonempty(planned, "kms_key_id"))
            .set_file_system_type_version(nonempty(planned, "file_system_type_version"))
            .lustre_configuration(lustre)
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(sdk)?;
        let id = r
            .file_system()
            .and_then(|f| f.file_system_id())
            .unwrap_or_default()
            .to_string();
        let base = fill(planned, vec![("id", Value::string(&id))]);
        if let Err(mut e) = self.wait(c, &id, false, op).await {
            // The file system exists: hand it back with the error so it is recorded (tainted).
            e.partial = self.read(c, &base).await.ok().flatten().map(Box::new);
            return Err(e);
        }
        self.read_back(c, &base, "after create").await
    }

    async fn read(&self, c: &Clients, prior: &Value) -> ProviderResult<Option<Value>> {
        let id = need_str(prior, "id")?;
        Ok(self
            .by_id(c, &id)
            .await?
            .map(|fs| self.to_value(prior, &fs)))
    }

    async fn update(
        &self,
        c: &Clients,
        prior: &Value,
        planned: &Value,
        op: &Op<'_>,
    ) -> ProviderResult<Value> {
        let id = need_str(prior, "id")?;
        let in_place = [
            "storage_capacity",
            "per_unit_storage_throughput",
            "data_compression_type",
            "weekly_maintenance_start_time",
            "automatic_backup_retention_days",
            "daily_automatic_backup_start_time",
            "auto_import_policy",
            "log_configuration",
        ];
        let changed = |k: &str| {
            legacy_normal(prior.get_attr(k).unwrap_or(&Value::Null))
                != legacy_normal(planned.get_attr(k).unwrap_or(&Value::Null))
        };
        if in_place.iter().any(|k| changed(k)) {
            let pick = |k: &str| changed(k).then(|| nonempty(planned, k)).flatten();
            let lustre = UpdateFileSystemLustreConfiguration::builder()
                .set_weekly_maintenance_start_time(pick("weekly_maintenance_start_time"))
                .set_daily_automatic_backup_start_time(pick("daily_automatic_backup_start_time"))
                .set_automatic_backup_retention_days(
                    changed("automatic_backup_retention_days")
                        .then(|| int(planned, "automatic_backup_retention_days"))
                        .flatten(),
                )
                .set_data_compression_type(
                    pick("data_compression_type").map(|d| DataCompressionType::from(d.as_str())),
                )
                .set_auto_import_policy(
                    pick("auto_import_policy").map(|p| AutoImportPolicyType::from(p.as_str())),
                )
                .set_per_unit_storage_throughput(
                    changed("per_unit_storage_throughput")
                        .then(|| int(planned, "per_unit_storage_throughput"))
                        .flatten(),
                )
                .set_log_configuration(
                    changed("log_configuration")
                        .then(|| log_config(planned))
                        .flatten(),
                )
                .build();
            c.fsx
                .update_file_system()
                .file_system_id(&id)
                .set_storage_capacity(
                    changed("storage_capacity")
                        .then(|| int(planned, "storage_capacity"))
                        .flatten(),
                )
                .lustre_configuration(lustre)
                .send()
                .await
                .map_err(sdk)?;
            self.wait(c, &id, false, op).await?;
        }
        let arn = need_str(prior, "arn")?;
        let (removed, added) = tag_changes(prior, planned);
        if !removed.is_empty() {
            c.fsx
                .untag_resource()
                .resource_arn(&arn)
                .set_tag_keys(Some(removed))
                .send()
                .await
                .map_err(sdk)?;
        }
        if !added.is_empty() {
            c.fsx
                .tag_resource()
                .resource_arn(&arn)
                .set_tags(Some(
                    added
                        .into_iter()
                        .map(|(k, v)| Tag::builder().key(k).value(v).build())
                        .collect(),
                ))
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
        let skip = attr_bool(prior, "skip_final_backup").unwrap_or(true);
        // Scratch file systems take no backup settings.
        let scratch = attr_str(prior, "deployment_type").is_some_and(|d| d.starts_with("SCRATCH"));
        gone_is_ok(
            c.fsx
                .delete_file_system()
                .file_system_id(&id)
                .set_lustre_configuration((!scratch).then(|| {
                    DeleteFileSystemLustreConfiguration::builder()
                        .skip_final_backup(skip)
                        .build()
                }))
                .send()
                .await
                .map_err(sdk),
        )?;
        self.wait(c, &id, true, op).await
    }

    async fn import(&self, c: &Clients, id: &str) -> ProviderResult<Option<Value>> {
        self.read(
            c,
            &obj(vec![
                ("id", Value::string(id)),
                ("skip_final_backup", Value::Bool(true)),
            ]),
        )
        .await
    }

    async fn find_by_token(
        &self,
        c: &Clients,
        token: &str,
        planned: &Value,
    ) -> ProviderResult<Option<Value>> {
        let found = self.all(c).await?.into_iter().find(|f| {
            f.tags()
                .iter()
                .any(|t| t.key() == Some(TOKEN_TAG) && t.value() == Some(token))
        });
        Ok(found.map(|fs| self.to_value(planned, &fs)))
    }

    async fn settle(&self, c: &Clients, value: &Value) -> ProviderResult<()> {
        // Recorded: the token tag has done its work.
        if let Some(arn) = attr_str(value, "arn") {
            gone_is_ok(
                c.fsx
                    .untag_resource()
                    .resource_arn(arn)
                    .tag_keys(TOKEN_TAG)
                    .send()
                    .await
                    .map_err(sdk),
            )?;
        }
        Ok(())
    }
}
