-- StreamSpace initial schema. Runs on PostgreSQL 15+ and on PGlite; agents and agent_commands keep
-- the columns of the seed's v2.0 migration so its queries still work.

CREATE TABLE users (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    username VARCHAR(64) NOT NULL UNIQUE,
    email VARCHAR(255),
    display_name VARCHAR(255),
    password_hash TEXT NOT NULL,
    role VARCHAR(16) NOT NULL DEFAULT 'user' CHECK (role IN ('admin', 'user')),
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

CREATE TABLE templates (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    name VARCHAR(64) NOT NULL UNIQUE,
    display_name VARCHAR(255) NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    image TEXT NOT NULL,
    vnc_port INTEGER NOT NULL DEFAULT 5900 CHECK (vnc_port BETWEEN 1 AND 65535),
    cpu_limit DOUBLE PRECISION NOT NULL DEFAULT 1 CHECK (cpu_limit > 0),
    memory_limit_mb INTEGER NOT NULL DEFAULT 1024 CHECK (memory_limit_mb > 0),
    env JSONB NOT NULL DEFAULT '{}'::jsonb,
    persistent_home BOOLEAN NOT NULL DEFAULT TRUE,
    platform VARCHAR(50) NOT NULL DEFAULT 'any' CHECK (platform IN ('any', 'docker', 'kubernetes')),
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

CREATE TABLE agents (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    agent_id VARCHAR(255) UNIQUE NOT NULL,
    platform VARCHAR(50) NOT NULL,
    region VARCHAR(100),
    status VARCHAR(50) NOT NULL DEFAULT 'offline',
    capacity JSONB,
    metadata JSONB,
    websocket_conn_id VARCHAR(255),
    replica_id VARCHAR(255),
    used JSONB,
    status_reason TEXT,
    last_heartbeat TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
CREATE INDEX idx_agents_platform ON agents(platform);
CREATE INDEX idx_agents_status ON agents(status);
CREATE INDEX idx_agents_last_heartbeat ON agents(last_heartbeat);

CREATE TABLE sessions (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    template_id UUID REFERENCES templates(id) ON DELETE SET NULL,
    template_name VARCHAR(64) NOT NULL,
    state VARCHAR(32) NOT NULL DEFAULT 'pending',
    state_reason TEXT,
    progress JSONB,
    region VARCHAR(100),
    agent_id UUID REFERENCES agents(id) ON DELETE SET NULL,
    platform VARCHAR(50),
    platform_metadata JSONB,
    state_changed_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
CREATE INDEX idx_sessions_user_id ON sessions(user_id);
CREATE INDEX idx_sessions_state ON sessions(state);
CREATE INDEX idx_sessions_agent_id ON sessions(agent_id);
CREATE INDEX idx_sessions_platform ON sessions(platform);

CREATE TABLE agent_commands (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    agent_id UUID REFERENCES agents(id) ON DELETE CASCADE,
    session_id UUID REFERENCES sessions(id) ON DELETE CASCADE,
    command_type VARCHAR(50) NOT NULL,
    command_data JSONB,
    status VARCHAR(50) NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'sent', 'acked', 'completed', 'failed', 'cancelled')),
    result JSONB,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    sent_at TIMESTAMPTZ,
    acked_at TIMESTAMPTZ,
    completed_at TIMESTAMPTZ
);
CREATE INDEX idx_agent_commands_agent_id ON agent_commands(agent_id);
CREATE INDEX idx_agent_commands_session_id ON agent_commands(session_id);
CREATE INDEX idx_agent_commands_status ON agent_commands(status);

CREATE TABLE audit_log (
    id BIGSERIAL PRIMARY KEY,
    at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    actor_user_id UUID,
    actor VARCHAR(255) NOT NULL,
    action VARCHAR(64) NOT NULL,
    target_type VARCHAR(32) NOT NULL,
    target_id VARCHAR(255),
    details JSONB NOT NULL DEFAULT '{}'::jsonb,
    ip VARCHAR(64)
);
CREATE INDEX idx_audit_log_at ON audit_log(at);

-- Failed logins per key (`user:<name>`, `ip:<address>`) in the current window. Kept in the
-- database so every replica enforces the same limit.
CREATE TABLE login_failures (
    key VARCHAR(320) PRIMARY KEY,
    failures INTEGER NOT NULL,
    window_started_at TIMESTAMPTZ NOT NULL
);

