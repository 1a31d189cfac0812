-- Channels, visitors, enquiries, messages, routing, the inbox, the outbox and
-- the event log. Times are ms since the epoch; ids are UUIDv7 text; booleans
-- are 0/1. Every tenant table carries account_id and references its parents
-- through (account_id, id), so no row can point into another account.

ALTER TABLE accounts ADD COLUMN event_seq BIGINT NOT NULL DEFAULT 0;

-- One channel per connected Facebook Page (kind 'facebook_messenger'; later
-- kinds reuse the table). A Page belongs to at most one account: the unique
-- index covers every channel that is not deleted.
CREATE TABLE channels (
    id                   TEXT    NOT NULL PRIMARY KEY,
    account_id           TEXT    NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind                 TEXT    NOT NULL,
    name                 TEXT    NOT NULL,
    status               TEXT    NOT NULL CHECK (status IN ('active', 'suspended', 'disconnected', 'deleted')),
    status_reason        TEXT,
    status_changed_at    BIGINT  NOT NULL,
    external_id          TEXT    NOT NULL,             -- the Page id
    external_name        TEXT    NOT NULL,             -- the Page name
    picture_url          TEXT,
    access_token_enc     TEXT,                         -- Page token, encrypted (never returned)
    connected_by         TEXT,                         -- app-scoped Facebook user id of the connecting admin
    routing_settings     TEXT    NOT NULL,             -- JSON, domain::routing::RoutingSettings
    message_settings     TEXT    NOT NULL,             -- JSON, domain::messages::MessageSettings
    last_check_at        BIGINT,
    last_check           TEXT,                         -- JSON result of the connection check
    created_at           BIGINT  NOT NULL,
    updated_at           BIGINT  NOT NULL,
    CONSTRAINT channel_account_id UNIQUE (account_id, id)
);
CREATE UNIQUE INDEX channel_page ON channels (kind, external_id) WHERE status <> 'deleted';
CREATE INDEX channels_by_account ON channels (account_id, status);

