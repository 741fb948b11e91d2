//! Starting a provider plugin the way HashiCorp's go-plugin client does, and talking gRPC to
//! it: magic cookie and protocol versions in the environment, the handshake line on stdout
//! (`CORE|APP|NETWORK|ADDR|grpc|CERT`), AutoMTLS with a pinned server certificate, stderr
//! drained into gantry's log, and `GRPCController.Shutdown` (then a kill) at the end.

use crate::tls::ClientIdentity;
use base64::Engine as _;
use hyper_util::rt::TokioIo;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tonic::transport::{Channel, Endpoint};

/// Terraform's handshake cookie: a plugin refuses to run without it (so it is not started by
/// hand by mistake), and it tells the plugin its host speaks Terraform's protocols.
pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
pub const MAGIC_COOKIE_VALUE: &str =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

/// The plugin protocol versions gantry speaks.
pub const PROTOCOLS: [u32; 2] = [5, 6];

#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    #[error("could not start plugin {path}: {source}")]
    Spawn {
        path: String,
        source: std::io::Error,
    },
    #[error("plugin {path} did not complete its handshake within {secs} s")]
    Timeout { path: String, secs: u64 },
    #[error("plugin {path} exited before its handshake{stderr}")]
    Exited { path: String, stderr: String },
    #[error("plugin {path} sent an invalid handshake line {line:?}: {why}")]
    BadHandshake {
        path: String,
        line: String,
        why: String,
    },
    #[error("plugin {path} speaks plugin protocol {version}; gantry speaks versions 5 and 6")]
    Protocol { path: String, version: String },
    #[error("connecting to plugin {path}: {why}")]
    Connect { path: String, why: String },
}

/// How to start a plugin.
#[derive(Clone, Debug)]
pub struct LaunchOptions {
    /// Name for log lines (`registry.terraform.io/hashicorp/aws`).
    pub name: String,
    /// AutoMTLS (the default). `TF_DISABLE_PLUGIN_TLS` set in the environment turns it off,
    /// as it does for Terraform.
    pub tls: bool,
    pub handshake_timeout: Duration,
}

impl LaunchOptions {
    pub fn new(name: &str) -> LaunchOptions {
        LaunchOptions {
            name: name.to_string(),
            tls: std::env::var_os("TF_DISABLE_PLUGIN_TLS").is_none(),
            handshake_timeout: Duration::from_secs(
                std::env::var("GANTRY_PLUGIN_START_TIMEOUT")
                    .ok()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(60),
            ),
        }
    }
}

/// A running plugin process and the gRPC channel to it.
pub struct Plugin {
    pub name: String,
    pub protocol: u32,
    pub channel: Channel,
    child: tokio::sync::Mutex<Option<Child>>,
    /// Holds the directory of the plugin's unix socket for the process's lifetime.
    _dir: Option<tempfile::TempDir>,
}

struct Handshake {
    protocol: u32,
    network: String,
    addr: String,
    cert: Option<Vec<u8>>,
}

fn parse_handshake(path: &str, line: &str) -> Result<Handshake, LaunchError> {
    let bad = |why: &str| LaunchError::BadHandshake {
        path: path.to_string(),
        line: line.to_string(),
        why: why.to_string(),
    };
    let parts: Vec<&str> = line.trim().split('|').collect();
    if parts.len() < 4 {
        return Err(bad("expected CORE|APP|NETWORK|ADDR|PROTOCOL|CERT"));
    }
    if parts[0] != "1" {
        return Err(bad("go-plugin core protocol version must be 1"));
    }
    let protocol: u32 = parts[1].parse().map_err(|_| bad("app protocol version"))?;
    if !PROTOCOLS.contains(&protocol) {
        return Err(LaunchError::Protocol {
            path: path.to_string(),
            version: parts[1].to_string(),
        });
    }
    if parts.get(4).is_some_and(|p| *p != "grpc") {
        return Err(bad(
            "only the grpc plugin protocol is supported (not net/rpc)",
        ));
    }
    let cert = match parts.get(5).map(|c| c.trim()) {
        Some(c) if !c.is_empty() => Some(
            base64::engine::general_purpose::STANDARD_NO_PAD
                .decode(c.trim_end_matches('='))
                .map_err(|_| bad("the server certificate is not base64"))?,
        ),
        _ => None,
    };
    Ok(Handshake {
        protocol,
        network: parts[2].to_string(),
        addr: parts[3].to_string(),
        cert,
    })
}

