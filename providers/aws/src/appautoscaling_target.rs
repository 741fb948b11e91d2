//! `aws_appautoscaling_target`: makes a SageMaker endpoint variant (or another scalable
//! resource) scalable between `min_capacity` and `max_capacity`. Terraform's id is the
//! resource id; RegisterScalableTarget both creates and updates, so a retried create is
//! harmless. Tags live on the target's ARN.

use crate::clients::Clients;
use crate::error::sdk;
use crate::util::*;
use crate::ResourceType;
use async_trait::async_trait;
use aws_sdk_applicationautoscaling::types::{
    ScalableDimension, ScalableTarget, ServiceNamespace, SuspendedState,
};
use gantry_core::provider::{ErrorKind, Op, ProviderResult, ResourceSchema};
use gantry_core::value::Value;
use std::collections::BTreeMap;

pub struct ScalingTarget;

/// Namespace, resource id and dimension: what names a scalable target.
pub fn key(v: &Value) -> ProviderResult<(ServiceNamespace, String, ScalableDimension)> {
    Ok((
        ServiceNamespace::from(need_str(v, "service_namespace")?.as_str()),
        need_str(v, "resource_id")?,
        ScalableDimension::from(need_str(v, "scalable_dimension")?.as_str()),
    ))
}

impl ScalingTarget {
    async fn describe(&self, c: &Clients, v: &Value) -> ProviderResult<Option<ScalableTarget>> {
        let (ns, id, dim) = key(v)?;
        let r = c
            .autoscaling
            .describe_scalable_targets()
            .service_namespace(ns)
            .resource_ids(&id)
            .scalable_dimension(dim.clone())
            .send()
            .await
            .map_err(sdk)?;
        Ok(r.scalable_targets()
            .iter()
            .find(|t| t.resource_id() == id && t.scalable_dimension() == &dim)
            .cloned())
    }

    async fn register(&self, c: &Clients, planned: &Value, with_tags: bool) -> ProviderResult<()> {
        let (ns, id, dim) = key(planned)?;
        let suspended = first(planned, "suspended_state").map(|s| {
            SuspendedState::builder()
                .set_dynamic_scaling_in_suspended(attr_bool(s, "dynamic_scaling_in_suspended"))
                .set_dynamic_scaling_out_suspended(attr_bool(s, "dynamic_scaling_out_suspended"))
                .set_scheduled_scaling_suspended(attr_bool(s, "scheduled_scaling_suspended"))
                .build()
        });
        let mut req = c
            .autoscaling
            .register_scalable_target()
            .service_namespace(ns)
            .resource_id(id)
            .scalable_dimension(dim)
            .set_min_capacity(attr_num(planned, "min_capacity").map(|n| n as i32))
            .set_max_capacity(attr_num(planned, "max_capacity").map(|n| n as i32))
            .set_role_arn(attr_str(planned, "role_arn").filter(|r| !r.is_empty()))
            .set_suspended_state(suspended);
        if with_tags {
            let tags = send_tags(planned);
            if !tags.is_empty() {
                req = req.set_tags(Some(tags.into_iter().collect()));
            }
        }
        req.send().await.map_err(sdk)?;
        Ok(())
    }
}

