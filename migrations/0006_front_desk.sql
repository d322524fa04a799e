-- The front desk: staff correct cars and merge cards themselves.

-- A mileage is only worth something with the day it was read.
ALTER TABLE vehicles ADD COLUMN mileage_read_on date;
ALTER TABLE vehicles ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
-- Search by VIN (stored upper-case, validated by the CHECK above).
CREATE INDEX vehicles_vin_idx ON vehicles (tenant_id, vin) WHERE vin IS NOT NULL;

-- Days a shop, or one bay of it, is closed, or opens short: holidays, a bay under repair. Free
-- slots, booking and moving honour them (app/src/domain/closures.rs).
CREATE TABLE shop_closures (
    id         bigserial   PRIMARY KEY,
    tenant_id  bigint      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    shop_id    bigint      NOT NULL,
    day        date        NOT NULL,
    -- NULL: the whole shop; a number: only that bay, closed all day.
    bay        integer     CHECK (bay >= 1),
    -- A short day: open only from `opens` to `closes` (shop-local). Both NULL: closed all day.
    opens      time,
    closes     time,
    reason     text        NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((opens IS NULL) = (closes IS NULL)),
    CHECK (opens IS NULL OR opens < closes),
    CHECK (bay IS NULL OR opens IS NULL),
    FOREIGN KEY (tenant_id, shop_id) REFERENCES shops (tenant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX shop_closures_day_idx ON shop_closures (tenant_id, shop_id, day, coalesce(bay, 0));
ALTER TABLE shop_closures ENABLE ROW LEVEL SECURITY;
ALTER TABLE shop_closures FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON shop_closures
    USING (tenant_id = (SELECT app_current_tenant()))
    WITH CHECK (tenant_id = (SELECT app_current_tenant()));

-- Staff accounts: a token names the version of its user's access; deactivating a user (or
-- changing their role) moves the version on, so tokens issued before stop working at once, and
-- stay dead after a reactivation.
ALTER TABLE users ADD COLUMN token_version integer NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN last_login_at timestamptz;

DROP FUNCTION platform_user(bigint);
CREATE FUNCTION platform_user(p_user_id bigint)
    RETURNS TABLE (id bigint, email text, full_name text, role text, tenant_id bigint,
                   is_active boolean, tenant_active boolean, token_version integer)
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
BEGIN
    -- PL/pgSQL keeps the plan for the session (called on every authenticated request).
    RETURN QUERY
    SELECT u.id, u.email, u.full_name, u.role, u.tenant_id, u.is_active, coalesce(t.is_active, true),
           u.token_version
    FROM users u LEFT JOIN tenants t ON t.id = u.tenant_id
    WHERE u.id = p_user_id;
END
$$;
REVOKE ALL ON FUNCTION platform_user(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION platform_user(bigint) TO auto_concierge_app;

-- A successful login, recorded before the company is known (Settings shows it).
CREATE FUNCTION platform_record_login(p_user_id bigint)
    RETURNS void
    LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
    UPDATE users SET last_login_at = now() WHERE id = p_user_id
$$;
REVOKE ALL ON FUNCTION platform_record_login(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION platform_record_login(bigint) TO auto_concierge_app;
