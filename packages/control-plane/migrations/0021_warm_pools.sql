-- Warm pools (issue 16, section 5): a template keeps `warm_pool` sessions started ahead; a user's
-- start claims one that is already running, and a replacement is started behind it.
ALTER TABLE templates ADD COLUMN warm_pool INTEGER NOT NULL DEFAULT 0
    CONSTRAINT templates_warm_pool_range CHECK (warm_pool BETWEEN 0 AND 50);
-- A pooled session is started before anyone owns it, so it cannot mount its user's home.
ALTER TABLE templates ADD CONSTRAINT templates_warm_pool_home CHECK (warm_pool = 0 OR NOT persistent_home);

-- The owner of sessions no user has claimed yet. A row of its own keeps sessions.user_id NOT NULL
-- (joins, the change trigger, quota counts stay as they are); its name is outside what the API and
-- single sign-on accept as a user name, it has no password and is disabled, so nobody signs in as it.
INSERT INTO users (id, username, display_name, password_hash, role, disabled)
    VALUES ('00000000-0000-4000-8000-00000000a001', '(warm pool)', 'Warm pool: sessions not yet claimed',
            NULL, 'user', TRUE)
    ON CONFLICT DO NOTHING;

-- warm_pool: started for a pool and not yet claimed. warm_spec: the fingerprint of the template it
-- was started from (image, limits, env …); a session whose template changed is drained, not claimed.
ALTER TABLE sessions ADD COLUMN warm_pool BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE sessions ADD COLUMN warm_spec TEXT;
CREATE INDEX idx_sessions_warm_pool ON sessions (template_id, state) WHERE warm_pool;

-- Failed pool starts back off instead of spinning; shared by every replica, shown to admins.
CREATE TABLE warm_pool_failures (
    template_id UUID PRIMARY KEY REFERENCES templates(id) ON DELETE CASCADE,
    failures INTEGER NOT NULL,
    retry_at TIMESTAMPTZ NOT NULL,
    last_error TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
