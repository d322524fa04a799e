-- Reports (issue 16) over a year in well under 200 ms: daily rollups kept by triggers.
--
-- Each report used to read every visit of its period (about 100 000 a year in a busy company)
-- and join their services and messages. Now each reads small per-day tables instead:
--
--   report_visit_days    visits and booked amount per shop, local day, status, source, lead time
--   report_hour_days     minutes live visits hold per shop, local day and hour (the load heat map)
--   report_bay_days      minutes live visits hold per shop, local day and bay
--   report_service_days  services booked per shop, local day, service and visit status
--   report_pair_days     services booked together in one live visit, per shop and local day
--   report_wait_days     Telegram visits per shop, local day and time since the first message
--   report_chat_days     conversations per company local day: answered, wanted to book
--   report_engine_days   the concierge's answers per company local day and engine
--
-- A bulk import (`seed-history`) sets `app.report_rollups = 'deferred'` for its transactions:
-- the triggers then leave the rollups alone, and the import recounts them once at the end.
-- Row by row, the triggers' cached plans would be those made while the tables were small (a
-- scan of all of a visit's table instead of its index) until the next ANALYZE, which this
-- machine's PostgreSQL, with autovacuum off, never runs by itself.
--
-- The rollups are derived data: every change of a visit, of its services, of an incoming
-- message, or of a shop's or the company's time zone updates them in the same transaction, and
-- `report_rebuild_shop` / `report_rebuild_messages` recompute them from scratch (used here to
-- fill them, on a time-zone change, and by the tests that prove the triggers exact).
--
-- A visit's contribution is a pure function of its row, its services and its shop's time zone:
-- an update subtracts the old row's rows and adds the new row's, summed per key and applied in
-- key order, so two transactions never lock the same rollup rows in opposite orders. The
-- functions run as the caller, under Row-Level Security: a transaction that cannot see the
-- visit's shop (another tenant, a platform transaction) changes nothing.

-- When the customer first wrote before booking in Telegram (the 30 days before), fixed when the
-- visit is created, so a later merge of clients cannot change a visit's past.
ALTER TABLE appointments ADD COLUMN first_message_at timestamptz;

CREATE TABLE report_visit_days (
    tenant_id bigint        NOT NULL,
    day       date          NOT NULL,
    shop_id   bigint        NOT NULL,
    status    text          NOT NULL,
    source    text          NOT NULL,
    -- Booked how far ahead: 0 under a day, 1 one to three days, 2 four to seven, 3 more.
    lead      smallint      NOT NULL,
    visits    integer       NOT NULL,
    amount    numeric(14,2) NOT NULL,
    PRIMARY KEY (tenant_id, day, shop_id, status, source, lead)
);
CREATE TABLE report_hour_days (
    tenant_id bigint   NOT NULL,
    day       date     NOT NULL,
    shop_id   bigint   NOT NULL,
    hour      smallint NOT NULL,
    minutes   numeric  NOT NULL,
    PRIMARY KEY (tenant_id, day, shop_id, hour)
);
CREATE TABLE report_bay_days (
    tenant_id bigint  NOT NULL,
    day       date    NOT NULL,
    shop_id   bigint  NOT NULL,
    bay       integer NOT NULL,
    minutes   numeric NOT NULL,
    PRIMARY KEY (tenant_id, day, shop_id, bay)
);
CREATE TABLE report_service_days (
    tenant_id  bigint        NOT NULL,
    day        date          NOT NULL,
    shop_id    bigint        NOT NULL,
    service_id bigint        NOT NULL,
    status     text          NOT NULL,
    visits     integer       NOT NULL,
    amount     numeric(14,2) NOT NULL,
    PRIMARY KEY (tenant_id, day, shop_id, service_id, status)
);
CREATE TABLE report_pair_days (
    tenant_id  bigint  NOT NULL,
    day        date    NOT NULL,
    shop_id    bigint  NOT NULL,
    service_id bigint  NOT NULL,
    other_id   bigint  NOT NULL CHECK (other_id > service_id),
    visits     integer NOT NULL,
    PRIMARY KEY (tenant_id, day, shop_id, service_id, other_id)
);
CREATE TABLE report_wait_days (
    tenant_id bigint   NOT NULL,
    day       date     NOT NULL,
    shop_id   bigint   NOT NULL,
    -- 0 under 15 minutes, 1 under an hour, 2 under 6 hours, 3 under a day, 4 under a week, 5 more.
    wait      smallint NOT NULL,
    visits    integer  NOT NULL,
    PRIMARY KEY (tenant_id, day, shop_id, wait)
);
CREATE TABLE report_chat_days (
    tenant_id bigint  NOT NULL,
    day       date    NOT NULL,
    chat_id   bigint  NOT NULL,
    answered  boolean NOT NULL,
    wanted    boolean NOT NULL,
    PRIMARY KEY (tenant_id, day, chat_id)
);
CREATE TABLE report_engine_days (
    tenant_id bigint  NOT NULL,
    day       date    NOT NULL,
    engine    text    NOT NULL,
    answers   integer NOT NULL,
    fallbacks integer NOT NULL,
    PRIMARY KEY (tenant_id, day, engine)
);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['report_visit_days', 'report_hour_days', 'report_bay_days',
        'report_service_days', 'report_pair_days', 'report_wait_days', 'report_chat_days',
        'report_engine_days']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I '
            'USING (tenant_id = (SELECT app_current_tenant())) '
            'WITH CHECK (tenant_id = (SELECT app_current_tenant()))', t);
    END LOOP;
