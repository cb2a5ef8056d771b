-- Issue 11 §3: login throttling with growing delays. An attempt is counted BEFORE its password is
-- checked (the row is locked while counting), so parallel attempts on any replica cannot all reach
-- the password check; blocked_until is when the next attempt may be checked, last_attempt_at lets
-- the count decay after a quiet window.
ALTER TABLE login_failures ADD COLUMN blocked_until TIMESTAMPTZ;
ALTER TABLE login_failures ADD COLUMN last_attempt_at TIMESTAMPTZ;
