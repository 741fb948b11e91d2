//! `gantry-bench`: times gantry — and Terraform on the identical files, when `terraform` is on
//! PATH — on generated configurations of N `terraform_data` resources in three shapes:
//!
//! - `wide`: 10 layers; each resource refers to 1–2 resources of the layer before.
//! - `chain`: one chain; each resource refers to the one before.
//! - `count`: blocks with `count` and `for_each` (≤ 1,000 instances per block).
//!
//! Steps: init, fresh plan, apply, no-op plan, plan after one change, destroy. Each step is a
//! separate process; wall time and the child's peak RSS (wait4's ru_maxrss) are recorded.
//! Prints a Markdown table; the median of `--repeat` runs is shown for gantry.
//!
//! Usage: gantry-bench [--gantry PATH] [--sizes 1000,10000] [--shapes wide,chain,count]
//!                     [--repeat 3] [--terraform] [--terraform-timeout 600]
//!        gantry-bench backends [--gantry PATH] [--count 10000]   (see `backends`)
//!        gantry-bench plugins [--gantry PATH] [--models 1000] [--gpus 100] [--buckets 50]
//!                     [--aws-mirror /opt/tf-plugins] [--timeout 1200]   (see `plugins`)

mod backends;
mod plugins;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq)]
enum Shape {
    Wide,
    Chain,
    Count,
}

impl Shape {
    fn name(self) -> &'static str {
        match self {
            Shape::Wide => "wide",
            Shape::Chain => "chain",
            Shape::Count => "count",
        }
    }
}

/// The configuration text. `var.change` feeds exactly one resource.
fn generate(shape: Shape, n: usize) -> String {
    let mut s = String::from("variable \"change\" {\n  default = \"original\"\n}\n\n");
    match shape {
        Shape::Wide => {
            let layers = 10;
            let width = n.div_ceil(layers);
            let mut made = 0;
            for l in 0..layers {
                for i in 0..width {
                    if made == n {
                        break;
                    }
                    let input = if l == 0 {
                        if i == 0 {
                            "var.change".to_string()
                        } else {
                            format!("\"seed-{i}\"")
                        }
                    } else if i % 2 == 0 {
                        format!("\"${{terraform_data.l{}_{i}.id}}\"", l - 1)
                    } else {
                        format!(
                            "\"${{terraform_data.l{}_{i}.id}}/${{terraform_data.l{}_{}.id}}\"",
                            l - 1,
                            l - 1,
                            (i + 1) % width
                        )
                    };
                    s.push_str(&format!(
                        "resource \"terraform_data\" \"l{l}_{i}\" {{\n  input = {input}\n}}\n"
                    ));
                    made += 1;
                }
            }
        }
        Shape::Chain => {
            for i in 0..n {
                let input = if i == 0 {
                    "var.change".to_string()
                } else {
                    format!("terraform_data.r{}.id", i - 1)
                };
                s.push_str(&format!(
                    "resource \"terraform_data\" \"r{i}\" {{\n  input = {input}\n}}\n"
                ));
            }
        }
        Shape::Count => {
            let per = 500;
            let blocks = n.div_ceil(per * 2);
            let mut left = n;
            for b in 0..blocks {
                let c = left.min(per);
                left -= c;
                let cond = if b == 0 {
                    "count.index == 0 ? var.change : "
                } else {
                    ""
                };
                s.push_str(&format!("resource \"terraform_data\" \"c{b}\" {{\n  count = {c}\n  input = {cond}\"c-${{count.index}}\"\n}}\n"));
                let e = left.min(per);
                left -= e;
                if e > 0 {
                    s.push_str(&format!("resource \"terraform_data\" \"e{b}\" {{\n  for_each = {{ for i in range({e}) : \"k${{i}}\" => i }}\n  input    = \"e-${{each.key}}-${{each.value}}\"\n}}\n"));
                }
            }
        }
    }
    s
}

#[derive(Clone)]
struct Measure {
    wall: Duration,
    rss_kib: u64,
    ok: bool,
}

