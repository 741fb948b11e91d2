//! Provider configuration and the SDK clients built from it.

use crate::error::sdk;
use crate::util::{attr_str, tags_of};
use gantry_core::provider::{
    BlockSchema, ErrorKind, ProviderError, ProviderResult, ResourceSchema,
};
use gantry_core::provider_kit::strings;
use gantry_core::value::{Map, Value};
use std::collections::BTreeMap;
use tokio::sync::OnceCell;

pub struct Clients {
    pub region: String,
    pub ec2: aws_sdk_ec2::Client,
    /// EC2 without the SDK's own retries, for creates that take no ClientToken (VPCs,
    /// subnets, gateways, addresses, route tables, groups, key pairs): the SDK re-sending one
    /// after a dropped connection would make a second object. gantry's retry asks
    /// `find_by_token` before creating again.
    pub ec2_once: aws_sdk_ec2::Client,
    pub autoscaling: aws_sdk_applicationautoscaling::Client,
    pub ecr: aws_sdk_ecr::Client,
    pub efs: aws_sdk_efs::Client,
    pub eks: aws_sdk_eks::Client,
    pub emr: aws_sdk_emr::Client,
    /// EMR without the SDK's retries, for RunJobFlow (no ClientToken), as `ec2_once`.
    pub emr_once: aws_sdk_emr::Client,
    pub fsx: aws_sdk_fsx::Client,
    pub glue: aws_sdk_glue::Client,
    pub s3: aws_sdk_s3::Client,
    pub iam: aws_sdk_iam::Client,
    pub kms: aws_sdk_kms::Client,
    pub sagemaker: aws_sdk_sagemaker::Client,
    pub sts: aws_sdk_sts::Client,
    /// `default_tags { tags = {...} }`: merged into every taggable resource's `tags_all`.
    pub default_tags: BTreeMap<String, String>,
    account: OnceCell<String>,
    /// Instance type facts, cached per run (one DescribeInstanceTypes per type).
    pub instance_types:
        tokio::sync::Mutex<BTreeMap<String, Option<aws_sdk_ec2::types::InstanceTypeInfo>>>,
    /// The zones offering each instance type, cached per run (capacity warnings).
    pub offerings: tokio::sync::Mutex<BTreeMap<String, Vec<String>>>,
}

pub fn provider_block_schema() -> BlockSchema {
    crate::upstream::provider()
}

/// The provider block's arguments gantry honours. hashicorp/aws's checks at configure (STS
/// identity, region name, instance metadata) gantry does not make, so their `skip_*` switches
/// are accepted and change nothing; `token` and the shared files reach aws-config's chain.
pub const PROVIDER_IMPLEMENTED: &[&str] = &[
    "region",
    "profile",
    "access_key",
    "secret_key",
    "token",
    "s3_use_path_style",
    "max_retries",
    "skip_credentials_validation",
    "skip_requesting_account_id",
    "skip_region_validation",
    "skip_metadata_api_check",
    "allowed_account_ids",
    "forbidden_account_ids",
    "assume_role",
    "endpoints.ec2",
    "endpoints.s3",
    "endpoints.sagemaker",
    "endpoints.ecr",
    "endpoints.kms",
    "endpoints.applicationautoscaling",
    "endpoints.eks",
    "endpoints.emr",
    "endpoints.efs",
    "endpoints.fsx",
    "endpoints.glue",
    "endpoints.iam",
    "endpoints.sts",
    "default_tags",
];

/// The first (only) object of a block that upstream declares as a list or set of at most one.
pub fn first_block<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    match v.get_attr(name)? {
        Value::List(l) | Value::Set(l) => l.first(),
        Value::Null => None,
        other => Some(other),
    }
}

