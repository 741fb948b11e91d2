//! `aws_sagemaker_domain`: a SageMaker Studio domain (the notebooks, apps and shared home file
//! system a data-science team works in) in a VPC. CreateDomain takes no token; domain names
//! are unique per account and region, so an interrupted create is found by its name.
//! Creation and deletion wait, showing the domain's status, with no fixed limit. The default
//! user settings change in place (UpdateDomain); the network and the name force a new domain.

use crate::clients::Clients;
use crate::error::{is_missing, sdk};
use crate::sagemaker_model::{live_tags, sm_tags, sync_tags};
use crate::sagemaker_user_settings;
use crate::util::*;
use crate::ResourceType;
use async_trait::async_trait;
use aws_sdk_sagemaker::operation::describe_domain::DescribeDomainOutput;
use aws_sdk_sagemaker::types::{
    AppNetworkAccessType, AppSecurityGroupManagement, AuthMode, RetentionPolicy, RetentionType,
    TagPropagation,
};
use gantry_core::provider::{Op, PlanRequest, PlanResponse, ProviderResult, ResourceSchema};
use gantry_core::value::Value;

pub struct Domain;

impl Domain {
    async fn describe(
        &self,
        c: &Clients,
        id: &str,
    ) -> ProviderResult<Option<DescribeDomainOutput>> {
        match c
            .sagemaker
            .describe_domain()
            .domain_id(id)
            .send()
            .await
            .map_err(sdk)
        {
            Ok(d) => Ok(Some(d)),
            Err(e) if is_missing(&e) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The id of the domain named `name`, if there is one.
    async fn by_name(&self, c: &Clients, name: &str) -> ProviderResult<Option<String>> {
        let mut token: Option<String> = None;
        loop {
            let r = c
                .sagemaker
                .list_domains()
                .set_next_token(token.clone())
                .send()
                .await
                .map_err(sdk)?;
            if let Some(d) = r.domains().iter().find(|d| d.domain_name() == Some(name)) {
                return Ok(d.domain_id().map(String::from));
            }
            token = r.next_token().map(String::from);
            if token.is_none() {
                return Ok(None);
            }
        }
    }

    async fn wait(
        &self,
        c: &Clients,
        id: &str,
        want_gone: bool,
        op: &Op<'_>,
    ) -> ProviderResult<()> {
        let awaited = Awaited {
            object: format!("SageMaker domain {id}"),
            ready: &["InService"],
            gone: want_gone,
        };
        wait_for_status(
            None,
            awaited,
            op.progress,
            |s| s.ends_with("Failed"),
            || async {
                Ok(self.describe(c, id).await?.map(|d| {
                    (
                        d.status().map(|s| s.as_str()).unwrap_or("").to_string(),
                        d.failure_reason().unwrap_or_default().to_string(),
                    )
                }))
            },
        )
        .await
    }

    async fn to_value(
        &self,
        c: &Clients,
        prior: &Value,
        d: &DescribeDomainOutput,
    ) -> ProviderResult<Value> {
        let arn = d.domain_arn().unwrap_or_default().to_string();
        let tags = live_tags(c, &arn).await?;
        let schema = crate::resource_schema("aws_sagemaker_domain");
        let settings_block = &schema.block.blocks["default_user_settings"].block;
        let settings = d
            .default_user_settings()
            .map(|us| vec![sagemaker_user_settings::to_value(settings_block, us)])
            .unwrap_or_default();
        let mut pairs = vec![
            ("id", opt_str(d.domain_id())),
            ("arn", Value::string(&arn)),
            ("domain_name", opt_str(d.domain_name())),
            ("auth_mode", opt_str(d.auth_mode().map(|a| a.as_str()))),
            ("vpc_id", opt_str(d.vpc_id())),
            (
                "subnet_ids",
                Value::set(d.subnet_ids().iter().map(Value::string).collect()),
            ),
            (
                "app_network_access_type",
                opt_str(d.app_network_access_type().map(|a| a.as_str())),
            ),
            (
                "app_security_group_management",
                Value::string(
                    d.app_security_group_management()
                        .map(|a| a.as_str())
                        .unwrap_or(""),
                ),
            ),
            ("kms_key_id", Value::string(d.kms_key_id().unwrap_or(""))),
            (
                "tag_propagation",
                Value::string(d.tag_propagation().map(|t| t.as_str()).unwrap_or("")),
            ),
            ("url", opt_str(d.url())),
            (
                "home_efs_file_system_id",
                opt_str(d.home_efs_file_system_id()),
            ),
            (
                "single_sign_on_managed_application_instance_id",
                Value::string(
                    d.single_sign_on_managed_application_instance_id()
                        .unwrap_or(""),
                ),
            ),
            (
                "single_sign_on_application_arn",
                Value::string(d.single_sign_on_application_arn().unwrap_or("")),
            ),
            (
                "security_group_id_for_domain_boundary",
                Value::string(d.security_group_id_for_domain_boundary().unwrap_or("")),
            ),
            ("default_user_settings", Value::list(settings)),
        ];
        pairs.extend(tag_attrs(prior, &tags));
        Ok(fill(prior, pairs))
    }
}

#[async_trait]
impl ResourceType for Domain {
    fn name(&self) -> &'static str {
        "aws_sagemaker_domain"
    }

    fn schema(&self) -> ResourceSchema {
        crate::upstream::resource("aws_sagemaker_domain")
            .force_new_at(&[
                "domain_name",
                "auth_mode",
                "vpc_id",
                "subnet_ids",
                "kms_key_id",
                "app_network_access_type",
                "app_security_group_management",
            ])
            .default_at(
                "app_network_access_type",
                Value::string("PublicInternetOnly"),
            )
            .default_at("tag_propagation", Value::string("DISABLED"))
    }

    fn implemented(&self) -> &'static [&'static str] {
        &[
            "domain_name",
            "auth_mode",
            "vpc_id",
            "subnet_ids",
            "kms_key_id",
            "app_network_access_type",
            "app_security_group_management",
            "default_user_settings.execution_role",
            "default_user_settings.security_groups",
            "retention_policy",
            "tag_propagation",
            "tags",
        ]
    }

