-- The worker: which companies have jobs due.
--
-- `jobs` is tenant data under forced Row-Level Security, and the runtime role cannot read across
-- companies. The worker asks this one narrow question across all of them — which tenants have a
-- job due now — and then claims and runs each company's jobs in that company's own transaction
-- (`Db::tenant_tx`), where RLS applies as everywhere else. The function returns tenant ids only,
-- never a job's content.
--
-- A SECURITY DEFINER function runs as the owner, and FORCE ROW LEVEL SECURITY applies to the
-- owner too: a read-only permissive policy for the owner lets this function (and only the owner)
-- see the rows. The runtime role gets no such policy.
DO $$
BEGIN
    EXECUTE format('CREATE POLICY platform_functions ON jobs FOR SELECT TO %I USING (true)', current_user);
END
$$;

CREATE FUNCTION platform_due_job_tenants(p_limit integer)
    RETURNS TABLE (tenant_id bigint)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
    SELECT j.tenant_id FROM jobs j
    WHERE j.status = 'pending' AND j.run_at <= now()
    GROUP BY j.tenant_id
    ORDER BY min(j.run_at)
    LIMIT p_limit
$$;

REVOKE ALL ON FUNCTION platform_due_job_tenants(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION platform_due_job_tenants(integer) TO auto_concierge_app;