impl Plugin {
    /// Starts the plugin executable and connects to it.
    pub async fn launch(exe: &Path, opts: &LaunchOptions) -> Result<Plugin, LaunchError> {
        let path = exe.display().to_string();
        let identity = if opts.tls {
            Some(
                ClientIdentity::generate().map_err(|why| LaunchError::Connect {
                    path: path.clone(),
                    why,
                })?,
            )
        } else {
            None
        };
        let dir = tempfile::Builder::new()
            .prefix("gantry-plugin")
            .tempdir()
            .ok();
        let mut cmd = Command::new(exe);
        cmd.env(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)
            .env(
                "PLUGIN_PROTOCOL_VERSIONS",
                PROTOCOLS.map(|p| p.to_string()).join(","),
            )
            .env("PLUGIN_MIN_PORT", "10000")
            .env("PLUGIN_MAX_PORT", "25000")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        if let Some(d) = &dir {
            cmd.env("PLUGIN_UNIX_SOCKET_DIR", d.path());
        }
        if let Some(id) = &identity {
            cmd.env("PLUGIN_CLIENT_CERT", &id.cert_pem);
        }
        // Its own process group: a Ctrl-C at the terminal reaches gantry, which stops the
        // plugin's work through the protocol instead of having it die mid-request.
        #[cfg(unix)]
        cmd.process_group(0);
        let mut child = cmd.spawn().map_err(|source| LaunchError::Spawn {
            path: path.clone(),
            source,
        })?;
        let stderr_tail = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
        if let Some(err) = child.stderr.take() {
            let name = opts.name.clone();
            let tail = stderr_tail.clone();
            tokio::spawn(async move {
                let mut lines = BufReader::new(err).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    tracing::debug!(target: "gantry::plugin", plugin = %name, "{line}");
                    let mut t = tail.lock().unwrap_or_else(|e| e.into_inner());
                    t.push(line);
                    if t.len() > 20 {
                        t.remove(0);
                    }
                }
            });
        }
        let Some(out) = child.stdout.take() else {
            return Err(LaunchError::Connect {
                path,
                why: "no stdout".into(),
            });
        };
        let mut lines = BufReader::new(out).lines();
        let first = tokio::time::timeout(opts.handshake_timeout, lines.next_line()).await;
        let line = match first {
            Err(_) => {
                let _ = child.start_kill();
                return Err(LaunchError::Timeout {
                    path,
                    secs: opts.handshake_timeout.as_secs(),
                });
            }
            Ok(Ok(Some(line))) => line,
            Ok(_) => {
                let _ = tokio::time::timeout(Duration::from_secs(2), child.wait()).await;
                tokio::time::sleep(Duration::from_millis(50)).await;
                let tail = stderr_tail.lock().unwrap_or_else(|e| e.into_inner());
                let stderr = if tail.is_empty() {
                    String::new()
                } else {
                    format!(":\n{}", tail.join("\n"))
                };
                return Err(LaunchError::Exited { path, stderr });
            }
        };
        // Anything the plugin prints after the handshake goes to the log.
        let name = opts.name.clone();
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                tracing::debug!(target: "gantry::plugin", plugin = %name, "{line}");
            }
        });
        let hs = parse_handshake(&path, &line).inspect_err(|_| {
            let _ = child.start_kill();
        })?;
        let tls = match (&identity, hs.cert.clone()) {
            (Some(id), Some(server)) => {
                Some(Arc::new(id.client_config(server).map_err(|why| {
                    LaunchError::Connect {
                        path: path.clone(),
                        why,
                    }
                })?))
            }
            _ => None,
        };
        let channel = connect(hs.network.clone(), hs.addr.clone(), tls)
            .await
            .map_err(|why| LaunchError::Connect {
                path: path.clone(),
                why,
            })?;
        tracing::debug!(
            target: "gantry::plugin",
            "{}: started {} (plugin protocol {}, {} over {}{})",
            opts.name,
            path,
            hs.protocol,
            hs.addr,
            hs.network,
            if hs.cert.is_some() { ", AutoMTLS" } else { "" }
        );
        Ok(Plugin {
            name: opts.name.clone(),
            protocol: hs.protocol,
            channel,
            child: tokio::sync::Mutex::new(Some(child)),
            _dir: dir,
        })
    }

    /// Asks the plugin to exit (`GRPCController.Shutdown`), then kills it after a grace
    /// period, as go-plugin's client does.
    pub async fn shutdown(&self) {
        let Some(mut child) = self.child.lock().await.take() else {
            return;
        };
        let mut grpc = tonic::client::Grpc::new(self.channel.clone());
        let path = http::uri::PathAndQuery::from_static("/plugin.GRPCController/Shutdown");
        let codec = tonic_prost::ProstCodec::<crate::wire::Empty, crate::wire::Empty>::default();
        let asked = async {
            grpc.ready().await.ok()?;
            grpc.unary(tonic::Request::new(crate::wire::Empty {}), path, codec)
                .await
                .ok()
        };
        let _ = tokio::time::timeout(Duration::from_secs(2), asked).await;
        if tokio::time::timeout(Duration::from_secs(2), child.wait())
            .await
            .is_err()
        {
            let _ = child.kill().await;
        }
    }

    /// Whether the process has exited (a crash, for instance).
    pub async fn exited(&self) -> Option<std::process::ExitStatus> {
        let mut c = self.child.lock().await;
        c.as_mut().and_then(|c| c.try_wait().ok().flatten())
    }
}