    async fn plan(&self, _c: &Clients, req: &PlanRequest<'_>) -> ProviderResult<PlanResponse> {
        Ok(PlanResponse::of(sagemaker_user_settings::plan(
            "default_user_settings",
            req.prior,
            req.config,
            req.proposed,
        )))
    }

    async fn create(&self, c: &Clients, planned: &Value, op: &Op<'_>) -> ProviderResult<Value> {
        let name = need_str(planned, "domain_name")?;
        let settings = first(planned, "default_user_settings").map(sagemaker_user_settings::to_api);
        let r = c
            .sagemaker
            .create_domain()
            .domain_name(&name)
            .auth_mode(AuthMode::from(need_str(planned, "auth_mode")?.as_str()))
            .vpc_id(need_str(planned, "vpc_id")?)
            .set_subnet_ids(Some(strings(planned, "subnet_ids")))
            .set_default_user_settings(settings)
            .set_app_network_access_type(
                attr_str(planned, "app_network_access_type")
                    .map(|a| AppNetworkAccessType::from(a.as_str())),
            )
            .set_app_security_group_management(
                attr_str(planned, "app_security_group_management")
                    .filter(|s| !s.is_empty())
                    .map(|a| AppSecurityGroupManagement::from(a.as_str())),
            )
            .set_kms_key_id(attr_str(planned, "kms_key_id").filter(|s| !s.is_empty()))
            .set_tag_propagation(
                attr_str(planned, "tag_propagation").map(|t| TagPropagation::from(t.as_str())),
            )
            .set_tags(Some(sm_tags(&send_tags(planned))))
            .send()
            .await
            .map_err(sdk);
        let id = match r {
            Ok(r) => r
                .domain_arn()
                .and_then(|a| a.rsplit('/').next())
                .map(String::from)
                .unwrap_or_default(),
            // The name is taken: by the lost earlier attempt, which is adopted.
            Err(e) if e.code.as_deref() == Some("ResourceInUse") => {
                self.by_name(c, &name).await?.ok_or(e)?
            }
            Err(e) => return Err(e),
        };
        self.wait(c, &id, false, op).await?;
        self.read_back(
            c,
            &fill(planned, vec![("id", Value::string(&id))]),
            "after create",
        )
        .await
    }

    async fn read(&self, c: &Clients, prior: &Value) -> ProviderResult<Option<Value>> {
        let id = need_str(prior, "id")?;
        match self.describe(c, &id).await? {
            Some(d) if d.status().map(|s| s.as_str()) != Some("Deleting") => {
                Ok(Some(self.to_value(c, prior, &d).await?))
            }
            _ => Ok(None),
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
        let changed = |k: &str| prior.get_attr(k) != planned.get_attr(k);
        if changed("default_user_settings") || changed("tag_propagation") {
            c.sagemaker
                .update_domain()
                .domain_id(&id)
                .set_default_user_settings(
                    first(planned, "default_user_settings").map(sagemaker_user_settings::to_api),
                )
                .set_tag_propagation(
                    attr_str(planned, "tag_propagation").map(|t| TagPropagation::from(t.as_str())),
                )
                .send()
                .await
                .map_err(sdk)?;
            self.wait(c, &id, false, op).await?;
        }
        sync_tags(c, &need_str(prior, "arn")?, prior, planned).await?;
        self.read_back(
            c,
            &fill(planned, vec![("id", Value::string(&id))]),
            "during update",
        )
        .await
    }

    async fn delete(&self, c: &Clients, prior: &Value, op: &Op<'_>) -> ProviderResult<()> {
        let id = need_str(prior, "id")?;
        let keep = first(prior, "retention_policy")
            .and_then(|r| attr_str(r, "home_efs_file_system"))
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "Retain".into());
        gone_is_ok(
            c.sagemaker
                .delete_domain()
                .domain_id(&id)
                .retention_policy(
                    RetentionPolicy::builder()
                        .home_efs_file_system(RetentionType::from(keep.as_str()))
                        .build(),
                )
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
        _token: &str,
        planned: &Value,
    ) -> ProviderResult<Option<Value>> {
        let Some(id) = self.by_name(c, &need_str(planned, "domain_name")?).await? else {
            return Ok(None);
        };
        match self.describe(c, &id).await? {
            Some(d) => Ok(Some(self.to_value(c, planned, &d).await?)),
            None => Ok(None),
        }
    }
}