END $$;

-- The rows a visit adds to each rollup, times `sign` (1 to add, -1 to take away). None for a
-- NULL visit, or when its shop is not visible.
CREATE FUNCTION report_visit_rows(a appointments, sign integer)
    RETURNS TABLE (tenant_id bigint, day date, shop_id bigint, status text, source text,
                   lead smallint, visits integer, amount numeric)
    LANGUAGE sql STABLE
AS $$
    SELECT a.tenant_id, (a.start_time AT TIME ZONE s.timezone)::date, a.shop_id, a.status, a.source,
           (CASE WHEN a.start_time - a.created_at < interval '1 day' THEN 0
                 WHEN a.start_time - a.created_at < interval '4 days' THEN 1
                 WHEN a.start_time - a.created_at < interval '8 days' THEN 2
                 ELSE 3 END)::smallint,
           sign, sign * a.total_price
    FROM shops s WHERE s.id = a.shop_id
$$;

-- Minutes of each local hour a live visit holds; an hour belongs to its own local day.
CREATE FUNCTION report_hour_rows(a appointments, sign integer)
    RETURNS TABLE (tenant_id bigint, day date, shop_id bigint, hour smallint, minutes numeric)
    LANGUAGE sql STABLE
AS $$
    SELECT a.tenant_id, h::date, a.shop_id, extract(hour FROM h)::smallint,
           sign * extract(epoch FROM least(h + interval '1 hour', l.local_end) - greatest(h, l.local_start)) / 60
    FROM shops s
    CROSS JOIN LATERAL (SELECT a.start_time AT TIME ZONE s.timezone AS local_start,
                               a.end_time AT TIME ZONE s.timezone AS local_end) l
    CROSS JOIN LATERAL generate_series(date_trunc('hour', l.local_start),
                                       l.local_end - interval '1 microsecond', interval '1 hour') h
    WHERE s.id = a.shop_id AND a.status NOT IN ('cancelled', 'no_show')
$$;

CREATE FUNCTION report_bay_rows(a appointments, sign integer)
    RETURNS TABLE (tenant_id bigint, day date, shop_id bigint, bay integer, minutes numeric)
    LANGUAGE sql STABLE
AS $$
    SELECT a.tenant_id, (a.start_time AT TIME ZONE s.timezone)::date, a.shop_id, a.bay,
           sign * extract(epoch FROM a.end_time - a.start_time) / 60
    FROM shops s WHERE s.id = a.shop_id AND a.status NOT IN ('cancelled', 'no_show')
