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
