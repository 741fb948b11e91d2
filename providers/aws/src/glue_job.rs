//! `aws_glue_job`: an ETL or Python-shell job that prepares training data. The name is the
//! identity (an interrupted create is adopted by it); everything but the name changes in
//! place with UpdateJob, which takes the whole definition.

use crate::clients::Clients;
use crate::error::sdk;
use crate::glue_tags;
use crate::util::*;
use crate::ResourceType;
use async_trait::async_trait;
use aws_sdk_glue::types::{
    ConnectionsList, ExecutionClass, ExecutionProperty, Job, JobCommand, JobUpdate,
    NotificationProperty, WorkerType,
};
use gantry_core::provider::{
    ErrorKind, Op, PlanRequest, PlanResponse, ProviderResult, ResourceSchema,
};
use gantry_core::value::Value;

pub struct GlueJob;

/// Blocks upstream declares Optional + Computed.
const COMPUTED_BLOCKS: &[&str] = &["execution_property", "notification_property"];

fn positive(v: &Value, k: &str) -> Option<i32> {
    attr_num(v, k).filter(|n| *n > 0.0).map(|n| n as i32)
}

fn command(planned: &Value) -> JobCommand {
    let c = first(planned, "command");
    let get = |k: &str| c.and_then(|c| nonempty(c, k));
    JobCommand::builder()
        .name(get("name").unwrap_or_else(|| "glueetl".into()))
        .set_script_location(get("script_location"))
        .set_python_version(get("python_version"))
        .set_runtime(get("runtime"))
        .build()
}

fn connections(planned: &Value) -> Option<ConnectionsList> {
    let c = strings(planned, "connections");
    (!c.is_empty()).then(|| ConnectionsList::builder().set_connections(Some(c)).build())
}

fn execution_property(planned: &Value) -> Option<ExecutionProperty> {
    first(planned, "execution_property").map(|e| {
        ExecutionProperty::builder()
            .max_concurrent_runs(attr_num(e, "max_concurrent_runs").unwrap_or(1.0) as i32)
            .build()
    })
}

fn notification_property(planned: &Value) -> Option<NotificationProperty> {
    first(planned, "notification_property").map(|n| {
        NotificationProperty::builder()
            .set_notify_delay_after(positive(n, "notify_delay_after"))
            .build()
    })
}

fn map_arg(planned: &Value, k: &str) -> Option<std::collections::HashMap<String, String>> {
    glue_tags::to_send(&string_map(planned, k))
}

