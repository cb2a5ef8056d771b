-- Every change to a session is announced on one channel, whichever replica or code path made it,
-- so the UI's live updates (SSE) need no bookkeeping in the application. Payload: "<id> <user_id>".
CREATE OR REPLACE FUNCTION streamspace_notify_session_change() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('streamspace_sessions', NEW.id::text || ' ' || NEW.user_id::text);
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER sessions_notify_change
    AFTER INSERT OR UPDATE ON sessions
    FOR EACH ROW EXECUTE FUNCTION streamspace_notify_session_change();
