//! Cost in every plan (tests/fixtures/cost_aws on moto, and the shipped examples on their
//! local servers): each priced object's hourly price beside its header on create, scale-up,
//! scale-down, replace and destroy; the hourly/monthly summary; "price unknown" for a SKU the
//! table lacks; a user's price file overriding the table; the figures in `-json` plans, which
//! still match Terraform's plan schema; every SKU the examples use has a price.

mod common;
use common::azure::Arm;
use common::google::Google;
use common::moto::Moto;
use common::{fixture, Dir};
use serde_json::Value as Json;

fn plan_json(d: &Dir, env: &[(&'static str, String)], args: &[&str]) -> Json {
    let mut a = vec!["plan", "-out=cost.tfplan"];
    a.extend_from_slice(args);
    let r = d.gantry_with(&a, env);
    assert!(r.code == 0, "{}", r.all());
    let r = d.gantry_with(&["show", "-json", "cost.tfplan"], env);
    assert_eq!(r.code, 0, "{}", r.all());
    serde_json::from_str(&r.stdout).expect("plan JSON")
}

fn schema() -> jsonschema::Validator {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/schemas/terraform-plan.schema.json"
    ))
    .unwrap();
    jsonschema::validator_for(&serde_json::from_str(&text).unwrap()).unwrap()
}

/// The cost line under `addr`'s header in a plan's text.
fn cost_of(out: &str, addr: &str) -> String {
    let header = format!("# {addr} ");
    let mut lines = out
        .lines()
        .skip_while(|l| !l.trim_start().starts_with(&header));
    lines
        .next()
        .unwrap_or_else(|| panic!("no {addr} in:\n{out}"));
    lines
        .next()
        .map(|l| l.trim().to_string())
        .filter(|l| l.starts_with("# cost:"))
        .unwrap_or_else(|| panic!("no cost line under {addr}:\n{out}"))
}

