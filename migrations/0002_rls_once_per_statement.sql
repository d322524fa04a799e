-- Row-Level Security evaluated once per statement instead of once per row.
--
-- `tenant_id = app_current_tenant()` is a filter expression: PostgreSQL evaluates it for every
-- row it reads (current_setting, NULLIF and a cast each time), and estimates it poorly. Written
-- as a scalar subquery, `(SELECT app_current_tenant())` becomes an InitPlan: computed once per
-- statement, then compared as a parameter — and still usable as an index key. The rule itself
-- is unchanged: same tables, same policy names, same USING and WITH CHECK semantics.
DO $$
DECLARE
    t text;
BEGIN
    FOR t IN SELECT tablename FROM pg_policies
              WHERE schemaname = current_schema() AND policyname = 'tenant_isolation'
                AND tablename <> 'tenants'
    LOOP
        EXECUTE format(
            'ALTER POLICY tenant_isolation ON %I USING (tenant_id = (SELECT app_current_tenant())) '
            'WITH CHECK (tenant_id = (SELECT app_current_tenant()))', t);
    END LOOP;
END
$$;

ALTER POLICY tenant_isolation ON tenants
    USING (id = (SELECT app_current_tenant())) WITH CHECK (id = (SELECT app_current_tenant()));

-- Called on every authenticated request. A SECURITY DEFINER SQL function is never inlined and
-- plans its query on each call; PL/pgSQL keeps the plan for the session.
CREATE OR REPLACE FUNCTION platform_user(p_user_id bigint)
    RETURNS TABLE (id bigint, email text, full_name text, role text, tenant_id bigint,
                   is_active boolean, tenant_active boolean)
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
BEGIN
    RETURN QUERY
    SELECT u.id, u.email, u.full_name, u.role, u.tenant_id, u.is_active, coalesce(t.is_active, true)
    FROM users u LEFT JOIN tenants t ON t.id = u.tenant_id
    WHERE u.id = p_user_id;
END
$$;
