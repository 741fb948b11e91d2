//! Killing gantry (SIGKILL) in the middle of a large apply loses nothing: every operation it
//! reported complete is recovered from the journal by the next run, and nothing is applied
//! twice.

mod common;
use common::Dir;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

const N: usize = 5000;

fn ids(d: &Dir) -> BTreeMap<String, String> {
    let r = d.gantry(&["show", "-json"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let j: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let mut out = BTreeMap::new();
    if let Some(rs) = j["values"]["root_module"]["resources"].as_array() {
        for r in rs {
            out.insert(
                r["address"].as_str().unwrap().to_string(),
                r["values"]["id"].as_str().unwrap().to_string(),
            );
        }
    }
    out
}

#[test]
fn sigkill_mid_apply_recovers_every_completed_operation() {
    let d = Dir::new();
    d.write("main.tf", &format!("resource \"terraform_data\" \"node\" {{\n  count = {N}\n  input = \"node-${{count.index}}\"\n}}\n"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_gantry"))
        .args(["apply", "-auto-approve", "-parallelism=4"])
        .current_dir(d.path())
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut completed = Vec::new();
    let mut line = String::new();
    while completed.len() < 300 {
        line.clear();
        if reader.read_line(&mut line).unwrap() == 0 {
            break;
        }
        if let Some(addr) = line.strip_suffix('\n').and_then(|l| {
            l.split(": Creation complete")
                .next()
                .filter(|_| l.contains(": Creation complete"))
        }) {
            completed.push(addr.to_string());
        }
    }
    child.kill().unwrap(); // SIGKILL
                           // Lines already written before the kill still count: they were printed after the journal
                           // write was durable.
    for l in reader.lines().map_while(Result::ok) {
        if let Some(addr) = l
            .split(": Creation complete")
            .next()
            .filter(|_| l.contains(": Creation complete"))
        {
            completed.push(addr.to_string());
        }
    }
    let status = child.wait().unwrap();
    assert!(
        !status.success(),
        "the apply finished before it could be killed; raise N"
    );
    assert!(
        completed.len() >= 300,
        "saw only {} completions",
        completed.len()
    );

    // The snapshot was never written; the journal holds everything.
    assert!(d.path().join("terraform.tfstate.journal").exists());
    let recovered = ids(&d);
    assert!(
        recovered.len() < N,
        "the run was interrupted, so not everything exists"
    );
    for a in &completed {
        assert!(
            recovered.contains_key(a),
            "{a} was reported complete but not recovered"
        );
    }

    // The next plan creates exactly the rest.
    let plan = d.gantry(&["plan"]);
    assert!(
        plan.stdout.contains(&format!(
            "Plan: {} to add, 0 to change, 0 to destroy.",
            N - recovered.len()
        )),
        "code {} {}",
        plan.code,
        &plan.all()[..plan.all().len().min(3000)]
    );

    // The first command after the crash (it holds the lock) compacts the journal.
    assert!(
        plan.stderr.contains(&format!(
            "Recovered {} completed operation(s)",
            recovered.len()
        )),
        "{}",
        plan.stderr
    );
    let again = d.gantry(&["apply", "-auto-approve"]);
    assert_eq!(again.code, 0, "{}", again.all());
    let after = ids(&d);
    assert_eq!(after.len(), N);
    for (a, id) in &recovered {
        assert_eq!(
            after.get(a),
            Some(id),
            "{a} was applied twice (its id changed)"
        );
    }
    assert!(
        !d.path().join("terraform.tfstate.journal").exists(),
        "the journal is compacted into the snapshot"
    );
}

#[test]
fn sigint_stops_scheduling_finishes_in_flight_work_and_exits_130() {
    let d = Dir::new();
    d.write("main.tf", &format!("resource \"terraform_data\" \"node\" {{\n  count = {N}\n  input = \"node-${{count.index}}\"\n}}\n"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_gantry"))
        .args(["apply", "-auto-approve", "-parallelism=4"])
        .current_dir(d.path())
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut seen = 0;
    let mut line = String::new();
    while seen < 200 {
        line.clear();
        if reader.read_line(&mut line).unwrap() == 0 {
            break;
        }
        if line.contains(": Creation complete") {
            seen += 1;
        }
    }
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    for _ in reader.lines() {}
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("Interrupt received"), "{stderr}");
    // Everything finished was persisted as a snapshot, the journal compacted, the lock freed.
    assert!(!d.path().join("terraform.tfstate.journal").exists());
    let done = ids(&d).len();
    assert!((200..N).contains(&done), "{done} objects recorded");
    let plan = d.gantry(&["plan"]);
    assert_eq!(plan.code, 0, "the lock was released: {}", plan.all());
    assert!(
        plan.stdout.contains(&format!(
            "Plan: {} to add, 0 to change, 0 to destroy.",
            N - done
        )),
        "{}",
        plan.stdout
    );
}
