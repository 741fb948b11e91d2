//! `google_compute_subnetwork`: a regional subnet of a VPC network. Secondary ranges change
//! in place (PATCH with the fingerprint), private Google access through its own call, and
//! the primary range grows in place (`expandIpCidrRange`); a smaller range, a new network or
//! region makes a new subnet.

use crate::compute::{self, network_ref, rel, same_ref, Scope, Scoped};
use crate::config::Ctx;
use crate::util::*;
use crate::ResourceType;
use async_trait::async_trait;
use gantry_core::provider::{
    BlockSchema, Nesting, Op, PlanRequest, PlanResponse, ProviderResult, ResourceSchema,
};
use gantry_core::provider_kit::*;
use gantry_core::types::Type;
use gantry_core::value::Value;
use reqwest::Method;
use serde_json::{json, Value as Json};

pub struct Subnetwork;

const SUBNET: Scoped = Scoped {
    scope: Scope::Region,
    collection: "subnetworks",
};

#[async_trait]
impl ResourceType for Subnetwork {
    fn name(&self) -> &'static str {
        "google_compute_subnetwork"
    }

    fn schema(&self) -> ResourceSchema {
        let mut b = BlockSchema::default();
        for k in ["name", "network"] {
            b.attributes.insert(k.into(), req(Type::String).force_new());
        }
        b.attributes
            .insert("ip_cidr_range".into(), req(Type::String));
        for k in ["region", "project", "purpose"] {
            b.attributes
                .insert(k.into(), optcomp(Type::String).force_new());
        }
        b.attributes
            .insert("description".into(), opt(Type::String).force_new());
        b.attributes
            .insert("private_ip_google_access".into(), optcomp(Type::Bool));
        b.attributes
            .insert("stack_type".into(), optcomp(Type::String));
        for k in [
            "id",
            "self_link",
            "gateway_address",
            "fingerprint",
            "creation_timestamp",
        ] {
            b.attributes.insert(k.into(), comp(Type::String));
        }
        let mut r = BlockSchema::default();
        for k in ["range_name", "ip_cidr_range"] {
            r.attributes.insert(k.into(), req(Type::String));
        }
        b.blocks.insert(
            "secondary_ip_range".into(),
            block(Nesting::List, r, 0, false),
        );
        timeouts_schema(&mut b);
        ResourceSchema {
            version: 0,
            block: b,
            description: "A regional subnet.".into(),
            legacy_type_system: true,
        }
    }

    async fn plan(&self, c: &Ctx, req: &PlanRequest<'_>) -> ProviderResult<PlanResponse> {
        let mut planned = req.proposed.clone();
        let mut requires_replace = vec![];
        match req.prior {
            None => planned = SUBNET.plan_identity(c, planned),
            Some(prior) => {
                planned = compute::keep_prior_ref(prior, planned, "network");
                // Only growing the range is in place.
                if let (Some(a), Some(b)) = (
                    attr_str(prior, "ip_cidr_range"),
                    attr_str(&planned, "ip_cidr_range"),
                ) {
                    if a != b && !contains(&b, &a) {
                        requires_replace.push(vec![gantry_core::value::PathStep::Key(
                            "ip_cidr_range".into(),
                        )]);
                    }
                }
            }
        }
        Ok(PlanResponse {
            planned,
            requires_replace,
            notes: vec![],
            private: vec![],
        })
    }

    async fn create(&self, c: &Ctx, planned: &Value, op: &Op<'_>) -> ProviderResult<Value> {
        let project = c.project(planned)?;
        let name = need_str(planned, "name")?;
        let mut body = json!({
            "name": name,
            "network": network_ref(&project, &need_str(planned, "network")?),
            "ipCidrRange": need_str(planned, "ip_cidr_range")?,
            "secondaryIpRanges": secondary(planned),
        });
        for (k, j) in [
            ("description", "description"),
            ("purpose", "purpose"),
            ("stack_type", "stackType"),
        ] {
            if let Some(x) = attr_str(planned, k) {
                body[j] = json!(x);
            }
        }
        if let Some(x) = attr_bool(planned, "private_ip_google_access") {
            body["privateIpGoogleAccess"] = json!(x);
        }
        compute::call_and_wait(
            c,
            Method::POST,
            &SUBNET.parent(c, planned)?,
            Some(body),
            timeout(planned, "create"),
            op.progress,
            &format!("creating subnetwork {name}"),
        )
        .await?;
        self.read_back(c, planned, "after create").await
    }

    async fn read(&self, c: &Ctx, prior: &Value) -> ProviderResult<Option<Value>> {
        Ok(SUBNET.get(c, prior).await?.map(|j| from_json(prior, &j)))
    }

    async fn update(
        &self,
        c: &Ctx,
        prior: &Value,
        planned: &Value,
        op: &Op<'_>,
    ) -> ProviderResult<Value> {
        let path = SUBNET.name(c, prior)?;
        let limit = timeout(planned, "update");
        if attr_str(prior, "ip_cidr_range") != attr_str(planned, "ip_cidr_range") {
            compute::call_and_wait(
                c,
                Method::POST,
                &format!("{path}/expandIpCidrRange"),
                Some(json!({"ipCidrRange": attr_str(planned, "ip_cidr_range")})),
                limit,
                op.progress,
                "expanding the subnetwork's range",
            )
            .await?;
        }
        if attr_bool(prior, "private_ip_google_access")
            != attr_bool(planned, "private_ip_google_access")
        {
            compute::call_and_wait(
                c,
                Method::POST,
                &format!("{path}/setPrivateIpGoogleAccess"),
                Some(json!({"privateIpGoogleAccess":
                    attr_bool(planned, "private_ip_google_access").unwrap_or(false)})),
                limit,
                op.progress,
                "setting private Google access",
            )
            .await?;
        }
        if prior.get_attr("secondary_ip_range") != planned.get_attr("secondary_ip_range") {
            let live = c.client.get(crate::client::Api::Compute, "", &path).await?;
            compute::call_and_wait(
                c,
                Method::PATCH,
                &path,
                Some(json!({"secondaryIpRanges": secondary(planned),
                            "fingerprint": live["fingerprint"]})),
                limit,
                op.progress,
                "updating secondary ranges",
            )
            .await?;
        }
        self.read_back(c, planned, "during update").await
    }

    async fn delete(&self, c: &Ctx, prior: &Value, op: &Op<'_>) -> ProviderResult<()> {
        SUBNET
            .delete(c, prior, op.progress, "deleting subnetwork")
            .await
    }

    async fn import(&self, c: &Ctx, id: &str) -> ProviderResult<Option<Value>> {
        self.read(c, &SUBNET.import_prior(c, id)?).await
    }
}

