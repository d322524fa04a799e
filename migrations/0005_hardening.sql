-- Hardening after the first review.

-- Possible duplicate cards, for staff to look at. The bot never merges two cards because a
-- customer *typed* a phone that staff's card already has: anyone who knows a number could take
-- over that customer's visits and messages that way. It records the pair here instead; merging
-- is a staff decision. Only a contact shared with Telegram's own button, whose user id is the
-- sender's, proves the phone belongs to the chat.
CREATE TABLE client_duplicates (
    tenant_id   bigint      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    client_id   bigint      NOT NULL,
    other_id    bigint      NOT NULL,
    -- What the two cards share, e.g. 'phone'.
    reason      text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    -- One row per pair, whichever card was found first.
    CHECK (client_id < other_id),
    PRIMARY KEY (tenant_id, client_id, other_id),
    FOREIGN KEY (tenant_id, client_id) REFERENCES clients (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, other_id) REFERENCES clients (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX client_duplicates_other_idx ON client_duplicates (tenant_id, other_id);
ALTER TABLE client_duplicates ENABLE ROW LEVEL SECURITY;
ALTER TABLE client_duplicates FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON client_duplicates
    USING (tenant_id = (SELECT app_current_tenant()))
    WITH CHECK (tenant_id = (SELECT app_current_tenant()));

-- The password re-hash on login exists for one purpose: replacing a v1 bcrypt hash with an
-- argon2id one of the same password, after the password was verified. As first written it let
-- the runtime role overwrite any account's hash with anything, given the current hash; now it
-- changes only a bcrypt hash, only into an argon2id one.
CREATE OR REPLACE FUNCTION platform_update_password_hash(p_user_id bigint, p_old_hash text, p_new_hash text)
    RETURNS boolean
    LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
    UPDATE users SET password_hash = p_new_hash, updated_at = now()
    WHERE id = p_user_id AND password_hash = p_old_hash
      AND p_old_hash ~ '^\$2[abxy]?\$'
      AND p_new_hash LIKE '$argon2id$%'
    RETURNING true
$$;

-- Which migrations are applied, for processes that run as the runtime role (it cannot read
-- sqlx's bookkeeping): `bot` and `worker` never migrate and wait until the schema is current,
-- and `/ready` reports it.
CREATE FUNCTION platform_applied_migrations()
    RETURNS SETOF bigint
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
    SELECT version FROM _sqlx_migrations WHERE success
$$;
REVOKE ALL ON FUNCTION platform_applied_migrations() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION platform_applied_migrations() TO auto_concierge_app;

-- LLM answers used per company and day: past the company's daily quota
-- (AI_DAILY_CALLS_PER_COMPANY) the rules answer, so one company cannot spend the operator's
-- whole LLM budget. Counted in the database so that every process shares the count.
CREATE TABLE ai_usage (
    tenant_id  bigint  NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    day        date    NOT NULL,
    llm_calls  integer NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, day)
);
ALTER TABLE ai_usage ENABLE ROW LEVEL SECURITY;
ALTER TABLE ai_usage FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON ai_usage
    USING (tenant_id = (SELECT app_current_tenant()))
    WITH CHECK (tenant_id = (SELECT app_current_tenant()));

-- A phone the customer typed in the bot is what they say, not proof: it is kept beside the
-- card's phone, not in it. Staff see and search it; a staff card with that number is marked as a
-- possible duplicate; only a contact shared with Telegram's button (the sender's own) sets the
-- card's phone. Otherwise whoever typed a number first would receive the visits, reminders and
-- messages that staff later book for its real owner.
ALTER TABLE clients ADD COLUMN unverified_phone text CHECK (unverified_phone ~ '^\+[1-9][0-9]{6,14}$');
CREATE INDEX clients_unverified_phone_idx ON clients (tenant_id, unverified_phone)
    WHERE unverified_phone IS NOT NULL;
