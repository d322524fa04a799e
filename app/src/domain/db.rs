//! Database access and tenant scoping.
//!
//! The runtime pool works as `auto_concierge_app`, a role subject to Row-Level Security. Tenant
//! work goes through [`Db::tenant_tx`], the one place that sets the tenant of a transaction —
//! always as a bound parameter, never formatted into SQL text.

use std::{str::FromStr, time::Duration};

use sqlx::{
    migrate::Migrator,
    postgres::{PgConnectOptions, PgPoolOptions},
    Connection, Executor, PgPool, Postgres, Transaction,
};

use super::{config::Config, Result};

/// The role the application works as: not superuser, not BYPASSRLS, owns nothing.
pub const APP_ROLE: &str = "auto_concierge_app";

/// A pooled connection idle for this long is checked with a round trip before it is used.
const RECHECK_AFTER_IDLE: Duration = Duration::from_secs(5);

/// Migrations are compiled into the binary, so the Docker image needs no files beside it.
pub static MIGRATOR: Migrator = sqlx::migrate!("../migrations");

pub type Tx = Transaction<'static, Postgres>;

/// Id of a tenant (company). A newtype so that a shop or client id cannot be passed by mistake.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct TenantId(pub i64);

#[derive(Clone, Debug)]
pub struct Db {
    pool: PgPool,
}

impl Db {
    /// Connects as the runtime role: `APP_DATABASE_URL` when configured, otherwise the owner's
    /// connection, which switches to the runtime role with `SET ROLE` before it is ever used.
    pub async fn connect_app(
        config: &Config,
        owner_url: &str,
        max_connections: u32,
    ) -> Result<Self> {
        let (url, switch_role) = match &config.app_database_url {
            Some(url) => (url.expose().to_string(), false),
            None => (owner_url.to_string(), true),
        };
        let options = PgConnectOptions::from_str(&url)?.application_name("auto-concierge");
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(10))
            // sqlx checks every connection with a round trip when it goes back to the pool (that
            // check also carries a dropped transaction's ROLLBACK). Checking it again when it is
            // taken out only matters after a quiet spell, when the server or the network may have
            // dropped it: a busy pool would pay a round trip per request for nothing.
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for >= RECHECK_AFTER_IDLE {
                        conn.ping().await?;
                    }
                    Ok(true)
                })
            })
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if switch_role {
                        conn.execute("SET ROLE auto_concierge_app").await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        Ok(Db { pool })
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Opens a transaction scoped to one tenant: Row-Level Security lets it see and write that
    /// tenant's rows only. The setting is transaction-local (`is_local = true`), so a pooled
    /// connection never carries it into the next request.
    pub async fn tenant_tx(&self, tenant: TenantId) -> Result<Tx> {
        let mut tx = self.begin(None).await?;
        scope_to_tenant(&mut tx, tenant).await?;
        Ok(tx)
    }

    /// A [`ReadTx`] scoped to one tenant, as [`Db::tenant_tx`] scopes a read-write one.
    pub async fn tenant_read_tx(&self, tenant: TenantId) -> Result<ReadTx> {
        let mut tx = self.platform_read_tx().await?;
        scope_to_tenant(&mut tx, tenant).await?;
        Ok(tx)
    }

    /// A [`ReadTx`] with no tenant yet (see [`Db::platform_tx`]).
    pub async fn platform_read_tx(&self) -> Result<ReadTx> {
        Ok(ReadTx(self.begin(Some("BEGIN READ ONLY")).await?))
    }

    /// A transaction with no tenant: it sees no tenant rows and may only call the narrow
    /// `platform_*` functions (login lookup, tenant creation, the list of bots to run).
    pub async fn platform_tx(&self) -> Result<Tx> {
        self.begin(None).await
    }

    /// Begins a transaction in a task of its own. sqlx queues no ROLLBACK for a transaction
    /// whose BEGIN was sent but not yet answered when the caller's future is dropped (a request
    /// cancelled by a browser that reloads), so the pooled connection would carry that
    /// transaction — `READ ONLY`, say — into the next request, whose writes would then fail.
    /// Spawned, the BEGIN always completes, and a caller gone by then drops the finished
    /// transaction, which rolls back (`faults::requests::a_read_cancelled_while_it_begins…`).
    async fn begin(&self, statement: Option<&'static str>) -> Result<Tx> {
        let pool = self.pool.clone();
        let begun = tokio::spawn(async move {
            match statement {
                Some(statement) => pool.begin_with(statement).await,
                None => pool.begin().await,
            }
        })
        .await
        .map_err(|e| super::Error::Internal(format!("beginning a transaction: {e}")))?;
        Ok(begun?)
    }
}

