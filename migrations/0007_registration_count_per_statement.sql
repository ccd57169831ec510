-- Registrations are inserted in batches (one statement registers every
-- waiting request of a hot talk). Counting them once per statement, from the
-- inserted rows as a whole, updates each talk's counters once instead of once
-- per row; the CHECK on talks still refuses any statement that would overbook.
-- Updates and deletes keep the per-row trigger.
CREATE FUNCTION registrations_count_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE talks t
    SET confirmed_count = t.confirmed_count + n.confirmed,
        waitlist_count  = t.waitlist_count + n.waitlisted
    FROM (SELECT talk_id,
                 count(*) FILTER (WHERE status = 'confirmed')  AS confirmed,
                 count(*) FILTER (WHERE status = 'waitlisted') AS waitlisted
          FROM inserted GROUP BY talk_id) n
    WHERE t.id = n.talk_id AND (n.confirmed > 0 OR n.waitlisted > 0);
    RETURN NULL;
END
$$;

DROP TRIGGER registrations_count ON registrations;
CREATE TRIGGER registrations_count AFTER UPDATE OF status OR DELETE ON registrations
    FOR EACH ROW EXECUTE FUNCTION registrations_count();
CREATE TRIGGER registrations_count_inserted AFTER INSERT ON registrations
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION registrations_count_inserted();