impl Clients {
    pub async fn from_config(config: &Value) -> ProviderResult<Clients> {
        let plain = config.unmark_deep().0;
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
        let region = attr_str(&plain, "region")
            .or_else(|| std::env::var("AWS_REGION").ok())
            .or_else(|| std::env::var("AWS_DEFAULT_REGION").ok())
            .unwrap_or_else(|| "us-east-1".to_string());
        loader = loader.region(aws_config::Region::new(region.clone()));
        if let Some(p) = attr_str(&plain, "profile") {
            loader = loader.profile_name(p);
        }
        if let (Some(k), Some(s)) = (
            attr_str(&plain, "access_key"),
            attr_str(&plain, "secret_key"),
        ) {
            loader = loader.credentials_provider(aws_sdk_sts::config::Credentials::new(
                k,
                s,
                attr_str(&plain, "token"),
                None,
                "gantry-provider-block",
            ));
        }
        // Throttling and 5xx are retried by the SDK's standard retry with jittered backoff.
        let attempts = plain
            .get_attr("max_retries")
            .and_then(Value::as_f64)
            .map(|n| n as u32 + 1)
            .unwrap_or(5);
        loader = loader.retry_config(
            aws_config::retry::RetryConfig::standard().with_max_attempts(attempts.max(1)),
        );
        let shared = loader.load().await;
        let shared = match plain
            .get_attr("assume_role")
            .and_then(Value::as_seq)
            .and_then(|s| s.first().cloned())
        {
            Some(role) => assume_role(&shared, &role).await?,
            None => shared,
        };
        let endpoint = |service: &str| -> Option<String> {
            first_block(&plain, "endpoints").and_then(|e| attr_str(e, service))
        };
        let path_style = plain
            .get_attr("s3_use_path_style")
            .and_then(Value::as_bool)
            .unwrap_or(false);

        let mut ec2 = aws_sdk_ec2::config::Builder::from(&shared);
        if let Some(u) = endpoint("ec2") {
            ec2 = ec2.endpoint_url(u);
        }
        // One client per service from the shared configuration, at `endpoints.<service>`
        // when the provider block names one.
        macro_rules! client {
            ($krate:ident, $service:literal) => {{
                let mut b = $krate::config::Builder::from(&shared);
                if let Some(u) = endpoint($service) {
                    b = b.endpoint_url(u);
                }
                $krate::Client::from_conf(b.build())
            }};
        }
        let mut s3 = aws_sdk_s3::config::Builder::from(&shared).force_path_style(path_style);
        if let Some(u) = endpoint("s3") {
            s3 = s3.endpoint_url(u);
        }
        let default_tags = first_block(&plain, "default_tags")
            .and_then(|d| d.get_attr("tags"))
            .and_then(Value::as_map)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                    .collect()
            })
            .unwrap_or_default();
        Ok(Clients {
            region,
            ec2_once: aws_sdk_ec2::Client::from_conf(
                ec2.clone()
                    .retry_config(aws_smithy_types::retry::RetryConfig::disabled())
                    .build(),
            ),
            ec2: aws_sdk_ec2::Client::from_conf(ec2.build()),
            autoscaling: client!(aws_sdk_applicationautoscaling, "applicationautoscaling"),
            ecr: client!(aws_sdk_ecr, "ecr"),
            efs: client!(aws_sdk_efs, "efs"),
            eks: client!(aws_sdk_eks, "eks"),
            emr: client!(aws_sdk_emr, "emr"),
            emr_once: {
                let mut b = aws_sdk_emr::config::Builder::from(&shared)
                    .retry_config(aws_smithy_types::retry::RetryConfig::disabled());
                if let Some(u) = endpoint("emr") {
                    b = b.endpoint_url(u);
                }
                aws_sdk_emr::Client::from_conf(b.build())
            },
            fsx: client!(aws_sdk_fsx, "fsx"),
            glue: client!(aws_sdk_glue, "glue"),
            s3: aws_sdk_s3::Client::from_conf(s3.build()),
            iam: client!(aws_sdk_iam, "iam"),
            kms: client!(aws_sdk_kms, "kms"),
            sagemaker: client!(aws_sdk_sagemaker, "sagemaker"),
            sts: client!(aws_sdk_sts, "sts"),
            default_tags,
            account: OnceCell::new(),
            instance_types: tokio::sync::Mutex::new(BTreeMap::new()),
            offerings: tokio::sync::Mutex::new(BTreeMap::new()),
        })
    }

    /// The region's partition (`aws`, `aws-cn`, …), as ARNs name it.
    pub fn partition(&self) -> &'static str {
        crate::data_zones::partition(&self.region).0
    }

    /// `PREFIX.REGION.DNS-SUFFIX`, as upstream's RegionalHostname builds service hostnames.
    pub fn regional_hostname(&self, prefix: &str) -> String {
        let dns = crate::data_zones::partition(&self.region).1;
        format!("{prefix}.{}.{dns}", self.region)
    }

    /// `allowed_account_ids` / `forbidden_account_ids`: refuses to work in any other account
    /// (or in a forbidden one), as hashicorp/aws does at configure.
    pub async fn check_account(&self, config: &Value) -> ProviderResult<()> {
        let plain = config.unmark_deep().0;

        let (allowed, forbidden) = (
            strings(&plain, "allowed_account_ids"),
            strings(&plain, "forbidden_account_ids"),
        );
        if allowed.is_empty() && forbidden.is_empty() {
            return Ok(());
        }
        let account = self.account_id().await?;
        if !allowed.is_empty() && !allowed.contains(&account) {
            return Err(ProviderError::new(
                ErrorKind::Auth,
                format!(
                    "AWS account ID not allowed: {account} (allowed_account_ids: {})",
                    allowed.join(", ")
                ),
            ));
        }
        if forbidden.contains(&account) {
            return Err(ProviderError::new(
                ErrorKind::Auth,
                format!("AWS account ID not allowed: {account} is in forbidden_account_ids"),
            ));
        }
        Ok(())
    }

    /// The account id (STS GetCallerIdentity, once).
    pub async fn account_id(&self) -> ProviderResult<String> {
        self.account
            .get_or_try_init(|| async {
                let r = self.sts.get_caller_identity().send().await.map_err(sdk)?;
                Ok(r.account().unwrap_or("000000000000").to_string())
            })
            .await
            .cloned()
    }

    /// `tags_all` = provider default tags overlaid with the resource's own `tags`.
    pub fn with_tags_all(&self, schema: &ResourceSchema, planned: Value) -> Value {
        if !schema.block.attributes.contains_key("tags_all") {
            return planned;
        }
        let tags = planned.get_attr("tags").cloned().unwrap_or(Value::Null);
        if !tags.is_wholly_known() {
            return set(planned, "tags_all", Value::Unknown);
        }
        let mut all: Map = self
            .default_tags
            .iter()
            .map(|(k, v)| (k.clone(), Value::string(v.as_str())))
            .collect();
        for (k, v) in tags_of(&planned) {
            all.insert(k, Value::string(v));
        }
        set(planned, "tags_all", Value::map(all))
    }
}

