//! `aws_eks_addon`: cluster add-ons a GPU cluster needs (vpc-cni, coredns, kube-proxy, the
//! EBS CSI driver). Terraform's id is `CLUSTER:ADDON`. Version, service-account role and
//! configuration values change in place; creates carry the idempotency token as
//! `clientRequestToken` and are waited on until ACTIVE with live status.

use crate::clients::Clients;
use crate::eks_cluster::split_id;
use crate::error::sdk;
use crate::util::*;
use crate::ResourceType;
use async_trait::async_trait;
use aws_sdk_eks::types::{Addon, ResolveConflicts};
use gantry_core::provider::{ErrorKind, Op, ProviderError, ProviderResult, ResourceSchema};
use gantry_core::value::Value;
use std::collections::BTreeMap;

pub struct EksAddon;

fn resolve(v: &Value, which: &str) -> Option<ResolveConflicts> {
    attr_str(v, which)
        .or_else(|| attr_str(v, "resolve_conflicts"))
        .map(|r| ResolveConflicts::from(r.as_str()))
}

impl EksAddon {
    async fn describe(
        &self,
        c: &Clients,
        cluster: &str,
        name: &str,
    ) -> ProviderResult<Option<Addon>> {
        match c
            .eks
            .describe_addon()
            .cluster_name(cluster)
            .addon_name(name)
            .send()
            .await
            .map_err(sdk)
        {
            Ok(r) => Ok(r.addon().cloned()),
            Err(e) if e.kind == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn wait(
        &self,
        c: &Clients,
        cluster: &str,
        name: &str,
        want_gone: bool,
        limit: Option<std::time::Duration>,
        op: &Op<'_>,
    ) -> ProviderResult<()> {
        let what = format!("EKS add-on {cluster}:{name}");
        wait_until(limit, &what, || async {
            let Some(a) = self.describe(c, cluster, name).await? else {
                return Ok(want_gone);
            };
            let status = a.status().map(|s| s.as_str()).unwrap_or("");
            op.progress.status(status);
            if matches!(
                status,
                "CREATE_FAILED" | "UPDATE_FAILED" | "DEGRADED" | "DELETE_FAILED"
            ) {
                return Err(ProviderError::new(
                    ErrorKind::Other,
                    format!("EKS add-on {cluster}:{name} is {status}"),
                ));
            }
            Ok(!want_gone && status == "ACTIVE")
        })
        .await
    }

    fn to_value(&self, prior: &Value, a: &Addon) -> Value {
        let cluster = a.cluster_name().unwrap_or_default();
        let name = a.addon_name().unwrap_or_default();
        let tags: BTreeMap<String, String> = a
            .tags()
            .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        let time = |t: Option<&aws_smithy_types::DateTime>| {
            Value::string(t.map(crate::iam_role::rfc3339_seconds).unwrap_or_default())
        };
        let mut pairs = vec![
            ("id", Value::string(format!("{cluster}:{name}"))),
            ("cluster_name", Value::string(cluster)),
            ("addon_name", Value::string(name)),
            ("arn", opt_str(a.addon_arn())),
            ("addon_version", opt_str(a.addon_version())),
            (
                "service_account_role_arn",
                opt_str(a.service_account_role_arn()),
            ),
            (
                "configuration_values",
                Value::string(a.configuration_values().unwrap_or("")),
            ),
            ("created_at", time(a.created_at())),
            ("modified_at", time(a.modified_at())),
        ];
        pairs.extend(tag_attrs(prior, &tags));
        fill(prior, pairs)
    }
}

#[async_trait]
impl ResourceType for EksAddon {
    fn name(&self) -> &'static str {
        "aws_eks_addon"
    }

    fn schema(&self) -> ResourceSchema {
        crate::upstream::resource("aws_eks_addon").force_new_at(&["cluster_name", "addon_name"])
    }

    fn implemented(&self) -> &'static [&'static str] {
        &[
            "cluster_name",
            "addon_name",
            "addon_version",
            "service_account_role_arn",
            "configuration_values",
            "resolve_conflicts",
            "resolve_conflicts_on_create",
            "resolve_conflicts_on_update",
            "preserve",
            "tags",
            "timeouts",
        ]
    }

