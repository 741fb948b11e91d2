//! `aws_sagemaker_notebook_instance`: a managed Jupyter host next to the models. The name is
//! the identity. Instance type, volume size, role, lifecycle configuration and code
//! repositories change in place as upstream does it: stop, UpdateNotebookInstance, start,
//! each waited on with live status. Deletes stop the instance first (SageMaker deletes only
//! stopped or failed ones).

use crate::clients::Clients;
use crate::error::{is_missing, sdk};
use crate::sagemaker_model::{live_tags, sm_tags, sync_tags};
use crate::util::*;
use crate::ResourceType;
use async_trait::async_trait;
use aws_sdk_sagemaker::operation::describe_notebook_instance::DescribeNotebookInstanceOutput;
use aws_sdk_sagemaker::types::{
    DirectInternetAccess, InstanceMetadataServiceConfiguration, InstanceType, RootAccess,
};
use gantry_core::provider::{ErrorKind, Op, ProviderError, ProviderResult, ResourceSchema};
use gantry_core::value::Value;

pub struct NotebookInstance;

/// Arguments UpdateNotebookInstance changes (the instance must be stopped).
const UPDATABLE: &[&str] = &[
    "instance_type",
    "role_arn",
    "volume_size",
    "lifecycle_config_name",
    "default_code_repository",
    "additional_code_repositories",
    "accelerator_types",
    "root_access",
    "instance_metadata_service_configuration",
];

impl NotebookInstance {
    async fn describe(
        &self,
        c: &Clients,
        name: &str,
    ) -> ProviderResult<Option<DescribeNotebookInstanceOutput>> {
        match c
            .sagemaker
            .describe_notebook_instance()
            .notebook_instance_name(name)
            .send()
            .await
            .map_err(sdk)
        {
            Ok(r) => Ok(Some(r)),
            Err(e) if is_missing(&e) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Waits for one of `want` (or for the instance to be gone, when `want` is empty).
    async fn wait(
        &self,
        c: &Clients,
        name: &str,
        want: &[&str],
        limit: Option<std::time::Duration>,
        op: &Op<'_>,
    ) -> ProviderResult<()> {
        let what = format!("notebook instance {name} to be {}", want.join(" or "));
        wait_until(limit, &what, || async {
            let Some(r) = self.describe(c, name).await? else {
                return Ok(want.is_empty());
            };
            let status = r
                .notebook_instance_status()
                .map(|s| s.as_str())
                .unwrap_or("");
            op.progress.status(status);
            if status == "Failed" && !want.contains(&"Failed") {
                return Err(ProviderError::new(
                    ErrorKind::Other,
                    format!(
                        "notebook instance {name} failed: {}",
                        r.failure_reason().unwrap_or("no reason given")
                    ),
                ));
            }
            Ok(want.contains(&status))
        })
        .await
    }

    async fn stop(&self, c: &Clients, name: &str, op: &Op<'_>) -> ProviderResult<()> {
        let Some(r) = self.describe(c, name).await? else {
            return Ok(());
        };
        if matches!(
            r.notebook_instance_status().map(|s| s.as_str()),
            Some("Stopped") | Some("Failed")
        ) {
            return Ok(());
        }
        c.sagemaker
            .stop_notebook_instance()
            .notebook_instance_name(name)
            .send()
            .await
            .map_err(sdk)?;
        self.wait(c, name, &["Stopped", "Failed"], None, op).await
    }
}

fn metadata_config(v: &Value) -> Option<InstanceMetadataServiceConfiguration> {
    let m = first(v, "instance_metadata_service_configuration")?;
    Some(
        InstanceMetadataServiceConfiguration::builder()
            .set_minimum_instance_metadata_service_version(attr_str(
                m,
                "minimum_instance_metadata_service_version",
            ))
            .build(),
    )
}

fn strings_opt(v: &Value, k: &str) -> Option<Vec<String>> {
    Some(strings(v, k)).filter(|l| !l.is_empty())
}

#[async_trait]
impl ResourceType for NotebookInstance {
    fn name(&self) -> &'static str {
        "aws_sagemaker_notebook_instance"
    }

    fn schema(&self) -> ResourceSchema {
        crate::upstream::resource("aws_sagemaker_notebook_instance")
            .force_new_at(&[
                "name",
                "subnet_id",
                "security_groups",
                "kms_key_id",
                "direct_internet_access",
                "platform_identifier",
            ])
            .default_at("direct_internet_access", Value::string("Enabled"))
            .default_at("root_access", Value::string("Enabled"))
            .default_at("volume_size", Value::Number(5.0))
    }

    fn implemented(&self) -> &'static [&'static str] {
        &[
            "name",
            "instance_type",
            "role_arn",
            "subnet_id",
            "security_groups",
            "kms_key_id",
            "lifecycle_config_name",
            "direct_internet_access",
            "volume_size",
            "accelerator_types",
            "default_code_repository",
            "additional_code_repositories",
            "root_access",
            "platform_identifier",
            "instance_metadata_service_configuration",
            "tags",
        ]
    }

