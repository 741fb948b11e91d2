//! Helpers for end-to-end tests: run the built `gantry` binary in a temporary directory.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

/// Starts `python3 ARGS` (a test server that prints `ready PORT` once listening) and returns
/// it with that port. `what` names it in the panic when it does not start.
pub fn python_server(args: &[&str], what: &str) -> (std::process::Child, u16) {
    use std::io::BufRead;
    let mut child = Command::new("python3")
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("python3 is required for {what}: {e}"));
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line
        .strip_prefix("ready ")
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or_else(|| panic!("{what} did not start (run scripts/setup): {line:?}"));
    (child, port)
}

/// Runs Terraform 1.11 (on PATH in this project's machines) in `dir`, non-interactively.
/// Panics when it cannot start: a comparison test must fail, never skip.
pub fn terraform(dir: &Path, args: &[&str]) -> Run {
    terraform_env(dir, args, &[])
}

/// [`terraform`] with extra environment (emulator endpoints, CLI configuration).
pub fn terraform_env(dir: &Path, args: &[&str], env: &[(&str, String)]) -> Run {
    Command::new("terraform")
        .args(args)
        .current_dir(dir)
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_IN_AUTOMATION", "1")
        .env("TF_INPUT", "0")
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .expect("terraform 1.11 must be on PATH for this comparison")
        .into()
}

/// Copies a directory tree (test fixtures with module subdirectories).
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// A temporary directory holding a copy of `tests/fixtures/NAME`.
pub fn fixture(name: &str) -> Dir {
    let d = Dir::new();
    copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
        d.path(),
    );
    d
}

pub struct Dir {
    pub tmp: tempfile::TempDir,
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(self.history_path());
    }
}

impl Dir {
    pub fn new() -> Dir {
        Dir {
            tmp: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.tmp.path()
    }

    /// Where gantry run here records create times (`GANTRY_HISTORY`): beside the directory,
    /// never in the user's own state directory.
    pub fn history_path(&self) -> std::path::PathBuf {
        std::path::PathBuf::from(format!("{}.history.json", self.path().display()))
    }

    pub fn write(&self, name: &str, text: &str) -> &Self {
        std::fs::write(self.path().join(name), text).expect("write file");
        self
    }

    pub fn remove(&self, name: &str) {
        let _ = std::fs::remove_file(self.path().join(name));
    }

    pub fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path().join(name)).unwrap_or_default()
    }

    pub fn state_path(&self) -> PathBuf {
        self.path().join("terraform.tfstate")
    }

    /// The state file's bytes (empty when absent).
    pub fn state_bytes(&self) -> Vec<u8> {
        std::fs::read(self.state_path()).unwrap_or_default()
    }

    pub fn state_json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.state_bytes()).expect("state is JSON")
    }

    /// Runs `gantry ARGS` in this directory, with no color and stdin closed.
    pub fn gantry(&self, args: &[&str]) -> Run {
        self.gantry_env(args, &[])
    }

    pub fn gantry_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut c = Command::new(env!("CARGO_BIN_EXE_gantry"));
        c.args(args)
            .current_dir(self.path())
            .env("NO_COLOR", "1")
            .env("GANTRY_HISTORY", self.history_path())
            .stdin(std::process::Stdio::null());
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().expect("run gantry").into()
    }

    /// Runs `gantry ARGS` with `input` on standard input.
    pub fn gantry_stdin(&self, args: &[&str], input: &str) -> Run {
        use std::io::Write;
        let mut child = Command::new(env!("CARGO_BIN_EXE_gantry"))
            .args(args)
            .current_dir(self.path())
            .env("NO_COLOR", "1")
            .env("GANTRY_HISTORY", self.history_path())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run gantry");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        child.wait_with_output().expect("run gantry").into()
    }

    /// Addresses in state, via `gantry state list`.
    pub fn addresses(&self) -> Vec<String> {
        let r = self.gantry(&["state", "list"]);
        assert_eq!(r.code, 0, "{}", r.all());
        r.stdout.lines().map(String::from).collect()
    }
}

#[allow(dead_code)]
pub mod aws_mixed;
#[allow(dead_code)]
pub mod azure;
pub mod google;
pub mod moto;
#[allow(dead_code)]
pub mod registry;
#[allow(dead_code)]
pub mod stores;
#[allow(dead_code)]
pub mod tf_aws;

impl Dir {
    /// Runs gantry with extra environment given as owned strings.
    pub fn gantry_with(&self, args: &[&str], env: &[(&'static str, String)]) -> Run {
        let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.gantry_env(args, &pairs)
    }
}

impl Dir {
    /// The `id` of every instance of a resource type in the state file.
    pub fn ids_of(&self, rtype: &str) -> std::collections::BTreeSet<String> {
        let st = self.state_json();
        st["resources"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["type"] == rtype)
            .flat_map(|r| {
                r["instances"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|i| i["attributes"]["id"].as_str().unwrap().to_string())
            })
            .collect()
    }
}
