-- `/metrics` per company over the last day (issue 14, item 7), through the same narrow function
-- as the other per-company figures — counts and averages only, never an address or a text:
-- notifications by channel and result, and the bot's reply time (from a customer's message to
-- the bot's next message in that chat; a message answered by staff, or not within 10 minutes —
-- a conversation taken over — is not a bot reply and is left out).
DO $$
BEGIN
    EXECUTE format('CREATE POLICY platform_functions ON deliveries FOR SELECT TO %I USING (true)', current_user);
END
$$;

CREATE INDEX deliveries_created_idx ON deliveries (created_at);
-- Each scrape reads the last day of customers' messages, not the whole transcript.
CREATE INDEX bot_messages_customer_idx ON bot_messages (created_at) WHERE author = 'customer';

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
    UNION ALL
    SELECT t.slug, 'bot_reply_ms_24h', '',
           avg(extract(epoch FROM r.created_at - m.created_at) * 1000)::double precision
      FROM bot_messages m
      JOIN tenants t ON t.id = m.tenant_id
     CROSS JOIN LATERAL (
           SELECT b.created_at FROM bot_messages b
            WHERE b.tenant_id = m.tenant_id AND b.chat_id = m.chat_id AND b.id > m.id
              AND b.author = 'bot' AND b.created_at < m.created_at + interval '10 minutes'
            ORDER BY b.id LIMIT 1) r
     WHERE m.author = 'customer' AND m.created_at > now() - interval '24 hours'
     GROUP BY t.slug
$$;
