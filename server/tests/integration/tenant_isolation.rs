//! Tenant isolation, proved as the application's runtime role against real PostgreSQL.
//!
//! The tables are not listed here: every table with a `tenant_id` column is found in the system
//! catalog, so a table added later without Row-Level Security fails these tests.

use crate::common::TestDb;
use app::domain::{
    accounts::{create_tenant_in, NewTenant},
    db::{TenantId, Tx},
};
use serde_json::json;

/// Creates a company and one row in every tenant table for it.
async fn tenant_with_data(db: &TestDb, slug: &str) -> TenantId {
    let mut tx = db.app.platform_tx().await.unwrap();
    let tenant = create_tenant_in(
        &mut tx,
        &NewTenant {
            name: slug,
            slug,
            timezone: "Europe/Moscow",
            admin_email: &format!("admin@{slug}.test"),
            admin_password: "password-123",
            admin_full_name: "Admin",
        },
    )
    .await
    .unwrap();
    fill(&mut tx, tenant).await;
    tx.commit().await.unwrap();
    tenant
}

async fn fill(tx: &mut Tx, tenant: TenantId) {
    let t = tenant.0;
    let one = |sql: &'static str| sqlx::query_scalar::<_, i64>(sql).bind(t);
    let shop = one(
        "INSERT INTO shops (tenant_id, name, bays, working_hours) VALUES ($1, 'Shop', 2, '{}') RETURNING id",
    )
    .fetch_one(&mut **tx)
    .await
    .unwrap();
    let service: i64 = sqlx::query_scalar(
        "INSERT INTO services (tenant_id, shop_id, name, price, duration_minutes) VALUES ($1, $2, 'Oil', 1200, 30) RETURNING id",
    )
    .bind(t)
    .bind(shop)
    .fetch_one(&mut **tx)
    .await
    .unwrap();
    let client = one(
        "INSERT INTO clients (tenant_id, full_name, phone, telegram_id) VALUES ($1, 'Client', '+79160000001', 1001) RETURNING id",
    )
    .fetch_one(&mut **tx)
    .await
    .unwrap();
    let twin = one(
        "INSERT INTO clients (tenant_id, full_name, phone) VALUES ($1, 'Client twin', '+79160000002') RETURNING id",
    )
    .fetch_one(&mut **tx)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO client_duplicates (tenant_id, client_id, other_id, reason) VALUES ($1, $2, $3, 'phone')",
    )
    .bind(t)
    .bind(client.min(twin))
    .bind(client.max(twin))
    .execute(&mut **tx)
    .await
    .unwrap();
    sqlx::query("INSERT INTO shop_closures (tenant_id, shop_id, day, reason) VALUES ($1, $2, '2030-12-31', 'Новый год')")
        .bind(t)
        .bind(shop)
        .execute(&mut **tx)
        .await
        .unwrap();
    sqlx::query("INSERT INTO ai_usage (tenant_id, day, llm_calls) VALUES ($1, current_date, 3)")
        .bind(t)
        .execute(&mut **tx)
        .await
        .unwrap();
    let vehicle: i64 = sqlx::query_scalar(
        "INSERT INTO vehicles (tenant_id, client_id, make, model, plate) VALUES ($1, $2, 'Kia', 'Rio', 'А123ВС77') RETURNING id",
    )
    .bind(t)
    .bind(client)
    .fetch_one(&mut **tx)
    .await
    .unwrap();
    // The customer writes first, then books in the bot: every report rollup gets a row.
    sqlx::query(
        "INSERT INTO bot_messages (tenant_id, chat_id, client_id, direction, author, text, analysis)
         VALUES ($1, 1001, $2, 'in', 'customer', 'Стучит', '{\"engine\": \"rules\", \"intent\": \"booking\"}')",
    )
    .bind(t)
    .bind(client)
    .execute(&mut **tx)
    .await
    .unwrap();
    let appointment: i64 = sqlx::query_scalar(
        "INSERT INTO appointments (tenant_id, shop_id, client_id, vehicle_id, bay, start_time, end_time, source)
         VALUES ($1, $2, $3, $4, 1, '2030-01-10 10:00+03', '2030-01-10 10:30+03', 'telegram') RETURNING id",
    )
    .bind(t)
    .bind(shop)
    .bind(client)
    .bind(vehicle)
    .fetch_one(&mut **tx)
    .await
    .unwrap();
    // The visit's manage link, as the public page keeps it (the token's hash only).
    sqlx::query(
        "INSERT INTO visit_links (tenant_id, appointment_id, token_hash)
         VALUES ($1, $2, sha256(convert_to('token-' || $1::text, 'UTF8')))",
    )
    .bind(t)
    .bind(appointment)
    .execute(&mut **tx)
    .await
    .unwrap();
    // A booking on the public page waiting for its SMS code.
    sqlx::query(
        "INSERT INTO public_codes (tenant_id, token_hash, code_hash, phone, booking, expires_at)
         VALUES ($1, sha256(convert_to('pending-' || $1::text, 'UTF8')), sha256(convert_to('code', 'UTF8')),
                 '+79160000003', '{}', now() + interval '10 minutes')",
    )
    .bind(t)
    .execute(&mut **tx)
    .await
    .unwrap();
    let filter: i64 = sqlx::query_scalar(
        "INSERT INTO services (tenant_id, shop_id, name, price, duration_minutes) VALUES ($1, $2, 'Filter', 500, 15) RETURNING id",
    )
    .bind(t)
    .bind(shop)
    .fetch_one(&mut **tx)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO appointment_services (tenant_id, appointment_id, service_id, price, duration_minutes)
         VALUES ($1, $2, $3, 1200, 30), ($1, $2, $4, 500, 15)",
    )
    .bind(t)
    .bind(appointment)
    .bind(service)
    .bind(filter)
    .execute(&mut **tx)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO appointment_status_history (tenant_id, appointment_id, to_status, channel) VALUES ($1, $2, 'new', 'web')",
    )
    .bind(t)
    .bind(appointment)
    .execute(&mut **tx)
    .await
    .unwrap();
    sqlx::query("INSERT INTO bot_conversations (tenant_id, chat_id, client_id, state) VALUES ($1, 1001, $2, $3)")
        .bind(t)
        .bind(client)
        .bind(json!({"step": "start"}))
        .execute(&mut **tx)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO bot_messages (tenant_id, chat_id, client_id, direction, author, text) VALUES ($1, 1001, $2, 'in', 'customer', 'Стучит')",
    )
    .bind(t)
    .bind(client)
    .execute(&mut **tx)
    .await
    .unwrap();
    let job = one("INSERT INTO jobs (tenant_id, kind, dedupe_key) VALUES ($1, 'reminder', 'r-1') RETURNING id")
        .fetch_one(&mut **tx)
        .await
        .unwrap();
    let endpoint = one(
        "INSERT INTO webhook_endpoints (tenant_id, url, secret_enc) VALUES ($1, 'https://crm.example/hook', 'x') RETURNING id",
    )
    .fetch_one(&mut **tx)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO webhook_deliveries (tenant_id, endpoint_id, job_id, event_type, status_code) VALUES ($1, $2, $3, 'appointment.created', 200)",
    )
    .bind(t)
    .bind(endpoint)
    .bind(job)
    .execute(&mut **tx)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO deliveries (tenant_id, job_id, client_id, event, channel, status) VALUES ($1, $2, $3, 'reminder', 'sms', 'sent')",
    )
    .bind(t)
    .bind(job)
    .bind(client)
    .execute(&mut **tx)
    .await
    .unwrap();
}

