-- A login attempt is counted before its password is checked (so parallel
-- guesses cannot all pass the throttle); `attempt_id` ties the rows of one
-- attempt together so a successful one can be taken back.
ALTER TABLE login_failures ADD COLUMN attempt_id TEXT;
CREATE INDEX login_failures_by_attempt ON login_failures (attempt_id);
