//! The test registry (tests/registry/server.py): Terraform's module and provider registry
//! protocols and the provider network mirror protocol over HTTPS on 127.0.0.1, with a test CA.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};

pub struct Registry {
    child: Child,
    dir: tempfile::TempDir,
    pub port: String,
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Registry {
    /// Starts a registry; fails (never skips) when it cannot.
    pub fn start() -> Registry {
        let dir = tempfile::tempdir().unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/registry/server.py");
        // Dropping the guard kills and waits for the server on every path, panics included.
        let mut reg = Registry {
            child: Command::new("python3")
                .arg(script)
                .arg(dir.path())
                .spawn()
                .expect("python3 must be installed"),
            dir,
            port: String::new(),
        };
        let port_file = reg.dir.path().join("port");
        for _ in 0..600 {
            if let Ok(p) = std::fs::read_to_string(&port_file) {
                reg.port = p;
                return reg;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("the registry test server did not start");
    }

    /// The test CA's certificate, for `SSL_CERT_FILE`.
    pub fn ca(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// `127.0.0.1:PORT`, the registry's host in source addresses.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}
