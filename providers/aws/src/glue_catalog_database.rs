//! `aws_glue_catalog_database`: where crawlers put the tables of prepared training data. Its
//! id is `CATALOG:NAME` (the catalog is the account unless configured); the name is the
//! identity, so an interrupted create is adopted by it. Everything but the name and catalog
//! changes in place (UpdateDatabase takes the whole definition).

use crate::clients::Clients;
use crate::error::sdk;
use crate::glue_tags;
use crate::util::*;
use crate::ResourceType;
use async_trait::async_trait;
use aws_sdk_glue::types::{
    DataLakePrincipal, Database, DatabaseIdentifier, DatabaseInput, Permission,
    PrincipalPermissions,
};
use gantry_core::provider::{
    ErrorKind, Op, PlanRequest, PlanResponse, ProviderResult, ResourceSchema,
};
use gantry_core::value::Value;

pub struct CatalogDatabase;

fn invalid(e: impl std::fmt::Display) -> gantry_core::provider::ProviderError {
    crate::ec2_object::invalid(e.to_string())
}

fn database_input(planned: &Value, name: &str) -> ProviderResult<DatabaseInput> {
    let params = string_map(planned, "parameters");
    let mut b = DatabaseInput::builder()
        .name(name)
        .set_description(attr_str(planned, "description").filter(|s| !s.is_empty()))
        .set_location_uri(attr_str(planned, "location_uri").filter(|s| !s.is_empty()))
        .set_parameters(glue_tags::to_send(&params));
    if let Some(t) = first(planned, "target_database") {
        b = b.target_database(
            DatabaseIdentifier::builder()
                .set_catalog_id(attr_str(t, "catalog_id"))
                .set_database_name(attr_str(t, "database_name"))
                .set_region(attr_str(t, "region").filter(|s| !s.is_empty()))
                .build(),
        );
    }
    let perms: Vec<PrincipalPermissions> = planned
        .get_attr("create_table_default_permission")
        .and_then(Value::as_seq)
        .unwrap_or_default()
        .iter()
        .map(|p| {
            PrincipalPermissions::builder()
                .set_principal(first(p, "principal").map(|pr| {
                    DataLakePrincipal::builder()
                        .set_data_lake_principal_identifier(attr_str(
                            pr,
                            "data_lake_principal_identifier",
                        ))
                        .build()
                }))
                .set_permissions(Some(
                    strings(p, "permissions")
                        .iter()
                        .map(|s| Permission::from(s.as_str()))
                        .collect(),
                ))
                .build()
        })
        .collect();
    if !perms.is_empty() {
        b = b.set_create_table_default_permissions(Some(perms));
    }
    b.build().map_err(invalid)
}

fn permissions_value(db: &Database) -> Value {
    Value::list(
        db.create_table_default_permissions()
            .iter()
            .map(|p| {
                let principal = p
                    .principal()
                    .map(|pr| {
                        vec![obj(vec![(
                            "data_lake_principal_identifier",
                            opt_str(pr.data_lake_principal_identifier()),
                        )])]
                    })
                    .unwrap_or_default();
                obj(vec![
                    (
                        "permissions",
                        Value::set(
                            p.permissions()
                                .iter()
                                .map(|x| Value::string(x.as_str()))
                                .collect(),
                        ),
                    ),
                    ("principal", Value::list(principal)),
                ])
            })
            .collect(),
    )
}

impl CatalogDatabase {
    async fn catalog(c: &Clients, planned: &Value) -> ProviderResult<String> {
        match attr_str(planned, "catalog_id") {
            Some(id) => Ok(id),
            None => c.account_id().await,
        }
    }
}

