//! `aws_glue_crawler`: catalogs the raw training data (S3 prefixes, other catalog tables,
//! DynamoDB, JDBC) into a Glue database. The name is the identity (an interrupted create is
//! adopted by it); everything but the name and database changes in place with UpdateCrawler,
//! which takes the whole definition.
//!
//! Upstream's plan rules kept: the role may be configured as an ARN while Glue reports its
//! name; `configuration` is JSON kept normalised; the policy blocks left out of the
//! configuration keep what Glue reports (SuppressMissingOptionalConfigurationBlock).

use crate::clients::Clients;
use crate::error::sdk;
use crate::glue_tags;
use crate::iam_role::normalized_json;
use crate::util::*;
use crate::ResourceType;
use async_trait::async_trait;
use aws_sdk_glue::types::{
    CatalogTarget, Crawler, CrawlerLineageSettings, CrawlerTargets, DeleteBehavior, DynamoDbTarget,
    JdbcMetadataEntry, JdbcTarget, LineageConfiguration, RecrawlBehavior, RecrawlPolicy, S3Target,
    SchemaChangePolicy, UpdateBehavior,
};
use gantry_core::provider::{
    ErrorKind, Op, PlanRequest, PlanResponse, ProviderResult, ResourceSchema,
};
use gantry_core::value::Value;

pub struct GlueCrawler;

/// Blocks whose absence from the configuration upstream suppresses.
const SUPPRESSED_WHEN_MISSING: &[&str] = &[
    "schema_change_policy",
    "lineage_configuration",
    "recrawl_policy",
];

fn targets(planned: &Value) -> CrawlerTargets {
    let s3 = blocks(planned, "s3_target")
        .iter()
        .map(|t| {
            S3Target::builder()
                .set_path(attr_str(t, "path"))
                .set_connection_name(nonempty(t, "connection_name"))
                .set_exclusions(Some(strings(t, "exclusions")).filter(|e| !e.is_empty()))
                .set_sample_size(
                    attr_num(t, "sample_size")
                        .filter(|n| *n > 0.0)
                        .map(|n| n as i32),
                )
                .set_event_queue_arn(nonempty(t, "event_queue_arn"))
                .set_dlq_event_queue_arn(nonempty(t, "dlq_event_queue_arn"))
                .build()
        })
        .collect();
    let catalog = blocks(planned, "catalog_target")
        .iter()
        .filter_map(|t| {
            CatalogTarget::builder()
                .set_database_name(attr_str(t, "database_name"))
                .set_tables(Some(strings(t, "tables")))
                .set_connection_name(nonempty(t, "connection_name"))
                .set_event_queue_arn(nonempty(t, "event_queue_arn"))
                .set_dlq_event_queue_arn(nonempty(t, "dlq_event_queue_arn"))
                .build()
                .ok()
        })
        .collect();
    let dynamodb = blocks(planned, "dynamodb_target")
        .iter()
        .map(|t| {
            DynamoDbTarget::builder()
                .set_path(attr_str(t, "path"))
                .scan_all(attr_bool(t, "scan_all").unwrap_or(true))
                .set_scan_rate(attr_num(t, "scan_rate").filter(|r| *r != 0.0))
                .build()
        })
        .collect();
    let jdbc = blocks(planned, "jdbc_target")
        .iter()
        .map(|t| {
            JdbcTarget::builder()
                .set_path(attr_str(t, "path"))
                .set_connection_name(attr_str(t, "connection_name"))
                .set_exclusions(Some(strings(t, "exclusions")))
                .set_enable_additional_metadata(Some(
                    strings(t, "enable_additional_metadata")
                        .iter()
                        .map(|m| JdbcMetadataEntry::from(m.as_str()))
                        .collect(),
                ))
                .build()
        })
        .collect();
    CrawlerTargets::builder()
        .set_s3_targets(Some(s3))
        .set_catalog_targets(Some(catalog))
        .set_dynamo_db_targets(Some(dynamodb))
        .set_jdbc_targets(Some(jdbc))
        .build()
}

