-- Short-lived, single-use tickets that let a browser open a VNC stream. Only a hash of the ticket
-- is stored; redeeming is one UPDATE, so a ticket works once even across replicas.
CREATE TABLE vnc_tickets (
    ticket_hash CHAR(64) PRIMARY KEY,
    session_id UUID NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
CREATE INDEX idx_vnc_tickets_expires_at ON vnc_tickets(expires_at);