/// Every table of the public schema with a `tenant_id` column, from the system catalog.
async fn tenant_tables(db: &TestDb) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
         ORDER BY 1",
    )
    .fetch_all(&db.owner)
    .await
    .unwrap()
}

fn sqlstate(result: Result<sqlx::postgres::PgQueryResult, sqlx::Error>) -> Option<String> {
    match result {
        Err(sqlx::Error::Database(e)) => e.code().map(|c| c.into_owned()),
        _ => None,
    }
}

#[tokio::test]
async fn runtime_role_is_unprivileged() {
    let db = TestDb::new().await;
    let (user, superuser, bypass): (String, bool, bool) = sqlx::query_as(
        "SELECT current_user::text, r.rolsuper, r.rolbypassrls FROM pg_roles r WHERE r.rolname = current_user",
    )
    .fetch_one(db.app.pool())
    .await
    .unwrap();
    assert_eq!(user, "auto_concierge_app");
    assert!(
        !superuser && !bypass,
        "the runtime role must be subject to RLS"
    );
    let owned: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)",
    )
    .fetch_one(db.app.pool())
    .await
    .unwrap();
    assert_eq!(owned, 0, "the runtime role must own nothing");
    // Nor can it create tables (which it would own, escaping forced RLS on them).
    let ddl = sqlx::query("CREATE TABLE escape (id int)")
        .execute(db.app.pool())
        .await;
    assert!(ddl.is_err());
    db.drop().await;
}

