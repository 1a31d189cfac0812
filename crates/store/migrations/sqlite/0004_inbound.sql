-- Inbound webhook processing: every event the inbox worker has applied, by
-- the protocol's dedupe key (the mid for messages and echoes; type, Page,
-- person and watermark / target / time for the rest). A redelivered event
-- finds its key here and is skipped, so processing is idempotent even when a
-- crash repeats a half-processed inbox row.
CREATE TABLE inbox_events (
    dedupe_key           TEXT    NOT NULL PRIMARY KEY,
    inbox_id             TEXT    NOT NULL,
    processed_at         BIGINT  NOT NULL
);
CREATE INDEX inbox_events_by_time ON inbox_events (processed_at);
