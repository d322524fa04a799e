-- Staff passwords: an admin resets a staff member's forgotten password to a temporary one, which
-- its owner must replace at the next login (app/src/domain/passwords.rs).
--
-- Both changes are made by the runtime role in the company's transaction, where Row-Level
-- Security already limits UPDATE on `users` to the company's own staff: no new SECURITY DEFINER
-- path is needed for them, and none could reach another company's account or the platform
-- operator's. Only the token check, which runs before the company is known, needs to see the flag.
ALTER TABLE users ADD COLUMN must_change_password boolean NOT NULL DEFAULT false;

-- The user a verified access token names, now with whether they must change their password
-- first (a token of such a user opens only `/users/me` and the password change). Never the hash.
DROP FUNCTION platform_user(bigint);
CREATE FUNCTION platform_user(p_user_id bigint)
    RETURNS TABLE (id bigint, email text, full_name text, role text, tenant_id bigint,
                   is_active boolean, tenant_active boolean, token_version integer,
                   must_change_password boolean)
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
BEGIN
    -- PL/pgSQL keeps the plan for the session (called on every authenticated request).
    RETURN QUERY
    SELECT u.id, u.email, u.full_name, u.role, u.tenant_id, u.is_active, coalesce(t.is_active, true),
           u.token_version, u.must_change_password
    FROM users u LEFT JOIN tenants t ON t.id = u.tenant_id
    WHERE u.id = p_user_id;
END
$$;
REVOKE ALL ON FUNCTION platform_user(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION platform_user(bigint) TO auto_concierge_app;
