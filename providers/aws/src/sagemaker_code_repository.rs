//! `aws_sagemaker_code_repository`: a Git repository notebooks and Studio apps clone. The
//! name is the identity (an interrupted create is adopted by it); only the credentials
//! secret changes in place, as upstream.

use crate::clients::Clients;
use crate::error::{is_missing, sdk};
use crate::sagemaker_model::{live_tags, sm_tags, sync_tags};
use crate::util::*;
use crate::ResourceType;
use async_trait::async_trait;
use aws_sdk_sagemaker::types::{GitConfig, GitConfigForUpdate};
use gantry_core::provider::{Op, ProviderResult, ResourceSchema};
use gantry_core::value::Value;

pub struct CodeRepository;

#[async_trait]
impl ResourceType for CodeRepository {
    fn name(&self) -> &'static str {
        "aws_sagemaker_code_repository"
    }

    fn schema(&self) -> ResourceSchema {
        crate::upstream::resource("aws_sagemaker_code_repository").force_new_at(&[
            "code_repository_name",
            "git_config.repository_url",
            "git_config.branch",
        ])
    }

    fn implemented(&self) -> &'static [&'static str] {
        &["code_repository_name", "git_config", "tags"]
    }

    async fn create(&self, c: &Clients, planned: &Value, _op: &Op<'_>) -> ProviderResult<Value> {
        let name = need_str(planned, "code_repository_name")?;
        let git = first(planned, "git_config");
        let r = c
            .sagemaker
            .create_code_repository()
            .code_repository_name(&name)
            .set_git_config(git.map(|g| {
                GitConfig::builder()
                    .set_repository_url(attr_str(g, "repository_url"))
                    .set_branch(attr_str(g, "branch").filter(|s| !s.is_empty()))
                    .set_secret_arn(attr_str(g, "secret_arn").filter(|s| !s.is_empty()))
                    .build()
            }))
            .set_tags(Some(sm_tags(&send_tags(planned))))
            .send()
            .await
            .map_err(sdk);
        match r {
            Ok(_) => {}
            // The name is the identity: a lost earlier attempt made it.
            Err(e) if e.message.contains("already existing") => {}
            Err(e) => return Err(e),
        }
        self.read_back(
            c,
            &fill(planned, vec![("id", Value::string(&name))]),
            "after create",
        )
        .await
    }

    async fn read(&self, c: &Clients, prior: &Value) -> ProviderResult<Option<Value>> {
        let name = attr_str(prior, "id")
            .or_else(|| attr_str(prior, "code_repository_name"))
            .unwrap_or_default();
        let r = match c
            .sagemaker
            .describe_code_repository()
            .code_repository_name(&name)
            .send()
            .await
            .map_err(sdk)
        {
            Ok(r) => r,
            Err(e) if is_missing(&e) || e.message.contains("Cannot find") => return Ok(None),
            Err(e) => return Err(e),
        };
        let arn = r.code_repository_arn().unwrap_or_default().to_string();
        let git = r
            .git_config()
            .map(|g| {
                vec![obj(vec![
                    ("repository_url", opt_str(g.repository_url())),
                    ("branch", Value::string(g.branch().unwrap_or(""))),
                    ("secret_arn", Value::string(g.secret_arn().unwrap_or(""))),
                ])]
            })
            .unwrap_or_default();
        let tags = live_tags(c, &arn).await?;
        let mut pairs = vec![
            ("id", Value::string(&name)),
            ("code_repository_name", Value::string(&name)),
            ("arn", Value::string(&arn)),
            ("git_config", Value::list(git)),
        ];
        pairs.extend(tag_attrs(prior, &tags));
        Ok(Some(fill(prior, pairs)))
    }

    async fn update(
        &self,
        c: &Clients,
        prior: &Value,
        planned: &Value,
        _op: &Op<'_>,
    ) -> ProviderResult<Value> {
        let name = need_str(prior, "id")?;
        let secret = |v: &Value| first(v, "git_config").and_then(|g| attr_str(g, "secret_arn"));
        if secret(prior) != secret(planned) {
            c.sagemaker
                .update_code_repository()
                .code_repository_name(&name)
                .git_config(
                    GitConfigForUpdate::builder()
                        .set_secret_arn(secret(planned))
                        .build(),
                )
                .send()
                .await
                .map_err(sdk)?;
        }
        sync_tags(c, &need_str(prior, "arn")?, prior, planned).await?;
        self.read_back(
            c,
            &fill(planned, vec![("id", Value::string(&name))]),
            "during update",
        )
        .await
    }

    async fn delete(&self, c: &Clients, prior: &Value, _op: &Op<'_>) -> ProviderResult<()> {
        match c
            .sagemaker
            .delete_code_repository()
            .code_repository_name(need_str(prior, "id")?)
            .send()
            .await
            .map_err(sdk)
        {
            Err(e) if e.message.contains("Cannot find") => Ok(()),
            r => gone_is_ok(r),
        }
    }

    async fn import(&self, c: &Clients, id: &str) -> ProviderResult<Option<Value>> {
        self.read(c, &obj(vec![("id", Value::string(id))])).await
    }

    async fn find_by_token(
        &self,
        c: &Clients,
        _token: &str,
        planned: &Value,
    ) -> ProviderResult<Option<Value>> {
        let name = need_str(planned, "code_repository_name")?;
        self.read(c, &fill(planned, vec![("id", Value::string(name))]))
            .await
    }
}
