//! Every remote state store the backends are tested against, started on loopback ports:
//! moto (S3), fake-gcs-server (GCS), Azurite over TLS behind a CONNECT proxy (Azure Blob, as
//! Terraform's azurerm backend addresses it), PostgreSQL (the Debian package, run as the
//! `postgres` user when the tests run as root) and an HTTP state server. A store that cannot
//! start fails the test; `scripts/setup` installs them all.

use super::moto::Moto;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub const KINDS: [&str; 5] = ["s3", "gcs", "azurerm", "pg", "http"];
/// The S3 backend locked through a DynamoDB table instead of a lock object.
pub const S3_DYNAMODB: &str = "s3-dynamodb";

/// A child process killed on drop.
pub struct Proc(pub Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `python3 SCRIPT ARGS` and reads its "ready PORT" line.
fn script(path: &str, args: &[&str]) -> (Proc, u16) {
    let mut all = vec![path];
    all.extend_from_slice(args);
    let (child, port) = super::python_server(&all, path);
    (Proc(child), port)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_port(port: u16, what: &str) {
    for _ in 0..300 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("{what} did not start listening on {port}");
}

/// A plain HTTP/1.1 request on loopback: (status, body).
pub fn http(port: u16, method: &str, path: &str, body: &[u8]) -> (u16, Vec<u8>) {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    s.write_all(body).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = match text.find("\r\n\r\n") {
        Some(i) => out[i + 4..].to_vec(),
        None => Vec::new(),
    };
    (status, body)
}

/// The DynamoDB table Terraform's S3 backend locks with (`LockID` hash key), on moto.
fn create_lock_table(port: u16) {
    let body = br#"{"TableName":"tflocks","KeySchema":[{"AttributeName":"LockID","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"LockID","AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST"}"#;
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/x-amz-json-1.0\r\nX-Amz-Target: DynamoDB_20120810.CreateTable\r\nAuthorization: AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    s.write_all(body).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    assert!(
        out.starts_with("HTTP/1.1 200"),
        "creating the DynamoDB lock table: {out}"
    );
}

pub struct Postgres {
    _proc: Proc,
    _dir: tempfile::TempDir,
    pub port: u16,
}

fn pg_bin(name: &str) -> String {
    for dir in [
        "/usr/lib/postgresql/17/bin",
        "/usr/lib/postgresql/16/bin",
        "/usr/lib/postgresql/15/bin",
        "/usr/local/bin",
        "/usr/bin",
    ] {
        let p = format!("{dir}/{name}");
        if Path::new(&p).exists() {
            return p;
        }
    }
    panic!("PostgreSQL's {name} was not found (scripts/setup installs the postgresql package)");
}

/// Runs a command as `postgres` when we are root (PostgreSQL refuses to run as root).
fn as_pg(program: &str) -> Command {
    // SAFETY: getuid has no preconditions.
    if unsafe { libc_getuid() } == 0 {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--", program]);
        c
    } else {
        Command::new(program)
    }
}

extern "C" {
    #[link_name = "getuid"]
    fn libc_getuid() -> u32;
}

impl Postgres {
    pub fn start() -> Postgres {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir(&data).unwrap();
        // SAFETY: getuid has no preconditions.
        if unsafe { libc_getuid() } == 0 {
            for p in [dir.path(), data.as_path()] {
                let ok = Command::new("chown")
                    .args(["postgres", p.to_str().unwrap()])
                    .status()
                    .unwrap();
                assert!(ok.success(), "chown postgres {}", p.display());
            }
        }
        let out = as_pg(&pg_bin("initdb"))
            .args([
                "-D",
                data.to_str().unwrap(),
                "-A",
                "trust",
                "-U",
                "gantry",
                "--no-sync",
            ])
            .output()
            .expect("initdb");
        assert!(
            out.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let port = free_port();
        let child = as_pg(&pg_bin("postgres"))
            .args([
                "-D",
                data.to_str().unwrap(),
                "-p",
                &port.to_string(),
                "-k",
                data.to_str().unwrap(),
                "-h",
                "127.0.0.1",
                "-c",
                "fsync=off",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("postgres");
        let proc = Proc(child);
        wait_port(port, "postgres");
        // Accepting connections is not yet accepting queries: wait for a real one.
        for _ in 0..100 {
            let ok = Command::new(pg_bin("psql"))
                .args([
                    "-h",
                    "127.0.0.1",
                    "-p",
                    &port.to_string(),
                    "-U",
                    "gantry",
                    "-d",
                    "postgres",
                    "-c",
                    "select 1",
                ])
                .output()
                .is_ok_and(|o| o.status.success());
            if ok {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        Postgres {
            _proc: proc,
            _dir: dir,
            port,
        }
    }

    /// Runs `sql` with psql; its output (unaligned, tuples only).
    pub fn query(&self, sql: &str) -> String {
        let out = Command::new(pg_bin("psql"))
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "gantry",
                "-d",
                "postgres",
                "-Atc",
                sql,
            ])
            .output()
            .expect("psql");
        assert!(
            out.status.success(),
            "{sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn conn_str(&self) -> String {
        format!(
            "postgres://gantry@127.0.0.1:{}/postgres?sslmode=disable",
            self.port
        )
    }
}

/// Azurite serving TLS for `*.blob.core.windows.net` with a custom account, reached through
/// a CONNECT proxy: how Terraform's azurerm backend (no endpoint setting) can be tested.
pub struct AzureBlob {
    _azurite: Proc,
    _proxy: Proc,
    dir: tempfile::TempDir,
    pub proxy_port: u16,
}

pub const AZ_ACCOUNT: &str = "gantrystate";
/// The account key: base64 of 32 bytes of 'k'.
pub const AZ_KEY: &str = "a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s=";

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl is required");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl AzureBlob {
    pub fn start() -> AzureBlob {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        openssl(
            d,
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
                "-days",
                "2",
                "-subj",
                "/CN=gantry test CA",
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
            ],
        );
        openssl(
            d,
            &[
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "srv.key",
                "-out",
                "srv.csr",
                "-subj",
                "/CN=blob.core.windows.net",
            ],
        );
        std::fs::write(d.join("ext.cnf"), "subjectAltName=DNS:*.blob.core.windows.net\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n").unwrap();
        openssl(
            d,
            &[
                "x509",
                "-req",
                "-in",
                "srv.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                "srv.pem",
                "-days",
                "2",
                "-extfile",
                "ext.cnf",
            ],
        );
        let port = free_port();
        let child = Command::new("azurite-blob")
            .args([
                "--blobHost",
                "127.0.0.1",
                "--blobPort",
                &port.to_string(),
                "--cert",
                "srv.pem",
                "--key",
                "srv.key",
                "--skipApiVersionCheck",
                "--inMemoryPersistence",
                "--silent",
                "--disableTelemetry",
            ])
            .env("AZURITE_ACCOUNTS", format!("{AZ_ACCOUNT}:{AZ_KEY}"))
            .current_dir(d)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("azurite-blob (npm azurite) is required; run scripts/setup");
        let azurite = Proc(child);
        wait_port(port, "azurite-blob");
        let (proxy, proxy_port) = script(
            concat!(env!("CARGO_MANIFEST_DIR"), "/tests/azure/connect_proxy.py"),
            &["--port", "0", "--target-port", &port.to_string()],
        );
        AzureBlob {
            _azurite: azurite,
            _proxy: proxy,
            dir,
            proxy_port,
        }
    }

    pub fn ca(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            (
                "HTTPS_PROXY",
                format!("http://127.0.0.1:{}", self.proxy_port),
            ),
            ("NO_PROXY", "127.0.0.1,localhost".into()),
            ("SSL_CERT_FILE", self.ca().display().to_string()),
            ("ARM_ACCESS_KEY", AZ_KEY.into()),
        ]
    }

    /// Runs Python with `c`, a `ContainerClient` or `BlobServiceClient` set up for the test
    /// account through the proxy, and returns its standard output.
    fn blob_python(&self, code: &str) -> String {
        let prelude = format!(
            "from azure.storage.blob import BlobServiceClient\nsvc=BlobServiceClient('https://{AZ_ACCOUNT}.blob.core.windows.net', credential={{'account_name':'{AZ_ACCOUNT}','account_key':'{AZ_KEY}'}})\n"
        );
        let out = Command::new("python3")
            .args(["-c", &format!("{prelude}{code}")])
            .env(
                "HTTPS_PROXY",
                format!("http://127.0.0.1:{}", self.proxy_port),
            )
            .env("REQUESTS_CA_BUNDLE", self.ca())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{code}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Creates a blob container (the backend expects it to exist, as Terraform's does).
    pub fn create_container(&self, name: &str) {
        self.blob_python(&format!("svc.create_container('{name}')"));
    }

    /// An account SAS (read, write, delete, list, add, create on service, containers and
    /// blobs; valid for a day), made with the account key as Azure's SDK makes one.
    pub fn account_sas(&self) -> String {
        self.blob_python("from azure.storage.blob import generate_account_sas, ResourceTypes, AccountSasPermissions\nimport datetime\nprint(generate_account_sas(svc.account_name, svc.credential.account_key, resource_types=ResourceTypes(service=True, container=True, object=True), permission=AccountSasPermissions(read=True, write=True, delete=True, list=True, add=True, create=True), expiry=datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)))")
            .trim()
            .to_string()
    }

    /// Blob names in `container`.
    pub fn list(&self, container: &str) -> Vec<String> {
        self.blob_python(&format!(
            "for b in svc.get_container_client('{container}').list_blobs(): print(b.name)"
        ))
        .lines()
        .map(String::from)
        .collect()
    }
}

/// Every store, each with a bucket / container / database ready for state.
pub struct Stores {
    pub moto: Moto,
    _gcs: Proc,
    pub gcs_port: u16,
    pub azure: AzureBlob,
    pub pg: Postgres,
    _http: Proc,
    pub http_port: u16,
}

impl Stores {
    pub fn start() -> Stores {
        let moto = Moto::start();
        let (status, _) = http(moto.port, "PUT", "/tfstate", b"");
        assert_eq!(status, 200, "creating the S3 bucket on moto");
        create_lock_table(moto.port);
        let (gcs, gcs_port) = script(
            concat!(env!("CARGO_MANIFEST_DIR"), "/tests/google/gcs.py"),
            &["--port", "0"],
        );
        let (status, body) = http(
            gcs_port,
            "POST",
            "/storage/v1/b?project=gantry-test",
            br#"{"name":"tfstate"}"#,
        );
        assert_eq!(
            status,
            200,
            "creating the GCS bucket: {}",
            String::from_utf8_lossy(&body)
        );
        let azure = AzureBlob::start();
        azure.create_container("tfstate");
        let pg = Postgres::start();
        let (http_proc, http_port) = script(
            concat!(env!("CARGO_MANIFEST_DIR"), "/tests/backends/http_state.py"),
            &["--port", "0"],
        );
        Stores {
            moto,
            _gcs: gcs,
            gcs_port,
            azure,
            pg,
            _http: http_proc,
            http_port,
        }
    }

    /// The `backend` block for `kind`, with `key` naming this test's state.
    pub fn block(&self, kind: &str, key: &str) -> String {
        match kind {
            "local" => String::new(),
            "s3" => format!(
                "  backend \"s3\" {{\n    bucket = \"tfstate\"\n    key = \"{key}/terraform.tfstate\"\n    region = \"us-east-1\"\n    use_lockfile = true\n    use_path_style = true\n    endpoints = {{ s3 = \"{}\" }}\n    skip_credentials_validation = true\n    skip_requesting_account_id = true\n    skip_metadata_api_check = true\n  }}\n",
                self.moto.url()
            ),
            "s3-dynamodb" => format!(
                "  backend \"s3\" {{\n    bucket = \"tfstate\"\n    key = \"{key}/terraform.tfstate\"\n    region = \"us-east-1\"\n    dynamodb_table = \"tflocks\"\n    use_path_style = true\n    endpoints = {{\n      s3 = \"{u}\"\n      dynamodb = \"{u}\"\n    }}\n    skip_credentials_validation = true\n    skip_requesting_account_id = true\n    skip_metadata_api_check = true\n  }}\n",
                u = self.moto.url()
            ),
            "gcs" => format!(
                "  backend \"gcs\" {{\n    bucket = \"tfstate\"\n    prefix = \"{key}\"\n    storage_custom_endpoint = \"http://127.0.0.1:{}/storage/v1/\"\n    access_token = \"gantry-test\"\n  }}\n",
                self.gcs_port
            ),
            "azurerm" => format!(
                "  backend \"azurerm\" {{\n    storage_account_name = \"{AZ_ACCOUNT}\"\n    container_name = \"tfstate\"\n    key = \"{key}.tfstate\"\n  }}\n"
            ),
            "pg" => format!(
                "  backend \"pg\" {{\n    conn_str = \"{}\"\n    schema_name = \"{}\"\n  }}\n",
                self.pg.conn_str(),
                key.replace(['-', '/'], "_")
            ),
            "http" => {
                let base = format!("http://127.0.0.1:{}", self.http_port);
                format!(
                    "  backend \"http\" {{\n    address = \"{base}/state/{key}\"\n    lock_address = \"{base}/lock/{key}\"\n    unlock_address = \"{base}/lock/{key}\"\n  }}\n"
                )
            }
            other => panic!("unknown backend {other}"),
        }
    }

    /// Environment every backend needs (credentials; the proxy for azurerm).
    pub fn env(&self) -> Vec<(&'static str, String)> {
        let mut e = vec![
            ("AWS_ACCESS_KEY_ID", "testing".to_string()),
            ("AWS_SECRET_ACCESS_KEY", "testing".to_string()),
            ("AWS_REGION", "us-east-1".to_string()),
            ("AWS_EC2_METADATA_DISABLED", "true".to_string()),
            ("CHECKPOINT_DISABLE", "1".to_string()),
        ];
        e.extend(self.azure.env());
        e
    }
}
