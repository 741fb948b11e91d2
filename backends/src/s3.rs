//! `backend "s3"`: Terraform's S3 backend. The default workspace's state at `key`, workspace
//! W's at `<workspace_key_prefix>/W/<key>` (prefix `env:` by default); locking by a lock
//! object `<state key>.tflock` created with `If-None-Match: *` (`use_lockfile`, S3's
//! conditional write: of two writers exactly one succeeds, the other gets 412), holding the
//! lock info as Terraform writes it; and/or by an item in `dynamodb_table` (`LockID` =
//! `bucket/key`, `Info` = the lock info) put with `attribute_not_exists(LockID)`. With a
//! table, each write also records the state's MD5 (`LockID` = `bucket/key-md5`, `Digest`),
//! which Terraform checks on read. `encrypt` / `kms_key_id` / `acl` apply to every write.
//!
//! Arguments: `bucket`, `key`, `region`, `assume_role`, `workspace_key_prefix`, `use_lockfile`, `encrypt`,
//! `kms_key_id`, `acl`, `access_key`, `secret_key`, `profile`, `endpoints = { s3 = … }` (or
//! the older `endpoint`), `use_path_style` (or `force_path_style`), `max_retries`, and the
//! `skip_*` switches (accepted; gantry makes none of those checks).

use crate::util::{check_owner, holder, io, lock_json};
use async_trait::async_trait;
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use gantry_core::state::remote::{
    with_default, BackendArgs, Connecting, RemoteBackend, RemoteState,
};
use gantry_core::state::{LockInfo, StateError};
use std::sync::Arc;

pub struct S3Backend {
    inner: Arc<Inner>,
}

struct Inner {
    client: aws_sdk_s3::Client,
    bucket: String,
    key: String,
    workspace_key_prefix: String,
    use_lockfile: bool,
    /// `dynamodb_table`: the client and table.
    dynamo: Option<(aws_sdk_dynamodb::Client, String)>,
    encryption: Option<(aws_sdk_s3::types::ServerSideEncryption, Option<String>)>,
    acl: Option<aws_sdk_s3::types::ObjectCannedAcl>,
}

pub fn connect(args: BackendArgs) -> Connecting {
    Box::pin(async move { Ok(Arc::new(S3Backend::new(&args).await?) as Arc<dyn RemoteBackend>) })
}

impl S3Backend {
    pub async fn new(a: &BackendArgs) -> Result<S3Backend, String> {
        let bucket = a.required("bucket")?;
        let key = a.required("key")?;
        if key.starts_with('/') || key.ends_with('/') {
            return Err(format!("key {key:?} must not start or end with '/'"));
        }
        let region = a
            .str_or_env("region", &["AWS_REGION", "AWS_DEFAULT_REGION"])
            .ok_or("The argument \"region\" is required, but was not set (nor AWS_REGION).")?;
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(region));
        if let Some(p) = a.str("profile") {
            loader = loader.profile_name(p);
        }
        if let (Some(k), Some(s)) = (a.str("access_key"), a.str("secret_key")) {
            loader = loader.credentials_provider(aws_sdk_sts::config::Credentials::new(
                k,
                s,
                a.str("token"),
                None,
                "gantry-backend-s3",
            ));
        }
        let attempts = a
            .str("max_retries")
            .and_then(|n| n.parse::<u32>().ok())
            .map(|n| n + 1)
            .unwrap_or(5);
        loader = loader.retry_config(
            aws_config::retry::RetryConfig::standard().with_max_attempts(attempts.max(1)),
        );
        let shared = loader.load().await;
        let shared = match a.object("assume_role") {
            Some(role) => assume_role(&shared, role).await?,
            None => shared,
        };
        if a.config.contains_key("assume_role_with_web_identity") {
            return Err("assume_role_with_web_identity is not supported by this version of gantry's s3 backend (set AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN: the SDK's default chain uses them)".into());
        }
        let endpoint = a
            .object("endpoints")
            .and_then(|e| e.get("s3"))
            .and_then(|v| v.as_str())
            .map(String::from)
            .or_else(|| a.str("endpoint"))
            .or_else(|| std::env::var("AWS_ENDPOINT_URL_S3").ok());
        let path_style = a
            .bool("use_path_style")
            .or_else(|| a.bool("force_path_style"))
            .unwrap_or(false);
        let mut s3 = aws_sdk_s3::config::Builder::from(&shared).force_path_style(path_style);
        if let Some(u) = endpoint {
            s3 = s3.endpoint_url(u);
        }
        let dynamo_endpoint = a
            .object("endpoints")
            .and_then(|e| e.get("dynamodb"))
            .and_then(|v| v.as_str())
            .map(String::from)
            .or_else(|| a.str("dynamodb_endpoint"))
            .or_else(|| std::env::var("AWS_ENDPOINT_URL_DYNAMODB").ok());
        let dynamo = a.str("dynamodb_table").map(|table| {
            let mut c = aws_sdk_dynamodb::config::Builder::from(&shared);
            if let Some(u) = &dynamo_endpoint {
                c = c.endpoint_url(u);
            }
            (aws_sdk_dynamodb::Client::from_conf(c.build()), table)
        });
        let encryption = match (a.bool("encrypt").unwrap_or(false), a.str("kms_key_id")) {
            (_, Some(k)) => Some((aws_sdk_s3::types::ServerSideEncryption::AwsKms, Some(k))),
            (true, None) => Some((aws_sdk_s3::types::ServerSideEncryption::Aes256, None)),
            (false, None) => None,
        };
        Ok(S3Backend {
            inner: Arc::new(Inner {
                client: aws_sdk_s3::Client::from_conf(s3.build()),
                bucket,
                key,
                workspace_key_prefix: a
                    .config
                    .get("workspace_key_prefix")
                    .and_then(|v| v.as_str())
                    .unwrap_or("env:")
                    .to_string(),
                use_lockfile: a.bool("use_lockfile").unwrap_or(false),
                dynamo,
                encryption,
                acl: a
                    .str("acl")
                    .map(|s| aws_sdk_s3::types::ObjectCannedAcl::from(s.as_str())),
            }),
        })
    }
}

