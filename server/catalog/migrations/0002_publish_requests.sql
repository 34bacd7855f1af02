-- What was asked to be published at start-up (a book or library folder) and whether it was
-- finished, so that a start that died half-way publishes the rest on the next start.
CREATE TABLE publish_requests (
    source TEXT PRIMARY KEY,
    requested_at BIGINT NOT NULL,
    finished_at BIGINT
);
