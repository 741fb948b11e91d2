//! What AWS objects run that has an hourly price, for the plan's cost lines: EC2 instance
//! types (instances, EKS node groups), SageMaker hosting instances (endpoint configurations'
//! production variants) and notebook instances. Prices come from the plan's table.

use crate::util::{attr_num, attr_str, blocks, first, strings};
use gantry_core::usage::Usage;
use gantry_core::value::Value;

fn count(v: &Value, k: &str) -> Option<f64> {
    attr_num(v, k)
}

pub fn usage(region: &str, type_name: &str, v: &Value) -> Vec<Usage> {
    let of = |service, sku: Option<String>, n: Option<f64>| {
        Usage::new("aws", service, sku.unwrap_or_default(), region, n)
    };
    match type_name {
        "aws_instance" => {
            let spot = first(v, "instance_market_options")
                .and_then(|m| attr_str(m, "market_type"))
                .is_some_and(|t| t == "spot");
            vec![of("ec2", attr_str(v, "instance_type"), Some(1.0)).spot(spot)]
        }
        // What the endpoints serving this configuration run (serverless variants are billed
        // per request and left out).
        "aws_sagemaker_endpoint_configuration" => blocks(v, "production_variants")
            .iter()
            .filter(|p| {
                attr_str(p, "instance_type").is_some()
                    || p.get_attr("instance_type").is_some_and(Value::is_unknown)
            })
            .map(|p| {
                of(
                    "sagemaker",
                    attr_str(p, "instance_type"),
                    count(p, "initial_instance_count"),
                )
            })
            .collect(),
        "aws_sagemaker_notebook_instance" => {
            vec![of(
                "sagemaker-notebook",
                attr_str(v, "instance_type"),
                Some(1.0),
            )]
        }
        "aws_eks_node_group" => {
            let scaling = first(v, "scaling_config");
            let types = strings(v, "instance_types");
            // EKS launches t3.medium when no type is given.
            let sku = match (types.first(), v.get_attr("instance_types")) {
                (Some(t), _) => Some(t.clone()),
                (None, Some(x)) if x.is_unknown() => None,
                (None, _) => Some("t3.medium".into()),
            };
            let spot = attr_str(v, "capacity_type").is_some_and(|c| c == "SPOT");
            vec![
                of("ec2", sku, scaling.and_then(|s| count(s, "desired_size")))
                    .up_to(scaling.and_then(|s| count(s, "max_size")))
                    .spot(spot),
            ]
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::obj;

    #[test]
    fn instances_node_groups_and_sagemaker_variants_name_their_skus() {
        let i = obj(vec![("instance_type", Value::string("p4d.24xlarge"))]);
        let u = usage("us-east-1", "aws_instance", &i);
        assert_eq!(
            (u[0].sku.as_str(), u[0].quantity, u[0].spot),
            ("p4d.24xlarge", Some(1.0), false)
        );

        let cfg = obj(vec![(
            "production_variants",
            Value::list(vec![
                obj(vec![
                    ("instance_type", Value::string("ml.g5.xlarge")),
                    ("initial_instance_count", Value::Number(3.0)),
                ]),
                obj(vec![("serverless_config", Value::list(vec![]))]),
            ]),
        )]);
        let u = usage("us-east-1", "aws_sagemaker_endpoint_configuration", &cfg);
        assert_eq!(u.len(), 1, "the serverless variant is not priced per hour");
        assert_eq!((u[0].service, u[0].quantity), ("sagemaker", Some(3.0)));

        let ng = obj(vec![
            (
                "instance_types",
                Value::list(vec![Value::string("g5.2xlarge")]),
            ),
            ("capacity_type", Value::string("SPOT")),
            (
                "scaling_config",
                Value::list(vec![obj(vec![
                    ("desired_size", Value::Number(2.0)),
                    ("max_size", Value::Number(5.0)),
                ])]),
            ),
        ]);
        let u = usage("us-west-2", "aws_eks_node_group", &ng);
        assert_eq!(
            (
                u[0].sku.as_str(),
                u[0].quantity,
                u[0].max_quantity,
                u[0].spot,
                u[0].region.as_str()
            ),
            ("g5.2xlarge", Some(2.0), Some(5.0), true, "us-west-2")
        );
        let unknown = obj(vec![("instance_type", Value::Unknown)]);
        assert_eq!(usage("us-east-1", "aws_instance", &unknown)[0].sku, "");
    }
}
