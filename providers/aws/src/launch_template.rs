//! `aws_launch_template`: what GPU node groups and training fleets launch with. The name is
//! the identity (configured, or generated from the journal token as upstream generates one),
//! so an interrupted create is adopted by it. A change to the launch data makes a new
//! version (CreateLaunchTemplateVersion) — the latest version is what state shows — and,
//! with `update_default_version`, makes it the default; as upstream, `latest_version` (and
//! then `default_version`) are unknown in such a plan.

use crate::clients::Clients;
use crate::ec2_object::sync_tags;
use crate::error::sdk;
use crate::launch_template_data as data;
use crate::util::*;
use crate::ResourceType;
use async_trait::async_trait;
use aws_sdk_ec2::types::{
    LaunchTemplate as Ec2Template, ResourceType as Ec2ResourceType, Tag, TagSpecification,
};
use gantry_core::provider::{
    ErrorKind, Op, PlanRequest, PlanResponse, ProviderResult, ResourceSchema,
};
use gantry_core::value::Value;
use std::collections::BTreeMap;

pub struct LaunchTemplate;

/// Arguments outside the launch data: changing them makes no new version.
const NOT_DATA: &[&str] = &[
    "tags",
    "tags_all",
    "default_version",
    "update_default_version",
    "latest_version",
    "arn",
    "id",
    "name",
    "name_prefix",
];

fn data_changed(prior: &Value, planned: &Value) -> bool {
    changed_besides(prior, planned, NOT_DATA)
}

/// A string of the version's launch data, "" when unset.
fn d_str(
    version: Option<&aws_sdk_ec2::types::LaunchTemplateVersion>,
    f: impl Fn(&aws_sdk_ec2::types::ResponseLaunchTemplateData) -> Option<&str>,
) -> String {
    version
        .and_then(|v| v.launch_template_data())
        .and_then(f)
        .unwrap_or_default()
        .to_string()
}