    async fn create(&self, c: &Clients, planned: &Value, op: &Op<'_>) -> ProviderResult<Value> {
        let cluster = need_str(planned, "cluster_name")?;
        let name = need_str(planned, "addon_name")?;
        c.eks
            .create_addon()
            .cluster_name(&cluster)
            .addon_name(&name)
            .set_addon_version(attr_str(planned, "addon_version"))
            .set_service_account_role_arn(attr_str(planned, "service_account_role_arn"))
            .set_configuration_values(
                attr_str(planned, "configuration_values").filter(|s| !s.is_empty()),
            )
            .set_resolve_conflicts(resolve(planned, "resolve_conflicts_on_create"))
            .set_tags(Some(send_tags(planned).into_iter().collect()))
            .client_request_token(op.token)
            .send()
            .await
            .map_err(sdk)?;
        let base = fill(
            planned,
            vec![("id", Value::string(format!("{cluster}:{name}")))],
        );
        if let Err(mut e) = self
            .wait(c, &cluster, &name, false, timeout(planned, "create"), op)
            .await
        {
            e.partial = self.read(c, &base).await.ok().flatten().map(Box::new);
            return Err(e);
        }
        self.read_back(c, &base, "after create").await
    }

    async fn read(&self, c: &Clients, prior: &Value) -> ProviderResult<Option<Value>> {
        let (cluster, name) = split_id("add-on", &need_str(prior, "id")?)?;
        Ok(self
            .describe(c, &cluster, &name)
            .await?
            .filter(|a| a.status().map(|s| s.as_str()) != Some("DELETING"))
            .map(|a| self.to_value(prior, &a)))
    }

    async fn update(
        &self,
        c: &Clients,
        prior: &Value,
        planned: &Value,
        op: &Op<'_>,
    ) -> ProviderResult<Value> {
        let id = need_str(prior, "id")?;
        let (cluster, name) = split_id("add-on", &id)?;
        let changed = |k: &str| attr_str(prior, k) != attr_str(planned, k);
        if changed("addon_version")
            || changed("service_account_role_arn")
            || changed("configuration_values")
        {
            c.eks
                .update_addon()
                .cluster_name(&cluster)
                .addon_name(&name)
                .set_addon_version(attr_str(planned, "addon_version"))
                .set_service_account_role_arn(attr_str(planned, "service_account_role_arn"))
                .set_configuration_values(attr_str(planned, "configuration_values"))
                .set_resolve_conflicts(resolve(planned, "resolve_conflicts_on_update"))
                .client_request_token(format!("{}-update", op.token))
                .send()
                .await
                .map_err(sdk)?;
            self.wait(c, &cluster, &name, false, timeout(planned, "update"), op)
                .await?;
        }
        crate::eks_cluster::sync_tags(c, &need_str(prior, "arn")?, prior, planned).await?;
        self.read_back(
            c,
            &fill(planned, vec![("id", Value::string(&id))]),
            "during update",
        )
        .await
    }

    async fn delete(&self, c: &Clients, prior: &Value, op: &Op<'_>) -> ProviderResult<()> {
        let (cluster, name) = split_id("add-on", &need_str(prior, "id")?)?;
        let mut req = c
            .eks
            .delete_addon()
            .cluster_name(&cluster)
            .addon_name(&name);
        if attr_bool(prior, "preserve") == Some(true) {
            req = req.preserve(true);
        }
        match req.send().await.map_err(sdk) {
            Ok(_) => {}
            Err(e) if e.kind == ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        }
        self.wait(c, &cluster, &name, true, timeout(prior, "delete"), op)
            .await
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
        let id = format!(
            "{}:{}",
            need_str(planned, "cluster_name")?,
            need_str(planned, "addon_name")?
        );
        self.read(c, &fill(planned, vec![("id", Value::string(id))]))
            .await
    }
}
