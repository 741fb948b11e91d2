//! `backend "pg"`: Terraform's PostgreSQL backend. One row per workspace in
//! `<schema_name>.states (id, name, data)` (ids from `public.global_states_id_seq`, shared
//! by every schema as in Terraform), created if missing unless `skip_*_creation` says not to.
//! Locking is Terraform's: session-level advisory locks on the workspace row's id, and on
//! `-1` while a workspace is being created, so Terraform and gantry exclude each other.
//!
//! An advisory lock lives as long as the session that took it, so each held lock keeps its
//! own connection open (a process that dies releases its lock with its connection). The
//! holder's lock info goes in `<schema_name>.gantry_locks` keyed by that session's pid; a
//! refused caller finds the pid holding the advisory lock in `pg_locks` and reads the info
//! (Terraform records none: its sessions are described from `pg_stat_activity`).

use crate::util::io;
use async_trait::async_trait;
use gantry_core::state::remote::{
    with_default, BackendArgs, Connecting, RemoteBackend, RemoteState,
};
use gantry_core::state::{LockInfo, StateError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio_postgres::{Client, NoTls};

pub struct PgBackend {
    inner: Arc<Inner>,
}

struct Inner {
    conn_str: String,
    schema: String,
    client: Client,
    /// Held locks: lock id → (its session, the advisory key locked).
    held: Mutex<HashMap<String, (Client, i64)>>,
}

pub fn connect(args: BackendArgs) -> Connecting {
    Box::pin(async move { Ok(Arc::new(PgBackend::new(&args).await?) as Arc<dyn RemoteBackend>) })
}

/// Opens a session; its connection task runs until the client is dropped.
async fn session(conn_str: &str, application_name: &str) -> Result<Client, String> {
    let mut cfg: tokio_postgres::Config = conn_str
        .parse()
        .map_err(|e| format!("conn_str is not a valid connection string: {e}"))?;
    if matches!(cfg.get_ssl_mode(), tokio_postgres::config::SslMode::Require) {
        return Err("conn_str asks for sslmode=require: TLS to PostgreSQL is not supported by this version of gantry (use sslmode=disable on a trusted network, or a local proxy)".into());
    }
    cfg.application_name(application_name);
    let (client, conn) = cfg
        .connect(NoTls)
        .await
        .map_err(|e| format!("connecting to PostgreSQL: {e}"))?;
    tokio::spawn(async move {
        if let Err(e) = conn.await {
            tracing::debug!("PostgreSQL connection closed: {e}");
        }
    });
    Ok(client)
}

/// A schema name as an SQL identifier.
fn ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

impl PgBackend {
    pub async fn new(a: &BackendArgs) -> Result<PgBackend, String> {
        let conn_str = a
            .str_or_env("conn_str", &["PG_CONN_STR"])
            .ok_or("The argument \"conn_str\" is required, but was not set (nor PG_CONN_STR).")?;
        let schema = a
            .str_or_env("schema_name", &["PG_SCHEMA_NAME"])
            .unwrap_or_else(|| "terraform_remote_state".into());
        let client = session(&conn_str, "gantry").await?;
        let s = ident(&schema);
        let skip = |k: &str| a.bool(k).unwrap_or(false);
        if !skip("skip_schema_creation") {
            client
                .batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {s}"))
                .await
                .map_err(|e| format!("creating schema {schema}: {e}"))?;
        }
        if !skip("skip_table_creation") {
            client
                .batch_execute(&format!(
                    "CREATE SEQUENCE IF NOT EXISTS public.global_states_id_seq AS bigint;
                     CREATE TABLE IF NOT EXISTS {s}.states (
                         id bigint NOT NULL DEFAULT nextval('public.global_states_id_seq') PRIMARY KEY,
                         name text UNIQUE,
                         data text)"
                ))
                .await
                .map_err(|e| format!("creating {schema}.states: {e}"))?;
        }
        client
            .batch_execute(&format!(
                "CREATE TABLE IF NOT EXISTS {s}.gantry_locks (id text PRIMARY KEY, pid integer NOT NULL, info text NOT NULL)"
            ))
            .await
            .map_err(|e| format!("creating {schema}.gantry_locks: {e}"))?;
        if !skip("skip_index_creation") {
            client
                .batch_execute(&format!(
                    "CREATE UNIQUE INDEX IF NOT EXISTS states_by_name ON {s}.states (name)"
                ))
                .await
                .map_err(|e| format!("creating the index on {schema}.states: {e}"))?;
        }
        Ok(PgBackend {
            inner: Arc::new(Inner {
                conn_str,
                schema,
                client,
                held: Mutex::new(HashMap::new()),
            }),
        })
    }
}

#[async_trait]
impl RemoteBackend for PgBackend {
    fn kind(&self) -> &str {
        "pg"
    }

    async fn workspaces(&self) -> Result<Vec<String>, StateError> {
        let rows = self
            .inner
            .client
            .query(
                &format!(
                    "SELECT name FROM {}.states ORDER BY name",
                    ident(&self.inner.schema)
                ),
                &[],
            )
            .await
            .map_err(|e| io("listing workspaces", e))?;
        Ok(with_default(
            rows.iter()
                .filter_map(|r| r.get::<_, Option<String>>(0))
                .filter(|n| !n.ends_with(".gantry-intents"))
                .collect(),
        ))
    }

    fn state(&self, workspace: &str) -> Box<dyn RemoteState> {
        Box::new(PgState {
            inner: self.inner.clone(),
            name: workspace.to_string(),
        })
    }
}

struct PgState {
    inner: Arc<Inner>,
    name: String,
}

impl Inner {
    fn table(&self) -> String {
        format!("{}.states", ident(&self.schema))
    }

    async fn get_row(&self, name: &str) -> Result<Option<Vec<u8>>, StateError> {
        let row = self
            .client
            .query_opt(
                &format!("SELECT data FROM {} WHERE name = $1", self.table()),
                &[&name],
            )
            .await
            .map_err(|e| io(format!("reading workspace {name}"), e))?;
        Ok(row
            .and_then(|r| r.get::<_, Option<String>>(0))
            .map(String::into_bytes))
    }

    async fn put_row(&self, name: &str, bytes: &[u8]) -> Result<(), StateError> {
        let data = String::from_utf8_lossy(bytes).into_owned();
        self.client
            .execute(
                &format!(
                    "INSERT INTO {t} (name, data) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET data = $2 WHERE states.name = $1",
                    t = self.table()
                ),
                &[&name, &data],
            )
            .await
            .map(|_| ())
            .map_err(|e| io(format!("writing workspace {name}"), e))
    }

    async fn delete_row(&self, name: &str) -> Result<(), StateError> {
        self.client
            .execute(
                &format!("DELETE FROM {} WHERE name = $1", self.table()),
                &[&name],
            )
            .await
            .map(|_| ())
            .map_err(|e| io(format!("deleting workspace {name}"), e))
    }

    /// Who holds advisory lock `key`: gantry's lock info for the holding session, or what
    /// PostgreSQL knows about that session.
    async fn holder(&self, key: i64, workspace: &str) -> LockInfo {
        let row = self
            .client
            .query_opt(
                &format!(
                    "SELECT g.info, a.application_name, coalesce(host(a.client_addr), 'local'), a.backend_start::text
                       FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                       LEFT JOIN {}.gantry_locks g ON g.pid = l.pid
                      WHERE l.locktype = 'advisory' AND l.granted
                        AND ((l.classid::bigint << 32) | l.objid::bigint) = $1
                      LIMIT 1",
                    ident(&self.schema)
                ),
                &[&key],
            )
            .await
            .ok()
            .flatten();
        let path = format!(
            "{}.states, workspace {workspace} (advisory lock {key})",
            self.schema
        );
        let Some(r) = row else {
            return crate::util::holder(None, &path);
        };
        if let Some(info) = r.get::<_, Option<String>>(0) {
            if let Ok(mut i) = serde_json::from_str::<LockInfo>(&info) {
                i.path = path;
                return i;
            }
        }
        let (app, addr, since): (String, String, String) = (r.get(1), r.get(2), r.get(3));
        LockInfo {
            id: String::new(),
            operation: String::new(),
            info: String::new(),
            who: format!("a PostgreSQL session from {addr} (application {app:?}; Terraform records no lock info)"),
            version: String::new(),
            created: since,
            path,
        }
    }
}

#[async_trait]
impl RemoteState for PgState {
    fn location(&self) -> String {
        format!(
            "pg: {}.states, workspace {:?}",
            self.inner.schema, self.name
        )
    }

    async fn get(&self) -> Result<Option<Vec<u8>>, StateError> {
        self.inner.get_row(&self.name).await
    }

    async fn put(&self, bytes: &[u8]) -> Result<(), StateError> {
        self.inner.put_row(&self.name, bytes).await
    }

    async fn delete(&self) -> Result<(), StateError> {
        self.inner.delete_row(&self.name).await
    }

    async fn get_extra(&self, name: &str) -> Result<Option<Vec<u8>>, StateError> {
        self.inner
            .get_row(&format!("{}.gantry-{name}", self.name))
            .await
    }

    async fn put_extra(&self, name: &str, bytes: Option<&[u8]>) -> Result<(), StateError> {
        let row = format!("{}.gantry-{name}", self.name);
        match bytes {
            Some(b) => self.inner.put_row(&row, b).await,
            None => self.inner.delete_row(&row).await,
        }
    }

    async fn lock(&self, info: &LockInfo) -> Result<String, StateError> {
        let app = format!(
            "gantry-lock {} {} {}",
            info.id,
            info.operation,
            info.who.replace(' ', "_")
        );
        let s = session(&self.inner.conn_str, &app)
            .await
            .map_err(StateError::Io)?;
        let t = self.inner.table();
        let q = |e: tokio_postgres::Error| io("taking the advisory lock", e);
        let row = s
            .query_opt(
                &format!("SELECT states.id, pg_try_advisory_lock(states.id), pg_try_advisory_lock(-1) FROM {t} WHERE states.name = $1"),
                &[&self.name],
            )
            .await
            .map_err(q)?;
        let key = match row {
            None => {
                // A workspace being created: Terraform's creation lock.
                let got: bool = s
                    .query_one("SELECT pg_try_advisory_lock(-1)", &[])
                    .await
                    .map_err(q)?
                    .get(0);
                if !got {
                    return Err(StateError::Locked(Box::new(
                        self.inner.holder(-1, &self.name).await,
                    )));
                }
                -1
            }
            Some(r) => {
                let (id, did, did_create): (i64, bool, bool) = (r.get(0), r.get(1), r.get(2));
                if !did {
                    if did_create {
                        let _ = s.execute("SELECT pg_advisory_unlock(-1)", &[]).await;
                    }
                    return Err(StateError::Locked(Box::new(
                        self.inner.holder(id, &self.name).await,
                    )));
                }
                if !did_create {
                    let _ = s.execute("SELECT pg_advisory_unlock($1)", &[&id]).await;
                    return Err(StateError::Locked(Box::new(
                        self.inner.holder(-1, &self.name).await,
                    )));
                }
                let _ = s.execute("SELECT pg_advisory_unlock(-1)", &[]).await;
                id
            }
        };
        // The holder's info, for whoever is refused (rows of dead sessions with this pid
        // are stale: replaced).
        let mut recorded = info.clone();
        recorded.path = self.location();
        let json = serde_json::to_string(&recorded).unwrap_or_default();
        s.execute(
            &format!(
                "WITH gone AS (DELETE FROM {g} WHERE pid = pg_backend_pid() OR id = $1)
                 INSERT INTO {g} (id, pid, info) VALUES ($1, pg_backend_pid(), $2)",
                g = format!("{}.gantry_locks", ident(&self.inner.schema))
            ),
            &[&info.id, &json],
        )
        .await
        .map_err(q)?;
        self.inner
            .held
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(info.id.clone(), (s, key));
        Ok(info.id.clone())
    }

    async fn unlock(&self, id: &str) -> Result<(), StateError> {
        let held = self
            .inner
            .held
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id);
        match held {
            Some((s, key)) => {
                let _ = s
                    .execute(
                        &format!(
                            "DELETE FROM {}.gantry_locks WHERE id = $1",
                            ident(&self.inner.schema)
                        ),
                        &[&id],
                    )
                    .await;
                let _ = s.execute("SELECT pg_advisory_unlock($1)", &[&key]).await;
                // Dropping the session ends it, which releases anything it still holds.
                drop(s);
                Ok(())
            }
            None => {
                // Another process's lock: it is bound to that process's session; end that
                // session (found by the lock id gantry recorded; Terraform cannot do this).
                let n = self
                    .inner
                    .client
                    .execute(
                        &format!(
                            "SELECT pg_terminate_backend(pid) FROM {}.gantry_locks WHERE id = $1 AND pid IN (SELECT pid FROM pg_stat_activity)",
                            ident(&self.inner.schema)
                        ),
                        &[&id],
                    )
                    .await
                    .map_err(|e| StateError::Unlock(format!("ending the lock's session: {e}")))?;
                if n == 0 {
                    return Err(StateError::Unlock(format!(
                        "no session holds lock {id:?}: a PostgreSQL advisory lock ends with its holder's connection, so a lock whose holder died is already released"
                    )));
                }
                Ok(())
            }
        }
    }

    async fn lock_info(&self) -> Result<Option<LockInfo>, StateError> {
        Ok(None)
    }
}
