-- Reaching every customer: SMS and e-mail beside Telegram, in the company's order, with every
-- attempt kept for staff (app/src/domain/deliveries.rs).

-- The company's order of channels (a notification goes to the first that works) and the
-- address answers to its letters go to. NULL: the default order, Telegram → SMS → e-mail.
ALTER TABLE tenants ADD COLUMN notify_channels text[]
    CHECK (notify_channels <@ ARRAY['telegram', 'sms', 'email']
           AND cardinality(notify_channels) BETWEEN 1 AND 3);
ALTER TABLE tenants ADD COLUMN reply_to_email text;
-- The company's SMS account: SMS.ru (api_id) or a JSON webhook (URL + bearer key). The key is
-- a Fernet token (ENCRYPTION_KEY), never returned.
ALTER TABLE tenants ADD COLUMN sms_provider text CHECK (sms_provider IN ('smsru', 'webhook'));
ALTER TABLE tenants ADD COLUMN sms_sender text;
ALTER TABLE tenants ADD COLUMN sms_url text;
ALTER TABLE tenants ADD COLUMN sms_key_enc text;
ALTER TABLE tenants ADD CONSTRAINT tenants_sms_whole
    CHECK (sms_provider IS NULL
           OR (sms_key_enc IS NOT NULL AND (sms_provider = 'smsru' OR sms_url IS NOT NULL)));

-- A car owner who asked for no messages gets none, on any channel.
ALTER TABLE clients ADD COLUMN no_messages boolean NOT NULL DEFAULT false;

-- Every attempt to deliver a notification: on which channel, whether it went, and why not.
CREATE TABLE deliveries (
    id             bigserial   PRIMARY KEY,
    tenant_id      bigint      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    job_id         bigint,
    -- Kept when the card or the visit goes: the log outlives them.
    client_id      bigint,
    appointment_id bigint,
    event          text        NOT NULL,
    -- NULL: no channel could be tried at all (the reason says why).
    channel        text        CHECK (channel IN ('telegram', 'sms', 'email')),
    status         text        NOT NULL CHECK (status IN ('sent', 'failed')),
    detail         text        NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deliveries_appointment_idx ON deliveries (tenant_id, appointment_id, created_at);
CREATE INDEX deliveries_client_idx ON deliveries (tenant_id, client_id, created_at);
ALTER TABLE deliveries ENABLE ROW LEVEL SECURITY;
ALTER TABLE deliveries FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON deliveries
    USING (tenant_id = (SELECT app_current_tenant()))
    WITH CHECK (tenant_id = (SELECT app_current_tenant()));
