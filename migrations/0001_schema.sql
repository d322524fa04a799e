-- Auto-Concierge schema: the whole data model, with tenant isolation enforced by the database.
--
-- Roles. Migrations run as the OWNER of the tables (whoever DATABASE_URL names). The application
-- works as `auto_concierge_app`: not superuser, not BYPASSRLS, not the owner, so Row-Level
-- Security always applies to it. In production a DBA creates the role beforehand (see README,
-- "Database roles"); here it is created only when missing, which needs CREATEROLE.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'auto_concierge_app') THEN
        CREATE ROLE auto_concierge_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
    END IF;
EXCEPTION
    -- Several databases of one cluster may be migrated at once (tests): the role is cluster-wide.
    WHEN duplicate_object OR unique_violation THEN NULL;
END
$$;

-- The owner may switch to the runtime role (`SET ROLE`) when no separate APP_DATABASE_URL is
-- configured; a superuser owner can do that without membership. Granting the membership needs
-- CREATEROLE (or ADMIN OPTION on the role), which a production owner made by a DBA does not have
-- (README, "Database roles"): there the application logs in as the runtime role itself
-- (APP_DATABASE_URL) and needs no membership, so the grant is skipped, not fatal.
DO $$
BEGIN
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
       AND NOT pg_has_role(current_user, 'auto_concierge_app', 'MEMBER') THEN
        EXECUTE format('GRANT auto_concierge_app TO %I', current_user);
    END IF;
EXCEPTION
    WHEN insufficient_privilege THEN
        RAISE NOTICE 'the owner cannot SET ROLE auto_concierge_app: the application must log in as that role (APP_DATABASE_URL)';
END
$$;

-- btree_gist lets one exclusion constraint combine "same bay" (=) with "overlapping time" (&&);
-- btree_gin lets trigram indexes lead with tenant_id; pg_trgm serves fuzzy search of clients.
-- All three are trusted extensions: a database owner may create them.
CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE EXTENSION IF NOT EXISTS btree_gin;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- The tenant of the current transaction, set only by `set_config('app.current_tenant_id', $1, true)`
-- (see app/src/domain/db.rs). An unset or reset setting is '' or NULL: both mean "no tenant", and
-- a comparison with NULL is never true, so such a query sees no rows at all.
CREATE FUNCTION app_current_tenant() RETURNS bigint
    LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT NULLIF(current_setting('app.current_tenant_id', true), '')::bigint $$;

CREATE TABLE tenants (
    id                      bigserial PRIMARY KEY,
    name                    text        NOT NULL CHECK (length(btrim(name)) > 0),
    slug                    text        NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
    timezone                text        NOT NULL DEFAULT 'Europe/Moscow',
    -- Fernet token (ENCRYPTION_KEY); the plain bot token is never stored nor returned.
    telegram_bot_token_enc  text,
    telegram_bot_username   text,
    -- Secret Telegram echoes in X-Telegram-Bot-Api-Secret-Token in webhook mode.
    telegram_webhook_secret text,
    ai_settings             jsonb       NOT NULL DEFAULT '{}',
    notification_settings   jsonb       NOT NULL DEFAULT '{}',
    is_active               boolean     NOT NULL DEFAULT true,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id            bigserial PRIMARY KEY,
    -- NULL only for the platform operator (superadmin), who belongs to no tenant.
    tenant_id     bigint      REFERENCES tenants (id) ON DELETE CASCADE,
    email         text        NOT NULL CHECK (email ~ '^[^@\s]+@[^@\s]+$'),
    password_hash text        NOT NULL,
    full_name     text        NOT NULL DEFAULT '',
    role          text        NOT NULL CHECK (role IN ('superadmin', 'admin', 'manager')),
    is_active     boolean     NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CHECK ((role = 'superadmin') = (tenant_id IS NULL))
);
-- E-mail is the login: unique across the platform, case-insensitively.
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
CREATE INDEX users_tenant_idx ON users (tenant_id, id);

