//! `modules/model-endpoint` applied on each cloud's local server: the artifact uploaded, the
//! endpoint created with the accelerator class's instance type, its id and URL as outputs,
//! scaled in place, and destroyed with nothing left in state.

mod common;
use common::azure::Arm;
use common::google::Google;
use common::moto::Moto;
use common::Dir;

fn caller(cloud: &str, region: &str, extra: &str) -> Dir {
    let d = Dir::new();
    // A local module source is relative (./), as Terraform requires: the module is copied in.
    let shipped = format!("{}/modules/model-endpoint", env!("CARGO_MANIFEST_DIR"));
    std::fs::create_dir_all(d.path().join("modules/model-endpoint")).unwrap();
    for f in std::fs::read_dir(&shipped).unwrap() {
        let f = f.unwrap().path();
        if f.extension().is_some_and(|e| e == "tf") {
            let name = f.file_name().unwrap().to_string_lossy().to_string();
            d.write(
                &format!("modules/model-endpoint/{name}"),
                &std::fs::read_to_string(&f).unwrap(),
            );
        }
    }
    let module = "./modules/model-endpoint";
    d.write("model.tar.gz", "weights");
    d.write(
        "main.tf",
        &format!(
            r#"
provider "aws" {{
  region = "us-east-1"
}}
provider "google" {{}}
provider "azurerm" {{
  features {{}}
}}
variable "replicas" {{
  type    = number
  default = 1
}}
module "endpoint" {{
  source          = "{module}"
  cloud           = "{cloud}"
  name            = "llm-serving"
  region          = {region}
  model_artifact  = "model.tar.gz"
  container_image = "registry.example/serve:1"
  accelerator     = "t4"
  replicas        = var.replicas
  max_replicas    = 3
  {extra}
}}
output "url" {{
  value = module.endpoint.endpoint_url
}}
output "id" {{
  value = module.endpoint.endpoint_id
}}
output "type" {{
  value = module.endpoint.instance_type
}}
"#
        ),
    );
    d
}

fn lifecycle(d: &Dir, env: &[(&'static str, String)], url: &str, instance_type: &str) {
    let r = d.gantry_with(&["apply", "-auto-approve"], env);
    assert_eq!(r.code, 0, "{}", r.all());
    let r = d.gantry_with(&["output", "-raw", "url"], env);
    assert_eq!(r.stdout, url, "{}", r.all());
    let r = d.gantry_with(&["output", "-raw", "type"], env);
    assert_eq!(r.stdout, instance_type);
    let r = d.gantry_with(&["output", "-raw", "id"], env);
    assert!(!r.stdout.is_empty(), "{}", r.all());
    let r = d.gantry_with(&["plan", "-detailed-exitcode"], env);
    assert_eq!(r.code, 0, "re-plan after apply:\n{}", r.all());
    let r = d.gantry_with(&["apply", "-auto-approve", "-var", "replicas=2"], env);
    assert_eq!(r.code, 0, "{}", r.all());
    let r = d.gantry_with(&["destroy", "-auto-approve", "-var", "replicas=2"], env);
    assert_eq!(r.code, 0, "{}", r.all());
    let r = d.gantry_with(&["state", "list"], env);
    assert_eq!(r.stdout.trim(), "", "{}", r.all());
}

#[test]
fn on_aws_sagemaker_with_autoscaling() {
    let moto = Moto::start();
    let env = moto.env();
    let d = caller("aws", "null", "");
    lifecycle(
        &d,
        &env,
        "https://runtime.sagemaker.us-east-1.amazonaws.com/endpoints/llm-serving/invocations",
        "ml.g4dn.xlarge",
    );
}

#[test]
fn on_google_vertex_ai() {
    let g = Google::start();
    let env = g.env();
    let d = caller("google", "\"us-central1\"", "");
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    let id = d.gantry_with(&["output", "-raw", "id"], &env).stdout;
    assert!(
        id.starts_with("projects/") && id.contains("/locations/us-central1/endpoints/"),
        "{id}"
    );
    let url = format!("https://us-central1-aiplatform.googleapis.com/v1/{id}:predict");
    lifecycle(&d, &env, &url, "n1-standard-4");
}

#[test]
fn on_azure_ml() {
    let arm = Arm::start_with_storage();
    let env = arm.env();
    let d = caller(
        "azure",
        "\"eastus\"",
        // Azurite serves its one account.
        "azure_tenant_id = \"00000000-0000-0000-0000-00000000a2e0\"\n  azure_storage_account = \"devstoreaccount1\"",
    );
    lifecycle(
        &d,
        &env,
        "https://llm-serving.eastus.inference.ml.azure.com/score",
        "Standard_NC4as_T4_v3",
    );
}