impl Inner {
    /// Where workspace `ws` keeps its state (Terraform's layout).
    fn state_key(&self, ws: &str) -> String {
        if ws == "default" {
            self.key.clone()
        } else if self.workspace_key_prefix.is_empty() {
            format!("{ws}/{}", self.key)
        } else {
            format!("{}/{ws}/{}", self.workspace_key_prefix, self.key)
        }
    }

    /// The workspace a listed key belongs to, if it is a state key.
    fn workspace_of(&self, key: &str) -> Option<String> {
        let rest = if self.workspace_key_prefix.is_empty() {
            key
        } else {
            key.strip_prefix(&self.workspace_key_prefix)?
                .strip_prefix('/')?
        };
        let (ws, name) = rest.split_once('/')?;
        (!ws.is_empty() && name == self.key).then(|| ws.to_string())
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StateError> {
        match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(o) => {
                let b = o
                    .body
                    .collect()
                    .await
                    .map_err(|e| io(format!("reading s3://{}/{key}", self.bucket), e))?;
                Ok(Some(b.into_bytes().to_vec()))
            }
            Err(e)
                if e.code() == Some("NoSuchKey")
                    || e.raw_response().is_some_and(|r| r.status().as_u16() == 404) =>
            {
                Ok(None)
            }
            Err(e) => Err(io(
                format!("reading s3://{}/{key}", self.bucket),
                sdk_text(&e),
            )),
        }
    }

    async fn put(
        &self,
        key: &str,
        bytes: &[u8],
        if_absent: bool,
    ) -> Result<(), aws_sdk_s3::error::SdkError<aws_sdk_s3::operation::put_object::PutObjectError>>
    {
        let mut req = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type("application/json")
            .body(ByteStream::from(bytes.to_vec()));
        if if_absent {
            req = req.if_none_match("*");
        }
        if let Some((sse, kms)) = &self.encryption {
            req = req.server_side_encryption(sse.clone());
            if let Some(k) = kms {
                req = req.ssekms_key_id(k);
            }
        }
        if let Some(acl) = &self.acl {
            req = req.acl(acl.clone());
        }
        req.send().await.map(|_| ())
    }

    async fn delete(&self, key: &str) -> Result<(), StateError> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| io(format!("deleting s3://{}/{key}", self.bucket), sdk_text(&e)))
    }
}

/// An SDK error as text (S3's and DynamoDB's errors are the same smithy types).
fn sdk_text<E: ProvideErrorMetadata + std::fmt::Debug>(
    e: &aws_sdk_s3::error::SdkError<E>,
) -> String {
    match e.as_service_error() {
        Some(s) => format!(
            "{}: {}",
            s.code().unwrap_or("error"),
            s.message().unwrap_or("(no message)")
        ),
        None => format!("{e:?}"),
    }
}

#[async_trait]
impl RemoteBackend for S3Backend {
    fn kind(&self) -> &str {
        "s3"
    }