fn set(v: Value, k: &str, x: Value) -> Value {
    let mut m = v.as_map().cloned().unwrap_or_default();
    m.insert(k.into(), x);
    Value::map(m)
}

/// The provider block's `assume_role`: credentials of that role (STS AssumeRole, refreshed
/// by the SDK before they expire), from the base credentials.
async fn assume_role(
    base: &aws_config::SdkConfig,
    role: &Value,
) -> ProviderResult<aws_config::SdkConfig> {
    let Some(arn) = attr_str(role, "role_arn") else {
        return Ok(base.clone());
    };
    let mut b = aws_config::sts::AssumeRoleProvider::builder(arn)
        .session_name(
            attr_str(role, "session_name")
                .unwrap_or_else(|| format!("gantry-{}", chrono_free_now())),
        )
        .configure(base);
    if let Some(x) = attr_str(role, "external_id") {
        b = b.external_id(x);
    }
    if let Some(p) = attr_str(role, "policy") {
        b = b.policy(p);
    }
    let arns = strings(role, "policy_arns");
    if !arns.is_empty() {
        b = b.policy_arns(arns);
    }
    if let Some(d) = attr_str(role, "duration") {
        let secs = gantry_core::provider_kit::parse_duration(&d).map_err(|e| {
            ProviderError::new(ErrorKind::Validation, format!("assume_role.duration: {e}"))
        })?;
        b = b.session_length(secs);
    }
    let tags = gantry_core::provider_kit::string_map(role, "tags");
    if !tags.is_empty() {
        b = b.tags(tags);
    }
    let provider = b.build().await;
    Ok(base
        .to_builder()
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(provider),
        )
        .build())
}

/// Seconds since the epoch, for a default session name.
fn chrono_free_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
