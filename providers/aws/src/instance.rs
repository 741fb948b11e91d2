//! `aws_instance`: EC2 instances, usually GPU training nodes.
//!
//! - The instance type is checked against DescribeInstanceTypes at plan time, and a GPU type's
//!   accelerators are shown in the plan ("8 × NVIDIA A100 40 GiB").
//! - Changing `instance_type` is an in-place update: stop → modify → start, waiting on each.
//! - Creates carry the operation's idempotency token as EC2 `ClientToken` and as a
//!   `gantry:token` tag, so an interrupted create is found again, never made twice.
//! - Refresh is batched: one DescribeInstances per 200 instances (filter value limit), plus
//!   one DescribeVolumes and one DescribeSpotInstanceRequests per batch (`instance_read`).
//! - Spot, metadata options, CPU options, capacity reservation preference, placement group,
//!   public address and EBS volumes go into RunInstances (`instance_launch`); metadata
//!   options and security groups change in place, the others replace the instance.

use crate::clients::Clients;
use crate::error::sdk;
use crate::instance_read::Extras;
use crate::util::*;
use crate::ResourceType;
use async_trait::async_trait;
use aws_sdk_ec2::types::{
    AttributeValue, Filter, Instance as Ec2Instance, InstanceStateName, InstanceType,
    ResourceType as Ec2ResourceType, Tag, TagSpecification,
};
use gantry_core::provider::{
    ErrorKind, Op, PlanRequest, PlanResponse, ProviderError, ProviderResult, ResourceSchema,
};
use gantry_core::value::Value;
use std::collections::BTreeMap;

pub struct Instance;

const TOKEN_TAG: &str = "gantry:token";
const BATCH: usize = 200;

impl Instance {
    /// DescribeInstanceTypes, cached. `None` when the type does not exist.
    async fn type_info(
        &self,
        c: &Clients,
        t: &str,
    ) -> ProviderResult<Option<aws_sdk_ec2::types::InstanceTypeInfo>> {
        if let Some(hit) = c.instance_types.lock().await.get(t) {
            return Ok(hit.clone());
        }
        let info = match c
            .ec2
            .describe_instance_types()
            .instance_types(InstanceType::from(t))
            .send()
            .await
        {
            Ok(r) => r.instance_types().first().cloned(),
            Err(e) => {
                let e = sdk(e);
                if e.code
                    .as_deref()
                    .is_some_and(|c| c.contains("InvalidInstanceType"))
                    || e.kind == ErrorKind::Validation
                {
                    None
                } else {
                    return Err(e);
                }
            }
        };
        c.instance_types
            .lock()
            .await
            .insert(t.to_string(), info.clone());
        Ok(info)
    }

    /// The values of `found` instances (one batch), with their volumes and spot requests.
    async fn values(
        &self,
        c: &Clients,
        found: &[(&Value, &Ec2Instance)],
    ) -> ProviderResult<Vec<Value>> {
        let account = c.account_id().await?;
        let instances: Vec<&Ec2Instance> = found.iter().map(|(_, i)| *i).collect();
        let extras = Extras::of(c, &instances).await?;
        Ok(found
            .iter()
            .map(|(p, i)| crate::instance_read::to_value(c, &account, p, i, &extras))
            .collect())
    }

    /// The AMI's root device name (`/dev/sda1`, `/dev/xvda`): a root_block_device mapping
    /// must use it to change the root volume rather than add one.
    async fn root_device(&self, c: &Clients, ami: &str) -> ProviderResult<Option<String>> {
        let r = c
            .ec2
            .describe_images()
            .image_ids(ami)
            .send()
            .await
            .map_err(sdk)?;
        Ok(r.images()
            .first()
            .and_then(|i| i.root_device_name())
            .map(String::from))
    }

