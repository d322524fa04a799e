-- A photo, voice message, video or file a customer sends the bot (issue 15): its kind and
-- Telegram's file_id, so that staff can open it from the transcript (the server fetches it with
-- the bot's getFile; the file itself stays at Telegram).
ALTER TABLE bot_messages
    ADD COLUMN attachment jsonb
        CHECK (attachment IS NULL OR (jsonb_typeof(attachment -> 'kind') = 'string'
                                      AND jsonb_typeof(attachment -> 'file_id') = 'string'));
