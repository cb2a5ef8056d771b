-- Where each VNC tunnel's viewer waits. An agent dials its tunnel back through the load balancer,
-- so it may reach any replica; that replica finds here which one holds the viewer and relays.
-- No secret is kept: the tunnel's token is an HMAC of its id, checked by recomputing it.
CREATE TABLE vnc_tunnels (
    id UUID PRIMARY KEY,
    session_id UUID NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    replica_id TEXT NOT NULL,
    replica_url TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
CREATE INDEX idx_vnc_tunnels_created_at ON vnc_tunnels(created_at);
