-- Issue 11 §2: a login token is checked against the user's row on every request. token_version is
-- in every token and bumped by logout, a password change, a demotion and disabling, which revokes
-- every token issued before. max_sessions overrides USER_MAX_SESSIONS for one user (NULL: default).
-- admin_password_applied is an argon2 hash of the ADMIN_PASSWORD last applied to this row, so a
-- restart re-applies ADMIN_PASSWORD only when the configured value changed.
ALTER TABLE users ADD COLUMN token_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN max_sessions INTEGER CHECK (max_sessions IS NULL OR max_sessions >= 0);
ALTER TABLE users ADD COLUMN admin_password_applied TEXT;

-- A VNC ticket carries the token version and expiry of the login that minted it, so redeeming it and
-- the stream it opens end with that login.
ALTER TABLE vnc_tickets ADD COLUMN token_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE vnc_tickets ADD COLUMN token_expires_at TIMESTAMPTZ;

-- Every replica caches users' rows for a second or two; this tells them to drop one at once.
CREATE OR REPLACE FUNCTION streamspace_notify_user_change() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('streamspace_users', OLD.id::text);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER users_notify_change
    AFTER UPDATE OF token_version, disabled, role, username ON users
    FOR EACH ROW EXECUTE FUNCTION streamspace_notify_user_change();
CREATE TRIGGER users_notify_delete
    AFTER DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION streamspace_notify_user_change();
