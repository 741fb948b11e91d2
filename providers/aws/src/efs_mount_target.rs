//! `aws_efs_mount_target`: a file system's address in one subnet. CreateMountTarget takes no
//! token, but a file system has at most one mount target per availability zone: an
//! interrupted create is found again as the file system's mount target in the planned subnet
//! (and a repeated create's `MountTargetConflict` adopts it). Security groups change in place.

use crate::clients::Clients;
use crate::error::sdk;
use crate::util::*;
use crate::ResourceType;
use async_trait::async_trait;
use aws_sdk_efs::types::MountTargetDescription;
use gantry_core::provider::{ErrorKind, Op, ProviderResult, ResourceSchema};
use gantry_core::value::Value;

pub struct MountTarget;

impl MountTarget {
    async fn by_id(&self, c: &Clients, id: &str) -> ProviderResult<Option<MountTargetDescription>> {
        match c
            .efs
            .describe_mount_targets()
            .mount_target_id(id)
            .send()
            .await
            .map_err(sdk)
        {
            Ok(r) => Ok(r.mount_targets().first().cloned()),
            Err(e) if e.kind == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The file system's mount target in `subnet`, if it has one.
    async fn in_subnet(
        &self,
        c: &Clients,
        file_system: &str,
        subnet: &str,
    ) -> ProviderResult<Option<MountTargetDescription>> {
        match c
            .efs
            .describe_mount_targets()
            .file_system_id(file_system)
            .send()
            .await
            .map_err(sdk)
        {
            Ok(r) => Ok(r
                .mount_targets()
                .iter()
                .find(|m| m.subnet_id() == subnet)
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
            object: format!("EFS mount target {id}"),
            ready: &["available"],
            gone: want_gone,
        };
        wait_for_status(
            limit,
            awaited,
            op.progress,
            |s| s == "error",
            || async {
                Ok(self
                    .by_id(c, id)
                    .await?
                    .map(|m| (m.life_cycle_state().as_str().to_string(), String::new())))
            },
        )
        .await
    }

    async fn to_value(
        &self,
        c: &Clients,
        prior: &Value,
        m: &MountTargetDescription,
    ) -> ProviderResult<Value> {
        let id = m.mount_target_id();
        let groups = c
            .efs
            .describe_mount_target_security_groups()
            .mount_target_id(id)
            .send()
            .await
            .map_err(sdk)?;
        let fs = m.file_system_id();
        let az = m.availability_zone_name().unwrap_or_default();
        Ok(fill(
            prior,
            vec![
                ("id", Value::string(id)),
                ("availability_zone_id", opt_str(m.availability_zone_id())),
                ("availability_zone_name", Value::string(az)),
                (
                    "dns_name",
                    Value::string(c.regional_hostname(&format!("{fs}.efs"))),
                ),
                (
                    "file_system_arn",
                    Value::string(format!(
                        "arn:{}:elasticfilesystem:{}:{}:file-system/{fs}",
                        c.partition(),
                        c.region,
                        m.owner_id().unwrap_or_default()
                    )),
                ),
                ("file_system_id", Value::string(fs)),
                ("ip_address", opt_str(m.ip_address())),
                (
                    "mount_target_dns_name",
                    Value::string(c.regional_hostname(&format!("{az}.{fs}.efs"))),
                ),
                ("network_interface_id", opt_str(m.network_interface_id())),
                ("owner_id", opt_str(m.owner_id())),
                (
                    "security_groups",
                    Value::set(groups.security_groups().iter().map(Value::string).collect()),
                ),
                ("subnet_id", Value::string(m.subnet_id())),
            ],
        ))
    }
}

#[async_trait]
impl ResourceType for MountTarget {
    fn name(&self) -> &'static str {
        "aws_efs_mount_target"
    }

    fn schema(&self) -> ResourceSchema {
        crate::upstream::resource("aws_efs_mount_target").force_new_at(&[
            "file_system_id",
            "subnet_id",
            "ip_address",
        ])
    }

    fn implemented(&self) -> &'static [&'static str] {
        &[
            "file_system_id",
            "subnet_id",
            "ip_address",
            "security_groups",
            "timeouts",
        ]
    }

    async fn create(&self, c: &Clients, planned: &Value, op: &Op<'_>) -> ProviderResult<Value> {
        let fs = need_str(planned, "file_system_id")?;
        let subnet = need_str(planned, "subnet_id")?;
        let groups = strings(planned, "security_groups");
        let r = c
            .efs
            .create_mount_target()
            .file_system_id(&fs)
            .subnet_id(&subnet)
            .set_ip_address(attr_str(planned, "ip_address"))
            .set_security_groups((!groups.is_empty()).then_some(groups))
            .send()
            .await
            .map_err(sdk);
        let id = match r {
            Ok(m) => m.mount_target_id().to_string(),
            // One per zone: the lost earlier attempt's mount target, if it is in our subnet.
            Err(e) if e.code.as_deref() == Some("MountTargetConflict") => self
                .in_subnet(c, &fs, &subnet)
                .await?
                .map(|m| m.mount_target_id().to_string())
                .ok_or(e)?,
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
        match self.by_id(c, &id).await? {
            Some(m) if m.life_cycle_state().as_str() != "deleted" => {
                Ok(Some(self.to_value(c, prior, &m).await?))
            }
            _ => Ok(None),
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
        if prior.get_attr("security_groups") != planned.get_attr("security_groups") {
            c.efs
                .modify_mount_target_security_groups()
                .mount_target_id(&id)
                .set_security_groups(Some(strings(planned, "security_groups")))
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
        gone_is_ok(
            c.efs
                .delete_mount_target()
                .mount_target_id(&id)
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
        let (Some(fs), Some(subnet)) = (
            attr_str(planned, "file_system_id"),
            attr_str(planned, "subnet_id"),
        ) else {
            return Ok(None);
        };
        match self.in_subnet(c, &fs, &subnet).await? {
            Some(m) => Ok(Some(self.to_value(c, planned, &m).await?)),
            None => Ok(None),
        }
    }
}