/// The re-hash path the runtime role may call changes a v1 bcrypt hash into an argon2id one and
/// nothing else: knowing an account's current hash is not enough to set it to anything.
#[tokio::test]
async fn the_runtime_role_can_only_upgrade_a_bcrypt_hash() {
    let db = TestDb::new().await;
    let argon = app::domain::auth::hash_password("a-long-password").unwrap();
    let bcrypt = bcrypt::hash("a-long-password", 4).unwrap();
    let mut ids = Vec::new();
    for (email, hash) in [("argon@x.ru", &argon), ("v1@x.ru", &bcrypt)] {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO users (tenant_id, email, password_hash, role) VALUES (NULL, $1, $2, 'superadmin') RETURNING id",
        )
        .bind(email)
        .bind(hash)
        .fetch_one(&db.owner)
        .await
        .unwrap();
        ids.push(id);
    }
    let update = |id: i64, old: String, new: String| {
        let pool = db.app.pool().clone();
        async move {
            sqlx::query_scalar::<_, Option<bool>>(
                "SELECT platform_update_password_hash($1, $2, $3)",
            )
            .bind(id)
            .bind(old)
            .bind(new)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    // An argon2id hash is never replaced, not even by another argon2id hash; a bcrypt one only
    // by argon2id.
    let other_argon = app::domain::auth::hash_password("attacker-password").unwrap();
    assert_eq!(
        update(ids[0], argon.clone(), other_argon.clone()).await,
        None
    );
    assert_eq!(update(ids[1], bcrypt.clone(), bcrypt.clone()).await, None);
    assert_eq!(update(ids[1], bcrypt.clone(), "plain".into()).await, None);
    assert_eq!(
        update(ids[1], bcrypt.clone(), other_argon.clone()).await,
        Some(true)
    );
    let stored: String = sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
        .bind(ids[0])
        .fetch_one(&db.owner)
        .await
        .unwrap();
    assert_eq!(stored, argon);
    db.drop().await;
}

#[tokio::test]
async fn every_tenant_table_has_forced_rls_and_isolates_tenants() {
    let db = TestDb::new().await;
    let a = tenant_with_data(&db, "tenant-a").await;
    let b = tenant_with_data(&db, "tenant-b").await;
    let tables = tenant_tables(&db).await;
    assert!(
        tables.len() >= 13,
        "expected the whole data model, found {tables:?}"
    );

    for table in &tables {
        // Catalog: enabled and forced.
        let (enabled, forced): (bool, bool) = sqlx::query_as(
            "SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = $1",
        )
        .bind(table)
        .fetch_one(&db.owner)
        .await
        .unwrap();
        assert!(enabled && forced, "{table}: RLS must be enabled and forced");
        // The policy compares with the tenant computed once per statement (an InitPlan), not a
        // function call evaluated for every row (migrations/0002).
        let quals: Vec<(String, Option<String>)> = sqlx::query_as(
            "SELECT qual, with_check FROM pg_policies WHERE tablename = $1 AND policyname = 'tenant_isolation'",
        )
        .bind(table)
        .fetch_all(&db.owner)
        .await
        .unwrap();
        assert_eq!(quals.len(), 1, "{table}: one tenant_isolation policy");
        for expr in [Some(quals[0].0.clone()), quals[0].1.clone()] {
            let expr = expr.unwrap_or_default();
            assert!(
                expr.contains("SELECT app_current_tenant()"),
                "{table}: policy must use (SELECT app_current_tenant()), got {expr:?}"
            );
        }

        let count_as_owner = |tenant: TenantId| {
            let sql = format!("SELECT count(*) FROM \"{table}\" WHERE tenant_id = $1");
            let owner = db.owner.clone();
            async move {
                sqlx::query_scalar::<_, i64>(&sql)
                    .bind(tenant.0)
                    .fetch_one(&owner)
                    .await
                    .unwrap()
            }
        };
        let a_rows = count_as_owner(a).await;
        let b_rows = count_as_owner(b).await;
        assert!(
            a_rows > 0 && b_rows > 0,
            "{table}: the fixtures must hold rows of both tenants (add them in fill())"
        );

        // Tenant B reads: only its own rows.
        let mut tx = db.app.tenant_tx(b).await.unwrap();
        let seen: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM \"{table}\""))
            .fetch_one(&mut *tx)
            .await
            .unwrap();
        assert_eq!(seen, b_rows, "{table}: B must see exactly its own rows");
        let foreign: i64 = sqlx::query_scalar(&format!(
            "SELECT count(*) FROM \"{table}\" WHERE tenant_id = $1"
        ))
        .bind(a.0)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        assert_eq!(foreign, 0, "{table}: B must not read A's rows");

        // Tenant B updates and deletes A's rows: nothing matches.
        let updated = sqlx::query(&format!(
            "UPDATE \"{table}\" SET tenant_id = tenant_id WHERE tenant_id = $1"
        ))
        .bind(a.0)
        .execute(&mut *tx)
        .await
        .unwrap();
        assert_eq!(
            updated.rows_affected(),
            0,
            "{table}: B must not update A's rows"
        );
        let deleted = sqlx::query(&format!("DELETE FROM \"{table}\" WHERE tenant_id = $1"))
            .bind(a.0)
            .execute(&mut *tx)
            .await
            .unwrap();
        assert_eq!(
            deleted.rows_affected(),
            0,
            "{table}: B must not delete A's rows"
        );
        tx.rollback().await.unwrap();

        // Tenant B moves its own row over to A: refused by the policy's WITH CHECK.
        let mut tx = db.app.tenant_tx(b).await.unwrap();
        let moved = sqlx::query(&format!(
            "UPDATE \"{table}\" SET tenant_id = $1 WHERE tenant_id = $2"
        ))
        .bind(a.0)
        .bind(b.0)
        .execute(&mut *tx)
        .await;
        assert_eq!(
            sqlstate(moved).as_deref(),
            Some("42501"),
            "{table}: B must not move rows to A"
        );
        tx.rollback().await.unwrap();

        // Tenant B inserts a row for A (a copy of one of A's rows): refused by RLS itself.
        let columns: Vec<String> = sqlx::query_scalar(
            "SELECT column_name::text FROM information_schema.columns
             WHERE table_schema = 'public' AND table_name = $1
               AND coalesce(column_default, '') NOT LIKE 'nextval%'
             ORDER BY ordinal_position",
        )
        .bind(table)
        .fetch_all(&db.owner)
        .await
        .unwrap();
        let list = columns
            .iter()
            .map(|c| format!("\"{c}\""))
            .collect::<Vec<_>>()
            .join(", ");
        let row: serde_json::Value = sqlx::query_scalar(&format!(
            "SELECT to_jsonb(t) FROM \"{table}\" t WHERE tenant_id = $1 LIMIT 1"
        ))
        .bind(a.0)
        .fetch_one(&db.owner)
        .await
        .unwrap();
        let mut tx = db.app.tenant_tx(b).await.unwrap();
        let inserted = sqlx::query(&format!(
            "INSERT INTO \"{table}\" ({list}) SELECT {list} FROM jsonb_populate_record(NULL::\"{table}\", $1)"
        ))
        .bind(&row)
        .execute(&mut *tx)
        .await;
        assert_eq!(
            sqlstate(inserted).as_deref(),
            Some("42501"),
            "{table}: B must not insert rows for A"
        );
        tx.rollback().await.unwrap();

        assert_eq!(
            count_as_owner(a).await,
            a_rows,
            "{table}: A's rows must be intact"
        );
    }
    db.drop().await;
}

