//! Schemas in the JSON form of `terraform providers schema -json`, both ways.
//!
//! Reading lets a native provider take its schemas from the upstream provider's own dump (the
//! AWS provider ships hashicorp/aws's, trimmed), so attribute names, types and nesting are
//! upstream's by construction; writing serves `gantry providers schema -json` and the tests
//! that compare gantry's schemas with Terraform's. Defaults and ForceNew are not part of the
//! format: a provider adds them itself ([`ResourceSchema::force_new_at`],
//! [`ResourceSchema::default_at`]).

use crate::provider::{
    AttributeSchema, BlockSchema, NestedBlock, Nesting, ProviderSchema, ResourceSchema,
};
use crate::types::Type;
use crate::value::Value;
use serde_json::{json, Map, Value as Json};
use std::collections::BTreeMap;

/// A provider's schemas as read from the JSON dump.
#[derive(Clone, Debug, Default)]
pub struct SchemaDump {
    pub provider: BlockSchema,
    pub resources: BTreeMap<String, ResourceSchema>,
    pub data_sources: BTreeMap<String, ResourceSchema>,
}

/// Reads one provider's entry (`{"provider": …, "resource_schemas": …, "data_source_schemas": …}`).
/// `legacy` marks every type as an SDKv2 one (see [`ResourceSchema::legacy_type_system`]).
pub fn read_provider(j: &Json, legacy: bool) -> Result<SchemaDump, String> {
    let types = |key: &str| -> Result<BTreeMap<String, ResourceSchema>, String> {
        let mut out = BTreeMap::new();
        for (name, s) in j.get(key).and_then(Json::as_object).into_iter().flatten() {
            let mut r = read_resource(s).map_err(|e| format!("{name}: {e}"))?;
            r.legacy_type_system = legacy;
            out.insert(name.clone(), r);
        }
        Ok(out)
    };
    Ok(SchemaDump {
        provider: match j.get("provider") {
            Some(p) if !p.is_null() => {
                read_resource(p)
                    .map_err(|e| format!("provider: {e}"))?
                    .block
            }
            _ => BlockSchema::default(),
        },
        resources: types("resource_schemas")?,
        data_sources: types("data_source_schemas")?,
    })
}

/// `{"version": N, "block": {…}}`.
pub fn read_resource(j: &Json) -> Result<ResourceSchema, String> {
    Ok(ResourceSchema {
        version: j.get("version").and_then(Json::as_u64).unwrap_or(0),
        block: read_block(j.get("block").ok_or("no block")?)?,
        description: j
            .pointer("/block/description")
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_string(),
        legacy_type_system: false,
    })
}

pub fn read_block(j: &Json) -> Result<BlockSchema, String> {
    let flag = |a: &Json, k: &str| a.get(k).and_then(Json::as_bool).unwrap_or(false);
    let mut b = BlockSchema::default();
    for (name, a) in j
        .get("attributes")
        .and_then(Json::as_object)
        .into_iter()
        .flatten()
    {
        if a.get("nested_type").is_some() {
            return Err(format!(
                "{name}: nested attribute types (protocol 6) are not read from JSON"
            ));
        }
        let ty = Type::from_cty_json(a.get("type").ok_or_else(|| format!("{name}: no type"))?)
            .map_err(|e| format!("{name}: {e}"))?;
        let mut s = AttributeSchema::optional(ty);
        s.optional = flag(a, "optional");
        s.required = flag(a, "required");
        s.computed = flag(a, "computed");
        s.sensitive = flag(a, "sensitive");
        b.attributes.insert(name.clone(), s);
    }
    for (name, nb) in j
        .get("block_types")
        .and_then(Json::as_object)
        .into_iter()
        .flatten()
    {
        let nesting = match nb.get("nesting_mode").and_then(Json::as_str) {
            Some("single") | Some("group") => Nesting::Single,
            Some("list") => Nesting::List,
            Some("set") => Nesting::Set,
            other => return Err(format!("{name}: nesting mode {other:?} is not supported")),
        };
        let count = |k: &str| nb.get(k).and_then(Json::as_u64).unwrap_or(0) as usize;
        b.blocks.insert(
            name.clone(),
            NestedBlock {
                nesting,
                block: read_block(nb.get("block").ok_or_else(|| format!("{name}: no block"))?)
                    .map_err(|e| format!("{name}.{e}"))?,
                min_items: count("min_items"),
                max_items: count("max_items"),
                force_new: false,
            },
        );
    }
    Ok(b)
}

