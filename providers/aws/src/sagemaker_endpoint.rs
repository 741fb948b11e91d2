//! `aws_sagemaker_endpoint`: a real-time inference endpoint. A new configuration is rolled
//! out in place with UpdateEndpoint. Create and update wait for `InService` (minutes to an
//! hour on AWS) with no fixed limit unless `timeouts` sets one, reporting the endpoint's own
//! status while they wait; `Failed` ends the wait with the endpoint's FailureReason.

use crate::clients::Clients;
use crate::error::{is_missing, sdk};
use crate::sagemaker_model::{live_tags, sm_tags, sync_tags};
use crate::util::*;
use crate::ResourceType;
use async_trait::async_trait;
use aws_sdk_sagemaker::types::EndpointStatus;
use gantry_core::provider::{ErrorKind, Op, ProviderError, ProviderResult, ResourceSchema};
use gantry_core::value::Value;
use std::time::Duration;

pub struct Endpoint;

impl Endpoint {
    async fn wait_in_service(
        &self,
        c: &Clients,
        name: &str,
        limit: Option<Duration>,
        op: &Op<'_>,
    ) -> ProviderResult<()> {
        wait_until(
            limit,
            &format!("endpoint {name} to be InService"),
            || async {
                let r = c
                    .sagemaker
                    .describe_endpoint()
                    .endpoint_name(name)
                    .send()
                    .await
                    .map_err(sdk)?;
                let status = r.endpoint_status().cloned();
                if let Some(s) = &status {
                    op.progress.status(s.as_str());
                }
                match status {
                    Some(EndpointStatus::InService) => Ok(true),
                    Some(EndpointStatus::Failed) => Err(ProviderError::new(
                        ErrorKind::Other,
                        format!(
                            "endpoint {name} failed: {}",
                            r.failure_reason().unwrap_or("no reason given")
                        ),
                    )
                    .with_code("EndpointFailed")),
                    _ => Ok(false),
                }
            },
        )
        .await
    }
}

#[async_trait]
impl ResourceType for Endpoint {
    fn name(&self) -> &'static str {
        "aws_sagemaker_endpoint"
    }

    fn schema(&self) -> ResourceSchema {
        crate::upstream::resource("aws_sagemaker_endpoint").force_new_at(&["name"])
    }

    fn implemented(&self) -> &'static [&'static str] {
        &["name", "endpoint_config_name", "tags"]
    }

    async fn create(&self, c: &Clients, planned: &Value, op: &Op<'_>) -> ProviderResult<Value> {
        let name = name_or_generated(planned, "name", "name_prefix", op.token);
        c.sagemaker
            .create_endpoint()
            .endpoint_name(&name)
            .endpoint_config_name(need_str(planned, "endpoint_config_name")?)
            .set_tags(Some(sm_tags(&send_tags(planned))))
            .send()
            .await
            .map_err(sdk)?;
        self.wait_in_service(c, &name, timeout(planned, "create"), op)
            .await?;
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
            .sagemaker
            .describe_endpoint()
            .endpoint_name(&name)
            .send()
            .await
            .map_err(sdk)
        {
            Ok(r) => r,
            Err(e) if is_missing(&e) => return Ok(None),
            Err(e) => return Err(e),
        };
        let arn = r.endpoint_arn().unwrap_or_default().to_string();
        let tags = live_tags(c, &arn).await?;
        let mut pairs = vec![
            ("id", Value::string(&name)),
            ("name", Value::string(&name)),
            ("arn", Value::string(&arn)),
            ("endpoint_config_name", opt_str(r.endpoint_config_name())),
        ];
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
        let new_config = need_str(planned, "endpoint_config_name")?;
        if attr_str(prior, "endpoint_config_name").as_deref() != Some(new_config.as_str()) {
            c.sagemaker
                .update_endpoint()
                .endpoint_name(&name)
                .endpoint_config_name(&new_config)
                .send()
                .await
                .map_err(sdk)?;
            self.wait_in_service(c, &name, timeout(planned, "update"), op)
                .await?;
        }
        sync_tags(c, &need_str(prior, "arn")?, prior, planned).await?;
        self.read_back(
            c,
            &fill(planned, vec![("id", Value::string(&name))]),
            "during update",
        )
        .await
    }

    async fn delete(&self, c: &Clients, prior: &Value, op: &Op<'_>) -> ProviderResult<()> {
        let name = need_str(prior, "id")?;
        match c
            .sagemaker
            .delete_endpoint()
            .endpoint_name(&name)
            .send()
            .await
            .map_err(sdk)
        {
            Err(e) if is_missing(&e) => return Ok(()),
            Err(e) => return Err(e),
            Ok(_) => {}
        }
        wait_until(
            timeout(prior, "delete"),
            &format!("endpoint {name} to be deleted"),
            || async {
                match c
                    .sagemaker
                    .describe_endpoint()
                    .endpoint_name(&name)
                    .send()
                    .await
                    .map_err(sdk)
                {
                    Err(e) if is_missing(&e) => Ok(true),
                    Err(e) => Err(e),
                    Ok(r) => {
                        if let Some(s) = r.endpoint_status() {
                            op.progress.status(s.as_str());
                        }
                        Ok(false)
                    }
                }
            },
        )
        .await
    }

    async fn import(&self, c: &Clients, id: &str) -> ProviderResult<Option<Value>> {
        self.read(c, &obj(vec![("id", Value::string(id))])).await
    }
}
