-- Per-company figures for `/metrics`: the worker's jobs by status and the concierge's answers to
-- customers over the last 24 hours. Like `platform_due_job_tenants`, one narrow SECURITY DEFINER
-- function reads across companies and returns counts only, never a job's or a message's content;
-- the runtime role still cannot read either table outside its own tenant. Under FORCE ROW LEVEL
-- SECURITY the owner needs a read-only policy on bot_messages (jobs and tenants have theirs).
DO $$
BEGIN
    EXECUTE format('CREATE POLICY platform_functions ON bot_messages FOR SELECT TO %I USING (true)', current_user);
END
$$;

-- Each scrape reads the last day of answers, not the whole transcript.
CREATE INDEX bot_messages_analysed_idx ON bot_messages (created_at) WHERE analysis IS NOT NULL;

CREATE FUNCTION platform_tenant_metrics()
    RETURNS TABLE (tenant text, metric text, label text, value double precision)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
    SELECT t.slug, 'jobs', s.status, count(j.id)::double precision
      FROM tenants t
     CROSS JOIN (VALUES ('pending'), ('running'), ('failed')) AS s (status)
      LEFT JOIN jobs j ON j.tenant_id = t.id AND j.status = s.status
     GROUP BY t.slug, s.status
    UNION ALL
    SELECT t.slug, 'concierge_answers_24h', m.analysis ->> 'engine', count(*)::double precision
      FROM bot_messages m JOIN tenants t ON t.id = m.tenant_id
     WHERE m.analysis IS NOT NULL AND m.created_at > now() - interval '24 hours'
     GROUP BY t.slug, m.analysis ->> 'engine'
    UNION ALL
    SELECT t.slug, 'concierge_fallbacks_24h', '', count(*) FILTER (WHERE m.analysis ? 'fallback')::double precision
      FROM bot_messages m JOIN tenants t ON t.id = m.tenant_id
     WHERE m.analysis IS NOT NULL AND m.created_at > now() - interval '24 hours'
     GROUP BY t.slug
    UNION ALL
    SELECT t.slug, 'concierge_latency_ms_24h', '', avg((m.analysis ->> 'latency_ms')::double precision)
      FROM bot_messages m JOIN tenants t ON t.id = m.tenant_id
     WHERE m.analysis IS NOT NULL AND m.created_at > now() - interval '24 hours'
     GROUP BY t.slug
$$;

REVOKE ALL ON FUNCTION platform_tenant_metrics() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION platform_tenant_metrics() TO auto_concierge_app;
