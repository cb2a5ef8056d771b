-- Single-use links that let a browser download a session's file by plain navigation (no
-- Authorization header), so it streams to disk instead of into memory. Only a hash of the ticket is
-- stored; redeeming is one UPDATE, so a link works once and on any replica.
CREATE TABLE file_download_tickets (
    ticket_hash CHAR(64) PRIMARY KEY,
    session_id UUID NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    share_id UUID REFERENCES session_shares(id) ON DELETE CASCADE,
    -- The minting login: a logout or a disabled account ends its links too.
    token_version INTEGER NOT NULL,
    token_expires_at TIMESTAMPTZ NOT NULL,
    api_token_hash CHAR(64),
    expires_at TIMESTAMPTZ NOT NULL,
    used_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
CREATE INDEX idx_file_download_tickets_expires_at ON file_download_tickets(expires_at);
