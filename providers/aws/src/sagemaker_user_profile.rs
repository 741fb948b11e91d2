//! `aws_sagemaker_user_profile`: a data scientist's profile in a Studio domain. Its id is
//! its ARN (as upstream); the domain and name are its identity, so an interrupted create is
//! found by them. The user settings change in place.

use crate::clients::Clients;
use crate::error::{is_missing, sdk};
use crate::sagemaker_model::{live_tags, sm_tags, sync_tags};
use crate::sagemaker_user_settings;
use crate::util::*;
use crate::ResourceType;
use async_trait::async_trait;
use aws_sdk_sagemaker::operation::describe_user_profile::DescribeUserProfileOutput;
use gantry_core::provider::{
    ErrorKind, Op, PlanRequest, PlanResponse, ProviderError, ProviderResult, ResourceSchema,
};
use gantry_core::value::Value;

pub struct UserProfile;

/// `(domain id, profile name)` from `arn:…:user-profile/DOMAIN/NAME`.
fn parse_arn(arn: &str) -> ProviderResult<(String, String)> {
    let resource = arn.rsplit(':').next().unwrap_or_default();
    match resource.split('/').collect::<Vec<_>>()[..] {
        ["user-profile", domain, name] => Ok((domain.to_string(), name.to_string())),
        _ => Err(crate::ec2_object::invalid(format!(
            "unexpected format of ID ({arn:?}), expected a user profile ARN (arn:…:user-profile/DOMAIN-ID/NAME)"
        ))),
    }
}