/// The JSON of one block, as Terraform prints it (without descriptions).
pub fn write_block(b: &BlockSchema) -> Json {
    let mut out = Map::new();
    if !b.attributes.is_empty() {
        let attrs: Map<String, Json> = b
            .attributes
            .iter()
            .map(|(k, a)| {
                let mut m = Map::new();
                m.insert("type".into(), a.ty.to_cty_json());
                for (flag, on) in [
                    ("required", a.required),
                    ("optional", a.optional),
                    ("computed", a.computed),
                    ("sensitive", a.sensitive),
                ] {
                    if on {
                        m.insert(flag.into(), Json::Bool(true));
                    }
                }
                (k.clone(), Json::Object(m))
            })
            .collect();
        out.insert("attributes".into(), Json::Object(attrs));
    }
    if !b.blocks.is_empty() {
        let blocks: Map<String, Json> = b
            .blocks
            .iter()
            .map(|(k, nb)| {
                let mut m = Map::new();
                m.insert(
                    "nesting_mode".into(),
                    json!(match nb.nesting {
                        Nesting::Single => "single",
                        Nesting::List => "list",
                        Nesting::Set => "set",
                    }),
                );
                m.insert("block".into(), write_block(&nb.block));
                if nb.min_items > 0 {
                    m.insert("min_items".into(), json!(nb.min_items));
                }
                if nb.max_items > 0 {
                    m.insert("max_items".into(), json!(nb.max_items));
                }
                (k.clone(), Json::Object(m))
            })
            .collect();
        out.insert("block_types".into(), Json::Object(blocks));
    }
    Json::Object(out)
}

/// One provider's entry of `providers schema -json`.
pub fn write_provider(s: &ProviderSchema) -> Json {
    let types = |m: &BTreeMap<String, ResourceSchema>| -> Json {
        Json::Object(
            m.iter()
                .map(|(k, r)| {
                    (
                        k.clone(),
                        json!({"version": r.version, "block": write_block(&r.block)}),
                    )
                })
                .collect(),
        )
    };
    json!({
        "provider": {"version": 0, "block": write_block(&s.provider)},
        "resource_schemas": types(&s.resources),
        "data_source_schemas": types(&s.data_sources),
    })
}

impl ResourceSchema {
    /// Marks the attributes (or whole nested blocks) at these dotted paths as forcing
    /// replacement. Panics on a path the schema lacks: the paths are the provider's own
    /// constants, and a typo must fail its first test, not silently plan in place.
    pub fn force_new_at(mut self, paths: &[&str]) -> Self {
        for p in paths {
            match self.block.locate(p) {
                Some(Located::Attr(a)) => a.force_new = true,
                Some(Located::Block(b)) => b.force_new = true,
                None => panic!("schema has no {p} to mark ForceNew"),
            }
        }
        self
    }

    /// Gives the attribute at a dotted path the default upstream applies when it is unset.
    pub fn default_at(mut self, path: &str, v: Value) -> Self {
        match self.block.locate(path) {
            Some(Located::Attr(a)) => a.default = Some(v),
            _ => panic!("schema has no attribute {path} to give a default"),
        }
        self
    }

    /// Marks attributes sensitive that upstream's schema does not (rare; for output only).
    pub fn sensitive_at(mut self, paths: &[&str]) -> Self {
        for p in paths {
            match self.block.locate(p) {
                Some(Located::Attr(a)) => a.sensitive = true,
                _ => panic!("schema has no attribute {p} to mark sensitive"),
            }
        }
        self
    }
}

pub enum Located<'a> {
    Attr(&'a mut AttributeSchema),
    Block(&'a mut NestedBlock),
}

impl BlockSchema {
    /// The attribute or nested block at `a.b.c` (blocks all the way down but the last step).
    pub fn locate(&mut self, path: &str) -> Option<Located<'_>> {
        match path.split_once('.') {
            None => {
                if let Some(a) = self.attributes.get_mut(path) {
                    return Some(Located::Attr(a));
                }
                self.blocks.get_mut(path).map(Located::Block)
            }
            Some((head, rest)) => self.blocks.get_mut(head)?.block.locate(rest),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dump_reads_and_writes_back_the_same() {
        let dump = json!({
            "provider": {"version": 0, "block": {"attributes": {"region": {"type": "string", "optional": true}}}},
            "resource_schemas": {
                "x_thing": {"version": 1, "block": {
                    "attributes": {
                        "id": {"type": "string", "optional": true, "computed": true},
                        "tags": {"type": ["map", "string"], "optional": true},
                        "secret": {"type": "string", "required": true, "sensitive": true}
                    },
                    "block_types": {"disk": {"nesting_mode": "list", "max_items": 1,
                        "block": {"attributes": {"size": {"type": "number", "optional": true}}}}}
                }}
            },
            "data_source_schemas": {}
        });
        let read = read_provider(&dump, true).unwrap();
        let s = ProviderSchema {
            provider: read.provider,
            resources: read.resources,
            data_sources: read.data_sources,
        };
        assert!(s.resources["x_thing"].legacy_type_system);
        assert_eq!(write_provider(&s), dump);
    }

    #[test]
    fn overlays_reach_nested_attributes_and_refuse_unknown_paths() {
        let j = json!({"version": 0, "block": {
            "attributes": {"name": {"type": "string", "required": true}},
            "block_types": {"disk": {"nesting_mode": "list", "block": {
                "attributes": {"size": {"type": "number", "optional": true}}}}}}});
        let r = read_resource(&j)
            .unwrap()
            .force_new_at(&["name", "disk"])
            .default_at("disk.size", Value::Number(8.0));
        assert!(r.block.attributes["name"].force_new);
        assert!(r.block.blocks["disk"].force_new);
        assert_eq!(
            r.block.blocks["disk"].block.attributes["size"].default,
            Some(Value::Number(8.0))
        );
        let typo = std::panic::catch_unwind(|| read_resource(&j).unwrap().force_new_at(&["nmae"]));
        assert!(typo.is_err());
    }
}