async fn connect(
    network: String,
    addr: String,
    tls: Option<Arc<rustls::ClientConfig>>,
) -> Result<Channel, String> {
    let endpoint = Endpoint::from_static("http://localhost")
        .connect_timeout(Duration::from_secs(30))
        .http2_adaptive_window(true);
    let connector = tower::service_fn(move |_: http::Uri| {
        let (network, addr, tls) = (network.clone(), addr.clone(), tls.clone());
        async move { dial(&network, &addr, tls).await }
    });
    endpoint
        .connect_with_connector(connector)
        .await
        .map_err(|e| format!("{e}: {:?}", std::error::Error::source(&e)))
}

/// Either side of the transport: a unix socket or TCP, with or without TLS.
type Io = TokioIo<Box<dyn Stream>>;

trait Stream: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin> Stream for T {}

async fn dial(
    network: &str,
    addr: &str,
    tls: Option<Arc<rustls::ClientConfig>>,
) -> std::io::Result<Io> {
    let raw: Box<dyn Stream> = match network {
        #[cfg(unix)]
        "unix" => Box::new(tokio::net::UnixStream::connect(PathBuf::from(addr)).await?),
        "tcp" => Box::new(tokio::net::TcpStream::connect(addr).await?),
        other => {
            return Err(std::io::Error::other(format!(
                "unsupported plugin network {other:?}"
            )))
        }
    };
    let Some(cfg) = tls else {
        return Ok(TokioIo::new(raw));
    };
    let name = rustls::pki_types::ServerName::try_from("localhost").expect("a valid name");
    let stream = tokio_rustls::TlsConnector::from(cfg)
        .connect(name, raw)
        .await?;
    Ok(TokioIo::new(Box::new(stream)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handshake_lines_are_parsed_and_checked() {
        let hs = parse_handshake("p", "1|6|unix|/tmp/x.sock|grpc|MIIB\n").unwrap();
        assert_eq!((hs.protocol, hs.network.as_str()), (6, "unix"));
        assert_eq!(hs.addr, "/tmp/x.sock");
        assert!(hs.cert.is_some());
        let hs = parse_handshake("p", "1|5|tcp|127.0.0.1:1234|grpc|").unwrap();
        assert!(hs.cert.is_none());
        let e = parse_handshake("p", "1|4|unix|/x|grpc|").err().unwrap();
        assert!(e.to_string().contains("protocol 4"), "{e}");
        assert!(parse_handshake("p", "1|5|unix|/x|netrpc|").is_err());
        assert!(parse_handshake("p", "hello").is_err());
    }
}
