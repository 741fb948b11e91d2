//! `examples/compare` — one model-serving declaration (`modules/model-endpoint`) — planned
//! on SageMaker, Vertex AI and Azure ML against the local servers by `gantry compare`: one
//! table with each cloud's resources, instance type, $/h and $/month, capacity warnings and
//! readiness; a class a cloud does not offer is refused by name; the directory's own state is
//! never touched.

mod common;
use common::azure::Arm;
use common::google::Google;
use common::moto::Moto;
use common::Dir;

fn env_all(moto: &Moto, google: &Google, arm: &Arm) -> Vec<(&'static str, String)> {
    let mut env = moto.env();
    env.extend(google.env());
    env.extend(arm.env());
    env
}

fn example() -> String {
    format!("{}/examples/compare", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn compare_plans_the_example_on_three_clouds() {
    let (moto, google, arm) = (Moto::start(), Google::start(), Arm::start());
    let env = env_all(&moto, &google, &arm);
    let d = Dir::new();
    let ex = example();
    let r = d.gantry_with(&["compare", &ex], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    let out = &r.stdout;
    let header = out.lines().next().unwrap();
    for cloud in ["aws", "google", "azure"] {
        assert!(header.contains(cloud), "{out}");
    }
    let row = |name: &str| {
        out.lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("no {name} row:\n{out}"))
            .to_string()
    };
    // The t4 class on each cloud, one replica.
    let runs = row("runs");
    assert!(runs.contains("1 × ml.g4dn.xlarge"), "{out}");
    assert!(
        runs.contains("1 × n1-standard-4") && runs.contains("1 × NVIDIA_TESLA_T4"),
        "{out}"
    );
    assert!(runs.contains("1 × Standard_NC4as_T4_v3"), "{out}");
    // ml.g4dn.xlarge $0.7364; Vertex n1-standard-4 $0.2185 + T4 $0.4025; Azure $0.526.
    let hour = row("$/hour");
    assert!(
        hour.contains("$0.74") && hour.contains("$0.62") && hour.contains("$0.53"),
        "{out}"
    );
    assert!(row("$/month").contains("$537.57"), "{out}");
    // Vertex scales to two replicas: machine and GPU twice.
    assert!(row("scales to").contains("$1.24/h"), "{out}");
    assert!(row("ready in").contains("unknown"), "{out}");
    // Every SKU the example uses has a price.
    assert!(!out.contains("price unknown"), "{out}");
    // What each cloud needs, listed per cloud.
    for needed in [
        "1 × aws_sagemaker_endpoint\n",
        "1 × google_vertex_ai_endpoint_deployed_model\n",
        "1 × azurerm_machine_learning_online_deployment\n",
        "1 × azurerm_machine_learning_workspace\n",
    ] {
        assert!(out.contains(needed), "{needed}: {out}");
    }
    // Nothing was written next to the configuration.
    assert!(!std::path::Path::new(&ex).join("terraform.tfstate").exists());
}

#[test]
fn a_class_a_cloud_lacks_is_refused_by_name_and_clouds_can_be_chosen() {
    let (moto, google, arm) = (Moto::start(), Google::start(), Arm::start());
    let env = env_all(&moto, &google, &arm);
    let d = Dir::new();
    let ex = example();
    let r = d.gantry_with(
        &[
            "compare",
            &ex,
            "--clouds",
            "aws,google",
            "-var",
            "accelerator=h100",
        ],
        &env,
    );
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        !r.stdout.lines().next().unwrap().contains("azure"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("1 × ml.p5.48xlarge"), "{}", r.stdout);
    // a10g: Vertex AI sells no A10G.
    let r = d.gantry_with(
        &[
            "compare",
            &ex,
            "--clouds",
            "google",
            "-var",
            "accelerator=a10g",
        ],
        &env,
    );
    assert_ne!(r.code, 0, "{}", r.all());
    assert!(
        r.all()
            .contains("Vertex AI has no machine type for accelerator class a10g"),
        "{}",
        r.all()
    );
}

/// Copies `examples/compare` with the module it calls into `d`, keeping their relative paths.
fn copy_example(d: &Dir) -> std::path::PathBuf {
    let root = env!("CARGO_MANIFEST_DIR");
    for (from, to) in [
        ("examples/compare", "examples/compare"),
        ("modules/model-endpoint", "modules/model-endpoint"),
    ] {
        let dst = d.path().join(to);
        std::fs::create_dir_all(&dst).unwrap();
        for f in std::fs::read_dir(format!("{root}/{from}")).unwrap() {
            let f = f.unwrap().path();
            std::fs::copy(&f, dst.join(f.file_name().unwrap())).unwrap();
        }
    }
    d.path().join("examples/compare")
}

#[test]
fn ready_in_comes_from_the_create_times_earlier_applies_recorded() {
    let (moto, google, arm) = (Moto::start(), Google::start(), Arm::start());
    let d = Dir::new();
    let ex = copy_example(&d);
    let mut env = env_all(&moto, &google, &arm);
    let history = d.path().join("history.json");
    env.push(("GANTRY_HISTORY", history.display().to_string()));

    // Deploy on AWS once: every create's time is recorded by resource type.
    let here = Dir::new();
    let ex_s = ex.display().to_string();
    let r = here.gantry_with(&["-chdir", &ex_s, "apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    let recorded: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&history).unwrap()).unwrap();
    for t in [
        "aws_sagemaker_endpoint",
        "aws_s3_bucket",
        "aws_sagemaker_model",
    ] {
        assert_eq!(
            recorded[t].as_array().map(Vec::len),
            Some(1),
            "{t}: {recorded}"
        );
    }

    // AWS now has a readiness estimate; the clouds never deployed here stay unknown.
    let r = here.gantry_with(&["compare", &ex_s], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    let ready = r
        .stdout
        .lines()
        .find(|l| l.starts_with("ready in"))
        .unwrap()
        .to_string();
    let cells: Vec<&str> = ready
        .trim_start_matches("ready in")
        .split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    assert_eq!(cells.len(), 3, "{ready}");
    assert!(
        cells[0].starts_with("≈ ") && cells[0].ends_with(" s"),
        "{ready}"
    );
    assert_eq!(&cells[1..], ["unknown", "unknown"], "{ready}");

    let r = here.gantry_with(&["-chdir", &ex_s, "destroy", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
}