fn schema_change_policy(planned: &Value) -> Option<SchemaChangePolicy> {
    first(planned, "schema_change_policy").map(|p| {
        SchemaChangePolicy::builder()
            .set_update_behavior(
                nonempty(p, "update_behavior").map(|s| UpdateBehavior::from(s.as_str())),
            )
            .set_delete_behavior(
                nonempty(p, "delete_behavior").map(|s| DeleteBehavior::from(s.as_str())),
            )
            .build()
    })
}

fn lineage(planned: &Value) -> Option<LineageConfiguration> {
    first(planned, "lineage_configuration").map(|l| {
        LineageConfiguration::builder()
            .set_crawler_lineage_settings(
                nonempty(l, "crawler_lineage_settings")
                    .map(|s| CrawlerLineageSettings::from(s.as_str())),
            )
            .build()
    })
}

fn recrawl(planned: &Value) -> Option<RecrawlPolicy> {
    first(planned, "recrawl_policy").map(|r| {
        RecrawlPolicy::builder()
            .set_recrawl_behavior(
                nonempty(r, "recrawl_behavior").map(|s| RecrawlBehavior::from(s.as_str())),
            )
            .build()
    })
}

fn configuration(planned: &Value) -> Option<String> {
    nonempty(planned, "configuration").map(|c| normalized_json(&c))
}

fn str_list(items: &[String]) -> Value {
    Value::list(items.iter().map(Value::string).collect())
}

fn targets_value(cr: &Crawler) -> Vec<(&'static str, Value)> {
    let Some(t) = cr.targets() else {
        return vec![];
    };
    let s3 = t
        .s3_targets()
        .iter()
        .map(|s| {
            obj(vec![
                ("path", opt_str(s.path())),
                (
                    "connection_name",
                    Value::string(s.connection_name().unwrap_or("")),
                ),
                ("exclusions", str_list(s.exclusions())),
                (
                    "sample_size",
                    Value::Number(s.sample_size().unwrap_or(0) as f64),
                ),
                (
                    "event_queue_arn",
                    Value::string(s.event_queue_arn().unwrap_or("")),
                ),
                (
                    "dlq_event_queue_arn",
                    Value::string(s.dlq_event_queue_arn().unwrap_or("")),
                ),
            ])
        })
        .collect();
    let catalog = t
        .catalog_targets()
        .iter()
        .map(|c| {
            obj(vec![
                ("database_name", Value::string(c.database_name())),
                ("tables", str_list(c.tables())),
                (
                    "connection_name",
                    Value::string(c.connection_name().unwrap_or("")),
                ),
                (
                    "event_queue_arn",
                    Value::string(c.event_queue_arn().unwrap_or("")),
                ),
                (
                    "dlq_event_queue_arn",
                    Value::string(c.dlq_event_queue_arn().unwrap_or("")),
                ),
            ])
        })
        .collect();
    let dynamodb = t
        .dynamo_db_targets()
        .iter()
        .map(|d| {
            obj(vec![
                ("path", opt_str(d.path())),
                ("scan_all", Value::Bool(d.scan_all().unwrap_or(true))),
                ("scan_rate", Value::Number(d.scan_rate().unwrap_or(0.0))),
            ])
        })
        .collect();
    let jdbc = t
        .jdbc_targets()
        .iter()
        .map(|j| {
            obj(vec![
                ("path", opt_str(j.path())),
                ("connection_name", opt_str(j.connection_name())),
                ("exclusions", str_list(j.exclusions())),
                (
                    "enable_additional_metadata",
                    Value::list(
                        j.enable_additional_metadata()
                            .iter()
                            .map(|m| Value::string(m.as_str()))
                            .collect(),
                    ),
                ),
            ])
        })
        .collect();
    vec![
        ("s3_target", Value::list(s3)),
        ("catalog_target", Value::list(catalog)),
        ("dynamodb_target", Value::list(dynamodb)),
        ("jdbc_target", Value::list(jdbc)),
    ]
}