    async fn workspaces(&self) -> Result<Vec<String>, StateError> {
        let prefix = if self.inner.workspace_key_prefix.is_empty() {
            String::new()
        } else {
            format!("{}/", self.inner.workspace_key_prefix)
        };
        let mut names = Vec::new();
        let mut pages = self
            .inner
            .client
            .list_objects_v2()
            .bucket(&self.inner.bucket)
            .prefix(prefix)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page =
                page.map_err(|e| io(format!("listing s3://{}", self.inner.bucket), sdk_text(&e)))?;
            for o in page.contents() {
                if let Some(ws) = o.key().and_then(|k| self.inner.workspace_of(k)) {
                    names.push(ws);
                }
            }
        }
        Ok(with_default(names))
    }

    fn state(&self, workspace: &str) -> Box<dyn RemoteState> {
        Box::new(S3State {
            inner: self.inner.clone(),
            key: self.inner.state_key(workspace),
        })
    }
}

struct S3State {
    inner: Arc<Inner>,
    key: String,
}

impl S3State {
    fn lock_key(&self) -> String {
        format!("{}.tflock", self.key)
    }

    /// `bucket/key`: the lock info's path and the DynamoDB item's `LockID`, as Terraform.
    fn lock_path(&self) -> String {
        format!("{}/{}", self.inner.bucket, self.key)
    }

    /// The lock object, created only if absent.
    async fn lock_file(&self, info: &LockInfo) -> Result<(), StateError> {
        let key = self.lock_key();
        match self.inner.put(&key, &lock_json(info), true).await {
            Ok(()) => Ok(()),
            Err(e)
                if e.raw_response()
                    .is_some_and(|r| matches!(r.status().as_u16(), 412 | 409)) =>
            {
                let current = self.inner.get(&key).await?;
                Err(StateError::Locked(Box::new(holder(
                    current.as_deref(),
                    &format!("s3://{}/{key}", self.inner.bucket),
                ))))
            }
            Err(e) => Err(io(
                format!("creating the lock s3://{}/{key}", self.inner.bucket),
                sdk_text(&e),
            )),
        }
    }

    /// The DynamoDB lock item, put only if absent (no-op without a table).
    async fn lock_table(&self, info: &LockInfo) -> Result<(), StateError> {
        let Some((db, table)) = &self.inner.dynamo else {
            return Ok(());
        };
        let r = db
            .put_item()
            .table_name(table)
            .item("LockID", attr(&self.lock_path()))
            .item("Info", attr(&String::from_utf8_lossy(&lock_json(info))))
            .condition_expression("attribute_not_exists(LockID)")
            .send()
            .await;
        match r {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                let h = self
                    .table_holder()
                    .await?
                    .unwrap_or_else(|| holder(None, table));
                Err(StateError::Locked(Box::new(h)))
            }
            Err(e) => Err(io(
                format!("putting the lock item in {table}"),
                sdk_text(&e),
            )),
        }
    }

    async fn table_holder(&self) -> Result<Option<LockInfo>, StateError> {
        let Some((db, table)) = &self.inner.dynamo else {
            return Ok(None);
        };
        let r = db
            .get_item()
            .table_name(table)
            .key("LockID", attr(&self.lock_path()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| io(format!("reading the lock item from {table}"), sdk_text(&e)))?;
        Ok(r.item().map(|item| {
            let info = item
                .get("Info")
                .and_then(|v| v.as_s().ok())
                .map(|s| s.as_bytes().to_vec());
            holder(info.as_deref(), &format!("{table}: {}", self.lock_path()))
        }))
    }
}

/// `assume_role = { role_arn = …, session_name, external_id, duration, policy, policy_arns,
/// tags }`: the backend's own credentials become that role's (STS AssumeRole, refreshed by
/// the SDK).
async fn assume_role(
    base: &aws_config::SdkConfig,
    role: &serde_json::Map<String, serde_json::Value>,
) -> Result<aws_config::SdkConfig, String> {
    let s = |k: &str| role.get(k).and_then(|v| v.as_str()).map(String::from);
    let arn = s("role_arn").ok_or("assume_role: role_arn is required")?;
    let mut b = aws_config::sts::AssumeRoleProvider::builder(arn)
        .session_name(s("session_name").unwrap_or_else(|| "gantry-state".into()))
        .configure(base);
    if let Some(x) = s("external_id") {
        b = b.external_id(x);
    }
    if let Some(p) = s("policy") {
        b = b.policy(p);
    }
    if let Some(arns) = role.get("policy_arns").and_then(|v| v.as_array()) {
        b = b.policy_arns(
            arns.iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect(),
        );
    }
    if let Some(d) = s("duration") {
        b = b.session_length(
            gantry_core::provider_kit::parse_duration(&d)
                .map_err(|e| format!("assume_role.duration: {e}"))?,
        );
    }
    if let Some(t) = role.get("tags").and_then(|v| v.as_object()) {
        b = b.tags(
            t.iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string()))),
        );
    }
    let provider = b.build().await;
    Ok(base
        .to_builder()
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(provider),
        )
        .build())
}

