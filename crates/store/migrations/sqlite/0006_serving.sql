-- When each staff member last read an enquiry: their unread count is the
-- visitor's messages after it.
CREATE TABLE enquiry_reads (
    account_id           TEXT    NOT NULL,
    enquiry_id           TEXT    NOT NULL,
    staff_id             TEXT    NOT NULL,
    read_at              BIGINT  NOT NULL,
    PRIMARY KEY (account_id, enquiry_id, staff_id),
    FOREIGN KEY (account_id, enquiry_id) REFERENCES enquiries (account_id, id) ON DELETE CASCADE
);
