//! A plugin's schemas (protocol 5 or 6) turned into gantry's, once, at the edge.
//!
//! The object type gantry derives from the converted block (`BlockSchema::implied_type`) is
//! the plugin's own implied type, so values encode exactly as Terraform encodes them:
//! protocol 6 nested attributes become attributes of object (or list/set/map of object)
//! type; `MAP` nested blocks become an optional attribute of `map(object)` type, and `GROUP`
//! blocks single blocks.

use crate::wire;
use gantry_core::provider::{
    AttributeSchema, BlockSchema, NestedBlock, Nesting, ProviderSchema, ResourceSchema,
};
use gantry_core::types::{ObjectField, Type};
use std::collections::BTreeMap;

/// One attribute, whichever protocol described it.
struct Attr {
    name: String,
    ty: Type,
    required: bool,
    optional: bool,
    computed: bool,
    sensitive: bool,
    description: String,
}

fn cty(bytes: &[u8], what: &str) -> Result<Type, String> {
    let json: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| format!("{what}: type JSON: {e}"))?;
    Type::from_cty_json(&json).map_err(|e| format!("{what}: {e}"))
}

fn object(fields: impl IntoIterator<Item = (String, Type)>) -> Type {
    Type::Object(
        fields
            .into_iter()
            .map(|(k, ty)| {
                (
                    k,
                    ObjectField {
                        ty,
                        optional: false,
                        default: None,
                    },
                )
            })
            .collect(),
    )
}

fn nested(nesting: i32, inner: Type) -> Type {
    match nesting {
        2 => Type::list(inner),
        3 => Type::set(inner),
        4 => Type::map(inner),
        _ => inner,
    }
}

fn to_attribute(a: Attr) -> AttributeSchema {
    let mut s = AttributeSchema::optional(a.ty);
    s.required = a.required;
    s.optional = a.optional;
    s.computed = a.computed;
    s.sensitive = a.sensitive;
    s.description = a.description;
    s
}

fn build_block(attrs: Vec<Attr>, blocks: Vec<(String, i32, i64, i64, BlockSchema)>) -> BlockSchema {
    let mut out = BlockSchema::default();
    for a in attrs {
        out.attributes.insert(a.name.clone(), to_attribute(a));
    }
    for (name, nesting, min, max, block) in blocks {
        let nesting = match nesting {
            2 => Nesting::List,
            3 => Nesting::Set,
            4 => {
                let ty = Type::map(block.implied_type());
                out.attributes.insert(name, AttributeSchema::optional(ty));
                continue;
            }
            _ => Nesting::Single,
        };
        out.blocks.insert(
            name,
            NestedBlock {
                nesting,
                block,
                min_items: min.max(0) as usize,
                max_items: max.max(0) as usize,
                force_new: false,
            },
        );
    }
    out
}

