//! `azurerm_linux_virtual_machine`: a GPU VM (NC/ND sizes) on a Data Science VM image
//! (`microsoft-dsvm` / `ubuntu-hpc` / `2204`). The size and tags change in place (a PUT; ARM
//! resizes, deallocating when the new size needs another cluster); image, admin, disks,
//! priority and zone make a new VM. An unavailable GPU size comes back as SkuNotAvailable,
//! reported as capacity.

use crate::arm_resource::{placed, ArmType, Parent, Update};
use crate::util::*;
use gantry_core::provider::{BlockSchema, NestedBlock, Nesting, ProviderResult, ResourceSchema};
use gantry_core::provider_kit::*;
use gantry_core::types::Type;
use gantry_core::value::Value;
use serde_json::{json, Value as Json};

pub struct LinuxVirtualMachine;

fn one(b: BlockSchema, force_new: bool, required: bool) -> NestedBlock {
    let mut nb = block(Nesting::List, b, 1, force_new);
    if required {
        nb.min_items = 1;
    }
    nb
}

impl ArmType for LinuxVirtualMachine {
    const NAME: &'static str = "azurerm_linux_virtual_machine";
    const PARENT: Parent = Parent::Group("Microsoft.Compute/virtualMachines");
    const API: &'static str = "2024-07-01";
    const UPDATE: Update = Update::Put;

    fn schema() -> ResourceSchema {
        let mut b = BlockSchema::default();
        for k in ["name", "location", "resource_group_name", "admin_username"] {
            b.attributes.insert(k.into(), req(Type::String).force_new());
        }
        b.attributes.insert("size".into(), req(Type::String));
        b.attributes.insert(
            "network_interface_ids".into(),
            req(Type::list(Type::String)).force_new(),
        );
        b.attributes.insert(
            "disable_password_authentication".into(),
            opt(Type::Bool).with_default(Value::Bool(true)).force_new(),
        );
        b.attributes.insert(
            "admin_password".into(),
            opt(Type::String).sensitive().force_new(),
        );
        b.attributes.insert(
            "custom_data".into(),
            opt(Type::String).sensitive().force_new(),
        );
        b.attributes.insert(
            "priority".into(),
            opt(Type::String)
                .with_default(Value::string("Regular"))
                .force_new(),
        );
        for k in ["eviction_policy", "zone", "computer_name"] {
            b.attributes
                .insert(k.into(), optcomp(Type::String).force_new());
        }
        for k in ["id", "virtual_machine_id"] {
            b.attributes.insert(k.into(), comp(Type::String));
        }
        let mut key = BlockSchema::default();
        for k in ["username", "public_key"] {
            key.attributes
                .insert(k.into(), req(Type::String).force_new());
        }
        b.blocks
            .insert("admin_ssh_key".into(), block(Nesting::Set, key, 0, true));
        let mut disk = BlockSchema::default();
        disk.attributes
            .insert("caching".into(), req(Type::String).force_new());
        disk.attributes
            .insert("storage_account_type".into(), req(Type::String).force_new());
        disk.attributes
            .insert("disk_size_gb".into(), optcomp(Type::Number).force_new());
        disk.attributes
            .insert("name".into(), optcomp(Type::String).force_new());
        b.blocks.insert("os_disk".into(), one(disk, true, true));
        let mut img = BlockSchema::default();
        for k in ["publisher", "offer", "sku", "version"] {
            img.attributes
                .insert(k.into(), req(Type::String).force_new());
        }
        b.blocks
            .insert("source_image_reference".into(), one(img, true, false));
        tags_schema(&mut b);
        identity_schema(&mut b, false);
        timeouts_schema(&mut b);
        ResourceSchema {
            version: 0,
            block: b,
            description: "A Linux virtual machine.".into(),
            legacy_type_system: true,
        }
    }

    fn notes(v: &Value) -> ProviderResult<Vec<String>> {
        let img = first(v, "source_image_reference")
            .map(|i| {
                format!(
                    " on {}/{}/{}",
                    attr_str(i, "publisher").unwrap_or_default(),
                    attr_str(i, "offer").unwrap_or_default(),
                    attr_str(i, "sku").unwrap_or_default()
                )
            })
            .unwrap_or_default();
        Ok(vec![format!(
            "{}{img}",
            attr_str(v, "size").unwrap_or_default()
        )])
    }

