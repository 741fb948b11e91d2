//! Interrupts while a cloud operation is in flight never lose its intent: moto holds the
//! response to RunInstances / CreateTags / TerminateInstances (the operation is done in the
//! cloud, gantry does not know yet), gantry gets 1, 2 or 3 SIGINTs, and the next run settles
//! what happened — no duplicate instance, no orphan, nothing left pending.

mod common;
use common::moto::Moto;
use common::Dir;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const DELAY_SECONDS: &str = "4";

fn config(tag: &str, present: bool) -> String {
    if !present {
        return "# nothing: the instance is to be deleted\n".into();
    }
    format!(
        r#"
resource "aws_instance" "trainer" {{
  ami           = "ami-760aaa0f"
  instance_type = "p4d.24xlarge"
  tags          = {{ Name = "trainer", run = "{tag}" }}
}}
"#
    )
}

fn spawn_apply(d: &Dir, env: &[(&'static str, String)]) -> Child {
    let mut c = Command::new(env!("CARGO_BIN_EXE_gantry"));
    c.args(["apply", "-auto-approve"])
        .current_dir(d.path())
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        c.env(k, v);
    }
    c.spawn().expect("start gantry")
}

/// Waits until moto has received `action` (the operation is in flight), or panics.
fn wait_for_call(moto: &Moto, action: &str) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while moto.counts()[action].as_u64().unwrap_or(0) == 0 {
        assert!(Instant::now() < deadline, "gantry never called {action}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn interrupt(child: &Child, times: usize) {
    for _ in 0..times {
        let ok = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -INT failed");
        std::thread::sleep(Duration::from_millis(150));
    }
}

fn running_instances(moto: &Moto) -> usize {
    moto.live("none").instances.len()
}

/// One interrupted operation and the run after it.
fn interrupted(moto: &Moto, d: &Dir, action: &str, signals: usize) -> String {
    let env = moto.env();
    moto.reset_counts();
    let child = spawn_apply(d, &env);
    wait_for_call(moto, action);
    interrupt(&child, signals);
    let out = child.wait_with_output().unwrap();
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_ne!(
        out.status.code(),
        Some(0),
        "an interrupted apply must not exit 0:\n{text}"
    );
    text
}

fn settle_and_check(moto: &Moto, d: &Dir, expect_instances: usize, what: &str) {
    let env = moto.env();
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{what}: the next apply: {}", r.all());
    let r = d.gantry_with(&["plan", "-detailed-exitcode"], &env);
    assert_eq!(r.code, 0, "{what}: converged: {}", r.all());
    assert_eq!(
        running_instances(moto),
        expect_instances,
        "{what}: instances in the cloud"
    );
    let in_state = d
        .gantry(&["state", "list"])
        .stdout
        .lines()
        .filter(|l| l.starts_with("aws_instance."))
        .count();
    assert_eq!(in_state, expect_instances, "{what}: instances in state");
    assert!(
        !d.path().join("terraform.tfstate.journal").exists(),
        "{what}: every intent settled"
    );
}

#[test]
fn interrupts_during_creates_updates_and_deletes_lose_no_intent() {
    let moto = Moto::start_with(&[
        "--delay",
        &format!("RunInstances={DELAY_SECONDS}"),
        "--delay",
        &format!("CreateTags={DELAY_SECONDS}"),
        "--delay",
        &format!("TerminateInstances={DELAY_SECONDS}"),
    ]);
    for signals in 1..=3 {
        let d = Dir::new();
        let what = |op: &str| format!("{op} with {signals} signal(s)");

        // Create: RunInstances is in flight when the signals arrive.
        d.write("main.tf", &config("a", true));
        let out = interrupted(&moto, &d, "RunInstances", signals);
        if signals >= 2 {
            // The second signal stops waiting: the intent must still be in the journal.
            assert!(
                d.path().join("terraform.tfstate.journal").exists(),
                "{}: journal kept:\n{out}",
                what("create")
            );
        }
        settle_and_check(&moto, &d, 1, &what("create"));

        // Update: a changed tag is written (CreateTags) while the signals arrive.
        d.write("main.tf", &config("b", true));
        interrupted(&moto, &d, "CreateTags", signals);
        settle_and_check(&moto, &d, 1, &what("update"));
        let shown = d.gantry(&["state", "show", "aws_instance.trainer"]).stdout;
        assert!(
            shown.contains("\"b\""),
            "{}: tag applied: {shown}",
            what("update")
        );

        // Delete: TerminateInstances is in flight.
        d.write("main.tf", &config("b", false));
        interrupted(&moto, &d, "TerminateInstances", signals);
        settle_and_check(&moto, &d, 0, &what("delete"));
    }
}
