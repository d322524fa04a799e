-- The inbox: staff read the company's bot conversations, see which need a person, and take one
-- over — the bot stays silent in it while a staff member answers (app/src/domain/inbox.rs).

-- Taken over by this staff member; the bot answers again after «Вернуть боту» or two hours
-- without a staff message (`last_staff_at`), read at the time of each message, no job needed.
ALTER TABLE bot_conversations ADD COLUMN taken_by bigint REFERENCES users (id) ON DELETE SET NULL;
ALTER TABLE bot_conversations ADD COLUMN last_staff_at timestamptz;
-- The customer asked for a person, or the concierge had nothing to offer: cleared when staff
-- answer or take the conversation.
ALTER TABLE bot_conversations ADD COLUMN needs_human text;
-- Staff have read the customer's messages up to this one (one marker for the company).
ALTER TABLE bot_conversations ADD COLUMN read_up_to bigint NOT NULL DEFAULT 0;
-- The inbox lists conversations by their latest message.
ALTER TABLE bot_conversations ADD COLUMN last_message_at timestamptz;
UPDATE bot_conversations c SET last_message_at =
    (SELECT max(m.created_at) FROM bot_messages m WHERE m.tenant_id = c.tenant_id AND m.chat_id = c.chat_id);
-- Everything before the inbox existed counts as read.
UPDATE bot_conversations c SET read_up_to = coalesce(
    (SELECT max(m.id) FROM bot_messages m WHERE m.tenant_id = c.tenant_id AND m.chat_id = c.chat_id), 0);
CREATE INDEX bot_conversations_inbox_idx ON bot_conversations (tenant_id, last_message_at DESC);
