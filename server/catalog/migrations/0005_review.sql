-- Review and publishing through the portal: what happened to a draft (submitted, commented on a
-- book or a chapter line, approved, changes requested, published), which revision was approved
-- and published, each version's changelog, and withdrawn editions (kept, with the reason).
CREATE TABLE draft_events (
    id TEXT PRIMARY KEY,
    draft_id TEXT NOT NULL REFERENCES drafts(id) ON DELETE CASCADE,
    revision_id TEXT REFERENCES revisions(id) ON DELETE SET NULL,
    staff_id TEXT REFERENCES staff(id) ON DELETE SET NULL,
    -- submit, comment, approve, request_changes, publish
    kind TEXT NOT NULL,
    -- A comment on a line: the chapter file and the line number.
    file TEXT,
    line BIGINT,
    body TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE INDEX draft_events_draft ON draft_events (draft_id, created_at);

ALTER TABLE drafts ADD COLUMN approved_revision TEXT;
ALTER TABLE drafts ADD COLUMN published_revision TEXT;

ALTER TABLE versions ADD COLUMN changelog TEXT NOT NULL DEFAULT '';
ALTER TABLE versions ADD COLUMN published_by TEXT;

ALTER TABLE editions ADD COLUMN withdrawn_at BIGINT;
ALTER TABLE editions ADD COLUMN withdrawn_reason TEXT;
