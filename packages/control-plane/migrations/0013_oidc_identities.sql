-- Issue 12 §1: single sign-on with OpenID Connect. A user signed in by an identity provider is
-- linked by (issuer, subject), the pair OpenID Connect guarantees stable and unique, never by user
-- name (a name can be reused or renamed at the provider). Such users have no local password: the
-- column becomes nullable and NULL means "password login refused".
ALTER TABLE users ALTER COLUMN password_hash DROP NOT NULL;

CREATE TABLE user_identities (
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    last_login_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    PRIMARY KEY (issuer, subject)
);
CREATE INDEX idx_user_identities_user ON user_identities(user_id);

-- The hand-over from the provider's redirect to the UI: the callback stores a one-time code (its
-- SHA-256 only) for a minute, the browser's UI redeems it once for a login token. In the database so
-- the redemption may land on any replica.
CREATE TABLE oidc_login_codes (
    code_hash TEXT PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    return_to TEXT,
    expires_at TIMESTAMPTZ NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
CREATE INDEX idx_oidc_login_codes_expiry ON oidc_login_codes(expires_at);