fn block5(b: &wire::schema5::Block) -> Result<BlockSchema, String> {
    let attrs = b
        .attributes
        .iter()
        .map(|a| {
            Ok(Attr {
                name: a.name.clone(),
                ty: cty(&a.r#type, &a.name)?,
                required: a.required,
                optional: a.optional,
                computed: a.computed,
                sensitive: a.sensitive,
                description: a.description.clone(),
            })
        })
        .collect::<Result<_, String>>()?;
    let blocks = b
        .block_types
        .iter()
        .map(|nb| {
            let inner = nb
                .block
                .as_ref()
                .map(block5)
                .transpose()?
                .unwrap_or_default();
            Ok((
                nb.type_name.clone(),
                nb.nesting,
                nb.min_items,
                nb.max_items,
                inner,
            ))
        })
        .collect::<Result<_, String>>()?;
    Ok(build_block(attrs, blocks))
}

fn attr6_type(a: &wire::schema6::Attribute) -> Result<Type, String> {
    match &a.nested_type {
        Some(o) => {
            let fields = o
                .attributes
                .iter()
                .map(|x| Ok((x.name.clone(), attr6_type(x)?)))
                .collect::<Result<Vec<_>, String>>()?;
            Ok(nested(o.nesting, object(fields)))
        }
        None => cty(&a.r#type, &a.name),
    }
}

fn block6(b: &wire::schema6::Block) -> Result<BlockSchema, String> {
    let attrs = b
        .attributes
        .iter()
        .map(|a| {
            Ok(Attr {
                name: a.name.clone(),
                ty: attr6_type(a)?,
                required: a.required,
                optional: a.optional,
                computed: a.computed,
                sensitive: a.sensitive,
                description: a.description.clone(),
            })
        })
        .collect::<Result<_, String>>()?;
    let blocks = b
        .block_types
        .iter()
        .map(|nb| {
            let inner = nb
                .block
                .as_ref()
                .map(block6)
                .transpose()?
                .unwrap_or_default();
            Ok((
                nb.type_name.clone(),
                nb.nesting,
                nb.min_items,
                nb.max_items,
                inner,
            ))
        })
        .collect::<Result<_, String>>()?;
    Ok(build_block(attrs, blocks))
}

fn resource(version: i64, block: Option<BlockSchema>, legacy: bool) -> ResourceSchema {
    ResourceSchema {
        version: version.max(0) as u64,
        block: block.unwrap_or_default(),
        description: String::new(),
        legacy_type_system: legacy,
    }
}

/// One protocol's schemas: (version, block) per type, converted with that protocol's block
/// converter.
fn convert<S>(
    provider: Option<&S>,
    resources: &std::collections::HashMap<String, S>,
    data_sources: &std::collections::HashMap<String, S>,
    parts: impl Fn(&S) -> (i64, Option<Result<BlockSchema, String>>),
    legacy: bool,
) -> Result<ProviderSchema, String> {
    let conv = |m: &std::collections::HashMap<String, S>| {
        m.iter()
            .map(|(k, s)| {
                let (version, block) = parts(s);
                Ok((k.clone(), resource(version, block.transpose()?, legacy)))
            })
            .collect::<Result<BTreeMap<_, _>, String>>()
    };
    Ok(ProviderSchema {
        provider: provider
            .and_then(|s| parts(s).1)
            .transpose()?
            .unwrap_or_default(),
        resources: conv(resources)?,
        data_sources: conv(data_sources)?,
    })
}

/// Protocol 5: served by SDKv2 providers (hashicorp/aws, google, azurerm), whose values
/// follow the legacy type system.
pub fn from_v5(r: &wire::GetProviderSchema5Response) -> Result<ProviderSchema, String> {
    convert(
        r.provider.as_ref(),
        &r.resource_schemas,
        &r.data_source_schemas,
        |s| (s.version, s.block.as_ref().map(block5)),
        true,
    )
}

pub fn from_v6(r: &wire::GetProviderSchema6Response) -> Result<ProviderSchema, String> {
    convert(
        r.provider.as_ref(),
        &r.resource_schemas,
        &r.data_source_schemas,
        |s| (s.version, s.block.as_ref().map(block6)),
        false,
    )
}

/// The functions a provider declares in its schema (protocol 5 and 6 share the message).
pub fn functions(
    declared: &std::collections::HashMap<String, wire::Function>,
) -> Result<BTreeMap<String, gantry_core::provider_functions::Signature>, String> {
    use gantry_core::provider_functions::{Parameter, Signature};
    let param = |p: &wire::function::Parameter, f: &str| -> Result<Parameter, String> {
        Ok(Parameter {
            name: p.name.clone(),
            ty: cty(&p.r#type, &format!("function {f} parameter {}", p.name))?,
            allow_null: p.allow_null_value,
            allow_unknown: p.allow_unknown_values,
        })
    };
    declared
        .iter()
        .map(|(name, f)| {
            let sig = Signature {
                params: f
                    .parameters
                    .iter()
                    .map(|p| param(p, name))
                    .collect::<Result<_, _>>()?,
                variadic: f
                    .variadic_parameter
                    .as_ref()
                    .map(|p| param(p, name))
                    .transpose()?,
                returns: match &f.r#return {
                    Some(r) => cty(&r.r#type, &format!("function {name} return"))?,
                    None => Type::Any,
                },
            };
            Ok((name.clone(), sig))
        })
        .collect()
}
