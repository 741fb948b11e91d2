//! Starts the local ARM server (tests/azure/arm.py) on a free loopback port. Missing Python
//! packages (PyPI `azure-ai-ml`, whose models check request bodies) fail the test;
//! `scripts/setup` installs them.

use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};

pub const SUBSCRIPTION: &str = "00000000-0000-0000-0000-00000000a2e1";

pub struct Arm {
    child: Child,
    pub port: u16,
    azurite: Option<(Child, u16, super::Dir)>,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Arm {
    pub fn start() -> Arm {
        Arm::launch(None)
    }

    /// The ARM server with Azurite behind its storage accounts (blob endpoint and key).
    pub fn start_with_storage() -> Arm {
        let dir = super::Dir::new();
        let port = free_port();
        let mut child = Command::new("azurite-blob")
            .args([
                "--blobHost",
                "127.0.0.1",
                "--blobPort",
                &port.to_string(),
                "--location",
            ])
            .arg(dir.path())
            .args(["--skipApiVersionCheck", "--loose", "--silent"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("azurite-blob (npm azurite) is required; run scripts/setup");
        for _ in 0..300 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Arm::launch(Some((child, port, dir)));
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("azurite did not start");
    }

    fn launch(azurite: Option<(Child, u16, super::Dir)>) -> Arm {
        let path = format!("{}/tests/azure/arm.py", env!("CARGO_MANIFEST_DIR"));
        let mut args = vec![path, "--port".into(), "0".into()];
        if let Some((_, port, _)) = &azurite {
            args.push("--azurite-blob".into());
            args.push(format!("http://127.0.0.1:{port}/devstoreaccount1/"));
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (child, port) = super::python_server(&args, "the ARM test server (arm.py)");
        Arm {
            child,
            port,
            azurite,
        }
    }

    /// Azurite's blob base URL (`start_with_storage`).
    pub fn blob_url(&self) -> String {
        let port = self.azurite.as_ref().map(|a| a.1).unwrap_or(0);
        format!("http://127.0.0.1:{port}/devstoreaccount1")
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// What gantry reads to reach this server, as azurerm reads it.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("ARM_METADATA_HOSTNAME", self.url()),
            ("ARM_SUBSCRIPTION_ID", SUBSCRIPTION.into()),
            ("ARM_CLIENT_ID", String::new()),
            ("ARM_CLIENT_SECRET", String::new()),
            ("ARM_ACCESS_TOKEN", String::new()),
            // No Azure CLI lookup: the local server needs no token (gantry's anonymous mode).
            ("ARM_USE_CLI", "false".into()),
            ("ARM_USE_MSI", String::new()),
            ("ARM_USE_OIDC", String::new()),
            ("AZURE_FEDERATED_TOKEN_FILE", String::new()),
        ]
    }

    fn request(&self, method: &str, path: &str, body: &str) -> serde_json::Value {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        write!(
            s,
            "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        let body = out.split("\r\n\r\n").nth(1).unwrap_or_default();
        serde_json::from_str(body).unwrap_or(serde_json::Value::Null)
    }

    pub fn control(&self, what: &str, body: serde_json::Value) -> serde_json::Value {
        self.request("POST", &format!("/_control/{what}"), &body.to_string())
    }

    /// A GET of an ARM id at `api_version`.
    pub fn get(&self, id: &str, api_version: &str) -> serde_json::Value {
        self.request("GET", &format!("{id}?api-version={api_version}"), "")
    }
}

impl Drop for Arm {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some((mut a, _, _)) = self.azurite.take() {
            let _ = a.kill();
            let _ = a.wait();
        }
    }
}
