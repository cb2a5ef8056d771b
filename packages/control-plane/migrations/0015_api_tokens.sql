-- Issue 12 §3: personal API tokens for scripts and the CLI. Only the SHA-256 of a token is kept (a
-- token is 32 random bytes, so a plain hash cannot be reversed by guessing); hint is its first
-- characters, shown in lists so people can tell their tokens apart. Every token expires
-- (API_TOKEN_MAX_LIFETIME caps it); revoking sets revoked_at and keeps the row for the record.
CREATE TABLE api_tokens (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name VARCHAR(100) NOT NULL,
    token_hash CHAR(64) NOT NULL UNIQUE,
    hint VARCHAR(16) NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    expires_at TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ,
    last_used_from VARCHAR(64),
    revoked_at TIMESTAMPTZ,
    revoked_by VARCHAR(255)
);
CREATE INDEX idx_api_tokens_user_id ON api_tokens(user_id);

-- Disabling a user kills their API tokens for good, whichever code path disables them: re-enabling
-- the account does not bring back tokens that may have leaked with it.
CREATE OR REPLACE FUNCTION streamspace_revoke_api_tokens_of_disabled() RETURNS trigger AS $$
BEGIN
    UPDATE api_tokens SET revoked_at = NOW(), revoked_by = 'account disabled'
        WHERE user_id = NEW.id AND revoked_at IS NULL;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER users_disabled_revokes_api_tokens
    AFTER UPDATE OF disabled ON users
    FOR EACH ROW WHEN (NEW.disabled AND NOT OLD.disabled)
    EXECUTE FUNCTION streamspace_revoke_api_tokens_of_disabled();

-- Replicas cache token rows for a second or two; this tells them to drop one at once when it is
-- revoked (here or by the trigger above) or deleted with its user.
CREATE OR REPLACE FUNCTION streamspace_notify_api_token_change() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('streamspace_api_tokens', OLD.token_hash);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER api_tokens_notify_change
    AFTER UPDATE OF revoked_at, expires_at OR DELETE ON api_tokens
    FOR EACH ROW EXECUTE FUNCTION streamspace_notify_api_token_change();