#[async_trait]
impl ResourceType for ScalingTarget {
    fn name(&self) -> &'static str {
        "aws_appautoscaling_target"
    }

    fn schema(&self) -> ResourceSchema {
        crate::upstream::resource("aws_appautoscaling_target").force_new_at(&[
            "resource_id",
            "scalable_dimension",
            "service_namespace",
        ])
    }

    fn implemented(&self) -> &'static [&'static str] {
        &[
            "resource_id",
            "scalable_dimension",
            "service_namespace",
            "min_capacity",
            "max_capacity",
            "role_arn",
            "suspended_state",
            "tags",
        ]
    }

    async fn create(&self, c: &Clients, planned: &Value, _op: &Op<'_>) -> ProviderResult<Value> {
        self.register(c, planned, true).await?;
        let base = fill(
            planned,
            vec![("id", Value::string(need_str(planned, "resource_id")?))],
        );
        self.read_back(c, &base, "after create").await
    }

    async fn read(&self, c: &Clients, prior: &Value) -> ProviderResult<Option<Value>> {
        let Some(t) = self.describe(c, prior).await? else {
            return Ok(None);
        };
        let arn = t.scalable_target_arn().unwrap_or_default().to_string();
        let tags: BTreeMap<String, String> = if arn.is_empty() {
            BTreeMap::new()
        } else {
            match c
                .autoscaling
                .list_tags_for_resource()
                .resource_arn(&arn)
                .send()
                .await
                .map_err(sdk)
            {
                Ok(r) => r
                    .tags()
                    .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                    .unwrap_or_default(),
                Err(e) if e.kind == ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(e),
            }
        };
        let suspended = t.suspended_state().map(|s| {
            obj(vec![
                (
                    "dynamic_scaling_in_suspended",
                    Value::Bool(s.dynamic_scaling_in_suspended().unwrap_or(false)),
                ),
                (
                    "dynamic_scaling_out_suspended",
                    Value::Bool(s.dynamic_scaling_out_suspended().unwrap_or(false)),
                ),
                (
                    "scheduled_scaling_suspended",
                    Value::Bool(s.scheduled_scaling_suspended().unwrap_or(false)),
                ),
            ])
        });
        let mut pairs = vec![
            ("id", Value::string(t.resource_id())),
            ("resource_id", Value::string(t.resource_id())),
            ("arn", Value::string(&arn)),
            ("min_capacity", Value::Number(t.min_capacity() as f64)),
            ("max_capacity", Value::Number(t.max_capacity() as f64)),
            ("role_arn", Value::string(t.role_arn())),
            (
                "suspended_state",
                Value::list(suspended.into_iter().collect()),
            ),
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
        let changed = [
            "min_capacity",
            "max_capacity",
            "role_arn",
            "suspended_state",
        ]
        .iter()
        .any(|k| prior.get_attr(k) != planned.get_attr(k));
        if changed {
            self.register(c, planned, false).await?;
        }
        let arn = need_str(prior, "arn")?;
        let (removed, added) = tag_changes(prior, planned);
        if !removed.is_empty() {
            c.autoscaling
                .untag_resource()
                .resource_arn(&arn)
                .set_tag_keys(Some(removed))
                .send()
                .await
                .map_err(sdk)?;
        }
        if !added.is_empty() {
            c.autoscaling
                .tag_resource()
                .resource_arn(&arn)
                .set_tags(Some(added.into_iter().collect()))
                .send()
                .await
                .map_err(sdk)?;
        }
        self.read_back(c, planned, "during update").await
    }

    async fn delete(&self, c: &Clients, prior: &Value, _op: &Op<'_>) -> ProviderResult<()> {
        let (ns, id, dim) = key(prior)?;
        let r = c
            .autoscaling
            .deregister_scalable_target()
            .service_namespace(ns)
            .resource_id(id)
            .scalable_dimension(dim)
            .send()
            .await
            .map_err(sdk);
        match r {
            Ok(_) => Ok(()),
            Err(e) if e.kind == ErrorKind::NotFound || e.message.contains("No scalable target") => {
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    async fn import(&self, c: &Clients, id: &str) -> ProviderResult<Option<Value>> {
        // Terraform's import id: service-namespace/resource-id/scalable-dimension.
        let Some((ns, rest)) = id.split_once('/') else {
            return Ok(None);
        };
        let Some((resource, dim)) = rest.rsplit_once('/') else {
            return Ok(None);
        };
        self.read(
            c,
            &obj(vec![
                ("service_namespace", Value::string(ns)),
                ("resource_id", Value::string(resource)),
                ("scalable_dimension", Value::string(dim)),
            ]),
        )
        .await
    }

    async fn find_by_token(
        &self,
        c: &Clients,
        _token: &str,
        planned: &Value,
    ) -> ProviderResult<Option<Value>> {
        self.read(c, planned).await
    }
}
