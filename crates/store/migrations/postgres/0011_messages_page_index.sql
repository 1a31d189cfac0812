-- An enquiry's messages are paged in (sent_at, id) order, oldest first or
-- newest first (a chat opens at its end): one index serves both directions
-- without sorting, however long the conversation. It replaces the one
-- without the id.
CREATE INDEX messages_by_enquiry_page ON messages (account_id, enquiry_id, sent_at, id);
DROP INDEX messages_by_enquiry;