CREATE TABLE shops (
    id            bigserial PRIMARY KEY,
    tenant_id     bigint      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name          text        NOT NULL CHECK (length(btrim(name)) > 0),
    address       text        NOT NULL DEFAULT '',
    phone         text        NOT NULL DEFAULT '',
    timezone      text        NOT NULL DEFAULT 'Europe/Moscow',
    bays          integer     NOT NULL CHECK (bays BETWEEN 1 AND 100),
    -- {"mon": [["09:00","18:00"]], ..., "sun": []}: validated in app/src/domain/hours.rs.
    working_hours jsonb       NOT NULL,
    slot_minutes  integer     NOT NULL DEFAULT 30 CHECK (slot_minutes BETWEEN 5 AND 240),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    -- Target of composite foreign keys: a child row can only point at a parent of its own tenant.
    UNIQUE (tenant_id, id)
);

CREATE TABLE services (
    id               bigserial PRIMARY KEY,
    tenant_id        bigint        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    -- NULL: offered in every shop of the tenant.
    shop_id          bigint,
    name             text          NOT NULL CHECK (length(btrim(name)) > 0),
    description      text          NOT NULL DEFAULT '',
    category         text          NOT NULL DEFAULT '',
    price            numeric(12,2) NOT NULL CHECK (price >= 0),
    duration_minutes integer       NOT NULL CHECK (duration_minutes BETWEEN 1 AND 1440),
    buffer_minutes   integer       NOT NULL DEFAULT 0 CHECK (buffer_minutes BETWEEN 0 AND 480),
    is_active        boolean       NOT NULL DEFAULT true,
    -- Words and symptoms the concierge matches customer messages against.
    keywords         text          NOT NULL DEFAULT '',
    created_at       timestamptz   NOT NULL DEFAULT now(),
    updated_at       timestamptz   NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, shop_id) REFERENCES shops (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX services_tenant_idx ON services (tenant_id, shop_id);

CREATE TABLE clients (
    id               bigserial PRIMARY KEY,
    tenant_id        bigint      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    full_name        text        NOT NULL DEFAULT '',
    -- E.164 (+79161234567), normalised by the application before it gets here.
    phone            text        CHECK (phone ~ '^\+[1-9][0-9]{6,14}$'),
    email            text,
    telegram_id      bigint,
    telegram_chat_id bigint,
    notes            text        NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, id),
    UNIQUE (tenant_id, phone),
    UNIQUE (tenant_id, telegram_id)
);
CREATE INDEX clients_name_trgm_idx ON clients USING gin (tenant_id, full_name gin_trgm_ops);

