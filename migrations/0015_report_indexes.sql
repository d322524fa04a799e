-- Reports (issue 16): the concierge's funnel counts a company's incoming bot messages by time.
-- Without this index every report read every company's messages (RLS filters them after).
CREATE INDEX bot_messages_incoming_time_idx ON bot_messages (tenant_id, created_at)
    WHERE direction = 'in';
