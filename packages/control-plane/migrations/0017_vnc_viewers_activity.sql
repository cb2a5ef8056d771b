-- Issue 13. A VNC ticket carries the mode its stream is held to for the whole connection: 'view'
-- streams reach the agent with input messages dropped by the proxy. share_id names the share a
-- guest redeemed (the shares table comes in 0018, so no foreign key here).
ALTER TABLE vnc_tickets ADD COLUMN mode VARCHAR(8) NOT NULL DEFAULT 'control';
ALTER TABLE vnc_tickets ADD COLUMN share_id UUID NULL;

-- One row per connected viewer, on every replica: who is watching a session now. Its replica
-- refreshes refreshed_at every 15 s and deletes the row when the viewer leaves; rows of a replica
-- that died lapse after 45 s (like event_streams in 0012) and the maintenance loop deletes them.
CREATE TABLE vnc_viewers (
    id UUID PRIMARY KEY,
    session_id UUID NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    username TEXT NOT NULL,
    share_id UUID NULL,
    mode VARCHAR(8) NOT NULL,
    replica_id TEXT NOT NULL,
    connected_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    refreshed_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
CREATE INDEX idx_vnc_viewers_session_id ON vnc_viewers(session_id);
CREATE INDEX idx_vnc_viewers_share_id ON vnc_viewers(share_id);
CREATE INDEX idx_vnc_viewers_refreshed_at ON vnc_viewers(refreshed_at);

-- Idle hibernation reads these: input seen from any viewer (written at most once a minute per
-- session, so every replica agrees without a write per key press) and when the last viewer left.
ALTER TABLE sessions ADD COLUMN last_activity_at TIMESTAMPTZ NULL;
ALTER TABLE sessions ADD COLUMN last_viewer_left_at TIMESTAMPTZ NULL;
