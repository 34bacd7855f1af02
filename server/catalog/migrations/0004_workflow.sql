-- Drafts on their way to publication: each upload or edit is a revision; each revision is
-- checked and built by a job queued here, so that a restart (of this portal or another replica)
-- resumes it or says why it failed.
CREATE TABLE drafts (
    id TEXT PRIMARY KEY,
    -- The edition it will publish (the slug of its book.toml).
    slug TEXT NOT NULL,
    organisation TEXT NOT NULL REFERENCES organisations(name),
    title TEXT NOT NULL,
    -- draft, in_review, changes_requested, approved, published
    stage TEXT NOT NULL,
    created_by TEXT REFERENCES staff(id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (organisation, slug)
);

CREATE TABLE revisions (
    id TEXT PRIMARY KEY,
    draft_id TEXT NOT NULL REFERENCES drafts(id) ON DELETE CASCADE,
    number BIGINT NOT NULL,
    author_id TEXT REFERENCES staff(id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    -- SHA-256 of the project's files (names and bytes), to tell revisions apart.
    source_hash TEXT NOT NULL,
    -- How it came: upload, api, editor.
    origin TEXT NOT NULL,
    UNIQUE (draft_id, number)
);

CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    revision_id TEXT NOT NULL REFERENCES revisions(id) ON DELETE CASCADE,
    -- queued, running, done, failed
    state TEXT NOT NULL,
    queued_at BIGINT NOT NULL,
    started_at BIGINT,
    finished_at BIGINT,
    -- The process working on it, and when it last said it was alive.
    worker TEXT,
    heartbeat_at BIGINT,
    attempts BIGINT NOT NULL DEFAULT 0,
    progress TEXT NOT NULL DEFAULT '',
    errors BIGINT NOT NULL DEFAULT 0,
    warnings BIGINT NOT NULL DEFAULT 0,
    -- JSON: the build's diagnostics (file, line, column, severity, message, the source line).
    diagnostics TEXT NOT NULL DEFAULT '[]',
    message TEXT NOT NULL DEFAULT ''
);
CREATE INDEX jobs_state ON jobs (state, queued_at);
CREATE INDEX jobs_revision ON jobs (revision_id);