#[tokio::test]
async fn without_a_tenant_nothing_is_visible() {
    let db = TestDb::new().await;
    tenant_with_data(&db, "tenant-a").await;
    let mut tables = tenant_tables(&db).await;
    tables.push("tenants".into());
    for table in &tables {
        let mut tx = db.app.platform_tx().await.unwrap();
        let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM \"{table}\""))
            .fetch_one(&mut *tx)
            .await
            .unwrap();
        assert_eq!(n, 0, "{table}: no tenant set must mean no rows");
        tx.rollback().await.unwrap();
        // Not even outside a transaction, on a connection a tenant transaction used before.
        let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM \"{table}\""))
            .fetch_one(db.app.pool())
            .await
            .unwrap();
        assert_eq!(
            n, 0,
            "{table}: the tenant must not leak past its transaction"
        );
    }
    db.drop().await;
}

#[tokio::test]
async fn tenants_see_only_their_own_company_row() {
    let db = TestDb::new().await;
    let a = tenant_with_data(&db, "tenant-a").await;
    let b = tenant_with_data(&db, "tenant-b").await;
    let mut tx = db.app.tenant_tx(b).await.unwrap();
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM tenants")
        .fetch_all(&mut *tx)
        .await
        .unwrap();
    assert_eq!(ids, vec![b.0]);
    let renamed = sqlx::query("UPDATE tenants SET name = 'pwned' WHERE id = $1")
        .bind(a.0)
        .execute(&mut *tx)
        .await
        .unwrap();
    assert_eq!(renamed.rows_affected(), 0);
    tx.commit().await.unwrap();
    // Nor can the application create a platform operator (no tenant) through its role.
    let mut tx = db.app.tenant_tx(b).await.unwrap();
    let superadmin = sqlx::query(
        "INSERT INTO users (tenant_id, email, password_hash, role) VALUES (NULL, 'root@x.ru', 'h', 'superadmin')",
    )
    .execute(&mut *tx)
    .await;
    assert_eq!(sqlstate(superadmin).as_deref(), Some("42501"));
    db.drop().await;
}