impl LaunchTemplate {
    async fn describe(
        &self,
        c: &Clients,
        id: Option<&str>,
        name: Option<&str>,
    ) -> ProviderResult<Option<Ec2Template>> {
        let r = c
            .ec2
            .describe_launch_templates()
            .set_launch_template_ids(id.map(|i| vec![i.to_string()]))
            .set_launch_template_names(name.map(|n| vec![n.to_string()]))
            .send()
            .await
            .map_err(sdk);
        match r {
            Ok(r) => Ok(r.launch_templates().first().cloned()),
            Err(e)
                if crate::error::is_missing(&e)
                    || e.code
                        .as_deref()
                        .is_some_and(|c| c.starts_with("InvalidLaunchTemplate")) =>
            {
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    async fn to_value(&self, c: &Clients, prior: &Value, t: &Ec2Template) -> ProviderResult<Value> {
        let id = t.launch_template_id().unwrap_or_default().to_string();
        let latest = t.latest_version_number().unwrap_or(1);
        let versions = c
            .ec2
            .describe_launch_template_versions()
            .launch_template_id(&id)
            .versions(latest.to_string())
            .send()
            .await
            .map_err(sdk)?;
        let version = versions.launch_template_versions().first();
        let tags: BTreeMap<String, String> = crate::ec2_object::live_tags(t.tags());
        let mut pairs = vec![
            ("id", Value::string(&id)),
            (
                "arn",
                Value::string(format!(
                    "arn:{}:ec2:{}:{}:launch-template/{id}",
                    c.partition(),
                    c.region,
                    c.account_id().await?
                )),
            ),
            ("name", opt_str(t.launch_template_name())),
            // Upstream records the prefix a generated name was made from, else "".
            (
                "name_prefix",
                Value::string(attr_str(prior, "name_prefix").unwrap_or_default()),
            ),
            (
                "kernel_id",
                Value::string(d_str(version, |d| d.kernel_id())),
            ),
            (
                "ram_disk_id",
                Value::string(d_str(version, |d| d.ram_disk_id())),
            ),
            ("latest_version", Value::Number(latest as f64)),
            (
                "default_version",
                Value::Number(t.default_version_number().unwrap_or(1) as f64),
            ),
            (
                "description",
                Value::string(version.and_then(|v| v.version_description()).unwrap_or("")),
            ),
        ];
        if let Some(d) = version.and_then(|v| v.launch_template_data()) {
            pairs.extend(data::to_value(d));
        }
        pairs.extend(tag_attrs(prior, &tags));
        let schema = crate::resource_schema("aws_launch_template");
        Ok(sdkv2_fill(&schema.block, &fill(prior, pairs)))
    }

    fn name(planned: &Value, token: &str) -> String {
        name_or_generated(planned, "name", "name_prefix", token)
    }
}

#[async_trait]
impl ResourceType for LaunchTemplate {
    fn name(&self) -> &'static str {
        "aws_launch_template"
    }

    fn schema(&self) -> ResourceSchema {
        crate::upstream::resource("aws_launch_template").force_new_at(&["name", "name_prefix"])
    }

    fn implemented(&self) -> &'static [&'static str] {
        static ALL: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
        ALL.get_or_init(|| {
            let mut v = vec![
                "name",
                "name_prefix",
                "description",
                "default_version",
                "update_default_version",
                "tags",
            ];
            v.extend_from_slice(data::IMPLEMENTED);
            v
        })
    }

    async fn plan(&self, _c: &Clients, req: &PlanRequest<'_>) -> ProviderResult<PlanResponse> {
        let set = |k: &str| req.config.get_attr(k).is_some_and(|v| !v.is_null());
        if set("default_version") && set("update_default_version") {
            return Err(crate::ec2_object::invalid(
                "\"default_version\": conflicts with update_default_version",
            ));
        }
        let Some(prior) = req.prior else {
            return Ok(PlanResponse::of(req.proposed.clone()));
        };
        let mut pairs = Vec::new();
        if data_changed(prior, req.proposed) {
            pairs.push(("latest_version", Value::Unknown));
            if attr_bool(req.proposed, "update_default_version") == Some(true) {
                pairs.push(("default_version", Value::Unknown));
            }
        }
        Ok(PlanResponse::of(fill(req.proposed, pairs)))
    }

    async fn create(&self, c: &Clients, planned: &Value, op: &Op<'_>) -> ProviderResult<Value> {
        let name = Self::name(planned, op.token);
        let tags: Vec<Tag> = send_tags(planned)
            .into_iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build())
            .collect();
        let r = c
            .ec2
            .create_launch_template()
            .launch_template_name(&name)
            .client_token(op.token)
            .set_version_description(attr_str(planned, "description").filter(|s| !s.is_empty()))
            .launch_template_data(data::to_api(planned)?)
            .set_tag_specifications((!tags.is_empty()).then(|| {
                vec![TagSpecification::builder()
                    .resource_type(Ec2ResourceType::LaunchTemplate)
                    .set_tags(Some(tags))
                    .build()]
            }))
            .send()
            .await
            .map_err(sdk);
        let id = match r {
            Ok(r) => r
                .launch_template()
                .and_then(|t| t.launch_template_id())
                .unwrap_or_default()
                .to_string(),
            // The name is the identity: a lost earlier attempt made it.
            Err(e)
                if e.code.as_deref()
                    == Some("InvalidLaunchTemplateName.AlreadyExistsException") =>
            {
                self.describe(c, None, Some(&name))
                    .await?
                    .and_then(|t| t.launch_template_id().map(String::from))
                    .ok_or(e)?
            }
            Err(e) => return Err(e),
        };
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
            Some(t) => Ok(Some(self.to_value(c, prior, &t).await?)),
            None => Ok(None),
        }
    }

    async fn update(
        &self,
        c: &Clients,
        prior: &Value,
        planned: &Value,
        _op: &Op<'_>,
    ) -> ProviderResult<Value> {
        let id = need_str(prior, "id")?;
        let mut default: Option<String> = None;
        if data_changed(prior, planned) {
            let v = c
                .ec2
                .create_launch_template_version()
                .launch_template_id(&id)
                .set_version_description(attr_str(planned, "description").filter(|s| !s.is_empty()))
                .launch_template_data(data::to_api(planned)?)
                .send()
                .await
                .map_err(sdk)?;
            let number = v
                .launch_template_version()
                .and_then(|v| v.version_number())
                .unwrap_or_default();
            if attr_bool(planned, "update_default_version") == Some(true) {
                default = Some(number.to_string());
            }
        }
        if default.is_none()
            && prior.get_attr("default_version") != planned.get_attr("default_version")
        {
            default = attr_num(planned, "default_version")
                .filter(|n| *n > 0.0)
                .map(|n| (n as i64).to_string());
        }
        if let Some(d) = default {
            c.ec2
                .modify_launch_template()
                .launch_template_id(&id)
                .default_version(d)
                .send()
                .await
                .map_err(sdk)?;
        }
        sync_tags(c, &id, prior, planned).await?;
        self.read_back(
            c,
            &fill(planned, vec![("id", Value::string(&id))]),
            "during update",
        )
        .await
    }

    async fn delete(&self, c: &Clients, prior: &Value, _op: &Op<'_>) -> ProviderResult<()> {
        match c
            .ec2
            .delete_launch_template()
            .launch_template_id(need_str(prior, "id")?)
            .send()
            .await
            .map_err(sdk)
        {
            Err(e)
                if e.code
                    .as_deref()
                    .is_some_and(|c| c.starts_with("InvalidLaunchTemplateId")) =>
            {
                Ok(())
            }
            r => gone_is_ok(r),
        }
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
        match self
            .describe(c, None, Some(&Self::name(planned, token)))
            .await
        {
            Ok(Some(t)) => Ok(Some(self.to_value(c, planned, &t).await?)),
            Ok(None) => Ok(None),
            Err(e) if e.kind == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
}