impl UserProfile {
    async fn describe(
        &self,
        c: &Clients,
        domain: &str,
        name: &str,
    ) -> ProviderResult<Option<DescribeUserProfileOutput>> {
        match c
            .sagemaker
            .describe_user_profile()
            .domain_id(domain)
            .user_profile_name(name)
            .send()
            .await
            .map_err(sdk)
        {
            Ok(p) => Ok(Some(p)),
            Err(e) if is_missing(&e) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn wait(
        &self,
        c: &Clients,
        domain: &str,
        name: &str,
        want_gone: bool,
        op: &Op<'_>,
    ) -> ProviderResult<()> {
        let awaited = Awaited {
            object: format!("SageMaker user profile {domain}/{name}"),
            ready: &["InService"],
            gone: want_gone,
        };
        wait_for_status(
            None,
            awaited,
            op.progress,
            |s| s.ends_with("Failed"),
            || async {
                Ok(self.describe(c, domain, name).await?.map(|p| {
                    (
                        p.status().map(|s| s.as_str()).unwrap_or("").to_string(),
                        p.failure_reason().unwrap_or_default().to_string(),
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
        p: &DescribeUserProfileOutput,
    ) -> ProviderResult<Value> {
        let arn = p.user_profile_arn().unwrap_or_default().to_string();
        let tags = live_tags(c, &arn).await?;
        let schema = crate::resource_schema("aws_sagemaker_user_profile");
        let block = &schema.block.blocks["user_settings"].block;
        let settings = p
            .user_settings()
            .map(|us| vec![sagemaker_user_settings::to_value(block, us)])
            .unwrap_or_default();
        let mut pairs = vec![
            ("id", Value::string(&arn)),
            ("arn", Value::string(&arn)),
            ("domain_id", opt_str(p.domain_id())),
            ("user_profile_name", opt_str(p.user_profile_name())),
            (
                "home_efs_file_system_uid",
                Value::string(p.home_efs_file_system_uid().unwrap_or("")),
            ),
            (
                "single_sign_on_user_identifier",
                Value::string(p.single_sign_on_user_identifier().unwrap_or("")),
            ),
            (
                "single_sign_on_user_value",
                Value::string(p.single_sign_on_user_value().unwrap_or("")),
            ),
            ("user_settings", Value::list(settings)),
        ];
        pairs.extend(tag_attrs(prior, &tags));
        Ok(fill(prior, pairs))
    }
}

#[async_trait]
impl ResourceType for UserProfile {
    fn name(&self) -> &'static str {
        "aws_sagemaker_user_profile"
    }

    fn schema(&self) -> ResourceSchema {
        crate::upstream::resource("aws_sagemaker_user_profile").force_new_at(&[
            "domain_id",
            "user_profile_name",
            "single_sign_on_user_identifier",
            "single_sign_on_user_value",
        ])
    }

    fn implemented(&self) -> &'static [&'static str] {
        &[
            "domain_id",
            "user_profile_name",
            "single_sign_on_user_identifier",
            "single_sign_on_user_value",
            "user_settings.execution_role",
            "user_settings.security_groups",
            "tags",
        ]
    }

    async fn plan(&self, _c: &Clients, req: &PlanRequest<'_>) -> ProviderResult<PlanResponse> {
        Ok(PlanResponse::of(sagemaker_user_settings::plan(
            "user_settings",
            req.prior,
            req.config,
            req.proposed,
        )))
    }

    async fn create(&self, c: &Clients, planned: &Value, op: &Op<'_>) -> ProviderResult<Value> {
        let domain = need_str(planned, "domain_id")?;
        let name = need_str(planned, "user_profile_name")?;
        let r = c
            .sagemaker
            .create_user_profile()
            .domain_id(&domain)
            .user_profile_name(&name)
            .set_single_sign_on_user_identifier(
                attr_str(planned, "single_sign_on_user_identifier").filter(|s| !s.is_empty()),
            )
            .set_single_sign_on_user_value(
                attr_str(planned, "single_sign_on_user_value").filter(|s| !s.is_empty()),
            )
            .set_user_settings(first(planned, "user_settings").map(sagemaker_user_settings::to_api))
            .set_tags(Some(sm_tags(&send_tags(planned))))
            .send()
            .await
            .map_err(sdk);
        match r {
            Ok(_) => {}
            // Domain and name are the identity: the lost earlier attempt made it.
            Err(e) if e.code.as_deref() == Some("ResourceInUse") => {}
            Err(e) => return Err(e),
        }
        self.wait(c, &domain, &name, false, op).await?;
        let Some(p) = self.describe(c, &domain, &name).await? else {
            return Err(ProviderError::new(
                ErrorKind::NotFound,
                format!("SageMaker user profile {domain}/{name} vanished after create"),
            ));
        };
        self.to_value(c, planned, &p).await
    }

    async fn read(&self, c: &Clients, prior: &Value) -> ProviderResult<Option<Value>> {
        let (domain, name) = parse_arn(&need_str(prior, "id")?)?;
        match self.describe(c, &domain, &name).await? {
            Some(p) if p.status().map(|s| s.as_str()) != Some("Deleting") => {
                Ok(Some(self.to_value(c, prior, &p).await?))
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
        let (domain, name) = parse_arn(&need_str(prior, "id")?)?;
        if prior.get_attr("user_settings") != planned.get_attr("user_settings") {
            c.sagemaker
                .update_user_profile()
                .domain_id(&domain)
                .user_profile_name(&name)
                .set_user_settings(
                    first(planned, "user_settings").map(sagemaker_user_settings::to_api),
                )
                .send()
                .await
                .map_err(sdk)?;
            self.wait(c, &domain, &name, false, op).await?;
        }
        sync_tags(c, &need_str(prior, "arn")?, prior, planned).await?;
        self.read_back(
            c,
            &fill(
                planned,
                vec![("id", prior.get_attr("id").cloned().unwrap_or(Value::Null))],
            ),
            "during update",
        )
        .await
    }

    async fn delete(&self, c: &Clients, prior: &Value, op: &Op<'_>) -> ProviderResult<()> {
        let (domain, name) = parse_arn(&need_str(prior, "id")?)?;
        gone_is_ok(
            c.sagemaker
                .delete_user_profile()
                .domain_id(&domain)
                .user_profile_name(&name)
                .send()
                .await
                .map_err(sdk),
        )?;
        self.wait(c, &domain, &name, true, op).await
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
        let domain = need_str(planned, "domain_id")?;
        let name = need_str(planned, "user_profile_name")?;
        match self.describe(c, &domain, &name).await? {
            Some(p) => Ok(Some(self.to_value(c, planned, &p).await?)),
            None => Ok(None),
        }
    }
}