CREATE TABLE vehicles (
    id         bigserial PRIMARY KEY,
    tenant_id  bigint      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    client_id  bigint      NOT NULL,
    make       text        NOT NULL DEFAULT '',
    model      text        NOT NULL DEFAULT '',
    year       integer     CHECK (year BETWEEN 1900 AND 2100),
    -- Stored upper-case without spaces so that search by plate is exact and indexable.
    plate      text,
    vin        text        CHECK (vin ~ '^[A-HJ-NPR-Z0-9]{17}$'),
    mileage_km integer     CHECK (mileage_km >= 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, client_id) REFERENCES clients (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX vehicles_client_idx ON vehicles (tenant_id, client_id);
CREATE INDEX vehicles_plate_idx ON vehicles (tenant_id, plate);

CREATE TABLE appointments (
    id            bigserial PRIMARY KEY,
    tenant_id     bigint        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    shop_id       bigint        NOT NULL,
    client_id     bigint        NOT NULL,
    vehicle_id    bigint,
    -- Bay (пост) number within the shop, 1..shops.bays.
    bay           integer       NOT NULL CHECK (bay >= 1),
    start_time    timestamptz   NOT NULL,
    end_time      timestamptz   NOT NULL,
    status        text          NOT NULL DEFAULT 'new'
                  CHECK (status IN ('new', 'confirmed', 'in_progress', 'completed', 'cancelled', 'no_show')),
    source        text          NOT NULL CHECK (source IN ('telegram', 'web', 'api')),
    customer_note text          NOT NULL DEFAULT '',
    ai_summary    text          NOT NULL DEFAULT '',
    -- The concierge's full answer (intent, causes, suggested services with confidence, car),
    -- shown and corrected by staff in the appointment card.
    ai_analysis   jsonb,
    total_price   numeric(12,2) NOT NULL DEFAULT 0 CHECK (total_price >= 0),
    cancel_reason text,
    created_by    bigint        REFERENCES users (id) ON DELETE SET NULL,
    created_at    timestamptz   NOT NULL DEFAULT now(),
    updated_at    timestamptz   NOT NULL DEFAULT now(),
    CHECK (end_time > start_time),
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, shop_id) REFERENCES shops (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, client_id) REFERENCES clients (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, vehicle_id) REFERENCES vehicles (tenant_id, id),
    -- The final arbiter of double booking: two live appointments never hold one bay at
    -- overlapping times, however many requests race. Cancelled and no-show visits free the bay.
    CONSTRAINT appointments_bay_overlap EXCLUDE USING gist (
        tenant_id WITH =,
        shop_id WITH =,
        bay WITH =,
        tstzrange(start_time, end_time, '[)') WITH &&
    ) WHERE (status NOT IN ('cancelled', 'no_show'))
);
CREATE INDEX appointments_shop_time_idx ON appointments (tenant_id, shop_id, start_time);
CREATE INDEX appointments_time_idx ON appointments (tenant_id, start_time);
CREATE INDEX appointments_client_idx ON appointments (tenant_id, client_id, start_time);
CREATE INDEX appointments_status_idx ON appointments (tenant_id, status, start_time);

CREATE TABLE appointment_services (
    tenant_id        bigint        NOT NULL,
    appointment_id   bigint        NOT NULL,
    service_id       bigint        NOT NULL,
    -- Price and duration as booked: later catalogue changes do not rewrite history.
    price            numeric(12,2) NOT NULL CHECK (price >= 0),
    duration_minutes integer       NOT NULL CHECK (duration_minutes > 0),
    PRIMARY KEY (tenant_id, appointment_id, service_id),
    FOREIGN KEY (tenant_id, appointment_id) REFERENCES appointments (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, service_id) REFERENCES services (tenant_id, id)
);
CREATE INDEX appointment_services_service_idx ON appointment_services (tenant_id, service_id);

CREATE TABLE appointment_status_history (
    id             bigserial PRIMARY KEY,
    tenant_id      bigint      NOT NULL,
    appointment_id bigint      NOT NULL,
    from_status    text,
    to_status      text        NOT NULL,
    changed_by     bigint      REFERENCES users (id) ON DELETE SET NULL,
    channel        text        NOT NULL CHECK (channel IN ('telegram', 'web', 'api', 'system')),
    reason         text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (tenant_id, appointment_id) REFERENCES appointments (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX appointment_status_history_idx ON appointment_status_history (tenant_id, appointment_id, id);

-- Dialogue state of the tenant's Telegram bot per chat, so that a restart loses no conversation.
CREATE TABLE bot_conversations (
    tenant_id  bigint      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    chat_id    bigint      NOT NULL,
    client_id  bigint,
    state      jsonb       NOT NULL DEFAULT '{}',
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, chat_id),
    FOREIGN KEY (tenant_id, client_id) REFERENCES clients (tenant_id, id) ON DELETE SET NULL (client_id)
);

-- The transcript of bot conversations: what the customer wrote, what the bot or staff answered.
CREATE TABLE bot_messages (
    id         bigserial PRIMARY KEY,
    tenant_id  bigint      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    chat_id    bigint      NOT NULL,
    client_id  bigint,
    direction  text        NOT NULL CHECK (direction IN ('in', 'out')),
    author     text        NOT NULL CHECK (author IN ('customer', 'bot', 'staff')),
    staff_user_id bigint   REFERENCES users (id) ON DELETE SET NULL,
    text       text        NOT NULL,
    -- Concierge answer for incoming text: engine, latency, intent, causes, services.
    analysis   jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (tenant_id, client_id) REFERENCES clients (tenant_id, id) ON DELETE SET NULL (client_id)
);
CREATE INDEX bot_messages_chat_idx ON bot_messages (tenant_id, chat_id, id);
CREATE INDEX bot_messages_client_idx ON bot_messages (tenant_id, client_id, id);

-- Durable queue (outbox) for the worker: reminders, notifications, outbound webhooks.
-- A job is claimed with FOR UPDATE SKIP LOCKED; `dedupe_key` makes enqueueing idempotent, so a
-- retried request or a restarted worker never sends the same message twice.
CREATE TABLE jobs (
    id           bigserial PRIMARY KEY,
    tenant_id    bigint      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    kind         text        NOT NULL,
    payload      jsonb       NOT NULL DEFAULT '{}',
    dedupe_key   text,
    status       text        NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending', 'running', 'done', 'failed')),
    run_at       timestamptz NOT NULL DEFAULT now(),
    attempts     integer     NOT NULL DEFAULT 0,
    max_attempts integer     NOT NULL DEFAULT 10,
    locked_until timestamptz,
    last_error   text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, dedupe_key)
);
CREATE INDEX jobs_due_idx ON jobs (tenant_id, status, run_at);
CREATE INDEX jobs_pending_run_at_idx ON jobs (run_at) WHERE status = 'pending';

-- Outbound webhooks to external CRMs and the log of every delivery attempt.
CREATE TABLE webhook_endpoints (
    id         bigserial PRIMARY KEY,
    tenant_id  bigint      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    url        text        NOT NULL CHECK (url ~ '^https?://'),
    -- HMAC-SHA256 key, Fernet-encrypted like bot tokens.
    secret_enc text        NOT NULL,
    events     text[]      NOT NULL DEFAULT '{}',
    is_active  boolean     NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, id)
);

