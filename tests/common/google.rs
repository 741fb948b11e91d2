//! Starts the Google test servers on free loopback ports: fake-gcs-server behind its
//! metadata shim (tests/google/gcs.py) and the discovery-built control plane
//! (tests/google/server.py). Missing Python packages fail the test; `scripts/setup` installs
//! them.

use std::io::{Read, Write};
use std::process::Child;

struct Server {
    child: Child,
    port: u16,
}

fn start(script: &str) -> Server {
    let path = format!("{}/tests/google/{script}", env!("CARGO_MANIFEST_DIR"));
    let (child, port) = super::python_server(&[path.as_str(), "--port", "0"], script);
    Server { child, port }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub struct Google {
    gcs: Server,
    api: Server,
}

pub const PROJECT: &str = "gantry-test";

impl Google {
    pub fn start() -> Google {
        Google {
            gcs: start("gcs.py"),
            api: start("server.py"),
        }
    }

    pub fn api_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.api.port)
    }

    /// Environment that points gantry's google provider at these servers.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        let api = self.api_url();
        vec![
            (
                "STORAGE_EMULATOR_HOST",
                format!("127.0.0.1:{}", self.gcs.port),
            ),
            (
                "GOOGLE_VERTEX_AI_CUSTOM_ENDPOINT",
                format!("{api}/aiplatform/v1/"),
            ),
            ("GOOGLE_TPU_V2_CUSTOM_ENDPOINT", format!("{api}/tpu/v2/")),
            (
                "GOOGLE_COMPUTE_CUSTOM_ENDPOINT",
                format!("{api}/compute/compute/v1/"),
            ),
            (
                "GOOGLE_SERVICE_USAGE_CUSTOM_ENDPOINT",
                format!("{api}/serviceusage/v1/"),
            ),
            ("GOOGLE_IAM_CUSTOM_ENDPOINT", format!("{api}/iam/v1/")),
            (
                "GOOGLE_RESOURCE_MANAGER_CUSTOM_ENDPOINT",
                format!("{api}/cloudresourcemanager/v1/"),
            ),
            (
                "GOOGLE_BIG_QUERY_CUSTOM_ENDPOINT",
                format!("{api}/bigquery/bigquery/v2/"),
            ),
            (
                "GOOGLE_CONTAINER_CUSTOM_ENDPOINT",
                format!("{api}/container/v1/"),
            ),
            // Whatever credentials this machine has stay out of the tests: a placeholder
            // token (the server ignores it unless a test asks for auth) and no ADC lookups.
            ("GOOGLE_OAUTH_ACCESS_TOKEN", "gantry-emulator".into()),
            ("GOOGLE_CREDENTIALS", String::new()),
            ("GOOGLE_APPLICATION_CREDENTIALS", String::new()),
            ("CLOUDSDK_CONFIG", "/nonexistent/gantry-test-gcloud".into()),
            ("GCE_METADATA_HOST", String::new()),
            ("GOOGLE_PROJECT", PROJECT.into()),
            ("GOOGLE_REGION", "us-central1".into()),
            ("GOOGLE_ZONE", "us-central1-a".into()),
        ]
    }

    fn request(&self, port: u16, method: &str, path: &str, body: &str) -> serde_json::Value {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
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

    /// A control call on the API server (`fault`, `stats`, `mutate`, ...).
    pub fn control(&self, what: &str, body: serde_json::Value) -> serde_json::Value {
        self.request(
            self.api.port,
            "POST",
            &format!("/_control/{what}"),
            &body.to_string(),
        )
    }

    /// A GET on the API server (`/aiplatform/v1/projects/...`).
    pub fn api_get(&self, path: &str) -> serde_json::Value {
        self.request(self.api.port, "GET", path, "")
    }

    /// A GET on the storage emulator (`/storage/v1/b/NAME`).
    pub fn gcs_get(&self, path: &str) -> serde_json::Value {
        self.request(self.gcs.port, "GET", path, "")
    }
}
