-- Agent identity (issue 11 §1): a client holding the shared AGENT_TOKEN could register under an
-- online agent's id, displace it and receive its commands with valid tunnel tokens. Each agent now
-- has its own credential, bound to its agent_id; AGENT_TOKEN only enrolls ids not enrolled yet.
-- Only the SHA-256 of the credential is kept: it is 32 random bytes, so a fast hash is enough (no
-- dictionary to guess from) and checking it on every connect costs nothing.
ALTER TABLE agents ADD COLUMN credential_hash VARCHAR(64);
ALTER TABLE agents ADD COLUMN enrolled_at TIMESTAMPTZ;
ALTER TABLE agents ADD COLUMN enrolled_from VARCHAR(255);
ALTER TABLE agents ADD COLUMN last_address VARCHAR(255);
-- A revoked id stays revoked: the join token cannot enroll it again, or a host that kept the join
-- token would be back a second after its revocation.
ALTER TABLE agents ADD COLUMN revoked_at TIMESTAMPTZ;
ALTER TABLE agents ADD COLUMN revoked_by VARCHAR(255);
CREATE UNIQUE INDEX idx_agents_credential_hash ON agents(credential_hash);