    async fn create(&self, c: &Clients, planned: &Value, op: &Op<'_>) -> ProviderResult<Value> {
        let name = need_str(planned, "name")?;
        let r = c
            .sagemaker
            .create_notebook_instance()
            .notebook_instance_name(&name)
            .instance_type(InstanceType::from(
                need_str(planned, "instance_type")?.as_str(),
            ))
            .role_arn(need_str(planned, "role_arn")?)
            .set_subnet_id(attr_str(planned, "subnet_id"))
            .set_security_group_ids(strings_opt(planned, "security_groups"))
            .set_kms_key_id(attr_str(planned, "kms_key_id"))
            .set_lifecycle_config_name(attr_str(planned, "lifecycle_config_name"))
            .set_direct_internet_access(
                attr_str(planned, "direct_internet_access")
                    .map(|d| DirectInternetAccess::from(d.as_str())),
            )
            .set_volume_size_in_gb(attr_num(planned, "volume_size").map(|n| n as i32))
            .set_default_code_repository(attr_str(planned, "default_code_repository"))
            .set_additional_code_repositories(strings_opt(planned, "additional_code_repositories"))
            .set_root_access(attr_str(planned, "root_access").map(|r| RootAccess::from(r.as_str())))
            .set_platform_identifier(attr_str(planned, "platform_identifier"))
            .set_instance_metadata_service_configuration(metadata_config(planned))
            .set_tags(Some(sm_tags(&send_tags(planned))))
            .send()
            .await
            .map_err(sdk);
        match r {
            Ok(_) => {}
            // The name is the identity: an earlier attempt whose answer was lost made it.
            Err(e) if e.message.contains("already exist") => {}
            Err(e) => return Err(e),
        }
        let base = fill(planned, vec![("id", Value::string(&name))]);
        if let Err(mut e) = self.wait(c, &name, &["InService"], None, op).await {
            e.partial = self.read(c, &base).await.ok().flatten().map(Box::new);
            return Err(e);
        }
        self.read_back(c, &base, "after create").await
    }

    async fn read(&self, c: &Clients, prior: &Value) -> ProviderResult<Option<Value>> {
        let name = attr_str(prior, "id")
            .or_else(|| attr_str(prior, "name"))
            .unwrap_or_default();
        let Some(r) = self.describe(c, &name).await? else {
            return Ok(None);
        };
        if r.notebook_instance_status().map(|s| s.as_str()) == Some("Deleting") {
            return Ok(None);
        }
        let arn = r.notebook_instance_arn().unwrap_or_default().to_string();
        let tags = live_tags(c, &arn).await?;
        let mut pairs = vec![
            ("id", Value::string(&name)),
            ("name", Value::string(&name)),
            ("arn", Value::string(&arn)),
            ("url", opt_str(r.url())),
            (
                "instance_type",
                opt_str(r.instance_type().map(|t| t.as_str())),
            ),
            ("role_arn", opt_str(r.role_arn())),
            (
                "network_interface_id",
                Value::string(r.network_interface_id().unwrap_or("")),
            ),
            (
                "direct_internet_access",
                opt_str(r.direct_internet_access().map(|d| d.as_str())),
            ),
            (
                "volume_size",
                r.volume_size_in_gb()
                    .map(|n| Value::Number(n as f64))
                    .unwrap_or(Value::Null),
            ),
            ("root_access", opt_str(r.root_access().map(|a| a.as_str()))),
        ];
        if let Some(s) = r.subnet_id() {
            pairs.push(("subnet_id", Value::string(s)));
        }
        if !r.security_groups().is_empty() {
            pairs.push((
                "security_groups",
                crate::ec2_object::string_set(r.security_groups()),
            ));
        }
        pairs.extend(tag_attrs(prior, &tags));
        Ok(Some(fill(prior, pairs)))
    }

    async fn update(
        &self,
        c: &Clients,
        prior: &Value,
        planned: &Value,
        op: &Op<'_>,
    ) -> ProviderResult<Value> {
        let name = need_str(prior, "id")?;
        if UPDATABLE
            .iter()
            .any(|k| prior.get_attr(k) != planned.get_attr(k))
        {
            let limit = timeout(planned, "update");
            self.stop(c, &name, op).await?;
            c.sagemaker
                .update_notebook_instance()
                .notebook_instance_name(&name)
                .instance_type(InstanceType::from(
                    need_str(planned, "instance_type")?.as_str(),
                ))
                .role_arn(need_str(planned, "role_arn")?)
                .set_volume_size_in_gb(attr_num(planned, "volume_size").map(|n| n as i32))
                .set_lifecycle_config_name(attr_str(planned, "lifecycle_config_name"))
                .set_default_code_repository(attr_str(planned, "default_code_repository"))
                .set_additional_code_repositories(strings_opt(
                    planned,
                    "additional_code_repositories",
                ))
                .set_root_access(
                    attr_str(planned, "root_access").map(|r| RootAccess::from(r.as_str())),
                )
                .set_instance_metadata_service_configuration(metadata_config(planned))
                .send()
                .await
                .map_err(sdk)?;
            self.wait(c, &name, &["Stopped"], limit, op).await?;
            c.sagemaker
                .start_notebook_instance()
                .notebook_instance_name(&name)
                .send()
                .await
                .map_err(sdk)?;
            self.wait(c, &name, &["InService"], limit, op).await?;
        }
        let arn = need_str(prior, "arn")?;
        sync_tags(c, &arn, prior, planned).await?;
        self.read_back(
            c,
            &fill(planned, vec![("id", Value::string(&name))]),
            "during update",
        )
        .await
    }

    async fn delete(&self, c: &Clients, prior: &Value, op: &Op<'_>) -> ProviderResult<()> {
        let name = need_str(prior, "id")?;
        self.stop(c, &name, op).await?;
        match c
            .sagemaker
            .delete_notebook_instance()
            .notebook_instance_name(&name)
            .send()
            .await
            .map_err(sdk)
        {
            Ok(_) => {}
            Err(e) if is_missing(&e) => return Ok(()),
            Err(e) => return Err(e),
        }
        self.wait(c, &name, &[], timeout(prior, "delete"), op).await
    }

    async fn import(&self, c: &Clients, id: &str) -> ProviderResult<Option<Value>> {
        self.read(c, &obj(vec![("id", Value::string(id))])).await
    }
}
