//! `aws_instance`: EC2 instances, usually GPU training nodes.
//!
//! - The instance type is checked against DescribeInstanceTypes at plan time, and a GPU type's
//!   accelerators are shown in the plan ("8 × NVIDIA A100 40 GiB").
//! - Changing `instance_type` is an in-place update: stop → modify → start, waiting on each.
//! - Creates carry the operation's idempotency token as EC2 `ClientToken` and as a
//!   `gantry:token` tag, so an interrupted create is found again, never made twice.
//! - Refresh is batched: one DescribeInstances per 200 instances (filter value limit).

use crate::clients::Clients;
use crate::error::sdk;
use crate::util::*;
use crate::ResourceType;
use async_trait::async_trait;
use aws_sdk_ec2::types::{
    AttributeValue, BlockDeviceMapping, EbsBlockDevice, Filter, IamInstanceProfileSpecification,
    Instance as Ec2Instance, InstanceStateName, InstanceType, ResourceType as Ec2ResourceType, Tag,
    TagSpecification, VolumeType,
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

    fn to_value(&self, c: &Clients, account: &str, prior: &Value, i: &Ec2Instance) -> Value {
        let id = i.instance_id().unwrap_or_default();
        let tags: BTreeMap<String, String> = i
            .tags()
            .iter()
            .filter(|t| t.key() != Some(TOKEN_TAG))
            .filter_map(|t| {
                Some((
                    t.key()?.to_string(),
                    t.value().unwrap_or_default().to_string(),
                ))
            })
            .collect();
        let mut sgs: Vec<Value> = i
            .security_groups()
            .iter()
            .filter_map(|g| g.group_id())
            .map(Value::string)
            .collect();
        sgs.sort_by_key(|v| v.as_str().map(String::from));
        let mut pairs = vec![
            ("id", Value::string(id)),
            (
                "arn",
                Value::string(format!("arn:aws:ec2:{}:{account}:instance/{id}", c.region)),
            ),
            ("ami", opt_str(i.image_id())),
            (
                "instance_type",
                opt_str(i.instance_type().map(|t| t.as_str())),
            ),
            ("subnet_id", opt_str(i.subnet_id())),
            ("vpc_security_group_ids", Value::set(sgs)),
            ("key_name", opt_str(i.key_name())),
            ("private_ip", opt_str(i.private_ip_address())),
            ("public_ip", opt_str(i.public_ip_address())),
            (
                "instance_state",
                opt_str(i.state().and_then(|s| s.name()).map(|n| n.as_str())),
            ),
        ];
        pairs.extend(tag_attrs(prior, &tags));
        // Write-only inputs (user data, profile, root device settings) keep their planned
        // values: EC2 reports them in other shapes or not at all.
        fill(prior, pairs)
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
        // hashicorp/aws replaces in place where it can (user_data, root volume size); gantry
        // replaces these for now, and says so in the plan.
        crate::upstream::resource("aws_instance")
            .force_new_at(&[
                "ami",
                "subnet_id",
                "key_name",
                "user_data",
                "iam_instance_profile",
                "root_block_device",
            ])
            .default_at("user_data_replace_on_change", Value::Bool(false))
            .default_at("get_password_data", Value::Bool(false))
            .default_at("source_dest_check", Value::Bool(true))
            .default_at("root_block_device.delete_on_termination", Value::Bool(true))
    }

    fn implemented(&self) -> &'static [&'static str] {
        &[
            "ami",
            "instance_type",
            "subnet_id",
            "vpc_security_group_ids",
            "key_name",
            "user_data",
            "user_data_replace_on_change",
            "iam_instance_profile",
            "tags",
            "root_block_device.volume_size",
            "root_block_device.volume_type",
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
        Ok(PlanResponse {
            planned: req.proposed.clone(),
            requires_replace: vec![],
            notes,
            private: Vec::new(),
        })
    }

    async fn create(&self, c: &Clients, planned: &Value, op: &Op<'_>) -> ProviderResult<Value> {
        let mut tags: Vec<Tag> = send_tags(planned)
            .into_iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build())
            .collect();
        tags.push(Tag::builder().key(TOKEN_TAG).value(op.token).build());
        let mut run = c
            .ec2
            .run_instances()
            .image_id(need_str(planned, "ami")?)
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
        if let Some(s) = attr_str(planned, "subnet_id") {
            run = run.subnet_id(s);
        }
        if let Some(sgs) = planned
            .get_attr("vpc_security_group_ids")
            .and_then(Value::as_seq)
        {
            run = run.set_security_group_ids(Some(
                sgs.iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect(),
            ));
        }
        if let Some(k) = attr_str(planned, "key_name") {
            run = run.key_name(k);
        }
        if let Some(u) = attr_str(planned, "user_data") {
            use base64::Engine as _;
            run = run.user_data(base64::engine::general_purpose::STANDARD.encode(u.as_bytes()));
        }
        if let Some(p) = attr_str(planned, "iam_instance_profile") {
            run = run
                .iam_instance_profile(IamInstanceProfileSpecification::builder().name(p).build());
        }
        if let Some(root) = planned
            .get_attr("root_block_device")
            .and_then(Value::as_seq)
            .and_then(|l| l.first())
        {
            let mut ebs = EbsBlockDevice::builder().delete_on_termination(true);
            if let Some(n) = attr_num(root, "volume_size") {
                ebs = ebs.volume_size(n as i32);
            }
            if let Some(t) = attr_str(root, "volume_type") {
                ebs = ebs.volume_type(VolumeType::from(t.as_str()));
            }
            run = run.block_device_mappings(
                BlockDeviceMapping::builder()
                    .device_name("/dev/xvda")
                    .ebs(ebs.build())
                    .build(),
            );
        }
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
        let account = match c.account_id().await {
            Ok(a) => a,
            Err(e) => return priors.iter().map(|_| Err(e.clone())).collect(),
        };
        let mut found: BTreeMap<String, Ec2Instance> = BTreeMap::new();
        let ids: Vec<String> = priors.iter().filter_map(|p| attr_str(p, "id")).collect();
        for chunk in ids.chunks(BATCH) {
            match self
                .describe(
                    c,
                    Filter::builder()
                        .name("instance-id")
                        .set_values(Some(chunk.to_vec()))
                        .build(),
                )
                .await
            {
                Ok(list) => {
                    for i in list {
                        if let Some(id) = i.instance_id() {
                            found.insert(id.to_string(), i);
                        }
                    }
                }
                Err(e) => return priors.iter().map(|_| Err(e.clone())).collect(),
            }
        }
        priors
            .iter()
            .map(|p| {
                let id = attr_str(p, "id").unwrap_or_default();
                Ok(found
                    .get(&id)
                    .filter(|i| {
                        !matches!(
                            i.state().and_then(|s| s.name()),
                            Some(InstanceStateName::Terminated)
                                | Some(InstanceStateName::ShuttingDown)
                        )
                    })
                    .map(|i| self.to_value(c, &account, p, i)))
            })
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
            Some(i) => {
                let account = c.account_id().await?;
                Ok(Some(self.to_value(c, &account, planned, &i)))
            }
            None => Ok(None),
        }
    }
}