-- Facebook Login: the OAuth state (bound to the admin's session) and, after
-- the callback, the user token and the Pages offered for selection.
CREATE TABLE facebook_logins (
    id                   TEXT    NOT NULL PRIMARY KEY,
    account_id           TEXT    NOT NULL,
    staff_id             TEXT    NOT NULL,
    session_hash         TEXT    NOT NULL,             -- the session that started it
    state_hash           TEXT    NOT NULL,             -- sha256 of the OAuth state
    status               TEXT    NOT NULL CHECK (status IN ('started', 'authorized', 'used', 'failed')),
    facebook_user_id     TEXT,
    user_token_enc       TEXT,
    pages                TEXT,                         -- JSON list of Pages (tokens encrypted)
    permissions          TEXT,                         -- JSON list of {permission, status}
    error                TEXT,
    created_at           BIGINT  NOT NULL,
    expires_at           BIGINT  NOT NULL,
    CONSTRAINT facebook_login_state UNIQUE (state_hash),
    FOREIGN KEY (account_id, staff_id) REFERENCES staff (account_id, id) ON DELETE CASCADE
);

-- Percentage routing tally: enquiries offered per destination since the
-- channel's routing settings were last saved.
CREATE TABLE routing_tallies (
    account_id           TEXT    NOT NULL,
    channel_id           TEXT    NOT NULL,
    destination_id       TEXT    NOT NULL,
    assigned             BIGINT  NOT NULL,
    PRIMARY KEY (account_id, channel_id, destination_id),
    FOREIGN KEY (account_id, channel_id) REFERENCES channels (account_id, id) ON DELETE CASCADE
);

-- A visitor is one person on one channel (Page-scoped id).
CREATE TABLE visitors (
    id                   TEXT    NOT NULL PRIMARY KEY,
    account_id           TEXT    NOT NULL,
    channel_id           TEXT    NOT NULL,
    external_id          TEXT    NOT NULL,             -- PSID
    name                 TEXT,
    first_name           TEXT,
    last_name            TEXT,
    picture_url          TEXT,
    profile_status       TEXT    NOT NULL DEFAULT 'pending' CHECK (profile_status IN ('pending', 'fetched', 'unavailable')),
    profile_attempts     BIGINT  NOT NULL DEFAULT 0,
    profile_next_at      BIGINT,
    last_inbound_at      BIGINT,                       -- opens the 24-hour window
    welcomed_at          BIGINT,                       -- the welcome message went out (never again)
    last_served_by       TEXT,                         -- staff id, for sticky routing
    created_at           BIGINT  NOT NULL,
    updated_at           BIGINT  NOT NULL,
    CONSTRAINT visitor_account_id UNIQUE (account_id, id),
    CONSTRAINT visitor_external UNIQUE (channel_id, external_id),
    FOREIGN KEY (account_id, channel_id) REFERENCES channels (account_id, id) ON DELETE CASCADE
);
CREATE INDEX visitors_profile_due ON visitors (profile_status, profile_next_at);

-- An enquiry: one conversation episode of a visitor on a channel.
--   queued  waiting for a free concurrent-visitor slot (account limit)
--   routing needs a routing decision (due at route_at)
--   offered has open offers
--   active  accepted by assigned_staff_id
--   missed  routing found nobody; in the missed list
--   closed
CREATE TABLE enquiries (
    id                   TEXT    NOT NULL PRIMARY KEY,
    account_id           TEXT    NOT NULL,
    channel_id           TEXT    NOT NULL,
    visitor_id           TEXT    NOT NULL,
    status               TEXT    NOT NULL CHECK (status IN ('queued', 'routing', 'offered', 'active', 'missed', 'closed')),
    assigned_staff_id    TEXT,
    destination_id       TEXT,                         -- where it was last offered or transferred
    routing_state        TEXT    NOT NULL DEFAULT '{}',-- JSON: what routing already tried for it
    route_at             BIGINT,                       -- when the routing worker should look at it
    standby              BIGINT  NOT NULL DEFAULT 0,   -- another app owns the thread: stored, not routed
    opened_at            BIGINT  NOT NULL,             -- arrival of its first message
    last_inbound_at      BIGINT  NOT NULL,
    assigned_at          BIGINT,
    missed_at            BIGINT,
    away_sent_at         BIGINT,
    closed_at            BIGINT,
    closed_by            TEXT,                         -- staff id, or 'system'
    close_reason         TEXT,
    created_at           BIGINT  NOT NULL,
    updated_at           BIGINT  NOT NULL,
    CONSTRAINT enquiry_account_id UNIQUE (account_id, id),
    FOREIGN KEY (account_id, channel_id) REFERENCES channels (account_id, id) ON DELETE CASCADE,
    FOREIGN KEY (account_id, visitor_id) REFERENCES visitors (account_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX enquiry_open_per_visitor ON enquiries (channel_id, visitor_id) WHERE status <> 'closed';
CREATE INDEX enquiries_by_account_status ON enquiries (account_id, status, opened_at);
CREATE INDEX enquiries_by_agent ON enquiries (account_id, assigned_staff_id, status);
CREATE INDEX enquiries_due ON enquiries (status, route_at);

-- Every routing decision, as the domain's trace (JSON), for admins.
CREATE TABLE routing_traces (
    id                   TEXT    NOT NULL PRIMARY KEY,
    account_id           TEXT    NOT NULL,
    enquiry_id           TEXT    NOT NULL,
    trigger              TEXT    NOT NULL,             -- opened, offer_timed_out, declined, agent_away, capacity_freed, transfer, resumed…
    trace                TEXT    NOT NULL,
    created_at           BIGINT  NOT NULL,
    FOREIGN KEY (account_id, enquiry_id) REFERENCES enquiries (account_id, id) ON DELETE CASCADE
);
CREATE INDEX routing_traces_by_enquiry ON routing_traces (account_id, enquiry_id, created_at);

-- An offer of an enquiry to one agent, with its deadline.
CREATE TABLE offers (
    id                   TEXT    NOT NULL PRIMARY KEY,
    account_id           TEXT    NOT NULL,
    enquiry_id           TEXT    NOT NULL,
    staff_id             TEXT    NOT NULL,
    destination_id       TEXT,                         -- NULL for a sticky offer outside the rule
    status               TEXT    NOT NULL CHECK (status IN ('open', 'accepted', 'declined', 'expired', 'withdrawn', 'taken')),
    via_sticky           BIGINT  NOT NULL DEFAULT 0,
    created_at           BIGINT  NOT NULL,
    deadline_at          BIGINT  NOT NULL,
    resolved_at          BIGINT,
    FOREIGN KEY (account_id, enquiry_id) REFERENCES enquiries (account_id, id) ON DELETE CASCADE
);
CREATE INDEX offers_due ON offers (status, deadline_at);
CREATE INDEX offers_by_enquiry ON offers (account_id, enquiry_id, status);
CREATE INDEX offers_by_staff ON offers (account_id, staff_id, status);

-- Messages of a visitor's conversation, both directions.
--   direction  inbound | outbound
--   author     visitor | staff | system (welcome/away) | page (sent from Facebook's own inbox)
--   kind       text | attachment | sticker | postback | quick_reply | referral | unknown
--   status     inbound: received; outbound: queued | sending | sent | delivered | read | failed
CREATE TABLE messages (
    id                   TEXT    NOT NULL PRIMARY KEY,
    account_id           TEXT    NOT NULL,
    channel_id           TEXT    NOT NULL,
    visitor_id           TEXT    NOT NULL,
    enquiry_id           TEXT,
    direction            TEXT    NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    author               TEXT    NOT NULL CHECK (author IN ('visitor', 'staff', 'system', 'page')),
    staff_id             TEXT,
    kind                 TEXT    NOT NULL,
    text                 TEXT,                         -- exactly as sent (display-name prefix included)
    payload              TEXT,                         -- JSON: postback/quick reply payload, referral, raw unknown event
    reply_to_external_id TEXT,
    external_id          TEXT,                         -- Messenger mid
    metadata             TEXT,                         -- what we pass as Send API metadata (matches echoes)
    standby              BIGINT  NOT NULL DEFAULT 0,
    status               TEXT    NOT NULL,
    failure_code         TEXT,
    failure_reason       TEXT,
    edited_at            BIGINT,
    sent_at              BIGINT  NOT NULL,             -- event time (inbound) or when it was written (outbound)
    delivered_at         BIGINT,
    read_at              BIGINT,
    created_at           BIGINT  NOT NULL,
    CONSTRAINT message_account_id UNIQUE (account_id, id),
    FOREIGN KEY (account_id, visitor_id) REFERENCES visitors (account_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX message_external ON messages (channel_id, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX messages_by_visitor ON messages (account_id, visitor_id, sent_at);
CREATE INDEX messages_by_enquiry ON messages (account_id, enquiry_id, sent_at);

CREATE TABLE message_edits (
    account_id           TEXT    NOT NULL,
    message_id           TEXT    NOT NULL,
    previous_text        TEXT,
    new_text             TEXT,
    num_edit             BIGINT,
    edited_at            BIGINT  NOT NULL,
    FOREIGN KEY (account_id, message_id) REFERENCES messages (account_id, id) ON DELETE CASCADE
);
CREATE INDEX message_edits_by_message ON message_edits (account_id, message_id);

CREATE TABLE message_reactions (
    account_id           TEXT    NOT NULL,
    message_id           TEXT    NOT NULL,
    reactor              TEXT    NOT NULL,             -- 'visitor' or a staff id
    reaction             TEXT    NOT NULL,
    emoji                TEXT,
    created_at           BIGINT  NOT NULL,
    PRIMARY KEY (account_id, message_id, reactor),
    FOREIGN KEY (account_id, message_id) REFERENCES messages (account_id, id) ON DELETE CASCADE
);

-- Files of messages: downloaded (inbound) or uploaded by staff (outbound),
-- kept under <data dir>/files/<storage_key>.
CREATE TABLE attachments (
    id                   TEXT    NOT NULL PRIMARY KEY,
    account_id           TEXT    NOT NULL,
    message_id           TEXT    NOT NULL,
    position             BIGINT  NOT NULL,
    kind                 TEXT    NOT NULL,             -- image | audio | video | file | sticker | fallback | …
    status               TEXT    NOT NULL CHECK (status IN ('pending', 'stored', 'failed', 'too_large', 'remote')),
    source_url           TEXT,
    content_type         TEXT,
    file_name            TEXT,
    size_bytes           BIGINT,
    storage_key          TEXT,
    external_id          TEXT,                         -- Messenger attachment_id once uploaded
    attempts             BIGINT  NOT NULL DEFAULT 0,
    next_attempt_at      BIGINT,
    last_error           TEXT,
    created_at           BIGINT  NOT NULL,
    CONSTRAINT attachment_account_id UNIQUE (account_id, id),
    FOREIGN KEY (account_id, message_id) REFERENCES messages (account_id, id) ON DELETE CASCADE
);
CREATE INDEX attachments_by_message ON attachments (account_id, message_id, position);
CREATE INDEX attachments_due ON attachments (status, next_attempt_at);

-- Raw webhook deliveries, written before the 200 is sent. Pre-tenant (the
-- Page id is inside the body), so no account_id.
CREATE TABLE inbox (
    id                   TEXT    NOT NULL PRIMARY KEY, -- UUIDv7: arrival order
    received_at          BIGINT  NOT NULL,
    body                 BLOB    NOT NULL,             -- exactly the signed bytes
    status               TEXT    NOT NULL CHECK (status IN ('pending', 'done', 'failed')),
    attempts             BIGINT  NOT NULL DEFAULT 0,
    claimed_until        BIGINT,
    last_error           TEXT,
    processed_at         BIGINT
);
CREATE INDEX inbox_pending ON inbox (status, id);

-- Outgoing messages waiting to be sent, in order per visitor.
CREATE TABLE outbox (
    message_id           TEXT    NOT NULL PRIMARY KEY,
    account_id           TEXT    NOT NULL,
    channel_id           TEXT    NOT NULL,
    visitor_id           TEXT    NOT NULL,
    status               TEXT    NOT NULL CHECK (status IN ('pending', 'in_flight', 'done', 'failed', 'held')),
    is_human             BIGINT  NOT NULL,             -- written by a person (HUMAN_AGENT tag may apply)
    attempts             BIGINT  NOT NULL DEFAULT 0,
    next_attempt_at      BIGINT  NOT NULL,
    claimed_until        BIGINT,
    last_error           TEXT,
    created_at           BIGINT  NOT NULL,
    FOREIGN KEY (account_id, message_id) REFERENCES messages (account_id, id) ON DELETE CASCADE
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_by_visitor ON outbox (account_id, visitor_id, status, created_at);

-- Events for agents' browsers, numbered per account so a reconnecting client
-- asks for what it missed. staff_id NULL = for everyone in the account.
CREATE TABLE events (
    account_id           TEXT    NOT NULL,
    seq                  BIGINT  NOT NULL,
    staff_id             TEXT,
    kind                 TEXT    NOT NULL,
    payload              TEXT    NOT NULL,
    created_at           BIGINT  NOT NULL,
    PRIMARY KEY (account_id, seq)
);
CREATE INDEX events_by_time ON events (created_at);
