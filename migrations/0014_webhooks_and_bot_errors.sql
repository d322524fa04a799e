-- Signed webhooks to a company's CRM (issue 14, item 5). The endpoints and the delivery log of
-- 0001 get what running them takes: a description, the secret shown once, failure tracking (an
-- endpoint failing for 3 days is disabled and its admins told) and, per attempt, the event it
-- carried, the attempt number and the start of the receiver's answer. The event's body itself
-- stays in its job (`jobs.kind = 'webhook.deliver'`), where «Повторить» takes it from.
-- And each company's bot errors (issue 14, item 7): the bot runs in its own process, so what its
-- poller meets is written here for `/metrics` and for the Settings page.

ALTER TABLE webhook_endpoints ADD COLUMN description text NOT NULL DEFAULT ''
    CHECK (length(description) <= 200);
-- The secret is shown once: in the API's answer that creates the endpoint, or on the web page
-- until the admin says it is saved. Then never again.
ALTER TABLE webhook_endpoints ADD COLUMN secret_revealed boolean NOT NULL DEFAULT false;
-- The first failure since the last success; NULL while the endpoint answers.
ALTER TABLE webhook_endpoints ADD COLUMN failing_since timestamptz;
ALTER TABLE webhook_endpoints ADD COLUMN disabled_at timestamptz;
ALTER TABLE webhook_endpoints ADD COLUMN disabled_reason text;
ALTER TABLE webhook_endpoints ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
ALTER TABLE webhook_endpoints ADD CONSTRAINT webhook_endpoints_url_length CHECK (length(url) <= 2000);

ALTER TABLE webhook_deliveries ADD COLUMN event_id text NOT NULL DEFAULT '';
ALTER TABLE webhook_deliveries ADD COLUMN attempt integer NOT NULL DEFAULT 1;
ALTER TABLE webhook_deliveries ADD COLUMN ok boolean NOT NULL DEFAULT false;
ALTER TABLE webhook_deliveries ADD COLUMN response_excerpt text;
-- The per-company metrics read the last day of attempts.
CREATE INDEX webhook_deliveries_created_idx ON webhook_deliveries (created_at);

-- `getUpdates` calls that failed (network, 5xx, 429, a revoked token) and updates the bot could
-- not handle, counted since the company began; the last error (the token redacted) and when, kept
-- until polling works again.
ALTER TABLE tenants ADD COLUMN telegram_poll_errors bigint NOT NULL DEFAULT 0;
ALTER TABLE tenants ADD COLUMN telegram_update_errors bigint NOT NULL DEFAULT 0;
ALTER TABLE tenants ADD COLUMN telegram_last_error text CHECK (length(telegram_last_error) <= 500);
ALTER TABLE tenants ADD COLUMN telegram_last_error_at timestamptz;

DO $$
BEGIN
    EXECUTE format('CREATE POLICY platform_functions ON webhook_deliveries FOR SELECT TO %I USING (true)', current_user);
    EXECUTE format('CREATE POLICY platform_functions ON webhook_endpoints FOR SELECT TO %I USING (true)', current_user);
END
$$;

-- `/metrics`: webhook attempts of the last day by result, endpoints disabled for failing, and the
-- bots' errors. Counts only, never an address or an error's text. Beside
-- platform_tenant_metrics(), in the same shape.
CREATE FUNCTION platform_integration_metrics()
    RETURNS TABLE (tenant text, metric text, label text, value double precision)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
    SELECT t.slug, 'webhook_deliveries_24h', r.result,
           count(d.id)::double precision
      FROM tenants t
      JOIN webhook_endpoints e ON e.tenant_id = t.id
     CROSS JOIN (VALUES ('ok'), ('failed')) AS r (result)
      LEFT JOIN webhook_deliveries d
             ON d.tenant_id = t.id AND d.endpoint_id = e.id
            AND d.ok = (r.result = 'ok') AND d.created_at > now() - interval '24 hours'
     GROUP BY t.slug, r.result
    UNION ALL
    SELECT t.slug, 'webhook_endpoints_disabled', '',
           count(*) FILTER (WHERE e.disabled_at IS NOT NULL)::double precision
      FROM tenants t JOIN webhook_endpoints e ON e.tenant_id = t.id
     GROUP BY t.slug
    UNION ALL
    SELECT t.slug, 'bot_errors_total', k.kind,
           CASE k.kind WHEN 'poll' THEN t.telegram_poll_errors ELSE t.telegram_update_errors END::double precision
      FROM tenants t
     CROSS JOIN (VALUES ('poll'), ('update')) AS k (kind)
     WHERE t.telegram_bot_token_enc IS NOT NULL OR t.telegram_poll_errors + t.telegram_update_errors > 0
$$;
REVOKE ALL ON FUNCTION platform_integration_metrics() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION platform_integration_metrics() TO auto_concierge_app;