#[async_trait]
impl ResourceType for CatalogDatabase {
    fn name(&self) -> &'static str {
        "aws_glue_catalog_database"
    }

    fn schema(&self) -> ResourceSchema {
        crate::upstream::resource("aws_glue_catalog_database").force_new_at(&[
            "catalog_id",
            "name",
            "target_database",
        ])
    }

    fn implemented(&self) -> &'static [&'static str] {
        &[
            "catalog_id",
            "name",
            "description",
            "location_uri",
            "parameters",
            "target_database",
            "create_table_default_permission",
            "tags",
        ]
    }

    async fn plan(&self, _c: &Clients, req: &PlanRequest<'_>) -> ProviderResult<PlanResponse> {
        Ok(PlanResponse::of(keep_computed_blocks(
            &["create_table_default_permission"],
            req.prior,
            req.config,
            req.proposed,
        )))
    }

    async fn create(&self, c: &Clients, planned: &Value, _op: &Op<'_>) -> ProviderResult<Value> {
        let name = need_str(planned, "name")?;
        let catalog = Self::catalog(c, planned).await?;
        let r = c
            .glue
            .create_database()
            .catalog_id(&catalog)
            .database_input(database_input(planned, &name)?)
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
        let id = format!("{catalog}:{name}");
        self.read_back(
            c,
            &fill(planned, vec![("id", Value::string(id))]),
            "after create",
        )
        .await
    }

    async fn read(&self, c: &Clients, prior: &Value) -> ProviderResult<Option<Value>> {
        let id = need_str(prior, "id")?;
        let Some((catalog, name)) = id.split_once(':') else {
            return Err(invalid(format!(
                "unexpected format of ID ({id:?}), expected CATALOG-ID:DATABASE-NAME"
            )));
        };
        let r = match c
            .glue
            .get_database()
            .catalog_id(catalog)
            .name(name)
            .send()
            .await
            .map_err(sdk)
        {
            Ok(r) => r,
            Err(e) if e.kind == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let Some(db) = r.database() else {
            return Ok(None);
        };
        let arn = glue_tags::arn(c, "database", db.name()).await?;
        let tags = glue_tags::read(c, &arn).await?;
        let target = db
            .target_database()
            .map(|t| {
                vec![obj(vec![
                    ("catalog_id", opt_str(t.catalog_id())),
                    ("database_name", opt_str(t.database_name())),
                    ("region", Value::string(t.region().unwrap_or(""))),
                ])]
            })
            .unwrap_or_default();
        let parameters = db
            .parameters()
            .filter(|p| !p.is_empty())
            .map(|p| tags_value(&p.iter().map(|(k, v)| (k.clone(), v.clone())).collect()))
            .unwrap_or(Value::Null);
        let mut pairs = vec![
            ("id", Value::string(&id)),
            ("arn", Value::string(&arn)),
            ("name", Value::string(db.name())),
            (
                "catalog_id",
                Value::string(db.catalog_id().unwrap_or(catalog)),
            ),
            ("description", opt_str(db.description())),
            (
                "location_uri",
                Value::string(db.location_uri().unwrap_or("")),
            ),
            ("parameters", parameters),
            ("target_database", Value::list(target)),
            ("create_table_default_permission", permissions_value(db)),
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
        let id = need_str(prior, "id")?;
        let name = need_str(prior, "name")?;
        let catalog = need_str(prior, "catalog_id")?;
        let definition = [
            "description",
            "location_uri",
            "parameters",
            "create_table_default_permission",
        ];
        if definition
            .iter()
            .any(|k| prior.get_attr(k) != planned.get_attr(k))
        {
            c.glue
                .update_database()
                .catalog_id(&catalog)
                .name(&name)
                .database_input(database_input(planned, &name)?)
                .send()
                .await
                .map_err(sdk)?;
        }
        glue_tags::update(c, &need_str(prior, "arn")?, prior, planned).await?;
        self.read_back(
            c,
            &fill(planned, vec![("id", Value::string(id))]),
            "during update",
        )
        .await
    }

    async fn delete(&self, c: &Clients, prior: &Value, _op: &Op<'_>) -> ProviderResult<()> {
        gone_is_ok(
            c.glue
                .delete_database()
                .catalog_id(need_str(prior, "catalog_id")?)
                .name(need_str(prior, "name")?)
                .send()
                .await
                .map_err(sdk),
        )
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
        let id = format!(
            "{}:{}",
            Self::catalog(c, planned).await?,
            need_str(planned, "name")?
        );
        self.read(c, &fill(planned, vec![("id", Value::string(id))]))
            .await
    }
}
