-- Foundation: accounts, staff, sessions, API tokens, login throttle, destinations.
-- Times are milliseconds since the Unix epoch; ids are UUIDv7 text.
-- Every tenant table carries account_id, and child rows reference their parent
-- through (account_id, id) so a row can never point into another account.

CREATE TABLE accounts (
    id                      TEXT    NOT NULL PRIMARY KEY,
    name                    TEXT    NOT NULL,
    max_concurrent_visitors INTEGER NOT NULL DEFAULT 200,
    away_grace_secs         INTEGER NOT NULL DEFAULT 300,
    created_at              INTEGER NOT NULL
);

CREATE TABLE staff (
    id                      TEXT    NOT NULL PRIMARY KEY,
    account_id              TEXT    NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    email                   TEXT    NOT NULL,
    password_hash           TEXT    NOT NULL,
    role                    TEXT    NOT NULL CHECK (role IN ('admin', 'agent')),
    first_name              TEXT    NOT NULL,
    last_name               TEXT    NOT NULL,
    display_name            TEXT    NOT NULL,
    availability            TEXT    NOT NULL CHECK (availability IN ('available', 'away', 'offline')),
    availability_changed_at INTEGER NOT NULL,
    capacity                INTEGER NOT NULL,
    created_at              INTEGER NOT NULL,
    updated_at              INTEGER NOT NULL,
    CONSTRAINT staff_email UNIQUE (email),
    CONSTRAINT staff_account_id UNIQUE (account_id, id)
);
CREATE INDEX staff_by_account_role ON staff (account_id, role);

CREATE TABLE sessions (
    token_hash  TEXT    NOT NULL PRIMARY KEY,
    account_id  TEXT    NOT NULL,
    staff_id    TEXT    NOT NULL,
    csrf_token  TEXT    NOT NULL,
    expires_at  INTEGER NOT NULL,
    FOREIGN KEY (account_id, staff_id) REFERENCES staff (account_id, id) ON DELETE CASCADE
);
CREATE INDEX sessions_by_account_staff ON sessions (account_id, staff_id);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

CREATE TABLE api_tokens (
    id           TEXT    NOT NULL PRIMARY KEY,
    account_id   TEXT    NOT NULL,
    staff_id     TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    token_hash   TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER,
    CONSTRAINT api_token_hash UNIQUE (token_hash),
    FOREIGN KEY (account_id, staff_id) REFERENCES staff (account_id, id) ON DELETE CASCADE
);
CREATE INDEX api_tokens_by_account_staff ON api_tokens (account_id, staff_id);

-- Keyed by what the server throttles on (e-mail, client address) before any
-- account is known, so this is the one table without account_id.
CREATE TABLE login_failures (
    key TEXT    NOT NULL,
    at  INTEGER NOT NULL
);
CREATE INDEX login_failures_by_key_at ON login_failures (key, at);
CREATE INDEX login_failures_by_at ON login_failures (at);

CREATE TABLE destinations (
    id                 TEXT    NOT NULL PRIMARY KEY,
    account_id         TEXT    NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name               TEXT    NOT NULL,
    offer_timeout_secs INTEGER NOT NULL,
    strategy           TEXT    NOT NULL CHECK (strategy IN ('ring_all', 'longest_idle')),
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    CONSTRAINT destination_name UNIQUE (account_id, name),
    CONSTRAINT destination_account_id UNIQUE (account_id, id)
);

CREATE TABLE destination_members (
    account_id     TEXT    NOT NULL,
    destination_id TEXT    NOT NULL,
    staff_id       TEXT    NOT NULL,
    position       INTEGER NOT NULL,
    PRIMARY KEY (account_id, destination_id, staff_id),
    FOREIGN KEY (account_id, destination_id) REFERENCES destinations (account_id, id) ON DELETE CASCADE,
    FOREIGN KEY (account_id, staff_id) REFERENCES staff (account_id, id) ON DELETE CASCADE
);
CREATE INDEX destination_members_by_staff ON destination_members (account_id, staff_id);