    fn body(v: &Value) -> ProviderResult<Json> {
        let name = need_str(v, "name")?;
        let keys: Vec<Json> = v
            .get_attr("admin_ssh_key")
            .and_then(Value::as_seq)
            .into_iter()
            .flatten()
            .map(|k| json!({
                "path": format!("/home/{}/.ssh/authorized_keys", attr_str(k, "username").unwrap_or_default()),
                "keyData": attr_str(k, "public_key"),
            }))
            .collect();
        let mut os_profile = json!({
            "computerName": attr_str(v, "computer_name").unwrap_or_else(|| name.clone()),
            "adminUsername": need_str(v, "admin_username")?,
            "linuxConfiguration": {
                "disablePasswordAuthentication": attr_bool(v, "disable_password_authentication").unwrap_or(true),
                "ssh": {"publicKeys": keys},
            },
        });
        if let Some(p) = v
            .get_attr("admin_password")
            .and_then(|p| p.unmark().0.as_str().map(String::from))
        {
            os_profile["adminPassword"] = json!(p);
        }
        if let Some(c) = v
            .get_attr("custom_data")
            .and_then(|p| p.unmark().0.as_str().map(String::from))
        {
            os_profile["customData"] = json!(c);
        }
        let d = first(v, "os_disk");
        let mut os_disk = json!({
            "createOption": "FromImage",
            "caching": d.and_then(|d| attr_str(d, "caching")),
            "managedDisk": {"storageAccountType": d.and_then(|d| attr_str(d, "storage_account_type"))},
        });
        if let Some(n) = d.and_then(|d| int(d, "disk_size_gb")) {
            os_disk["diskSizeGB"] = json!(n);
        }
        if let Some(n) = d.and_then(|d| attr_str(d, "name")) {
            os_disk["name"] = json!(n);
        }
        let mut storage = json!({ "osDisk": os_disk });
        if let Some(i) = first(v, "source_image_reference") {
            storage["imageReference"] = json!({
                "publisher": attr_str(i, "publisher"), "offer": attr_str(i, "offer"),
                "sku": attr_str(i, "sku"), "version": attr_str(i, "version"),
            });
        }
        let nics: Vec<Json> = v
            .get_attr("network_interface_ids")
            .and_then(Value::as_seq)
            .into_iter()
            .flatten()
            .enumerate()
            .filter_map(|(i, x)| {
                x.as_str()
                    .map(|id| json!({"id": id, "properties": {"primary": i == 0}}))
            })
            .collect();
        let mut props = json!({
            "hardwareProfile": {"vmSize": need_str(v, "size")?},
            "storageProfile": storage,
            "osProfile": os_profile,
            "networkProfile": {"networkInterfaces": nics},
            "priority": attr_str(v, "priority").unwrap_or_else(|| "Regular".into()),
        });
        if let Some(e) = attr_str(v, "eviction_policy") {
            props["evictionPolicy"] = json!(e);
        }
        let mut b = json!({"location": need_str(v, "location")?, "tags": tags_json(v), "properties": props});
        if let Some(z) = attr_str(v, "zone") {
            b["zones"] = json!([z]);
        }
        if let Some(i) = identity_json(v) {
            b["identity"] = i;
        }
        Ok(b)
    }

    fn state(prior: &Value, j: &Json) -> Value {
        let p = &j["properties"];
        let os = &p["osProfile"];
        let disk = &p["storageProfile"]["osDisk"];
        let img = &p["storageProfile"]["imageReference"];
        let keys: Vec<Value> = os["linuxConfiguration"]["ssh"]["publicKeys"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|k| {
                let user = k["path"]
                    .as_str()
                    .unwrap_or_default()
                    .trim_start_matches("/home/")
                    .split('/')
                    .next()
                    .unwrap_or_default()
                    .to_string();
                obj(vec![
                    ("username", Value::string(user)),
                    ("public_key", s(k, "keyData")),
                ])
            })
            .collect();
        let mut pairs = placed(j);
        pairs.extend([
            ("size", s(&p["hardwareProfile"], "vmSize")),
            ("admin_username", s(os, "adminUsername")),
            ("computer_name", s(os, "computerName")),
            (
                "disable_password_authentication",
                b(
                    &os["linuxConfiguration"],
                    "disablePasswordAuthentication",
                    true,
                ),
            ),
            ("admin_ssh_key", Value::set(keys)),
            (
                "network_interface_ids",
                Value::list(
                    p["networkProfile"]["networkInterfaces"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|n| n["id"].as_str())
                        .map(Value::string)
                        .collect(),
                ),
            ),
            ("priority", s(p, "priority")),
            ("eviction_policy", s(p, "evictionPolicy")),
            (
                "zone",
                j["zones"][0]
                    .as_str()
                    .map(Value::string)
                    .unwrap_or(Value::Null),
            ),
            ("virtual_machine_id", s(p, "vmId")),
            (
                "os_disk",
                Value::list(vec![obj(vec![
                    ("caching", s(disk, "caching")),
                    (
                        "storage_account_type",
                        s(&disk["managedDisk"], "storageAccountType"),
                    ),
                    ("disk_size_gb", n(disk, "diskSizeGB")),
                    ("name", s(disk, "name")),
                ])]),
            ),
            (
                "source_image_reference",
                if img.is_object() {
                    Value::list(vec![obj(vec![
                        ("publisher", s(img, "publisher")),
                        ("offer", s(img, "offer")),
                        ("sku", s(img, "sku")),
                        ("version", s(img, "version")),
                    ])])
                } else {
                    Value::list(vec![])
                },
            ),
            ("identity", identity_value(j)),
        ]);
        fill(prior, pairs)
    }
}
