-- Booking on the company's public page `/b/{slug}` (issue 15).

-- A company can switch its page off (the page then says to call), caps the visits one phone may
-- hold ahead on it, and gives the page its colour and logo.
ALTER TABLE tenants ADD COLUMN public_booking boolean NOT NULL DEFAULT true;
ALTER TABLE tenants ADD COLUMN public_max_future_visits integer NOT NULL DEFAULT 3
    CHECK (public_max_future_visits BETWEEN 1 AND 20);
ALTER TABLE tenants ADD COLUMN brand_color text
    CHECK (brand_color ~ '^#[0-9a-f]{6}$');
ALTER TABLE tenants ADD COLUMN logo_url text
    CHECK (logo_url ~ '^https://' AND length(logo_url) <= 500);

-- The customer's link to their visit, `/b/{slug}/v/{token}`: only a hash of the token is kept
-- (SHA-256 of 32 random bytes), so the table cannot be read back into links. A revoked link
-- (`revoked_at`) opens nothing; a cancelled visit's link still shows it as cancelled.
CREATE TABLE visit_links (
    id              bigserial   PRIMARY KEY,
    tenant_id       bigint      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    appointment_id  bigint      NOT NULL,
    token_hash      bytea       NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    created_at      timestamptz NOT NULL DEFAULT now(),
    revoked_at      timestamptz,
    FOREIGN KEY (tenant_id, appointment_id) REFERENCES appointments (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX visit_links_appointment_idx ON visit_links (tenant_id, appointment_id);
ALTER TABLE visit_links ENABLE ROW LEVEL SECURITY;
ALTER TABLE visit_links FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON visit_links
    USING (tenant_id = (SELECT app_current_tenant()))
    WITH CHECK (tenant_id = (SELECT app_current_tenant()));

-- A booking waiting for the one-time code sent by SMS to the phone typed on the page (companies
-- with an SMS account): the form as typed, the code's hash (SHA-256 of the pending link's token
-- and the code), the attempts made; gone once booked, and useless after `expires_at`.
CREATE TABLE public_codes (
    id          bigserial   PRIMARY KEY,
    tenant_id   bigint      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    token_hash  bytea       NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    code_hash   bytea       NOT NULL CHECK (length(code_hash) = 32),
    phone       text        NOT NULL,
    booking     jsonb       NOT NULL,
    attempts    integer     NOT NULL DEFAULT 0,
    expires_at  timestamptz NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX public_codes_tenant_idx ON public_codes (tenant_id, expires_at);
ALTER TABLE public_codes ENABLE ROW LEVEL SECURITY;
ALTER TABLE public_codes FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON public_codes
    USING (tenant_id = (SELECT app_current_tenant()))
    WITH CHECK (tenant_id = (SELECT app_current_tenant()));
