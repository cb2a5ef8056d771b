-- Issue 12 §4: GET /api/v1/audit reads the log newest first, a page at a time, keyed on (at, id)
-- (rows written in one transaction share `at`; the id breaks the tie), optionally filtered by actor,
-- action (exact or prefix) and target. Each index ends in (at, id) so a filtered page is read in
-- order without sorting. The retention prune deletes by `at` through the first one.
DROP INDEX IF EXISTS idx_audit_log_at;
CREATE INDEX idx_audit_log_at_id ON audit_log (at, id);
CREATE INDEX idx_audit_log_actor_user ON audit_log (actor_user_id, at, id);
CREATE INDEX idx_audit_log_actor ON audit_log (actor, at, id);
CREATE INDEX idx_audit_log_target ON audit_log (target_type, target_id, at, id);
-- varchar_pattern_ops serves both `action = 'auth.login'` and `action LIKE 'auth.%'` whatever the
-- database's collation.
CREATE INDEX idx_audit_log_action ON audit_log (action varchar_pattern_ops, at, id);
