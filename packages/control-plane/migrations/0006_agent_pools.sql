-- Agent pools: agents that share one platform (a Kubernetes namespace on one cluster, one Docker
-- engine) name the same pool in `register`, and an online agent of the pool takes over the
-- sessions of one that went offline. NULL (agents from before pools) is a pool of its own: NULL
-- never equals NULL, so such an agent neither gives nor takes sessions.
ALTER TABLE agents ADD COLUMN pool VARCHAR(500);
CREATE INDEX idx_agents_pool ON agents(pool);
