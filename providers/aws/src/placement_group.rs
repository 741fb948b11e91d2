//! `aws_placement_group`: cluster placement keeps p4d/p5 nodes on one low-latency network
//! spine for multi-node training. Terraform's id is the group's name; tags live on its
//! `pg-…` id. Every argument forces a new group (EC2 cannot change one).

use crate::clients::Clients;
use crate::ec2_object::*;
use crate::error::sdk;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_ec2::types::{
    PlacementGroup as Ec2PlacementGroup, PlacementStrategy, ResourceType as Ec2ResourceType,
    SpreadLevel,
};
use gantry_core::provider::{ProviderResult, ResourceSchema};
use gantry_core::value::Value;

pub struct PlacementGroup;

impl PlacementGroup {
    fn live(&self, c: &Clients, g: &Ec2PlacementGroup) -> Live {
        let name = g.group_name().unwrap_or_default().to_string();
        let arn = g
            .group_arn()
            .map(String::from)
            .unwrap_or_else(|| format!("arn:aws:ec2:{}::placement-group/{name}", c.region));
        Live {
            attrs: vec![
                ("name", Value::string(&name)),
                ("arn", Value::string(arn)),
                ("placement_group_id", opt_str(g.group_id())),
                ("strategy", opt_str(g.strategy().map(|s| s.as_str()))),
                // Upstream records what EC2 reports: 0 and "" when the strategy has none.
                (
                    "partition_count",
                    Value::Number(g.partition_count().unwrap_or(0) as f64),
                ),
                (
                    "spread_level",
                    Value::string(g.spread_level().map(|s| s.as_str()).unwrap_or("")),
                ),
            ],
            tags: live_tags(g.tags()),
            id: name,
        }
    }
}

#[async_trait]
impl Ec2Kind for PlacementGroup {
    fn type_name(&self) -> &'static str {
        "aws_placement_group"
    }

    fn schema(&self) -> ResourceSchema {
        crate::upstream::resource("aws_placement_group").force_new_at(&[
            "name",
            "strategy",
            "partition_count",
            "spread_level",
        ])
    }

    fn implemented(&self) -> &'static [&'static str] {
        &[
            "name",
            "strategy",
            "partition_count",
            "spread_level",
            "tags",
        ]
    }

    async fn describe(&self, c: &Clients, by: By<'_>) -> ProviderResult<Vec<Live>> {
        let r = c
            .ec2
            .describe_placement_groups()
            .filters(by.filter("group-name"))
            .send()
            .await
            .map_err(sdk)?;
        Ok(r.placement_groups()
            .iter()
            .filter(|g| g.state().map(|s| s.as_str()) != Some("deleted"))
            .map(|g| self.live(c, g))
            .collect())
    }

    async fn create(&self, c: &Clients, planned: &Value, token: &str) -> ProviderResult<String> {
        let name = need_str(planned, "name")?;
        let mut req = c
            .ec2_once
            .create_placement_group()
            .group_name(&name)
            .strategy(PlacementStrategy::from(
                need_str(planned, "strategy")?.as_str(),
            ))
            .tag_specifications(tag_spec(Ec2ResourceType::PlacementGroup, planned, token));
        if let Some(n) = attr_num(planned, "partition_count").filter(|n| *n > 0.0) {
            req = req.partition_count(n as i32);
        }
        if let Some(s) = attr_str(planned, "spread_level").filter(|s| !s.is_empty()) {
            req = req.spread_level(SpreadLevel::from(s.as_str()));
        }
        req.send().await.map_err(sdk)?;
        Ok(name)
    }

    async fn configure(
        &self,
        c: &Clients,
        id: &str,
        _prior: Option<&Value>,
        _planned: &Value,
    ) -> ProviderResult<()> {
        // A new group is "pending" until usable; instances launched into it before then fail.
        wait_until(None, &format!("placement group {id}"), || async {
            let live = self.describe(c, By::Ids(&[id.to_string()])).await?;
            Ok(!live.is_empty())
        })
        .await
    }

    async fn delete(&self, c: &Clients, id: &str, _prior: &Value) -> ProviderResult<()> {
        // Instances terminating in the group keep it "in use" for a while.
        let start = std::time::Instant::now();
        loop {
            let r = c
                .ec2
                .delete_placement_group()
                .group_name(id)
                .send()
                .await
                .map_err(sdk);
            match r {
                Ok(_) => return Ok(()),
                Err(e) if e.code.as_deref() == Some("InvalidPlacementGroup.Unknown") => {
                    return Ok(())
                }
                Err(e)
                    if e.code.as_deref() == Some("InvalidPlacementGroup.InUse")
                        && start.elapsed() < std::time::Duration::from_secs(300) =>
                {
                    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn tag_target(&self, value: &Value) -> Option<String> {
        attr_str(value, "placement_group_id")
    }
}