/// A transaction PostgreSQL opened `READ ONLY`: any write in it fails, so there is nothing to
/// commit and it simply ends when dropped. sqlx then queues its ROLLBACK, which goes out with the
/// check sqlx makes of every connection given back to the pool — the COMMIT round trip a
/// read-write transaction pays is saved. Derefs to [`Tx`], so every query function takes it.
pub struct ReadTx(Tx);

impl std::ops::Deref for ReadTx {
    type Target = Tx;
    fn deref(&self) -> &Tx {
        &self.0
    }
}

impl std::ops::DerefMut for ReadTx {
    fn deref_mut(&mut self) -> &mut Tx {
        &mut self.0
    }
}

/// Connects as the owner (one connection) for migrations and other owner-only work.
pub async fn connect_owner(owner_url: &str) -> Result<PgPool> {
    let options = PgConnectOptions::from_str(owner_url)?.application_name("auto-concierge-migrate");
    Ok(PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await?)
}

/// SHA-384 of `0001_schema.sql` as first released. Its membership grant was then made optional
/// (a production owner without CREATEROLE could not apply it at all), which changed the file but
/// not the schema it leaves: databases migrated with the first text have their record updated to
/// the new checksum instead of being refused as "modified".
const SCHEMA_V1_FIRST_CHECKSUM: &str = "e78c3cea0c74b78610204267b6706a4c8dd31d3022b2f6e371e5f0d4192a8d82d66c07b80bb74fcf10b9731e4e779b63";

/// Applies pending migrations as the owner.
pub async fn migrate(owner: &PgPool) -> Result<()> {
    accept_rewritten_schema_v1(owner).await?;
    MIGRATOR
        .run(owner)
        .await
        .map_err(|e| super::Error::Internal(format!("migration failed: {e}")))
}

async fn accept_rewritten_schema_v1(owner: &PgPool) -> Result<()> {
    let recorded =
        sqlx::query_scalar!(r#"SELECT to_regclass('_sqlx_migrations') IS NOT NULL AS "recorded!""#)
            .fetch_one(owner)
            .await?;
    let Some(current) = MIGRATOR.iter().find(|m| m.version == 1) else {
        return Ok(());
    };
    if recorded {
        // Runtime: `_sqlx_migrations` is sqlx's bookkeeping, not part of the schema the macros
        // check against, and may not exist yet.
        sqlx::query(
            "UPDATE _sqlx_migrations SET checksum = $1
             WHERE version = 1 AND encode(checksum, 'hex') = $2",
        )
        .bind(current.checksum.as_ref())
        .bind(SCHEMA_V1_FIRST_CHECKSUM)
        .execute(owner)
        .await?;
    }
    Ok(())
}

/// Whether every migration compiled into this binary has been applied (`/ready`, and the `bot`
/// and `worker` processes, which never migrate and wait for `serve` or `migrate` to do it).
/// Works as the runtime role, through `platform_applied_migrations()`.
pub async fn migrations_current(pool: &PgPool) -> Result<bool> {
    let applied: Vec<i64> =
        match sqlx::query_scalar!(r#"SELECT v AS "v!" FROM platform_applied_migrations() AS v"#)
            .fetch_all(pool)
            .await
        {
            Ok(applied) => applied,
            // Not migrated far enough to have the function yet.
            Err(sqlx::Error::Database(_)) => return Ok(false),
            Err(e) => return Err(e.into()),
        };
    Ok(MIGRATOR.iter().all(|m| applied.contains(&m.version)))
}

/// Sets the tenant of an open transaction (until it ends). Used by [`Db::tenant_tx`], and by
/// platform work that creates a tenant and then fills it within the same transaction.
pub async fn scope_to_tenant(tx: &mut Tx, tenant: TenantId) -> Result<()> {
    // Runtime: a setting, not the schema; nothing for the macros to check.
    sqlx::query("SELECT set_config('app.current_tenant_id', $1, true)")
        .bind(tenant.0.to_string())
        .execute(&mut **tx)
        .await?;
    Ok(())
}