fn attr(s: &str) -> aws_sdk_dynamodb::types::AttributeValue {
    aws_sdk_dynamodb::types::AttributeValue::S(s.to_string())
}

#[async_trait]
impl RemoteState for S3State {
    fn location(&self) -> String {
        format!("s3://{}/{}", self.inner.bucket, self.key)
    }

    async fn get(&self) -> Result<Option<Vec<u8>>, StateError> {
        self.inner.get(&self.key).await
    }

    async fn put(&self, bytes: &[u8]) -> Result<(), StateError> {
        self.inner
            .put(&self.key, bytes, false)
            .await
            .map_err(|e| io(format!("writing {}", self.location()), sdk_text(&e)))?;
        if let Some((db, table)) = &self.inner.dynamo {
            use md5::Digest;
            let digest: String = md5::Md5::digest(bytes)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            db.put_item()
                .table_name(table)
                .item("LockID", attr(&format!("{}-md5", self.lock_path())))
                .item("Digest", attr(&digest))
                .send()
                .await
                .map_err(|e| {
                    io(
                        format!("recording the state digest in {table}"),
                        sdk_text(&e),
                    )
                })?;
        }
        Ok(())
    }

    async fn delete(&self) -> Result<(), StateError> {
        self.inner.delete(&self.key).await?;
        if let Some((db, table)) = &self.inner.dynamo {
            db.delete_item()
                .table_name(table)
                .key("LockID", attr(&format!("{}-md5", self.lock_path())))
                .send()
                .await
                .map_err(|e| {
                    io(
                        format!("removing the state digest from {table}"),
                        sdk_text(&e),
                    )
                })?;
        }
        Ok(())
    }

    async fn get_extra(&self, name: &str) -> Result<Option<Vec<u8>>, StateError> {
        self.inner.get(&format!("{}.gantry-{name}", self.key)).await
    }

    async fn put_extra(&self, name: &str, bytes: Option<&[u8]>) -> Result<(), StateError> {
        let key = format!("{}.gantry-{name}", self.key);
        match bytes {
            Some(b) => self.inner.put(&key, b, false).await.map_err(|e| {
                io(
                    format!("writing s3://{}/{key}", self.inner.bucket),
                    sdk_text(&e),
                )
            }),
            None => self.inner.delete(&key).await,
        }
    }

    async fn lock(&self, info: &LockInfo) -> Result<String, StateError> {
        let mut info = info.clone();
        info.path = self.lock_path();
        if self.inner.use_lockfile {
            self.lock_file(&info).await?;
        }
        if let Err(e) = self.lock_table(&info).await {
            if self.inner.use_lockfile {
                let _ = self.inner.delete(&self.lock_key()).await;
            }
            return Err(e);
        }
        // As Terraform: with neither configured, the S3 backend does not lock.
        Ok(info.id)
    }

    async fn unlock(&self, id: &str) -> Result<(), StateError> {
        if let Some((db, table)) = &self.inner.dynamo {
            let current = self.table_holder().await?;
            match current {
                Some(h) => check_owner(&h, id)?,
                None if !self.inner.use_lockfile => {
                    return Err(StateError::Unlock(format!(
                        "no lock item for {} in {table}: the state is not locked",
                        self.lock_path()
                    )))
                }
                None => {}
            }
            db.delete_item()
                .table_name(table)
                .key("LockID", attr(&self.lock_path()))
                .send()
                .await
                .map_err(|e| {
                    StateError::Unlock(format!(
                        "removing the lock item from {table}: {}",
                        sdk_text(&e)
                    ))
                })?;
        }
        if self.inner.use_lockfile {
            let key = self.lock_key();
            let where_ = format!("s3://{}/{key}", self.inner.bucket);
            match self.inner.get(&key).await? {
                Some(current) => check_owner(&holder(Some(&current), &where_), id)?,
                None if self.inner.dynamo.is_none() => {
                    return Err(StateError::Unlock(format!(
                        "{where_} does not exist: the state is not locked"
                    )))
                }
                None => return Ok(()),
            }
            self.inner.delete(&key).await?;
        }
        Ok(())
    }

    async fn lock_info(&self) -> Result<Option<LockInfo>, StateError> {
        if let Some(h) = self.table_holder().await? {
            return Ok(Some(h));
        }
        let key = self.lock_key();
        Ok(self
            .inner
            .get(&key)
            .await?
            .map(|b| holder(Some(&b), &format!("s3://{}/{key}", self.inner.bucket))))
    }
}
