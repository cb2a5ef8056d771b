-- A new command wakes the replica holding its agent, whichever code path inserted it and only once
-- its transaction commits (a NOTIFY is delivered at commit; identical ones in one transaction are
-- sent once). Before, every caller had to remember a wake() after its commit. Payload: agent uuid.
CREATE OR REPLACE FUNCTION streamspace_notify_agent_command() RETURNS trigger AS $$
BEGIN
    IF NEW.agent_id IS NOT NULL AND NEW.status = 'pending' THEN
        PERFORM pg_notify('streamspace_commands', NEW.agent_id::text);
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER agent_commands_notify_insert
    AFTER INSERT ON agent_commands
    FOR EACH ROW EXECUTE FUNCTION streamspace_notify_agent_command();