fn secondary(v: &Value) -> Json {
    v.get_attr("secondary_ip_range")
        .and_then(Value::as_seq)
        .map(|rs| {
            rs.iter()
                .map(|r| {
                    json!({"rangeName": attr_str(r, "range_name"),
                           "ipCidrRange": attr_str(r, "ip_cidr_range")})
                })
                .collect()
        })
        .unwrap_or(json!([]))
}

/// Whether CIDR `outer` contains CIDR `inner` (IPv4).
fn contains(outer: &str, inner: &str) -> bool {
    let parse = |c: &str| -> Option<(u32, u32)> {
        let (ip, len) = c.split_once('/')?;
        let ip: std::net::Ipv4Addr = ip.parse().ok()?;
        Some((u32::from(ip), len.parse().ok()?))
    };
    match (parse(outer), parse(inner)) {
        (Some((o, ol)), Some((i, il))) if ol <= il && ol <= 32 => {
            let mask = if ol == 0 { 0 } else { u32::MAX << (32 - ol) };
            o & mask == i & mask
        }
        _ => false,
    }
}

fn from_json(prior: &Value, j: &Json) -> Value {
    let path = rel(j["selfLink"].as_str().unwrap_or_default()).to_string();
    let ranges = Value::list(
        j["secondaryIpRanges"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| {
                obj(vec![
                    ("range_name", s(r, "rangeName")),
                    ("ip_cidr_range", s(r, "ipCidrRange")),
                ])
            })
            .collect(),
    );
    fill(
        prior,
        vec![
            ("id", Value::string(&path)),
            ("name", s(j, "name")),
            (
                "project",
                Value::string(path.split('/').nth(1).unwrap_or_default()),
            ),
            (
                "region",
                Value::string(path.split('/').nth(3).unwrap_or_default()),
            ),
            (
                "network",
                same_ref(
                    attr_str(prior, "network"),
                    j["network"].as_str().unwrap_or_default(),
                ),
            ),
            ("ip_cidr_range", s(j, "ipCidrRange")),
            ("description", s(j, "description")),
            ("purpose", s(j, "purpose")),
            ("stack_type", s(j, "stackType")),
            (
                "private_ip_google_access",
                Value::Bool(j["privateIpGoogleAccess"].as_bool().unwrap_or(false)),
            ),
            ("self_link", s(j, "selfLink")),
            ("gateway_address", s(j, "gatewayAddress")),
            ("fingerprint", s(j, "fingerprint")),
            ("creation_timestamp", s(j, "creationTimestamp")),
            ("secondary_ip_range", ranges),
        ],
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_range_contains_the_ranges_it_grows_from() {
        assert!(super::contains("10.0.0.0/16", "10.0.0.0/24"));
        assert!(!super::contains("10.0.0.0/24", "10.0.0.0/16"));
        assert!(!super::contains("10.1.0.0/16", "10.0.0.0/24"));
    }
}
