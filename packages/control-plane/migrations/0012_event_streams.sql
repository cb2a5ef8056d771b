-- Each open live-update stream (GET /api/v1/sessions/events), so USER_MAX_EVENT_STREAMS holds
-- across replicas: a stream is counted and inserted with the user's row locked, so parallel opens on
-- any replica cannot exceed the cap. Its replica refreshes seen_at while it is open and deletes the
-- row when it closes; rows of a replica that died stop counting once seen_at is older than the
-- staleness bound, and the maintenance loop deletes them.
CREATE TABLE event_streams (
    id UUID PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    replica_id TEXT NOT NULL,
    opened_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    seen_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
CREATE INDEX idx_event_streams_user_id ON event_streams(user_id);
CREATE INDEX idx_event_streams_seen_at ON event_streams(seen_at);
