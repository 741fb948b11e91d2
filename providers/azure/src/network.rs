//! The network a GPU VM needs: `azurerm_virtual_network`, `azurerm_subnet`,
//! `azurerm_network_interface`. Address spaces, DNS servers, service endpoints, IP
//! configurations and tags change in place (PUT, as azurerm does); names and groups make new
//! ones.

use crate::arm_resource::{placed, ArmType, Parent, Update};
use crate::util::*;
use gantry_core::provider::{BlockSchema, Nesting, ProviderResult, ResourceSchema};
use gantry_core::provider_kit::strings;
use gantry_core::provider_kit::*;
use gantry_core::types::Type;
use gantry_core::value::Value;
use serde_json::{json, Value as Json};

const API: &str = "2024-05-01";

fn str_list(j: &Json) -> Value {
    Value::list(
        j.as_array()
            .into_iter()
            .flatten()
            .filter_map(Json::as_str)
            .map(Value::string)
            .collect(),
    )
}

fn located(b: &mut BlockSchema) {
    for k in ["name", "location", "resource_group_name"] {
        b.attributes.insert(k.into(), req(Type::String).force_new());
    }
    b.attributes.insert("id".into(), comp(Type::String));
    tags_schema(b);
    timeouts_schema(b);
}

pub struct VirtualNetwork;

impl ArmType for VirtualNetwork {
    const NAME: &'static str = "azurerm_virtual_network";
    const PARENT: Parent = Parent::Group("Microsoft.Network/virtualNetworks");
    const API: &'static str = API;
    const UPDATE: Update = Update::Put;

    fn schema() -> ResourceSchema {
        let mut b = BlockSchema::default();
        located(&mut b);
        b.attributes
            .insert("address_space".into(), req(Type::list(Type::String)));
        b.attributes
            .insert("dns_servers".into(), optcomp(Type::list(Type::String)));
        b.attributes.insert("guid".into(), comp(Type::String));
        ResourceSchema {
            version: 0,
            block: b,
            description: "A virtual network.".into(),
            legacy_type_system: true,
        }
    }

    fn body(v: &Value) -> ProviderResult<Json> {
        Ok(json!({
            "location": need_str(v, "location")?,
            "tags": tags_json(v),
            "properties": {
                "addressSpace": {"addressPrefixes": strings(v, "address_space")},
                "dhcpOptions": {"dnsServers": strings(v, "dns_servers")},
            },
        }))
    }

    fn state(prior: &Value, j: &Json) -> Value {
        let p = &j["properties"];
        let mut pairs = placed(j);
        pairs.extend([
            (
                "address_space",
                str_list(&p["addressSpace"]["addressPrefixes"]),
            ),
            ("dns_servers", str_list(&p["dhcpOptions"]["dnsServers"])),
            ("guid", s(p, "resourceGuid")),
        ]);
        fill(prior, pairs)
    }
}

pub struct Subnet;

impl ArmType for Subnet {
    const NAME: &'static str = "azurerm_subnet";
    const PARENT: Parent = Parent::GroupChild {
        kind: "Microsoft.Network/virtualNetworks",
        parent_attr: "virtual_network_name",
        collection: "subnets",
    };
    const API: &'static str = API;
    const UPDATE: Update = Update::Put;

    fn schema() -> ResourceSchema {
        let mut b = BlockSchema::default();
        for k in ["name", "resource_group_name", "virtual_network_name"] {
            b.attributes.insert(k.into(), req(Type::String).force_new());
        }
        b.attributes
            .insert("address_prefixes".into(), req(Type::list(Type::String)));
        b.attributes
            .insert("service_endpoints".into(), opt(Type::set(Type::String)));
        b.attributes.insert(
            "private_endpoint_network_policies".into(),
            opt(Type::String).with_default(Value::string("Disabled")),
        );
        b.attributes.insert(
            "default_outbound_access_enabled".into(),
            opt(Type::Bool).with_default(Value::Bool(true)),
        );
        b.attributes.insert("id".into(), comp(Type::String));
        timeouts_schema(&mut b);
        ResourceSchema {
            version: 0,
            block: b,
            description: "A subnet.".into(),
            legacy_type_system: true,
        }
    }

    fn body(v: &Value) -> ProviderResult<Json> {
        let eps: Vec<Json> = strings(v, "service_endpoints")
            .into_iter()
            .map(|s| json!({"service": s}))
            .collect();
        Ok(json!({"properties": {
            "addressPrefixes": strings(v, "address_prefixes"),
            "serviceEndpoints": eps,
            "privateEndpointNetworkPolicies": attr_str(v, "private_endpoint_network_policies").unwrap_or_else(|| "Disabled".into()),
            "defaultOutboundAccess": attr_bool(v, "default_outbound_access_enabled").unwrap_or(true),
        }}))
    }