    /// Reads up to 200 instances: one DescribeInstances, then their volumes and spot requests.
    async fn read_batch(
        &self,
        c: &Clients,
        priors: &[Value],
        out: &mut BTreeMap<String, Value>,
    ) -> ProviderResult<()> {
        let ids: Vec<String> = priors.iter().filter_map(|p| attr_str(p, "id")).collect();
        if ids.is_empty() {
            return Ok(());
        }
        let list = self
            .describe(
                c,
                Filter::builder()
                    .name("instance-id")
                    .set_values(Some(ids))
                    .build(),
            )
            .await?;
        let live: BTreeMap<String, &Ec2Instance> = list
            .iter()
            .filter(|i| {
                !matches!(
                    i.state().and_then(|s| s.name()),
                    Some(InstanceStateName::Terminated) | Some(InstanceStateName::ShuttingDown)
                )
            })
            .filter_map(|i| Some((i.instance_id()?.to_string(), i)))
            .collect();
        let pairs: Vec<(&Value, &Ec2Instance)> = priors
            .iter()
            .filter_map(|p| Some((p, *live.get(&attr_str(p, "id")?)?)))
            .collect();
        for v in self.values(c, &pairs).await? {
            if let Some(id) = attr_str(&v, "id") {
                out.insert(id, v);
            }
        }
        Ok(())
    }

    async fn describe(&self, c: &Clients, filter: Filter) -> ProviderResult<Vec<Ec2Instance>> {
        let mut out = Vec::new();
        let mut next: Option<String> = None;
        loop {
            let r = c
                .ec2
                .describe_instances()
                .filters(filter.clone())
                .set_next_token(next.clone())
                .send()
                .await
                .map_err(sdk)?;
            for res in r.reservations() {
                out.extend(res.instances().iter().cloned());
            }
            next = r.next_token().map(String::from);
            if next.is_none() {
                return Ok(out);
            }
        }
    }

    async fn state_of(&self, c: &Clients, id: &str) -> ProviderResult<Option<InstanceStateName>> {
        let found = self
            .describe(c, Filter::builder().name("instance-id").values(id).build())
            .await?;
        Ok(found
            .first()
            .and_then(|i| i.state())
            .and_then(|s| s.name())
            .cloned())
    }

    async fn wait_state(
        &self,
        c: &Clients,
        id: &str,
        want: InstanceStateName,
        limit: Option<std::time::Duration>,
        op: &Op<'_>,
    ) -> ProviderResult<()> {
        wait_until(
            limit,
            &format!("instance {id} to be {}", want.as_str()),
            || async {
                let s = self.state_of(c, id).await?;
                if let Some(s) = &s {
                    op.progress.status(s.as_str());
                }
                Ok(match (&s, &want) {
                    (None, InstanceStateName::Terminated) => true,
                    (Some(s), w) => s == w,
                    (None, _) => {
                        return Err(ProviderError::new(
                            ErrorKind::NotFound,
                            format!("instance {id} disappeared"),
                        ))
                    }
                })
            },
        )
        .await
    }
}