CREATE TABLE webhook_deliveries (
    id            bigserial PRIMARY KEY,
    tenant_id     bigint      NOT NULL,
    endpoint_id   bigint      NOT NULL,
    job_id        bigint      REFERENCES jobs (id) ON DELETE SET NULL,
    event_type    text        NOT NULL,
    status_code   integer,
    error         text,
    duration_ms   integer,
    created_at    timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (tenant_id, endpoint_id) REFERENCES webhook_endpoints (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX webhook_deliveries_idx ON webhook_deliveries (tenant_id, endpoint_id, id);

-- Row-Level Security: enabled AND forced (so even the owner is subject to it) on every table
-- that holds tenant data, with one policy comparing tenant_id to the transaction's tenant.
-- server/tests/tenant_isolation.rs finds every table with a tenant_id column in the catalog and
-- proves the isolation as the runtime role, so a future table without a policy fails the tests.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY[
        'users', 'shops', 'services', 'clients', 'vehicles', 'appointments',
        'appointment_services', 'appointment_status_history', 'bot_conversations',
        'bot_messages', 'jobs', 'webhook_endpoints', 'webhook_deliveries'
    ] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %I USING (tenant_id = app_current_tenant()) '
            'WITH CHECK (tenant_id = app_current_tenant())', t);
    END LOOP;
END
$$;

-- The tenant row itself: visible to its own tenant only.
ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenants FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenants
    USING (id = app_current_tenant()) WITH CHECK (id = app_current_tenant());

-- Narrow platform paths. The application role cannot read across tenants; the few operations
-- that must (log in by e-mail before the tenant is known, create a tenant, list the bots to run)
-- are SECURITY DEFINER functions owned by the migration owner, each returning only what its
-- caller needs. A permissive policy lets the owner — and so these functions — past RLS on the
-- two tables they touch; no other table gets one.
DO $$
BEGIN
    EXECUTE format('CREATE POLICY platform_functions ON tenants TO %I USING (true) WITH CHECK (true)', current_user);
    EXECUTE format('CREATE POLICY platform_functions ON users TO %I USING (true) WITH CHECK (true)', current_user);
END
$$;

-- Login: the user with this e-mail (any tenant, or the superadmin) and what is needed to verify
-- the password. The hash never leaves the server.
CREATE FUNCTION platform_find_login(p_email text)
    RETURNS TABLE (user_id bigint, password_hash text, is_active boolean, tenant_active boolean)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
    SELECT u.id, u.password_hash, u.is_active, coalesce(t.is_active, true)
    FROM users u LEFT JOIN tenants t ON t.id = u.tenant_id
    WHERE lower(u.email) = lower(p_email)
$$;

-- The user a verified access token names, with what authorisation needs (never the hash).
CREATE FUNCTION platform_user(p_user_id bigint)
    RETURNS TABLE (id bigint, email text, full_name text, role text, tenant_id bigint,
                   is_active boolean, tenant_active boolean)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
    SELECT u.id, u.email, u.full_name, u.role, u.tenant_id, u.is_active, coalesce(t.is_active, true)
    FROM users u LEFT JOIN tenants t ON t.id = u.tenant_id
    WHERE u.id = p_user_id
$$;

-- Re-hash on login (bcrypt from v1 → argon2id) happens before the tenant context is known.
CREATE FUNCTION platform_update_password_hash(p_user_id bigint, p_old_hash text, p_new_hash text)
    RETURNS boolean
    LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
    UPDATE users SET password_hash = p_new_hash, updated_at = now()
    WHERE id = p_user_id AND password_hash = p_old_hash
    RETURNING true
$$;

-- A new company: the tenant row and its first admin, atomically. Used by `tenant create` and by
-- registration from the login page.
CREATE FUNCTION platform_create_tenant(p_name text, p_slug text, p_timezone text,
                                       p_admin_email text, p_admin_password_hash text,
                                       p_admin_full_name text)
    RETURNS TABLE (tenant_id bigint, user_id bigint)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
DECLARE
    v_tenant bigint;
    v_user bigint;
BEGIN
    INSERT INTO tenants (name, slug, timezone) VALUES (p_name, p_slug, p_timezone) RETURNING id INTO v_tenant;
    INSERT INTO users (tenant_id, email, password_hash, full_name, role)
        VALUES (v_tenant, p_admin_email, p_admin_password_hash, p_admin_full_name, 'admin')
        RETURNING id INTO v_user;
    RETURN QUERY SELECT v_tenant, v_user;
END
$$;

-- Slug → id, for `seed-demo` and the CLI (idempotent re-runs) and webhook routing.
CREATE FUNCTION platform_tenant_id_by_slug(p_slug text) RETURNS bigint
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$ SELECT id FROM tenants WHERE slug = p_slug $$;

-- Every tenant with a connected bot: what the bot supervisor runs. The token stays encrypted.
CREATE FUNCTION platform_bot_tokens()
    RETURNS TABLE (tenant_id bigint, token_enc text, webhook_secret text)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
    SELECT id, telegram_bot_token_enc, telegram_webhook_secret FROM tenants
    WHERE telegram_bot_token_enc IS NOT NULL AND is_active
$$;

-- Privileges of the runtime role: data manipulation only, no DDL, nothing it could own.
-- Functions are executable by PUBLIC by default: the platform ones only by the runtime role.
-- Superadmin accounts are created by the CLI as the owner, never through the application role.
REVOKE ALL ON FUNCTION platform_find_login(text),
                       platform_user(bigint),
                       platform_update_password_hash(bigint, text, text),
                       platform_create_tenant(text, text, text, text, text, text),
                       platform_tenant_id_by_slug(text),
                       platform_bot_tokens()
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION platform_find_login(text),
                          platform_user(bigint),
                          platform_update_password_hash(bigint, text, text),
                          platform_create_tenant(text, text, text, text, text, text),
                          platform_tenant_id_by_slug(text),
                          platform_bot_tokens()
    TO auto_concierge_app;
GRANT USAGE ON SCHEMA public TO auto_concierge_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO auto_concierge_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO auto_concierge_app;
-- ...but not sqlx's own bookkeeping of applied migrations.
REVOKE ALL ON TABLE _sqlx_migrations FROM auto_concierge_app;
-- Tables from later migrations get the same grants without each one repeating them.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO auto_concierge_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO auto_concierge_app;
