-- School servers sync from this log: one signed event per publish, withdrawal or restore of an
-- edition, numbered in the order they happened. `doc` is the JSON a school checks against
-- `signature` (minisign); the sequence number only orders the feed.
CREATE TABLE sync_events (
    seq BIGINT PRIMARY KEY,
    slug TEXT NOT NULL,
    kind TEXT NOT NULL,
    version TEXT,
    at BIGINT NOT NULL,
    doc TEXT NOT NULL,
    signature TEXT NOT NULL
);
CREATE INDEX sync_events_slug ON sync_events (slug);
-- The source files of each published version, by SHA-256: what a school downloads.
CREATE TABLE sync_files (
    version_id TEXT NOT NULL,
    path TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    bytes BIGINT NOT NULL,
    PRIMARY KEY (version_id, path)
);
CREATE INDEX sync_files_hash ON sync_files (sha256);
-- On a school server: each portal synced from (its trusted key, how far its log was applied)
-- and the books that came from one (the signed time of the event applied, the files).
CREATE TABLE sync_sources (
    source TEXT PRIMARY KEY,
    public_key TEXT NOT NULL,
    last_seq BIGINT NOT NULL,
    synced_at BIGINT
);
CREATE TABLE synced_books (
    slug TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    at BIGINT NOT NULL,
    kind TEXT NOT NULL,
    files TEXT NOT NULL
);
