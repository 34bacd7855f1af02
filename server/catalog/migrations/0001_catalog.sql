-- The catalog: works and their language editions, editions with versions, chapters, passages,
-- assets, collections, subjects, grades, languages, licences, organisations. The same SQL runs on
-- SQLite and PostgreSQL: text keys, BIGINT numbers (Unix seconds for times), no booleans.
CREATE TABLE organisations (
    name TEXT PRIMARY KEY
);
CREATE TABLE licences (
    code TEXT PRIMARY KEY
);
CREATE TABLE languages (
    code TEXT PRIMARY KEY
);
CREATE TABLE subjects (
    code TEXT PRIMARY KEY
);
CREATE TABLE works (
    id TEXT PRIMARY KEY,
    created_at BIGINT NOT NULL
);
CREATE TABLE editions (
    slug TEXT PRIMARY KEY,
    work_id TEXT NOT NULL REFERENCES works (id),
    language TEXT NOT NULL REFERENCES languages (code),
    current_version TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE versions (
    id TEXT PRIMARY KEY,
    edition_slug TEXT NOT NULL REFERENCES editions (slug),
    published_at BIGINT NOT NULL,
    source_hash TEXT NOT NULL,
    title TEXT NOT NULL,
    subtitle TEXT,
    subject TEXT REFERENCES subjects (code),
    material TEXT,
    licence TEXT REFERENCES licences (code),
    organisation TEXT REFERENCES organisations (name),
    year BIGINT,
    words BIGINT NOT NULL,
    epub_file TEXT,
    epub_bytes BIGINT NOT NULL,
    record TEXT NOT NULL,
    manifest TEXT NOT NULL
);
CREATE INDEX versions_edition ON versions (edition_slug);
CREATE TABLE version_grades (
    version_id TEXT NOT NULL REFERENCES versions (id) ON DELETE CASCADE,
    grade BIGINT NOT NULL,
    PRIMARY KEY (version_id, grade)
);
CREATE TABLE chapters (
    version_id TEXT NOT NULL REFERENCES versions (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    name TEXT NOT NULL,
    title TEXT NOT NULL,
    PRIMARY KEY (version_id, position)
);
CREATE TABLE passages (
    version_id TEXT NOT NULL REFERENCES versions (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    chapter_position BIGINT NOT NULL,
    anchor TEXT NOT NULL,
    heading TEXT NOT NULL,
    language TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (version_id, position)
);
CREATE TABLE assets (
    version_id TEXT NOT NULL REFERENCES versions (id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    bytes BIGINT NOT NULL,
    PRIMARY KEY (version_id, path)
);
CREATE TABLE collections (
    slug TEXT PRIMARY KEY,
    position BIGINT NOT NULL,
    titles TEXT NOT NULL,
    descriptions TEXT NOT NULL
);
CREATE TABLE collection_items (
    collection_slug TEXT NOT NULL REFERENCES collections (slug) ON DELETE CASCADE,
    edition_slug TEXT NOT NULL,
    position BIGINT NOT NULL,
    PRIMARY KEY (collection_slug, edition_slug)
);
