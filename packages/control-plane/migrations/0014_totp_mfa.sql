-- Issue 12 §2: TOTP two-factor (RFC 6238).
-- One row per user who started or finished enrollment. The secret is AES-256-GCM ciphertext under a
-- key derived from JWT_SECRET (auth/totp-secret-box.ts), so a database dump alone does not yield
-- working authenticators. enabled_at is NULL while enrollment waits for its confirming code.
-- last_used_step is the RFC 6238 time step of the last accepted code: a code is accepted only for a
-- later step, with a compare-and-set in the UPDATE, so a code cannot be used twice, even on two
-- replicas at once.
CREATE TABLE user_totp (
    user_id UUID PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    secret_encrypted TEXT NOT NULL,
    enabled_at TIMESTAMPTZ,
    last_used_step INTEGER, -- unix time / 30 fits an INTEGER until the year 4010
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

-- Single-use recovery codes: SHA-256 (hex) of 80-bit random codes; used_at marks the one use.
CREATE TABLE mfa_recovery_codes (
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    PRIMARY KEY (user_id, code_hash)
);

-- The second step of a login: the password was right, a code is still due. Only a SHA-256 of the
-- random mfa_token is kept; it is not a login token and is redeemed once (used_at), before
-- expires_at, under the token version the password step saw.
CREATE TABLE mfa_challenges (
    token_hash TEXT PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_version INTEGER NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
CREATE INDEX mfa_challenges_expires_at ON mfa_challenges (expires_at);

-- Replicas cache whether a user has two-factor on (MFA_REQUIRED is enforced per request): a change
-- tells them at once, on the users channel of migration 0009.
CREATE OR REPLACE FUNCTION streamspace_notify_user_totp_change() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('streamspace_users', COALESCE(NEW.user_id, OLD.user_id)::text);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER user_totp_notify_change
    AFTER INSERT OR UPDATE OF enabled_at OR DELETE ON user_totp
    FOR EACH ROW EXECUTE FUNCTION streamspace_notify_user_totp_change();
