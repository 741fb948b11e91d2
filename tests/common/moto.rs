//! Starts the project's moto launcher (tests/moto/gantry_moto.py) on a free loopback port.
//! A missing moto is a test failure, not a skip: `scripts/setup` installs it.

use std::io::{Read, Write};
use std::process::Child;

pub struct Moto {
    child: Child,
    pub port: u16,
}

impl Moto {
    pub fn start() -> Moto {
        Moto::start_with(&[])
    }

    /// Starts moto with extra launcher arguments (e.g. `--fault-rate 0.1`).
    pub fn start_with(extra: &[&str]) -> Moto {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/moto/gantry_moto.py");
        let mut args = vec![script, "--host", "127.0.0.1", "--port", "0"];
        args.extend_from_slice(extra);
        let (child, port) = super::python_server(&args, "moto (`moto[server]`)");
        Moto { child, port }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Environment that points gantry's AWS provider at this moto.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.url()),
            ("AWS_ACCESS_KEY_ID", "testing".into()),
            ("AWS_SECRET_ACCESS_KEY", "testing".into()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ]
    }

    fn get(&self, path: &str, method: &str) -> String {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        write!(
            s,
            "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n"
        )
        .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out.split("\r\n\r\n").nth(1).unwrap_or_default().to_string()
    }

    /// Requests served per API action since the last reset.
    pub fn counts(&self) -> serde_json::Value {
        serde_json::from_str(&self.get("/_gantry/counts", "GET")).unwrap()
    }

    /// Stops injecting faults (for the test's own read-back of what exists).
    pub fn faults_off(&self) {
        self.get("/_gantry/faults-off", "POST");
    }

    pub fn reset_counts(&self) {
        self.get("/_gantry/reset", "POST");
    }

    /// An SDK configuration for checking what exists.
    pub async fn sdk(&self) -> aws_config::SdkConfig {
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(self.url())
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_s3::config::Credentials::new(
                "testing", "testing", None, None, "tests",
            ))
            .load()
            .await
    }
}

/// Buckets, roles (with a name prefix) and live instance ids in moto, read with the SDK.
pub struct Live {
    pub buckets: std::collections::BTreeSet<String>,
    pub roles: std::collections::BTreeSet<String>,
    pub instances: Vec<String>,
}

impl Moto {
    pub fn live(&self, role_prefix: &str) -> Live {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let conf = self.sdk().await;
            let s3 = aws_sdk_s3::Client::new(&conf);
            let iam = aws_sdk_iam::Client::new(&conf);
            let ec2 = aws_sdk_ec2::Client::new(&conf);
            let buckets = s3
                .list_buckets()
                .send()
                .await
                .unwrap()
                .buckets()
                .iter()
                .filter_map(|b| b.name().map(String::from))
                .collect();
            let roles = iam
                .list_roles()
                .max_items(1000)
                .send()
                .await
                .unwrap()
                .roles()
                .iter()
                .map(|r| r.role_name().to_string())
                .filter(|n| n.starts_with(role_prefix))
                .collect();
            let mut instances = Vec::new();
            for r in ec2
                .describe_instances()
                .send()
                .await
                .unwrap()
                .reservations()
            {
                for i in r.instances() {
                    if i.state().and_then(|s| s.name()).map(|n| n.as_str()) != Some("terminated") {
                        instances.push(i.instance_id().unwrap().to_string());
                    }
                }
            }
            Live {
                buckets,
                roles,
                instances,
            }
        })
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
