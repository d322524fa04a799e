-- `/metrics` counts notifications by channel and result over the last day (issue 14: deliveries
-- by channel and result), through the same narrow function as the other per-company figures:
-- counts only, never an address or a text.
DO $$
BEGIN
    EXECUTE format('CREATE POLICY platform_functions ON deliveries FOR SELECT TO %I USING (true)', current_user);
END
$$;

CREATE INDEX deliveries_created_idx ON deliveries (created_at);

CREATE OR REPLACE FUNCTION platform_tenant_metrics()
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
    UNION ALL
    SELECT t.slug, 'deliveries_' || d.status || '_24h', coalesce(d.channel, 'none'), count(*)::double precision
      FROM deliveries d JOIN tenants t ON t.id = d.tenant_id
     WHERE d.created_at > now() - interval '24 hours'
     GROUP BY t.slug, d.status, coalesce(d.channel, 'none')
$$;