/// Runs a command to completion (or until `timeout`), measuring wall time and peak RSS.
fn run(cmd: &mut Command, timeout: Duration, detailed: bool) -> Measure {
    let start = Instant::now();
    let child = match cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .stdin(Stdio::null())
        .spawn()
    {
        Ok(c) => c,
        Err(_) => {
            return Measure {
                wall: Duration::ZERO,
                rss_kib: 0,
                ok: false,
            }
        }
    };
    let pid = child.id() as libc::pid_t;
    loop {
        let mut status = 0;
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: wait4 on our own child with valid out-pointers.
        let r = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        if r == pid {
            let code = libc::WEXITSTATUS(status);
            let ok = libc::WIFEXITED(status) && (code == 0 || (detailed && code == 2));
            return Measure {
                wall: start.elapsed(),
                rss_kib: usage.ru_maxrss as u64,
                ok,
            };
        }
        if r < 0 {
            return Measure {
                wall: start.elapsed(),
                rss_kib: 0,
                ok: false,
            };
        }
        if start.elapsed() > timeout {
            // SAFETY: killing our own child process.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
            unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
            return Measure {
                wall: timeout,
                rss_kib: usage.ru_maxrss as u64,
                ok: false,
            };
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

const STEPS: [&str; 6] = [
    "init",
    "plan (fresh)",
    "apply",
    "plan (no-op)",
    "plan (1 change)",
    "destroy",
];

fn step_args(step: usize) -> Vec<&'static str> {
    match step {
        0 => vec!["init", "-input=false"],
        1 => vec!["plan", "-input=false"],
        2 => vec!["apply", "-auto-approve", "-input=false"],
        3 => vec!["plan", "-input=false", "-detailed-exitcode"],
        4 => vec!["plan", "-input=false", "-var", "change=changed"],
        _ => vec!["destroy", "-auto-approve", "-input=false"],
    }
}

/// Runs every step once in a fresh directory; a failed or timed-out step ends the run.
fn run_tool(exe: &Path, config: &str, timeout: Duration) -> Vec<Option<Measure>> {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("main.tf"), config).expect("write config");
    let mut out = Vec::new();
    let mut failed = false;
    for step in 0..STEPS.len() {
        if failed {
            out.push(None);
            continue;
        }
        let mut c = Command::new(exe);
        c.args(step_args(step))
            .current_dir(dir.path())
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_IN_AUTOMATION", "1")
            .env("NO_COLOR", "1");
        let m = run(&mut c, timeout, step == 3);
        failed = !m.ok;
        out.push(Some(m));
    }
    out
}

fn median(mut v: Vec<Measure>) -> Option<Measure> {
    if v.is_empty() {
        return None;
    }
    v.sort_by_key(|m| m.wall);
    let mid = v.len() / 2;
    let rss = v.iter().map(|m| m.rss_kib).max().unwrap_or(0);
    let m = v.swap_remove(mid);
    Some(Measure { rss_kib: rss, ..m })
}

fn fmt_time(m: &Option<Measure>, timeout: Duration) -> String {
    match m {
        Some(m) if m.ok => {
            let s = m.wall.as_secs_f64();
            if s < 1.0 {
                format!("{:.0} ms", s * 1000.0)
            } else {
                format!("{s:.2} s")
            }
        }
        Some(m) if m.wall >= timeout => format!("> {} s (killed)", timeout.as_secs()),
        Some(_) => "failed".into(),
        None => "—".into(),
    }
}

fn fmt_rss(m: &Option<Measure>) -> String {
    match m {
        Some(m) if m.rss_kib > 0 => format!("{:.0} MiB", m.rss_kib as f64 / 1024.0),
        _ => "—".into(),
    }
}

fn main() {
    let args = std::env::args().skip(1);
    let mut gantry = std::env::var("GANTRY")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            let me = std::env::current_exe().unwrap_or_default();
            me.with_file_name("gantry")
        });
    let mut sizes = vec![1000usize, 10000];
    let mut shapes = vec![Shape::Wide, Shape::Chain, Shape::Count];
    let mut repeat = 3;
    let mut with_tf = false;
    let mut tf_timeout = Duration::from_secs(600);
    let mut args = args.peekable();
    if args.peek().map(String::as_str) == Some("backends") {
        args.next();
        let mut o = backends::Options {
            gantry,
            count: 10000,
            timeout: Duration::from_secs(1200),
        };
        while let Some(a) = args.next() {
            let mut num = |d: usize| args.next().and_then(|x| x.parse().ok()).unwrap_or(d);
            match a.as_str() {
                "--gantry" => o.gantry = args.next().map(PathBuf::from).unwrap_or(o.gantry),
                "--count" => o.count = num(o.count),
                "--timeout" => o.timeout = Duration::from_secs(num(1200) as u64),
                other => {
                    eprintln!("gantry-bench backends: unknown argument {other}");
                    std::process::exit(2);
                }
            }
        }
        o.gantry = std::fs::canonicalize(&o.gantry).unwrap_or(o.gantry);
        backends::main(&o);
        return;
    }
    if args.peek().map(String::as_str) == Some("plugins") {
        args.next();
        let mut o = plugins::Options {
            gantry,
            models: 1000,
            gpus: 100,
            buckets: 50,
            aws_mirror: std::env::var("GANTRY_TF_PLUGIN_MIRROR")
                .unwrap_or_else(|_| "/opt/tf-plugins".into())
                .into(),
            timeout: Duration::from_secs(1200),
        };
        while let Some(a) = args.next() {
            let mut num = |d: usize| args.next().and_then(|x| x.parse().ok()).unwrap_or(d);
            match a.as_str() {
                "--gantry" => o.gantry = args.next().map(PathBuf::from).unwrap_or(o.gantry),
                "--models" => o.models = num(o.models),
                "--gpus" => o.gpus = num(o.gpus),
                "--buckets" => o.buckets = num(o.buckets),
                "--timeout" => o.timeout = Duration::from_secs(num(1200) as u64),
                "--aws-mirror" => {
                    o.aws_mirror = args.next().map(PathBuf::from).unwrap_or(o.aws_mirror)
                }
                other => {
                    eprintln!("gantry-bench plugins: unknown argument {other}");
                    std::process::exit(2);
                }
            }
        }
        // Steps run in other directories: a relative path would be resolved from there.
        o.gantry = std::fs::canonicalize(&o.gantry).unwrap_or(o.gantry);
        plugins::main(&o);
        return;
    }
    while let Some(a) = args.next() {
        match a.as_str() {
            "--gantry" => gantry = args.next().map(PathBuf::from).unwrap_or(gantry),
            "--sizes" => {
                sizes = args
                    .next()
                    .unwrap_or_default()
                    .split(',')
                    .filter_map(|x| x.parse().ok())
                    .collect()
            }
            "--shapes" => {
                shapes = args
                    .next()
                    .unwrap_or_default()
                    .split(',')
                    .filter_map(|x| match x {
                        "wide" => Some(Shape::Wide),
                        "chain" => Some(Shape::Chain),
                        "count" => Some(Shape::Count),
                        _ => None,
                    })
                    .collect()
            }
            "--repeat" => repeat = args.next().and_then(|x| x.parse().ok()).unwrap_or(3),
            "--terraform" => with_tf = true,
            "--terraform-timeout" => {
                tf_timeout =
                    Duration::from_secs(args.next().and_then(|x| x.parse().ok()).unwrap_or(600))
            }
            other => {
                eprintln!("unknown argument {other}; see the doc comment in bench/src/main.rs");
                std::process::exit(2);
            }
        }
    }
    // Steps run in other directories: a relative path would be resolved from there.
    let gantry = std::fs::canonicalize(&gantry).unwrap_or(gantry);
    let terraform = with_tf.then(|| PathBuf::from("terraform")).filter(|t| {
        Command::new(t)
            .arg("version")
            .output()
            .is_ok_and(|o| o.status.success())
    });
    if with_tf && terraform.is_none() {
        println!("terraform is not on PATH: only gantry is measured");
    }
    println!("gantry: {}", gantry.display());
    println!("\n| shape | N | step | gantry time | gantry peak RSS | terraform time | terraform peak RSS | time ratio | RSS ratio |");
    println!("|---|---|---|---|---|---|---|---|---|");
    for &n in &sizes {
        for &shape in &shapes {
            let config = generate(shape, n);
            let mut runs: Vec<Vec<Option<Measure>>> = (0..repeat)
                .map(|_| run_tool(&gantry, &config, Duration::from_secs(3600)))
                .collect();
            let g: Vec<Option<Measure>> = (0..STEPS.len())
                .map(|s| median(runs.iter_mut().filter_map(|r| r[s].take()).collect()))
                .collect();
            let t: Vec<Option<Measure>> = match &terraform {
                Some(tf) => run_tool(tf, &config, tf_timeout),
                None => (0..STEPS.len()).map(|_| None).collect(),
            };
            for (i, step) in STEPS.iter().enumerate() {
                let ratio = match (&g[i], &t[i]) {
                    (Some(a), Some(b)) if a.ok && b.ok && a.wall.as_secs_f64() > 0.0 => {
                        format!("{:.0}×", b.wall.as_secs_f64() / a.wall.as_secs_f64())
                    }
                    (Some(a), Some(b)) if a.ok && !b.ok && b.wall >= tf_timeout => {
                        format!("> {:.0}×", tf_timeout.as_secs_f64() / a.wall.as_secs_f64())
                    }
                    _ => "—".into(),
                };
                let rss_ratio = match (&g[i], &t[i]) {
                    (Some(a), Some(b)) if a.rss_kib > 0 && b.rss_kib > 0 => {
                        format!("{:.1}×", b.rss_kib as f64 / a.rss_kib as f64)
                    }
                    _ => "—".into(),
                };
                println!(
                    "| {} | {n} | {step} | {} | {} | {} | {} | {ratio} | {rss_ratio} |",
                    shape.name(),
                    fmt_time(&g[i], Duration::from_secs(3600)),
                    fmt_rss(&g[i]),
                    fmt_time(&t[i], tf_timeout),
                    fmt_rss(&t[i]),
                );
                let _ = std::io::stdout().flush();
            }
        }
    }
}
