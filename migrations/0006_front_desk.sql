-- The front desk: staff correct cars and merge cards themselves.

-- A mileage is only worth something with the day it was read.
ALTER TABLE vehicles ADD COLUMN mileage_read_on date;
ALTER TABLE vehicles ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
-- Search by VIN (stored upper-case, validated by the CHECK above).
CREATE INDEX vehicles_vin_idx ON vehicles (tenant_id, vin) WHERE vin IS NOT NULL;
