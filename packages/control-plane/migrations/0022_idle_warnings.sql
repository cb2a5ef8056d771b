-- The idle deadline each running session's viewers were last warned about. Every replica runs the
-- idle policy; the one whose upsert changes the row sends the warning, so viewers get it once
-- however many replicas there are. A table of its own: an UPDATE of sessions would announce a
-- session change (0004's trigger) to every live-update stream.
CREATE TABLE idle_warnings (
    session_id UUID PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
    deadline TIMESTAMPTZ NOT NULL
);