#[async_trait]
impl ResourceType for GlueCrawler {
    fn name(&self) -> &'static str {
        "aws_glue_crawler"
    }

    fn schema(&self) -> ResourceSchema {
        crate::upstream::resource("aws_glue_crawler")
            .force_new_at(&["name", "database_name"])
            .default_at(
                "schema_change_policy.delete_behavior",
                Value::string("DEPRECATE_IN_DATABASE"),
            )
            .default_at(
                "schema_change_policy.update_behavior",
                Value::string("UPDATE_IN_DATABASE"),
            )
            .default_at(
                "lineage_configuration.crawler_lineage_settings",
                Value::string("DISABLE"),
            )
            .default_at(
                "recrawl_policy.recrawl_behavior",
                Value::string("CRAWL_EVERYTHING"),
            )
            .default_at("dynamodb_target.scan_all", Value::Bool(true))
    }

    fn implemented(&self) -> &'static [&'static str] {
        &[
            "name",
            "database_name",
            "role",
            "description",
            "schedule",
            "classifiers",
            "configuration",
            "security_configuration",
            "table_prefix",
            "s3_target",
            "catalog_target",
            "dynamodb_target",
            "jdbc_target",
            "schema_change_policy",
            "lineage_configuration",
            "recrawl_policy",
            "tags",
        ]
    }

    async fn plan(&self, _c: &Clients, req: &PlanRequest<'_>) -> ProviderResult<PlanResponse> {
        let mut pairs: Vec<(&str, Value)> = Vec::new();
        if let Some(cfg) = nonempty(req.proposed, "configuration") {
            if serde_json::from_str::<serde_json::Value>(&cfg).is_err() {
                return Err(crate::ec2_object::invalid(format!(
                    "configuration contains an invalid JSON: {cfg:?}"
                )));
            }
            // Kept normalised in state (upstream's StateFunc); equivalent JSON is no change.
            pairs.push(("configuration", Value::string(normalized_json(&cfg))));
        }
        if let Some(prior) = req.prior {
            // Glue reports the role's name where an ARN was configured.
            if let (Some(was), Some(now)) =
                (attr_str(prior, "role"), attr_str(req.proposed, "role"))
            {
                if now.starts_with("arn:")
                    && now.rsplit_once("role/").map(|x| x.1) == Some(was.as_str())
                {
                    pairs.push(("role", Value::string(was)));
                }
            }
            for b in SUPPRESSED_WHEN_MISSING {
                if blocks(req.config, b).is_empty() {
                    pairs.push((b, prior.get_attr(b).cloned().unwrap_or(Value::Null)));
                }
            }
        }
        Ok(PlanResponse::of(fill(req.proposed, pairs)))
    }

    async fn create(&self, c: &Clients, planned: &Value, _op: &Op<'_>) -> ProviderResult<Value> {
        let name = need_str(planned, "name")?;
        let r = c
            .glue
            .create_crawler()
            .name(&name)
            .database_name(need_str(planned, "database_name")?)
            .role(need_str(planned, "role")?)
            .targets(targets(planned))
            .set_description(nonempty(planned, "description"))
            .set_schedule(nonempty(planned, "schedule"))
            .set_classifiers(Some(strings(planned, "classifiers")).filter(|c| !c.is_empty()))
            .set_schema_change_policy(schema_change_policy(planned))
            .set_table_prefix(nonempty(planned, "table_prefix"))
            .set_configuration(configuration(planned))
            .set_crawler_security_configuration(nonempty(planned, "security_configuration"))
            .set_lineage_configuration(lineage(planned))
            .set_recrawl_policy(recrawl(planned))
            .set_tags(glue_tags::to_send(&send_tags(planned)))
            .send()
            .await
            .map_err(sdk);
        match r {
            Ok(_) => {}
            // The name is the identity: a lost earlier attempt made it.
            Err(e) if e.code.as_deref() == Some("AlreadyExistsException") => {}
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
        let cr = match c.glue.get_crawler().name(&name).send().await.map_err(sdk) {
            Ok(r) => match r.crawler {
                Some(cr) => cr,
                None => return Ok(None),
            },
            Err(e) if e.kind == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let arn = glue_tags::arn(c, "crawler", &name).await?;
        let tags = glue_tags::read(c, &arn).await?;
        let schema_policy = cr
            .schema_change_policy()
            .map(|p| {
                vec![obj(vec![
                    (
                        "delete_behavior",
                        Value::string(p.delete_behavior().map(|d| d.as_str()).unwrap_or("")),
                    ),
                    (
                        "update_behavior",
                        Value::string(p.update_behavior().map(|u| u.as_str()).unwrap_or("")),
                    ),
                ])]
            })
            .unwrap_or_default();
        let lineage = cr
            .lineage_configuration()
            .map(|l| {
                vec![obj(vec![(
                    "crawler_lineage_settings",
                    Value::string(
                        l.crawler_lineage_settings()
                            .map(|s| s.as_str())
                            .unwrap_or(""),
                    ),
                )])]
            })
            .unwrap_or_default();
        let recrawl = cr
            .recrawl_policy()
            .map(|r| {
                vec![obj(vec![(
                    "recrawl_behavior",
                    Value::string(r.recrawl_behavior().map(|b| b.as_str()).unwrap_or("")),
                )])]
            })
            .unwrap_or_default();
        let mut pairs = vec![
            ("id", Value::string(&name)),
            ("arn", Value::string(&arn)),
            ("name", Value::string(&name)),
            ("database_name", opt_str(cr.database_name())),
            ("role", opt_str(cr.role())),
            (
                "configuration",
                Value::string(cr.configuration().map(normalized_json).unwrap_or_default()),
            ),
            ("description", Value::string(cr.description().unwrap_or(""))),
            (
                "security_configuration",
                Value::string(cr.crawler_security_configuration().unwrap_or("")),
            ),
            (
                "schedule",
                Value::string(
                    cr.schedule()
                        .and_then(|s| s.schedule_expression())
                        .unwrap_or(""),
                ),
            ),
            // SDKv2 keeps an empty top-level list as null.
            (
                "classifiers",
                Some(cr.classifiers())
                    .filter(|c| !c.is_empty())
                    .map(str_list)
                    .unwrap_or(Value::Null),
            ),
            (
                "table_prefix",
                Value::string(cr.table_prefix().unwrap_or("")),
            ),
            ("schema_change_policy", Value::list(schema_policy)),
            ("lineage_configuration", Value::list(lineage)),
            ("recrawl_policy", Value::list(recrawl)),
        ];
        pairs.extend(targets_value(&cr));
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
        if changed_besides(prior, planned, &["tags", "tags_all"]) {
            c.glue
                .update_crawler()
                .name(&name)
                .database_name(need_str(planned, "database_name")?)
                .role(need_str(planned, "role")?)
                .targets(targets(planned))
                .set_description(nonempty(planned, "description"))
                // Empty clears: UpdateCrawler keeps what is left out.
                .schedule(nonempty(planned, "schedule").unwrap_or_default())
                .set_classifiers(Some(strings(planned, "classifiers")).filter(|c| !c.is_empty()))
                .set_schema_change_policy(schema_change_policy(planned))
                .table_prefix(nonempty(planned, "table_prefix").unwrap_or_default())
                .configuration(configuration(planned).unwrap_or_default())
                .set_crawler_security_configuration(nonempty(planned, "security_configuration"))
                .set_lineage_configuration(lineage(planned))
                .set_recrawl_policy(recrawl(planned))
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
                .delete_crawler()
                .name(need_str(prior, "id")?)
                .send()
                .await
                .map_err(sdk),
        )
    }

    async fn import(&self, c: &Clients, id: &str) -> ProviderResult<Option<Value>> {
        self.read(c, &obj(vec![("id", Value::string(id))])).await
    }
}