$$;

-- A visit's services: all of them, or only `service` (one being added or removed).
CREATE FUNCTION report_service_rows(a appointments, sign integer, service bigint DEFAULT NULL)
    RETURNS TABLE (tenant_id bigint, day date, shop_id bigint, service_id bigint, status text,
                   visits integer, amount numeric)
    LANGUAGE sql STABLE
AS $$
    SELECT a.tenant_id, (a.start_time AT TIME ZONE s.timezone)::date, a.shop_id, x.service_id,
           a.status, sign, sign * x.price
    FROM shops s JOIN appointment_services x ON x.tenant_id = a.tenant_id AND x.appointment_id = a.id
    WHERE s.id = a.shop_id AND (service IS NULL OR x.service_id = service)
$$;

-- Pairs of services of a live visit: all of them, or those `service` makes with the others.
CREATE FUNCTION report_pair_rows(a appointments, sign integer, service bigint DEFAULT NULL)
    RETURNS TABLE (tenant_id bigint, day date, shop_id bigint, service_id bigint, other_id bigint,
                   visits integer)
    LANGUAGE sql STABLE
AS $$
    SELECT a.tenant_id, (a.start_time AT TIME ZONE s.timezone)::date, a.shop_id,
           least(x.service_id, y.service_id), greatest(x.service_id, y.service_id), sign
    FROM shops s
    JOIN appointment_services x ON x.tenant_id = a.tenant_id AND x.appointment_id = a.id
    JOIN appointment_services y ON y.tenant_id = a.tenant_id AND y.appointment_id = a.id
    WHERE s.id = a.shop_id AND a.status NOT IN ('cancelled', 'no_show')
      AND CASE WHEN service IS NULL THEN y.service_id > x.service_id
               ELSE x.service_id = service AND y.service_id <> service END
$$;

CREATE FUNCTION report_wait_rows(a appointments, sign integer)
    RETURNS TABLE (tenant_id bigint, day date, shop_id bigint, wait smallint, visits integer)
    LANGUAGE sql STABLE
AS $$
    SELECT a.tenant_id, (a.start_time AT TIME ZONE s.timezone)::date, a.shop_id,
           (CASE WHEN w < interval '15 minutes' THEN 0
                 WHEN w < interval '1 hour' THEN 1
                 WHEN w < interval '6 hours' THEN 2
                 WHEN w < interval '1 day' THEN 3
                 WHEN w < interval '7 days' THEN 4
                 ELSE 5 END)::smallint,
           sign
    FROM shops s CROSS JOIN LATERAL (SELECT a.created_at - a.first_message_at AS w) l
    WHERE s.id = a.shop_id AND a.source = 'telegram' AND a.first_message_at IS NOT NULL
$$;