#[async_trait]
impl ResourceType for Instance {
    fn name(&self) -> &'static str {
        "aws_instance"
    }

    fn schema(&self) -> ResourceSchema {
        // hashicorp/aws replaces in place where it can (user_data, root volume size, capacity
        // reservation preference, CPU options by stop/start); gantry replaces these for now,
        // and says so in the plan (README, deliberate differences).
        crate::upstream::resource("aws_instance")
            .force_new_at(&[
                "ami",
                "subnet_id",
                "key_name",
                "user_data",
                "iam_instance_profile",
                "associate_public_ip_address",
                "security_groups",
                "placement_group",
                "availability_zone",
                "root_block_device",
                "ebs_block_device",
                "instance_market_options",
                "cpu_options",
                "capacity_reservation_specification",
            ])
            .default_at("user_data_replace_on_change", Value::Bool(false))
            .default_at("get_password_data", Value::Bool(false))
            .default_at("source_dest_check", Value::Bool(true))
            .default_at("root_block_device.delete_on_termination", Value::Bool(true))
            .default_at("ebs_block_device.delete_on_termination", Value::Bool(true))
            .default_at("metadata_options.http_endpoint", Value::string("enabled"))
            .default_at(
                "metadata_options.http_protocol_ipv6",
                Value::string("disabled"),
            )
    }

    fn implemented(&self) -> &'static [&'static str] {
        &[
            "ami",
            "instance_type",
            "subnet_id",
            "vpc_security_group_ids",
            "security_groups",
            "associate_public_ip_address",
            "availability_zone",
            "placement_group",
            "key_name",
            "user_data",
            "user_data_replace_on_change",
            "iam_instance_profile",
            "tags",
            "root_block_device.volume_size",
            "root_block_device.volume_type",
            "root_block_device.delete_on_termination",
            "root_block_device.encrypted",
            "root_block_device.kms_key_id",
            "root_block_device.iops",
            "root_block_device.throughput",
            "ebs_block_device.device_name",
            "ebs_block_device.volume_size",
            "ebs_block_device.volume_type",
            "ebs_block_device.delete_on_termination",
            "ebs_block_device.encrypted",
            "ebs_block_device.kms_key_id",
            "ebs_block_device.iops",
            "ebs_block_device.throughput",
            "ebs_block_device.snapshot_id",
            "instance_market_options",
            "metadata_options.http_endpoint",
            "metadata_options.http_tokens",
            "metadata_options.http_put_response_hop_limit",
            "metadata_options.http_protocol_ipv6",
            "metadata_options.instance_metadata_tags",
            "cpu_options.core_count",
            "cpu_options.threads_per_core",
            "capacity_reservation_specification",
            "timeouts",
        ]
    }

    async fn plan(&self, c: &Clients, req: &PlanRequest<'_>) -> ProviderResult<PlanResponse> {
        let mut notes = Vec::new();
        if let Some(t) = req
            .proposed
            .get_attr("instance_type")
            .and_then(|v| v.as_str())
        {
            let Some(info) = self.type_info(c, t).await? else {
                return Err(ProviderError::new(ErrorKind::Validation, format!("instance_type {t:?} does not exist in {} (DescribeInstanceTypes knows no such type)", c.region)));
            };
            if let Some(g) = info.gpu_info() {
                for gpu in g.gpus() {
                    let mem = gpu
                        .memory_info()
                        .and_then(|m| m.size_in_mib())
                        .map(|m| format!(" {} GiB", m / 1024))
                        .unwrap_or_default();
                    notes.push(format!(
                        "{t}: {} × {} {}{mem}",
                        gpu.count().unwrap_or(0),
                        gpu.manufacturer().unwrap_or(""),
                        gpu.name().unwrap_or("")
                    ));
                }
            }
        }
        let proposed = crate::instance_plan::computed_blocks(req.prior, req.config, req.proposed);
        let planned = match req.prior {
            Some(prior) => crate::instance_plan::settle_against(prior, &proposed),
            None => proposed,
        };
        Ok(PlanResponse {
            notes,
            ..PlanResponse::of(planned)
        })
    }

    async fn create(&self, c: &Clients, planned: &Value, op: &Op<'_>) -> ProviderResult<Value> {
        let mut tags: Vec<Tag> = send_tags(planned)
            .into_iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build())
            .collect();
        tags.push(Tag::builder().key(TOKEN_TAG).value(op.token).build());
        let ami = need_str(planned, "ami")?;
        let root = match first(planned, "root_block_device") {
            Some(_) => self.root_device(c, &ami).await?,
            None => None,
        };
        let run = c
            .ec2
            .run_instances()
            .image_id(&ami)
            .instance_type(InstanceType::from(
                need_str(planned, "instance_type")?.as_str(),
            ))
            .min_count(1)
            .max_count(1)
            .client_token(op.token)
            .tag_specifications(
                TagSpecification::builder()
                    .resource_type(Ec2ResourceType::Instance)
                    .set_tags(Some(tags))
                    .build(),
            );
        let run = crate::instance_launch::configure(run, planned, root.as_deref())?;
        let r = run.send().await.map_err(sdk)?;
        let id = r
            .instances()
            .first()
            .and_then(|i| i.instance_id())
            .ok_or_else(|| ProviderError::other("RunInstances returned no instance"))?
            .to_string();
        self.wait_state(
            c,
            &id,
            InstanceStateName::Running,
            timeout(planned, "create"),
            op,
        )
        .await?;
        self.read_back(
            c,
            &fill(planned, vec![("id", Value::string(&id))]),
            "after create",
        )
        .await
    }

    async fn read(&self, c: &Clients, prior: &Value) -> ProviderResult<Option<Value>> {
        self.read_many(c, std::slice::from_ref(prior))
            .await
            .pop()
            .unwrap_or(Ok(None))
    }

    async fn read_many(&self, c: &Clients, priors: &[Value]) -> Vec<ProviderResult<Option<Value>>> {
        let mut values: BTreeMap<String, Value> = BTreeMap::new();
        for chunk in priors.chunks(BATCH) {
            if let Err(e) = self.read_batch(c, chunk, &mut values).await {
                return priors.iter().map(|_| Err(e.clone())).collect();
            }
        }
        priors
            .iter()
            .map(|p| Ok(attr_str(p, "id").and_then(|id| values.remove(&id))))
            .collect()
    }

    async fn update(
        &self,
        c: &Clients,
        prior: &Value,
        planned: &Value,
        op: &Op<'_>,
    ) -> ProviderResult<Value> {
        let id = need_str(prior, "id")?;
        let limit = timeout(planned, "update");
        let (old_t, new_t) = (
            attr_str(prior, "instance_type"),
            attr_str(planned, "instance_type"),
        );
        if old_t != new_t {
            let t = new_t.unwrap_or_default();
            c.ec2
                .stop_instances()
                .instance_ids(&id)
                .send()
                .await
                .map_err(sdk)?;
            self.wait_state(c, &id, InstanceStateName::Stopped, limit, op)
                .await?;
            c.ec2
                .modify_instance_attribute()
                .instance_id(&id)
                .instance_type(AttributeValue::builder().value(&t).build())
                .send()
                .await
                .map_err(sdk)?;
            c.ec2
                .start_instances()
                .instance_ids(&id)
                .send()
                .await
                .map_err(sdk)?;
            self.wait_state(c, &id, InstanceStateName::Running, limit, op)
                .await?;
        }
        crate::ec2_object::sync_tags(c, &id, prior, planned).await?;
        let metadata = first(planned, "metadata_options");
        if metadata.is_some() && metadata != first(prior, "metadata_options") {
            let m = crate::instance_launch::metadata_options(metadata.unwrap_or(&Value::Null));
            c.ec2
                .modify_instance_metadata_options()
                .instance_id(&id)
                .set_http_tokens(m.http_tokens().cloned())
                .set_http_put_response_hop_limit(m.http_put_response_hop_limit())
                .set_http_endpoint(m.http_endpoint().cloned())
                .set_http_protocol_ipv6(m.http_protocol_ipv6().cloned())
                .set_instance_metadata_tags(m.instance_metadata_tags().cloned())
                .send()
                .await
                .map_err(sdk)?;
        }
        let groups = planned
            .get_attr("vpc_security_group_ids")
            .and_then(Value::as_seq)
            .map(|l| {
                l.iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect::<Vec<_>>()
            });
        if let Some(g) = groups.filter(|g| {
            Some(g.clone())
                != prior
                    .get_attr("vpc_security_group_ids")
                    .and_then(Value::as_seq)
                    .map(|l| {
                        l.iter()
                            .filter_map(|v| v.as_str().map(String::from))
                            .collect()
                    })
        }) {
            c.ec2
                .modify_instance_attribute()
                .instance_id(&id)
                .set_groups(Some(g))
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
        match c
            .ec2
            .terminate_instances()
            .instance_ids(&id)
            .send()
            .await
            .map_err(sdk)
        {
            Ok(_) => {}
            Err(e) if e.kind == ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        }
        self.wait_state(
            c,
            &id,
            InstanceStateName::Terminated,
            timeout(prior, "delete"),
            op,
        )
        .await
    }

    async fn import(&self, c: &Clients, id: &str) -> ProviderResult<Option<Value>> {
        self.read(c, &obj(vec![("id", Value::string(id))])).await
    }

    async fn settle(&self, c: &Clients, value: &Value) -> ProviderResult<()> {
        let id = need_str(value, "id")?;
        c.ec2
            .delete_tags()
            .resources(&id)
            .tags(Tag::builder().key(TOKEN_TAG).build())
            .send()
            .await
            .map_err(sdk)?;
        Ok(())
    }

    async fn find_by_token(
        &self,
        c: &Clients,
        token: &str,
        planned: &Value,
    ) -> ProviderResult<Option<Value>> {
        let found = self
            .describe(
                c,
                Filter::builder()
                    .name(format!("tag:{TOKEN_TAG}"))
                    .values(token)
                    .build(),
            )
            .await?;
        let live = found.into_iter().find(|i| {
            !matches!(
                i.state().and_then(|s| s.name()),
                Some(InstanceStateName::Terminated)
            )
        });
        match live {
            Some(i) => Ok(self.values(c, &[(planned, &i)]).await?.pop()),
            None => Ok(None),
        }
    }
}