fn str_map(m: Option<&std::collections::HashMap<String, String>>) -> Value {
    match m {
        Some(m) if !m.is_empty() => {
            tags_value(&m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        }
        _ => Value::Null,
    }
}

fn to_value(
    prior: &Value,
    job: &Job,
    arn: &str,
    tags: &std::collections::BTreeMap<String, String>,
) -> Value {
    let name = job.name().unwrap_or_default();
    let command = job
        .command()
        .map(|c| {
            vec![obj(vec![
                ("name", Value::string(c.name().unwrap_or(""))),
                (
                    "script_location",
                    Value::string(c.script_location().unwrap_or("")),
                ),
                (
                    "python_version",
                    Value::string(c.python_version().unwrap_or("")),
                ),
                ("runtime", Value::string(c.runtime().unwrap_or(""))),
            ])]
        })
        .unwrap_or_default();
    let execution = job
        .execution_property()
        .map(|e| {
            vec![obj(vec![(
                "max_concurrent_runs",
                Value::Number(e.max_concurrent_runs() as f64),
            )])]
        })
        .unwrap_or_default();
    let notification = job
        .notification_property()
        .map(|n| {
            vec![obj(vec![(
                "notify_delay_after",
                Value::Number(n.notify_delay_after().unwrap_or(0) as f64),
            )])]
        })
        .unwrap_or_default();
    let num = |n: Option<f64>| n.map(Value::Number).unwrap_or(Value::Null);
    let mut pairs = vec![
        ("id", Value::string(name)),
        ("arn", Value::string(arn)),
        ("name", Value::string(name)),
        ("command", Value::list(command)),
        // SDKv2 keeps an empty top-level list as null.
        (
            "connections",
            job.connections()
                .map(|c| c.connections())
                .filter(|c| !c.is_empty())
                .map(|c| Value::list(c.iter().map(Value::string).collect()))
                .unwrap_or(Value::Null),
        ),
        (
            "job_run_queuing_enabled",
            Value::Bool(job.job_run_queuing_enabled().unwrap_or(false)),
        ),
        (
            "maintenance_window",
            Value::string(job.maintenance_window().unwrap_or("")),
        ),
        ("default_arguments", str_map(job.default_arguments())),
        (
            "non_overridable_arguments",
            str_map(job.non_overridable_arguments()),
        ),
        (
            "description",
            Value::string(job.description().unwrap_or("")),
        ),
        (
            "execution_class",
            Value::string(job.execution_class().map(|e| e.as_str()).unwrap_or("")),
        ),
        ("execution_property", Value::list(execution)),
        ("notification_property", Value::list(notification)),
        ("glue_version", opt_str(job.glue_version())),
        (
            "max_capacity",
            Value::Number(job.max_capacity().unwrap_or(0.0)),
        ),
        ("max_retries", Value::Number(job.max_retries() as f64)),
        (
            "number_of_workers",
            num(job.number_of_workers().map(f64::from)),
        ),
        ("role_arn", opt_str(job.role())),
        (
            "security_configuration",
            Value::string(job.security_configuration().unwrap_or("")),
        ),
        ("timeout", num(job.timeout().map(f64::from))),
        (
            "worker_type",
            opt_str(job.worker_type().map(|w| w.as_str())),
        ),
    ];
    pairs.extend(tag_attrs(prior, tags));
    fill(prior, pairs)
}

#[async_trait]
impl ResourceType for GlueJob {
    fn name(&self) -> &'static str {
        "aws_glue_job"
    }

    fn schema(&self) -> ResourceSchema {
        crate::upstream::resource("aws_glue_job")
            .force_new_at(&["name"])
            .default_at("command.name", Value::string("glueetl"))
            .default_at("execution_property.max_concurrent_runs", Value::Number(1.0))
    }

    fn implemented(&self) -> &'static [&'static str] {
        &[
            "name",
            "role_arn",
            "command",
            "connections",
            "default_arguments",
            "non_overridable_arguments",
            "description",
            "execution_class",
            "execution_property",
            "notification_property",
            "glue_version",
            "max_capacity",
            "max_retries",
            "number_of_workers",
            "security_configuration",
            "timeout",
            "worker_type",
            "tags",
        ]
    }

    async fn plan(&self, _c: &Clients, req: &PlanRequest<'_>) -> ProviderResult<PlanResponse> {
        let has = |k: &str| req.config.get_attr(k).is_some_and(|v| !v.is_null());
        if has("max_capacity") && (has("number_of_workers") || has("worker_type")) {
            return Err(crate::ec2_object::invalid(
                "\"max_capacity\": conflicts with number_of_workers and worker_type",
            ));
        }
        Ok(PlanResponse::of(keep_computed_blocks(
            COMPUTED_BLOCKS,
            req.prior,
            req.config,
            req.proposed,
        )))
    }

    async fn create(&self, c: &Clients, planned: &Value, _op: &Op<'_>) -> ProviderResult<Value> {
        let name = need_str(planned, "name")?;
        let r = c
            .glue
            .create_job()
            .name(&name)
            .role(need_str(planned, "role_arn")?)
            .command(command(planned))
            .set_connections(connections(planned))
            .set_default_arguments(map_arg(planned, "default_arguments"))
            .set_non_overridable_arguments(map_arg(planned, "non_overridable_arguments"))
            .set_description(nonempty(planned, "description"))
            .set_execution_class(
                nonempty(planned, "execution_class").map(|e| ExecutionClass::from(e.as_str())),
            )
            .set_execution_property(execution_property(planned))
            .set_notification_property(notification_property(planned))
            .set_glue_version(nonempty(planned, "glue_version"))
            .set_max_capacity(attr_num(planned, "max_capacity").filter(|n| *n != 0.0))
            .set_max_retries(positive(planned, "max_retries"))
            .set_number_of_workers(positive(planned, "number_of_workers"))
            .set_security_configuration(nonempty(planned, "security_configuration"))
            .set_timeout(positive(planned, "timeout"))
            .set_worker_type(nonempty(planned, "worker_type").map(|w| WorkerType::from(w.as_str())))
            .set_tags(glue_tags::to_send(&send_tags(planned)))
            .send()
            .await
            .map_err(sdk);
        match r {
            Ok(_) => {}
            // The name is the identity: a lost earlier attempt made it.
            Err(e)
                if matches!(
                    e.code.as_deref(),
                    Some("AlreadyExistsException" | "IdempotentParameterMismatchException")
                ) => {}
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
            .or_else(|| attr_str(prior, "name"))
            .unwrap_or_default();
        let job = match c.glue.get_job().job_name(&name).send().await.map_err(sdk) {
            Ok(r) => match r.job {
                Some(j) => j,
                None => return Ok(None),
            },
            Err(e) if e.kind == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let arn = glue_tags::arn(c, "job", &name).await?;
        let tags = glue_tags::read(c, &arn).await?;
        Ok(Some(to_value(prior, &job, &arn, &tags)))
    }

    async fn update(
        &self,
        c: &Clients,
        prior: &Value,
        planned: &Value,
        _op: &Op<'_>,
    ) -> ProviderResult<Value> {
        let name = need_str(prior, "id")?;
        if changed_besides(prior, planned, &["tags", "tags_all"]) {
            let workers = positive(planned, "number_of_workers");
            let update = JobUpdate::builder()
                .role(need_str(planned, "role_arn")?)
                .command(command(planned))
                .set_connections(connections(planned))
                .set_default_arguments(map_arg(planned, "default_arguments"))
                .set_non_overridable_arguments(map_arg(planned, "non_overridable_arguments"))
                .set_description(nonempty(planned, "description"))
                .set_execution_class(
                    nonempty(planned, "execution_class").map(|e| ExecutionClass::from(e.as_str())),
                )
                .set_execution_property(execution_property(planned))
                .set_notification_property(notification_property(planned))
                .set_glue_version(nonempty(planned, "glue_version"))
                .set_max_retries(positive(planned, "max_retries"))
                // Workers and capacity are exclusive: upstream sends capacity only without
                // workers.
                .set_number_of_workers(workers)
                .set_max_capacity(
                    workers
                        .is_none()
                        .then(|| attr_num(planned, "max_capacity").filter(|n| *n != 0.0))
                        .flatten(),
                )
                .set_security_configuration(nonempty(planned, "security_configuration"))
                .set_timeout(positive(planned, "timeout"))
                .set_worker_type(
                    nonempty(planned, "worker_type").map(|w| WorkerType::from(w.as_str())),
                )
                .build();
            c.glue
                .update_job()
                .job_name(&name)
                .job_update(update)
                .send()
                .await
                .map_err(sdk)?;
        }
        glue_tags::update(c, &need_str(prior, "arn")?, prior, planned).await?;
        self.read_back(
            c,
            &fill(planned, vec![("id", Value::string(&name))]),
            "during update",
        )
        .await
    }

    async fn delete(&self, c: &Clients, prior: &Value, _op: &Op<'_>) -> ProviderResult<()> {
        gone_is_ok(
            c.glue
                .delete_job()
                .job_name(need_str(prior, "id")?)
                .send()
                .await
                .map_err(sdk),
        )
    }

    async fn import(&self, c: &Clients, id: &str) -> ProviderResult<Option<Value>> {
        self.read(c, &obj(vec![("id", Value::string(id))])).await
    }
}