#[test]
fn plans_price_create_scale_replace_destroy_and_unknown_skus() {
    let moto = Moto::start();
    let env = moto.env();
    let d = fixture("cost_aws");

    // Create: each priced object, and the summary (g5.xlarge $1.006 + ml.g4dn.xlarge $0.7364).
    let r = d.gantry_with(&["plan"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(cost_of(&r.stdout, "aws_instance.gpu"), "# cost: $1.01/h");
    assert_eq!(
        cost_of(&r.stdout, "aws_sagemaker_endpoint_configuration.serving"),
        "# cost: $0.74/h"
    );
    assert!(
        r.stdout
            .contains("Cost: +$1.74/h (+$1,271.95/month); after apply: $1.74/h ($1,271.95/month)."),
        "{}",
        r.stdout
    );
    // Unpriced objects carry no cost line.
    assert!(
        !r.stdout
            .contains("aws_iam_role.sm will be created\n  # cost"),
        "{}",
        r.stdout
    );

    // -json: the same figures under gantry_cost, and still Terraform's plan format.
    let j = plan_json(&d, &env, &[]);
    let errors: Vec<String> = schema().iter_errors(&j).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    let c = &j["gantry_cost"];
    assert_eq!(c["currency"], "USD");
    assert_eq!(c["after_apply_usd_per_hour"], 1.7424);
    assert_eq!(c["delta_usd_per_month"], 1271.952);
    let gpu = c["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["address"] == "aws_instance.gpu")
        .unwrap();
    assert_eq!(gpu["after"]["items"][0], "1 × g5.xlarge");
    assert_eq!(gpu["before"], Json::Null);

    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    let r = d.gantry_with(&["plan", "-detailed-exitcode"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        !r.stdout.contains("Cost:"),
        "no change, no cost summary:\n{}",
        r.stdout
    );

    // Scale up: a bigger instance in place, three serving instances (a new configuration).
    let up = ["-var", "gpu_type=g5.2xlarge", "-var", "serving_count=3"];
    let mut args = vec!["plan"];
    args.extend_from_slice(&up);
    let r = d.gantry_with(&args, &env);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(
        cost_of(&r.stdout, "aws_instance.gpu"),
        "# cost: $1.01/h → $1.21/h (+$0.21/h)"
    );
    assert_eq!(
        cost_of(&r.stdout, "aws_sagemaker_endpoint_configuration.serving"),
        "# cost: $0.74/h → $2.21/h (+$1.47/h)"
    );
    assert!(
        r.stdout
            .contains("Cost: +$1.68/h (+$1,225.52/month); after apply: $3.42/h"),
        "{}",
        r.stdout
    );
    let mut args = vec!["apply", "-auto-approve"];
    args.extend_from_slice(&up);
    let r = d.gantry_with(&args, &env);
    assert_eq!(r.code, 0, "{}", r.all());

    // Scale down: back to the defaults.
    let r = d.gantry_with(&["plan"], &env);
    assert_eq!(
        cost_of(&r.stdout, "aws_instance.gpu"),
        "# cost: $1.21/h → $1.01/h (-$0.21/h)"
    );
    assert!(
        r.stdout.contains("Cost: -$1.68/h (-$1,225.52/month)"),
        "{}",
        r.stdout
    );

    // Replace at the same price: a new AMI replaces the instance.
    d.write(
        "main.tf",
        &d.read("main.tf").replace("ami-12c6146b", "ami-1e749f67"),
    );
    let mut args = vec!["plan"];
    args.extend_from_slice(&up);
    let r = d.gantry_with(&args, &env);
    assert!(r.stdout.contains("must be replaced"), "{}", r.stdout);
    assert_eq!(
        cost_of(&r.stdout, "aws_instance.gpu"),
        "# cost: $1.21/h → $1.21/h (+$0.00/h)"
    );

    // A SKU the table lacks: "price unknown", never a guess, and not counted.
    let mut args = vec![
        "plan",
        "-var",
        "gpu_type=c5.large",
        "-var",
        "serving_count=3",
    ];
    let r = d.gantry_with(&args, &env);
    assert_eq!(
        cost_of(&r.stdout, "aws_instance.gpu"),
        "# cost: $1.21/h → price unknown (c5.large in us-east-1)"
    );
    assert!(
        r.stdout.contains("1 priced resource not counted"),
        "{}",
        r.stdout
    );

    // A user's price file (negotiated rates) overrides the table.
    d.write(
        "rates.csv",
        "cloud,service,sku,region,usd_per_hour,spot_usd_per_hour,source,read_on\n\
         aws,ec2,c5.large,us-east-1,0.05,,our contract,2026-11-01\n\
         aws,ec2,g5.2xlarge,us-east-1,0.90,,our contract,2026-11-01\n",
    );
    let mut priced = env.clone();
    priced.push((
        "GANTRY_PRICES",
        d.path().join("rates.csv").display().to_string(),
    ));
    let r = d.gantry_with(&args, &priced);
    assert_eq!(
        cost_of(&r.stdout, "aws_instance.gpu"),
        "# cost: $0.90/h → $0.05/h (-$0.85/h)"
    );
    // A broken price file is an error naming its line, not a silent fallback.
    d.write("rates.csv", "aws,ec2,g5.2xlarge,us-east-1,cheap,,x,y\n");
    let r = d.gantry_with(&args, &priced);
    assert_ne!(r.code, 0, "{}", r.all());
    assert!(r.all().contains("rates.csv:1:"), "{}", r.all());

    // Destroy: everything priced goes to zero.
    d.write(
        "main.tf",
        &d.read("main.tf").replace("ami-1e749f67", "ami-12c6146b"),
    );
    args = vec![
        "plan",
        "-destroy",
        "-var",
        "gpu_type=g5.2xlarge",
        "-var",
        "serving_count=3",
    ];
    let r = d.gantry_with(&args, &env);
    assert_eq!(
        cost_of(&r.stdout, "aws_instance.gpu"),
        "# cost: $1.21/h → $0.00/h (-$1.21/h)"
    );
    assert!(
        r.stdout
            .contains("Cost: -$3.42/h (-$2,497.48/month); after apply: $0.00/h ($0.00/month)."),
        "{}",
        r.stdout
    );
    let r = d.gantry_with(
        &[
            "destroy",
            "-auto-approve",
            "-var",
            "gpu_type=g5.2xlarge",
            "-var",
            "serving_count=3",
        ],
        &env,
    );
    assert_eq!(r.code, 0, "{}", r.all());
}

fn example(name: &str) -> Dir {
    let d = Dir::new();
    let path = format!("{}/examples/{name}/main.tf", env!("CARGO_MANIFEST_DIR"));
    d.write("main.tf", &std::fs::read_to_string(path).unwrap());
    d
}

/// Every priced object of the example has a price for every SKU it uses.
fn assert_examples_priced(name: &str, env: &[(&'static str, String)], expect: &[&str]) {
    let d = example(name);
    let j = plan_json(&d, env, &[]);
    let c = &j["gantry_cost"];
    let resources = c["resources"]
        .as_array()
        .unwrap_or_else(|| panic!("{name}: {j}"));
    let addresses: Vec<&str> = resources
        .iter()
        .filter_map(|r| r["address"].as_str())
        .collect();
    for e in expect {
        assert!(
            addresses.contains(e),
            "{name}: {e} not priced: {addresses:?}"
        );
    }
    for r in resources {
        let unknown = &r["after"]["price_unknown"];
        assert_eq!(
            unknown.as_array().map(Vec::len),
            Some(0),
            "{name}: {} uses a SKU without a price: {unknown}",
            r["address"]
        );
    }
    assert!(c["after_apply_usd_per_hour"].as_f64().unwrap() > 0.0, "{c}");
}

#[test]
fn every_sku_the_examples_use_has_a_price() {
    let moto = Moto::start();
    assert_examples_priced(
        "aws-sagemaker",
        &moto.env(),
        &[
            "aws_instance.training",
            "aws_sagemaker_endpoint_configuration.serving",
            "aws_sagemaker_notebook_instance.team",
        ],
    );
    assert_examples_priced("aws-eks-gpu", &moto.env(), &["aws_eks_node_group.gpu"]);
    let google = Google::start();
    assert_examples_priced(
        "gcp-vertex-tpu",
        &google.env(),
        &[
            "google_tpu_v2_vm.train",
            "google_compute_instance.workbench",
            "google_vertex_ai_endpoint_deployed_model.llama",
        ],
    );
    let arm = Arm::start();
    assert_examples_priced(
        "azure-ml",
        &arm.env(),
        &[
            "azurerm_machine_learning_compute_cluster.a100",
            "azurerm_machine_learning_online_deployment.blue",
            "azurerm_kubernetes_cluster.gpu",
        ],
    );
}

#[test]
fn google_and_azure_examples_price_scaling_and_destroy() {
    // Vertex: g2-standard-8 ($0.9816, its L4 included) per replica, max = replicas + 2;
    // the TPU v5e slice is spot: 8 chips × $0.48.
    let google = Google::start();
    let env = google.env();
    let d = example("gcp-vertex-tpu");
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    let r = d.gantry_with(&["plan", "-var", "serving_replicas=3"], &env);
    assert_eq!(
        cost_of(&r.stdout, "google_vertex_ai_endpoint_deployed_model.llama"),
        "# cost: $0.98/h → $2.94/h (+$1.96/h), up to $4.91/h at the autoscaling maximum"
    );
    let r = d.gantry_with(&["plan", "-destroy"], &env);
    assert_eq!(
        cost_of(&r.stdout, "google_tpu_v2_vm.train"),
        "# cost: $3.84/h → $0.00/h (-$3.84/h)"
    );
    assert_eq!(
        cost_of(&r.stdout, "google_compute_instance.workbench"),
        "# cost: $0.85/h → $0.00/h (-$0.85/h)"
    );
    let r = d.gantry_with(&["destroy", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());

    // Azure ML: the blue deployment's A100 instances, the cluster's ceiling, the AKS pool
    // (priced by its cluster's region once the cluster exists).
    let arm = Arm::start();
    let env = arm.env();
    let d = example("azure-ml");
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    let r = d.gantry_with(
        &[
            "plan",
            "-var",
            "blue_instances=2",
            "-var",
            "cluster_max_nodes=8",
            "-var",
            "aks_gpu_nodes=3",
        ],
        &env,
    );
    assert_eq!(
        cost_of(&r.stdout, "azurerm_machine_learning_online_deployment.blue"),
        "# cost: $3.67/h → $7.35/h (+$3.67/h)"
    );
    assert_eq!(
        cost_of(&r.stdout, "azurerm_machine_learning_compute_cluster.a100"),
        "# cost: $0.00/h → $0.00/h (+$0.00/h), up to $29.38/h at the autoscaling maximum"
    );
    assert_eq!(
        cost_of(&r.stdout, "azurerm_kubernetes_cluster_node_pool.a100"),
        "# cost: $3.67/h → $11.02/h (+$7.35/h)"
    );
    let r = d.gantry_with(&["destroy", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
}
