//! Schema conformance: every native AWS resource and data source, and the provider block,
//! against `terraform providers schema -json` of the real hashicorp/aws 5.100.0 plugin
//! (attribute names, types, required / optional / computed, sensitive, block nesting and
//! item limits). Any difference must be listed, with its reason, in the README's
//! "Schema differences from hashicorp/aws" list; a listed difference that no longer occurs
//! fails too, so the list stays true.

mod common;
use common::tf_aws::mirror_config;
use common::tf_aws::plugin_mirror;
use common::{terraform_env, Dir};
use gantry::core::provider::ProviderFactory;
use serde_json::Value as Json;
use std::collections::BTreeSet;

/// What the comparison looks at, from either tool's JSON.
fn normalized(block: &Json) -> Json {
    let mut out = serde_json::Map::new();
    if let Some(attrs) = block.get("attributes").and_then(Json::as_object) {
        let a: serde_json::Map<String, Json> = attrs
            .iter()
            .map(|(k, v)| {
                let mut m = serde_json::Map::new();
                m.insert("type".into(), v["type"].clone());
                for f in ["required", "optional", "computed", "sensitive"] {
                    m.insert(f.into(), Json::Bool(v[f].as_bool().unwrap_or(false)));
                }
                (k.clone(), Json::Object(m))
            })
            .collect();
        out.insert("attributes".into(), Json::Object(a));
    }
    if let Some(blocks) = block.get("block_types").and_then(Json::as_object) {
        let b: serde_json::Map<String, Json> = blocks
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    serde_json::json!({
                        "nesting_mode": v["nesting_mode"],
                        "min_items": v["min_items"].as_u64().unwrap_or(0),
                        "max_items": v["max_items"].as_u64().unwrap_or(0),
                        "block": normalized(&v["block"]),
                    }),
                )
            })
            .collect();
        out.insert("block_types".into(), Json::Object(b));
    }
    Json::Object(out)
}

/// Differences between two normalized blocks, as `path: what`.
fn diff(path: &str, ours: &Json, theirs: &Json, out: &mut Vec<String>) {
    for kind in ["attributes", "block_types"] {
        let (a, b) = (&ours[kind], &theirs[kind]);
        let keys: BTreeSet<&String> = a
            .as_object()
            .into_iter()
            .flatten()
            .chain(b.as_object().into_iter().flatten())
            .map(|(k, _)| k)
            .collect();
        for k in keys {
            let p = format!("{path}.{k}");
            match (a.get(k), b.get(k)) {
                (Some(_), None) => out.push(format!("{p}: only in gantry")),
                (None, Some(_)) => out.push(format!("{p}: missing in gantry")),
                (Some(x), Some(y)) if kind == "block_types" => {
                    for f in ["nesting_mode", "min_items", "max_items"] {
                        if x[f] != y[f] {
                            out.push(format!("{p}: {f} {} vs upstream {}", x[f], y[f]));
                        }
                    }
                    diff(&p, &x["block"], &y["block"], out);
                }
                (Some(x), Some(y)) if x != y => out.push(format!("{p}: {x} vs upstream {y}")),
                _ => {}
            }
        }
    }
}

/// The README's list: lines `- \`PATH\`: reason` under "Schema differences from hashicorp/aws".
fn listed() -> BTreeSet<String> {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let section = readme
        .split("### Schema differences from hashicorp/aws")
        .nth(1)
        .expect("README has a \"Schema differences from hashicorp/aws\" section");
    let section = section.split("\n#").next().unwrap_or_default();
    section
        .lines()
        .filter_map(|l| l.strip_prefix("- `"))
        .filter_map(|l| l.split_once('`').map(|(p, _)| p.to_string()))
        .collect()
}

#[test]
fn native_aws_schemas_match_hashicorp_aws_5_100_0() {
    let d = Dir::new();
    d.write(
        "main.tf",
        "terraform {\n  required_providers {\n    aws = { source = \"hashicorp/aws\", version = \"5.100.0\" }\n  }\n}\n",
    );
    mirror_config(&d, &plugin_mirror());
    let env = [(
        "TF_CLI_CONFIG_FILE",
        d.path().join(".terraformrc").display().to_string(),
    )];
    let r = terraform_env(d.path(), &["init", "-input=false"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    let r = terraform_env(d.path(), &["providers", "schema", "-json"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    let upstream: Json = serde_json::from_str(&r.stdout).unwrap();
    let upstream = &upstream["provider_schemas"]["registry.terraform.io/hashicorp/aws"];

    let ours = gantry::core::schema_json::write_provider(gantry::aws::Factory.schema());
    let mut found = Vec::new();
    let mut compared = 0;
    for (kind, label) in [("resource_schemas", ""), ("data_source_schemas", "data.")] {
        for (name, s) in ours[kind].as_object().unwrap() {
            let theirs = &upstream[kind][name];
            assert!(
                theirs.is_object(),
                "{label}{name} is not a hashicorp/aws 5.100.0 type"
            );
            if s["version"] != theirs["version"] {
                found.push(format!(
                    "{label}{name}: schema version {} vs upstream {}",
                    s["version"], theirs["version"]
                ));
            }
            diff(
                &format!("{label}{name}"),
                &normalized(&s["block"]),
                &normalized(&theirs["block"]),
                &mut found,
            );
            compared += 1;
        }
    }
    diff(
        "provider",
        &normalized(&ours["provider"]["block"]),
        &normalized(&upstream["provider"]["block"]),
        &mut found,
    );
    assert!(compared >= 30, "only {compared} native types compared");

    let allowed = listed();
    let unlisted: Vec<&String> = found
        .iter()
        .filter(|f| !allowed.iter().any(|a| f.starts_with(&format!("{a}:"))))
        .collect();
    assert!(
        unlisted.is_empty(),
        "schema differences not listed in the README:\n{}",
        unlisted
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
    let stale: Vec<&String> = allowed
        .iter()
        .filter(|a| !found.iter().any(|f| f.starts_with(&format!("{a}:"))))
        .collect();
    assert!(
        stale.is_empty(),
        "README lists differences that no longer occur: {stale:?}"
    );

    // Not vacuous: a changed attribute is found.
    let mut broken = normalized(&ours["resource_schemas"]["aws_vpc"]["block"]);
    broken["attributes"]["cidr_block"]["required"] = Json::Bool(true);
    let mut d2 = Vec::new();
    diff(
        "aws_vpc",
        &broken,
        &normalized(&upstream["resource_schemas"]["aws_vpc"]["block"]),
        &mut d2,
    );
    assert_eq!(d2.len(), 1, "{d2:?}");
}
