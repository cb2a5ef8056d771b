-- Issue 13 §2: a session's owner (or an admin) shares its desktop by link. Only the SHA-256 of a
-- link's token is kept (32 random bytes, so the hash cannot be reversed by guessing). A share is
-- for anyone signed in who holds the link, or for one named user (user_id). It always expires;
-- revoking sets revoked_at and keeps the row for the record. The VNC tickets a share redeems carry
-- its id (vnc_tickets.share_id, migration 0017), and so do the viewers connected through it.
CREATE TABLE session_shares (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    session_id UUID NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    token_hash CHAR(64) NOT NULL UNIQUE,
    mode VARCHAR(8) NOT NULL CHECK (mode IN ('view', 'control')),
    user_id UUID REFERENCES users(id) ON DELETE CASCADE,
    created_by UUID REFERENCES users(id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    expires_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ
);
CREATE INDEX idx_session_shares_session_id ON session_shares(session_id);
-- The maintenance loop looks for shares that expired since its last tick.
CREATE INDEX idx_session_shares_expires_at ON session_shares(expires_at);

-- Issue 13 §1: per-template overrides of SESSION_IDLE_TIMEOUT and SESSION_MAX_LIFETIME, in seconds;
-- NULL means the setting applies, 0 turns the limit off for the template.
ALTER TABLE templates ADD COLUMN idle_timeout_s INTEGER CHECK (idle_timeout_s >= 0);
ALTER TABLE templates ADD COLUMN max_lifetime_s INTEGER CHECK (max_lifetime_s >= 0);
