-- Self-service registration confirmed by e-mail (when the platform has SMTP): the company is
-- created only when the link in the letter is followed, and the form answers the same whether
-- or not the e-mail already has an account (the letter says which).

-- Registrations waiting for their letter's link. Platform data, no company yet: the runtime role
-- reaches it only through the two functions below (no direct privileges).
CREATE TABLE registration_requests (
    -- SHA-256 of the token in the link; the token itself is never stored.
    token_hash bytea PRIMARY KEY CHECK (length(token_hash) = 32),
    name text NOT NULL,
    slug text NOT NULL,
    timezone text NOT NULL,
    admin_email text NOT NULL,
    admin_password_hash text NOT NULL,
    admin_full_name text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX registration_requests_expires ON registration_requests (expires_at);
REVOKE ALL ON TABLE registration_requests FROM auto_concierge_app;

-- Keeps a registration until `p_expires_at`; expired ones are swept on the way.
CREATE FUNCTION platform_request_registration(p_token_hash bytea, p_name text, p_slug text,
                                              p_timezone text, p_admin_email text,
                                              p_admin_password_hash text,
                                              p_admin_full_name text,
                                              p_expires_at timestamptz)
    RETURNS void
    LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
    DELETE FROM registration_requests WHERE expires_at < now();
    INSERT INTO registration_requests (token_hash, name, slug, timezone, admin_email,
                                       admin_password_hash, admin_full_name, expires_at)
    VALUES (p_token_hash, p_name, p_slug, p_timezone, p_admin_email, p_admin_password_hash,
            p_admin_full_name, p_expires_at);
$$;

-- Follows a letter's link: creates the company and its admin from the waiting registration and
-- forgets it, all or nothing. No row: the link is unknown, used or expired. A short name or
-- e-mail taken in between fails as `platform_create_tenant` does (and the link stays usable
-- until it expires, in case the person wants to read the message again).
CREATE FUNCTION platform_confirm_registration(p_token_hash bytea)
    RETURNS TABLE (tenant_id bigint, user_id bigint)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
DECLARE
    r registration_requests;
BEGIN
    DELETE FROM registration_requests
    WHERE token_hash = p_token_hash AND expires_at >= now()
    RETURNING * INTO r;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    RETURN QUERY SELECT * FROM platform_create_tenant(r.name, r.slug, r.timezone, r.admin_email,
                                                      r.admin_password_hash, r.admin_full_name);
END
$$;

REVOKE ALL ON FUNCTION platform_request_registration(bytea, text, text, text, text, text, text, timestamptz),
                       platform_confirm_registration(bytea)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION platform_request_registration(bytea, text, text, text, text, text, text, timestamptz),
                          platform_confirm_registration(bytea)
    TO auto_concierge_app;