    fn state(prior: &Value, j: &Json) -> Value {
        let p = &j["properties"];
        let rid = j["id"].as_str().unwrap_or_default();
        let eps: Vec<Value> = p["serviceEndpoints"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e["service"].as_str())
            .map(Value::string)
            .collect();
        fill(
            prior,
            vec![
                ("id", Value::string(rid)),
                ("name", s(j, "name")),
                (
                    "resource_group_name",
                    Value::string(crate::ids::group_of(rid).unwrap_or_default()),
                ),
                (
                    "virtual_network_name",
                    Value::string(crate::ids::segment(rid, "virtualNetworks").unwrap_or_default()),
                ),
                ("address_prefixes", str_list(&p["addressPrefixes"])),
                (
                    "service_endpoints",
                    if eps.is_empty()
                        && prior
                            .get_attr("service_endpoints")
                            .is_none_or(Value::is_null)
                    {
                        Value::Null
                    } else {
                        Value::set(eps)
                    },
                ),
                (
                    "private_endpoint_network_policies",
                    s(p, "privateEndpointNetworkPolicies"),
                ),
                (
                    "default_outbound_access_enabled",
                    b(p, "defaultOutboundAccess", true),
                ),
            ],
        )
    }
}

pub struct NetworkInterface;

impl ArmType for NetworkInterface {
    const NAME: &'static str = "azurerm_network_interface";
    const PARENT: Parent = Parent::Group("Microsoft.Network/networkInterfaces");
    const API: &'static str = API;
    const UPDATE: Update = Update::Put;

    fn schema() -> ResourceSchema {
        let mut b = BlockSchema::default();
        located(&mut b);
        for k in ["accelerated_networking_enabled", "ip_forwarding_enabled"] {
            b.attributes
                .insert(k.into(), opt(Type::Bool).with_default(Value::Bool(false)));
        }
        b.attributes
            .insert("dns_servers".into(), optcomp(Type::list(Type::String)));
        for k in ["private_ip_address", "mac_address", "virtual_machine_id"] {
            b.attributes.insert(k.into(), comp(Type::String));
        }
        let mut ip = BlockSchema::default();
        ip.attributes.insert("name".into(), req(Type::String));
        ip.attributes
            .insert("private_ip_address_allocation".into(), req(Type::String));
        for k in ["subnet_id", "public_ip_address_id"] {
            ip.attributes.insert(k.into(), opt(Type::String));
        }
        ip.attributes
            .insert("private_ip_address".into(), optcomp(Type::String));
        ip.attributes.insert("primary".into(), optcomp(Type::Bool));
        let mut ipb = block(Nesting::List, ip, 0, false);
        ipb.min_items = 1;
        b.blocks.insert("ip_configuration".into(), ipb);
        ResourceSchema {
            version: 0,
            block: b,
            description: "A network interface.".into(),
            legacy_type_system: true,
        }
    }

    fn body(v: &Value) -> ProviderResult<Json> {
        let configs: Vec<Json> = v
            .get_attr("ip_configuration")
            .and_then(Value::as_seq)
            .into_iter()
            .flatten()
            .enumerate()
            .map(|(i, c)| {
                let mut p = json!({
                    "privateIPAllocationMethod": attr_str(c, "private_ip_address_allocation"),
                    "primary": attr_bool(c, "primary").unwrap_or(i == 0),
                });
                if let Some(s) = attr_str(c, "subnet_id") {
                    p["subnet"] = json!({ "id": s });
                }
                if let Some(s) = attr_str(c, "public_ip_address_id") {
                    p["publicIPAddress"] = json!({ "id": s });
                }
                if attr_str(c, "private_ip_address_allocation").as_deref() == Some("Static") {
                    if let Some(a) = attr_str(c, "private_ip_address") {
                        p["privateIPAddress"] = json!(a);
                    }
                }
                json!({"name": attr_str(c, "name"), "properties": p})
            })
            .collect();
        Ok(json!({
            "location": need_str(v, "location")?,
            "tags": tags_json(v),
            "properties": {
                "ipConfigurations": configs,
                "enableAcceleratedNetworking": attr_bool(v, "accelerated_networking_enabled").unwrap_or(false),
                "enableIPForwarding": attr_bool(v, "ip_forwarding_enabled").unwrap_or(false),
                "dnsSettings": {"dnsServers": strings(v, "dns_servers")},
            },
        }))
    }

    fn state(prior: &Value, j: &Json) -> Value {
        let p = &j["properties"];
        let configs: Vec<Value> = p["ipConfigurations"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| {
                let cp = &c["properties"];
                obj(vec![
                    ("name", s(c, "name")),
                    (
                        "private_ip_address_allocation",
                        s(cp, "privateIPAllocationMethod"),
                    ),
                    ("subnet_id", s(&cp["subnet"], "id")),
                    ("public_ip_address_id", s(&cp["publicIPAddress"], "id")),
                    ("private_ip_address", s(cp, "privateIPAddress")),
                    ("primary", b(cp, "primary", false)),
                ])
            })
            .collect();
        let mut pairs = placed(j);
        pairs.extend([
            (
                "accelerated_networking_enabled",
                b(p, "enableAcceleratedNetworking", false),
            ),
            ("ip_forwarding_enabled", b(p, "enableIPForwarding", false)),
            ("dns_servers", str_list(&p["dnsSettings"]["dnsServers"])),
            (
                "private_ip_address",
                s(&p["ipConfigurations"][0]["properties"], "privateIPAddress"),
            ),
            ("mac_address", s(p, "macAddress")),
            ("virtual_machine_id", s(&p["virtualMachine"], "id")),
            ("ip_configuration", Value::list(configs)),
        ]);
        fill(prior, pairs)
    }
}