-- Applies the change of one visit from `was` to `now` (either NULL) to the visit rollups.
-- `service` set: only that service of the visit (added or removed) and the pairs it makes.
-- PL/pgSQL, not SQL: its statements are planned once per session (with the row functions
-- inlined), where an SQL function's would be planned again on every call (5 times slower).
CREATE FUNCTION report_apply(was appointments, now appointments, service bigint DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
    IF service IS NULL THEN
        INSERT INTO report_visit_days AS r
        SELECT tenant_id, day, shop_id, status, source, lead, sum(visits), sum(amount)
        FROM (SELECT * FROM report_visit_rows(was, -1) UNION ALL SELECT * FROM report_visit_rows(now, 1)) d
        GROUP BY 1, 2, 3, 4, 5, 6 HAVING sum(visits) <> 0 OR sum(amount) <> 0 ORDER BY 1, 2, 3, 4, 5, 6
        ON CONFLICT (tenant_id, day, shop_id, status, source, lead)
        DO UPDATE SET visits = r.visits + excluded.visits, amount = r.amount + excluded.amount;

        INSERT INTO report_hour_days AS r
        SELECT tenant_id, day, shop_id, hour, sum(minutes)
        FROM (SELECT * FROM report_hour_rows(was, -1) UNION ALL SELECT * FROM report_hour_rows(now, 1)) d
        GROUP BY 1, 2, 3, 4 HAVING sum(minutes) <> 0 ORDER BY 1, 2, 3, 4
        ON CONFLICT (tenant_id, day, shop_id, hour) DO UPDATE SET minutes = r.minutes + excluded.minutes;

        INSERT INTO report_bay_days AS r
        SELECT tenant_id, day, shop_id, bay, sum(minutes)
        FROM (SELECT * FROM report_bay_rows(was, -1) UNION ALL SELECT * FROM report_bay_rows(now, 1)) d
        GROUP BY 1, 2, 3, 4 HAVING sum(minutes) <> 0 ORDER BY 1, 2, 3, 4
        ON CONFLICT (tenant_id, day, shop_id, bay) DO UPDATE SET minutes = r.minutes + excluded.minutes;

        INSERT INTO report_wait_days AS r
        SELECT tenant_id, day, shop_id, wait, sum(visits)
        FROM (SELECT * FROM report_wait_rows(was, -1) UNION ALL SELECT * FROM report_wait_rows(now, 1)) d
        GROUP BY 1, 2, 3, 4 HAVING sum(visits) <> 0 ORDER BY 1, 2, 3, 4
        ON CONFLICT (tenant_id, day, shop_id, wait) DO UPDATE SET visits = r.visits + excluded.visits;
    END IF;

    INSERT INTO report_service_days AS r
    SELECT tenant_id, day, shop_id, service_id, status, sum(visits), sum(amount)
    FROM (SELECT * FROM report_service_rows(was, -1, service)
          UNION ALL SELECT * FROM report_service_rows(now, 1, service)) d
    GROUP BY 1, 2, 3, 4, 5 HAVING sum(visits) <> 0 OR sum(amount) <> 0 ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (tenant_id, day, shop_id, service_id, status)
    DO UPDATE SET visits = r.visits + excluded.visits, amount = r.amount + excluded.amount;

    INSERT INTO report_pair_days AS r
    SELECT tenant_id, day, shop_id, service_id, other_id, sum(visits)
    FROM (SELECT * FROM report_pair_rows(was, -1, service)
          UNION ALL SELECT * FROM report_pair_rows(now, 1, service)) d
    GROUP BY 1, 2, 3, 4, 5 HAVING sum(visits) <> 0 ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (tenant_id, day, shop_id, service_id, other_id)
    DO UPDATE SET visits = r.visits + excluded.visits;
END $$;

-- A Telegram visit remembers when the customer first wrote (within the 30 days before).
-- Planned on each call: it runs in bulk imports too, and a plan cached while the messages were
-- few would read all of them.
CREATE FUNCTION report_first_message() RETURNS trigger
    LANGUAGE plpgsql
    SET plan_cache_mode = force_custom_plan
AS $$
BEGIN
    IF NEW.source = 'telegram' AND NEW.first_message_at IS NULL THEN
        NEW.first_message_at := (
            SELECT min(m.created_at) FROM bot_messages m
            WHERE m.tenant_id = NEW.tenant_id AND m.client_id = NEW.client_id AND m.direction = 'in'
              AND m.created_at >= NEW.created_at - interval '30 days' AND m.created_at <= NEW.created_at);
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER report_first_message BEFORE INSERT ON appointments
    FOR EACH ROW EXECUTE FUNCTION report_first_message();

-- Inserted and updated visits count after the change; a deleted one is taken away before it
-- goes, while its services are still there (they go with it, by the foreign key's cascade).
CREATE FUNCTION report_visit_changed() RETURNS trigger
    LANGUAGE plpgsql
AS $$
DECLARE
    was appointments;
    now appointments;
BEGIN
    IF TG_OP <> 'INSERT' THEN was := OLD; END IF;
    IF TG_OP <> 'DELETE' THEN now := NEW; END IF;
    IF current_setting('app.report_rollups', true) IS DISTINCT FROM 'deferred' AND (TG_OP <> 'UPDATE'
       OR (OLD.shop_id, OLD.bay, OLD.start_time, OLD.end_time, OLD.status, OLD.source,
           OLD.total_price, OLD.created_at, OLD.first_message_at)
          IS DISTINCT FROM (NEW.shop_id, NEW.bay, NEW.start_time, NEW.end_time, NEW.status,
                            NEW.source, NEW.total_price, NEW.created_at, NEW.first_message_at)) THEN
        PERFORM report_apply(was, now);
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER report_visit_changed AFTER INSERT OR UPDATE ON appointments
    FOR EACH ROW EXECUTE FUNCTION report_visit_changed();
CREATE TRIGGER report_visit_deleted BEFORE DELETE ON appointments
    FOR EACH ROW EXECUTE FUNCTION report_visit_changed();

-- A service added to or removed from a visit. BEFORE the row changes: the other services of the
-- visit then visible are exactly those already there (rows an INSERT or DELETE statement has
-- already handled included), so each pair is counted, or taken away, once.
CREATE FUNCTION report_visit_service_changed() RETURNS trigger
    LANGUAGE plpgsql
AS $$
DECLARE
    a appointments;
BEGIN
    IF current_setting('app.report_rollups', true) IS DISTINCT FROM 'deferred' THEN
        SELECT * INTO a FROM appointments
        WHERE tenant_id = coalesce(NEW.tenant_id, OLD.tenant_id)
          AND id = coalesce(NEW.appointment_id, OLD.appointment_id);
    END IF;
    IF a.id IS NOT NULL THEN
        IF TG_OP <> 'INSERT' THEN
            -- The row is still there: take it away with the pairs it makes.
            PERFORM report_apply(a, NULL, OLD.service_id);
        END IF;
        IF TG_OP <> 'DELETE' THEN
            -- Count the new row with the pairs it makes once it is there; an AFTER trigger would
            -- see the rest of its statement's rows too, so it is counted here, by hand.
            INSERT INTO report_service_days AS r
            SELECT a.tenant_id, (a.start_time AT TIME ZONE s.timezone)::date, a.shop_id,
                   NEW.service_id, a.status, 1, NEW.price
            FROM shops s WHERE s.id = a.shop_id
            ON CONFLICT (tenant_id, day, shop_id, service_id, status)
            DO UPDATE SET visits = r.visits + excluded.visits, amount = r.amount + excluded.amount;
            INSERT INTO report_pair_days AS r
            SELECT a.tenant_id, (a.start_time AT TIME ZONE s.timezone)::date, a.shop_id,
                   least(NEW.service_id, y.service_id), greatest(NEW.service_id, y.service_id), 1
            FROM shops s
            JOIN appointment_services y ON y.tenant_id = a.tenant_id AND y.appointment_id = a.id
            WHERE s.id = a.shop_id AND a.status NOT IN ('cancelled', 'no_show')
              AND y.service_id <> NEW.service_id
              AND (TG_OP = 'INSERT' OR y.service_id <> OLD.service_id)
            ORDER BY 4, 5
            ON CONFLICT (tenant_id, day, shop_id, service_id, other_id)
            DO UPDATE SET visits = r.visits + excluded.visits;
        END IF;
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER report_visit_service_changed BEFORE INSERT OR UPDATE OR DELETE ON appointment_services
    FOR EACH ROW EXECUTE FUNCTION report_visit_service_changed();

-- Drops one shop's visit rollups.
CREATE FUNCTION report_forget_shop(p_shop bigint) RETURNS void
    LANGUAGE sql VOLATILE
AS $$
    DELETE FROM report_visit_days WHERE shop_id = p_shop;
    DELETE FROM report_hour_days WHERE shop_id = p_shop;
    DELETE FROM report_bay_days WHERE shop_id = p_shop;
    DELETE FROM report_service_days WHERE shop_id = p_shop;
    DELETE FROM report_pair_days WHERE shop_id = p_shop;
    DELETE FROM report_wait_days WHERE shop_id = p_shop;
$$;

-- Recomputes one shop's visit rollups from its visits.
CREATE FUNCTION report_rebuild_shop(p_shop bigint) RETURNS void
    LANGUAGE sql VOLATILE
AS $$
    SELECT report_forget_shop(p_shop);
    INSERT INTO report_visit_days
    SELECT r.tenant_id, r.day, r.shop_id, r.status, r.source, r.lead, sum(r.visits), sum(r.amount)
    FROM appointments a, report_visit_rows(a, 1) r WHERE a.shop_id = p_shop GROUP BY 1, 2, 3, 4, 5, 6;
    INSERT INTO report_hour_days
    SELECT r.tenant_id, r.day, r.shop_id, r.hour, sum(r.minutes)
    FROM appointments a, report_hour_rows(a, 1) r WHERE a.shop_id = p_shop GROUP BY 1, 2, 3, 4;
    INSERT INTO report_bay_days
    SELECT r.tenant_id, r.day, r.shop_id, r.bay, sum(r.minutes)
    FROM appointments a, report_bay_rows(a, 1) r WHERE a.shop_id = p_shop GROUP BY 1, 2, 3, 4;
    INSERT INTO report_service_days
    SELECT r.tenant_id, r.day, r.shop_id, r.service_id, r.status, sum(r.visits), sum(r.amount)
    FROM appointments a, report_service_rows(a, 1) r WHERE a.shop_id = p_shop GROUP BY 1, 2, 3, 4, 5;
    INSERT INTO report_pair_days
    SELECT r.tenant_id, r.day, r.shop_id, r.service_id, r.other_id, sum(r.visits)
    FROM appointments a, report_pair_rows(a, 1) r WHERE a.shop_id = p_shop GROUP BY 1, 2, 3, 4, 5;
    INSERT INTO report_wait_days
    SELECT r.tenant_id, r.day, r.shop_id, r.wait, sum(r.visits)
    FROM appointments a, report_wait_rows(a, 1) r WHERE a.shop_id = p_shop GROUP BY 1, 2, 3, 4;
$$;

-- A shop's days move with its time zone; a deleted shop's rows go with it.
CREATE FUNCTION report_shop_changed() RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM report_forget_shop(OLD.id);
    ELSIF OLD.timezone IS DISTINCT FROM NEW.timezone THEN
        PERFORM report_rebuild_shop(NEW.id);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER report_shop_changed AFTER UPDATE OF timezone OR DELETE ON shops
    FOR EACH ROW EXECUTE FUNCTION report_shop_changed();

-- The conversation rows one incoming message adds, in the company's time zone.
CREATE FUNCTION report_message_day(m bot_messages) RETURNS date
    LANGUAGE sql STABLE
AS $$ SELECT (m.created_at AT TIME ZONE t.timezone)::date FROM tenants t WHERE t.id = m.tenant_id $$;

CREATE FUNCTION report_message_changed() RETURNS trigger
    LANGUAGE plpgsql
AS $$
DECLARE
    d date := report_message_day(NEW);
BEGIN
    IF d IS NULL OR current_setting('app.report_rollups', true) = 'deferred' THEN
        RETURN NULL;
    END IF;
    INSERT INTO report_chat_days AS r (tenant_id, day, chat_id, answered, wanted)
    VALUES (NEW.tenant_id, d, NEW.chat_id, coalesce(NEW.analysis ? 'engine', false),
            coalesce(NEW.analysis ->> 'intent' = 'booking', false))
    ON CONFLICT (tenant_id, day, chat_id)
    DO UPDATE SET answered = r.answered OR excluded.answered, wanted = r.wanted OR excluded.wanted;
    INSERT INTO report_engine_days AS r (tenant_id, day, engine, answers, fallbacks)
    SELECT NEW.tenant_id, d, engine, sum(answers), sum(fallbacks)
    FROM (SELECT OLD.analysis ->> 'engine' AS engine, -1 AS answers,
                 -(OLD.analysis ? 'fallback')::int AS fallbacks
          WHERE TG_OP = 'UPDATE' AND OLD.analysis ? 'engine'
          UNION ALL
          SELECT NEW.analysis ->> 'engine', 1, (NEW.analysis ? 'fallback')::int
          WHERE NEW.analysis ? 'engine') e
    GROUP BY engine HAVING sum(answers) <> 0 OR sum(fallbacks) <> 0 ORDER BY engine
    ON CONFLICT (tenant_id, day, engine)
    DO UPDATE SET answers = r.answers + excluded.answers, fallbacks = r.fallbacks + excluded.fallbacks;
    RETURN NULL;
END $$;
CREATE TRIGGER report_message_added AFTER INSERT ON bot_messages
    FOR EACH ROW WHEN (NEW.direction = 'in') EXECUTE FUNCTION report_message_changed();
CREATE TRIGGER report_message_analysed AFTER UPDATE OF analysis ON bot_messages
    FOR EACH ROW WHEN (NEW.direction = 'in') EXECUTE FUNCTION report_message_changed();

-- Recomputes the company's conversation rollups from its messages.
CREATE FUNCTION report_rebuild_messages(p_tenant bigint) RETURNS void
    LANGUAGE sql VOLATILE
AS $$
    DELETE FROM report_chat_days WHERE tenant_id = p_tenant;
    DELETE FROM report_engine_days WHERE tenant_id = p_tenant;
    INSERT INTO report_chat_days
    SELECT m.tenant_id, (m.created_at AT TIME ZONE t.timezone)::date, m.chat_id,
           bool_or(coalesce(m.analysis ? 'engine', false)),
           bool_or(coalesce(m.analysis ->> 'intent' = 'booking', false))
    FROM bot_messages m JOIN tenants t ON t.id = m.tenant_id
    WHERE m.tenant_id = p_tenant AND m.direction = 'in'
    GROUP BY 1, 2, 3;
    INSERT INTO report_engine_days
    SELECT m.tenant_id, (m.created_at AT TIME ZONE t.timezone)::date, m.analysis ->> 'engine',
           count(*), count(*) FILTER (WHERE m.analysis ? 'fallback')
    FROM bot_messages m JOIN tenants t ON t.id = m.tenant_id
    WHERE m.tenant_id = p_tenant AND m.direction = 'in' AND m.analysis ? 'engine'
    GROUP BY 1, 2, 3;
$$;

CREATE FUNCTION report_tenant_changed() RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    IF OLD.timezone IS DISTINCT FROM NEW.timezone THEN
        PERFORM report_rebuild_messages(NEW.id);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER report_tenant_changed AFTER UPDATE OF timezone ON tenants
    FOR EACH ROW EXECUTE FUNCTION report_tenant_changed();

-- Fill the rollups from the history already there, one company at a time (Row-Level Security
-- shows the migration one tenant's rows once it names the tenant).
DO $$
DECLARE
    t bigint;
    s bigint;
BEGIN
    -- The recount below makes the rollups: the triggers need not keep them meanwhile.
    PERFORM set_config('app.report_rollups', 'deferred', true);
    FOR t IN SELECT id FROM tenants LOOP
        PERFORM set_config('app.current_tenant_id', t::text, true);
        UPDATE appointments a SET first_message_at = (
            SELECT min(m.created_at) FROM bot_messages m
            WHERE m.tenant_id = a.tenant_id AND m.client_id = a.client_id AND m.direction = 'in'
              AND m.created_at >= a.created_at - interval '30 days' AND m.created_at <= a.created_at)
        WHERE a.tenant_id = t AND a.source = 'telegram';
        FOR s IN SELECT id FROM shops WHERE tenant_id = t LOOP
            PERFORM report_rebuild_shop(s);
        END LOOP;
        PERFORM report_rebuild_messages(t);
    END LOOP;
    PERFORM set_config('app.current_tenant_id', '', true);
    PERFORM set_config('app.report_rollups', '', true);
END $$;

-- The reports no longer read the incoming messages by time.
DROP INDEX bot_messages_incoming_time_idx;
