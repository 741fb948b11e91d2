//! `gantry-bench backends`: the same apply of N `terraform_data` with local state and with
//! the S3 backend on moto (`use_lockfile`), in one run: wall time and peak RSS per step, and
//! how often and for how long the S3 runs pushed state (snapshots every 5 s — and, in a third
//! column, every 1 s — and at the end; the apply's own log line "state pushes").
//!
//! Usage: gantry-bench backends [--gantry PATH] [--count 10000] [--timeout 1200]

use crate::plugins::{moto, moto_env, run_steps, table};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::time::Duration;

pub struct Options {
    pub gantry: PathBuf,
    pub count: usize,
    pub timeout: Duration,
}

fn create_bucket(port: u16) {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("moto");
    write!(s, "PUT /bench-state HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    assert!(
        out.starts_with("HTTP/1.1 200"),
        "creating the state bucket: {out}"
    );
}

pub fn main(o: &Options) {
    let m = moto();
    create_bucket(m.1);
    let resources = format!(
        "resource \"terraform_data\" \"n\" {{\n  count = {}\n  input = \"n-${{count.index}}\"\n}}\n",
        o.count
    );
    let s3 = format!(
        "terraform {{\n  backend \"s3\" {{\n    bucket = \"bench-state\"\n    key = \"bench/terraform.tfstate\"\n    region = \"us-east-1\"\n    use_lockfile = true\n    use_path_style = true\n    endpoints = {{ s3 = \"http://127.0.0.1:{}\" }}\n  }}\n}}\n{resources}",
        m.1
    );
    let mut columns = Vec::new();
    let mut pushes = String::new();
    let s3_fast = s3.replace("bench/terraform.tfstate", "bench-fast/terraform.tfstate");
    for (name, config, push) in [
        ("local", resources.clone(), None),
        ("s3 (moto)", s3, None),
        ("s3, pushes every 1 s", s3_fast, Some("1")),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("main.tf"), config).expect("config");
        let log = dir.path().join("gantry.log");
        let mut env = moto_env(&m);
        env.push(("GANTRY_LOG".into(), "gantry_plans::backend=info".into()));
        env.push(("TF_LOG_PATH".into(), log.display().to_string()));
        if let Some(p) = push {
            env.push(("GANTRY_STATE_PUSH_SECONDS".into(), p.into()));
        }
        columns.push((name, run_steps(&o.gantry, dir.path(), &env, o.timeout)));
        if let Ok(text) = std::fs::read_to_string(&log) {
            for l in text.lines().filter(|l| l.contains("state pushes")) {
                pushes.push_str(&format!("- {name}: {}\n", l.trim()));
            }
        }
    }
    table(
        &format!("{} terraform_data: local state vs S3 backend", o.count),
        &columns,
        o.timeout,
    );
    println!("\nState pushes (apply and destroy; snapshots = full state PUTs, intents = intent-object PUTs):\n");
    print!(
        "{}",
        if pushes.is_empty() {
            "- none logged\n".to_string()
        } else {
            pushes
        }
    );
}