#[tokio::test]
async fn fifty_concurrent_bookings_of_one_bay_and_time_exactly_one_wins() {
    let db = TestDb::new().await;
    let tenant = tenant_with_data(&db, "tenant-a").await;
    let (shop, client): (i64, i64) = {
        let mut tx = db.app.tenant_tx(tenant).await.unwrap();
        let ids = sqlx::query_as(
            "SELECT (SELECT id FROM shops LIMIT 1), (SELECT id FROM clients LIMIT 1)",
        )
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        tx.commit().await.unwrap();
        ids
    };
    // One connection per contender, so that all 50 transactions really are open at once.
    let contenders = app::domain::Db::connect_app(&db.config, &db.owner_url, 50)
        .await
        .unwrap();
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(50));
    let mut tasks = Vec::new();
    for i in 0..50 {
        let app = contenders.clone();
        let barrier = barrier.clone();
        tasks.push(tokio::spawn(async move {
            let mut tx = app.tenant_tx(tenant).await.unwrap();
            barrier.wait().await;
            // Different lengths, same bay, overlapping times.
            let result = sqlx::query(
                "INSERT INTO appointments (tenant_id, shop_id, client_id, bay, start_time, end_time, source)
                 VALUES ($1, $2, $3, 2, '2030-02-01 10:00+03', '2030-02-01 10:00+03'::timestamptz + make_interval(mins => $4), 'api')",
            )
            .bind(tenant.0)
            .bind(shop)
            .bind(client)
            .bind(30 + i)
            .execute(&mut *tx)
            .await;
            match result {
                Ok(_) => tx.commit().await.map(|_| true).map_err(|e| e.to_string()),
                // The constraint alone, raced: a contender loses to the exclusion check, or
                // PostgreSQL breaks a wait cycle between two of them (40P01) — the application
                // never meets the latter, as it locks the shop's bays first (booking::load_shop).
                Err(sqlx::Error::Database(e))
                    if matches!(e.code().as_deref(), Some("23P01") | Some("40P01")) =>
                {
                    Ok(false)
                }
                Err(e) => Err(e.to_string()),
            }
        }));
    }
    let mut won = 0;
    for task in tasks {
        if task
            .await
            .unwrap()
            .expect("only exclusion violations and broken wait cycles are acceptable")
        {
            won += 1;
        }
    }
    assert_eq!(won, 1, "exactly one booking of the bay may win");
    contenders.pool().close().await;

    // A cancelled booking frees the bay; another bay at the same time is free all along.
    let mut tx = db.app.tenant_tx(tenant).await.unwrap();
    sqlx::query("UPDATE appointments SET status = 'cancelled' WHERE bay = 2 AND start_time = '2030-02-01 10:00+03'")
        .execute(&mut *tx)
        .await
        .unwrap();
    for bay in [1, 2] {
        sqlx::query(
            "INSERT INTO appointments (tenant_id, shop_id, client_id, bay, start_time, end_time, source)
             VALUES ($1, $2, $3, $4, '2030-02-01 10:00+03', '2030-02-01 11:00+03', 'api')",
        )
        .bind(tenant.0)
        .bind(shop)
        .bind(client)
        .bind(bay)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    db.drop().await;
}
