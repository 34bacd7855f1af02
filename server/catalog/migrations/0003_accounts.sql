-- Staff accounts (pupils never have one), their roles and organisations, sessions, API tokens,
-- invitations and the audit log. Secrets are stored only as hashes: Argon2id for passwords,
-- SHA-256 for random tokens (session ids, API tokens, invitation links). Organisations are the
-- catalog's own (a book's publisher is one): authors and reviewers belong to them by name.
CREATE TABLE staff (
    id TEXT PRIMARY KEY,
    -- Lower-cased; the sign-in name.
    email TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL DEFAULT '',
    -- Argon2id in PHC form; NULL until a password is set.
    password_hash TEXT,
    -- 1 while the password is a one-time one that must be replaced at the next sign-in.
    password_temporary BIGINT NOT NULL DEFAULT 0,
    disabled_at BIGINT,
    -- Sign-in throttling per account (never per address: a school shares one).
    failed_signins BIGINT NOT NULL DEFAULT 0,
    locked_until BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

CREATE TABLE staff_roles (
    staff_id TEXT NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    PRIMARY KEY (staff_id, role)
);

CREATE TABLE staff_organisations (
    staff_id TEXT NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
    organisation TEXT NOT NULL REFERENCES organisations(name) ON DELETE CASCADE,
    PRIMARY KEY (staff_id, organisation)
);

CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    staff_id TEXT NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
    csrf TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen BIGINT NOT NULL
);
CREATE INDEX sessions_staff ON sessions (staff_id);

CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    staff_id TEXT NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    -- Space-separated scopes; a token never does more than its owner's roles allow.
    scopes TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX api_tokens_staff ON api_tokens (staff_id);

CREATE TABLE invitations (
    token_hash TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    roles TEXT NOT NULL,
    organisation TEXT REFERENCES organisations(name) ON DELETE SET NULL,
    created_by TEXT REFERENCES staff(id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);

-- Who did what, when, to which book: read by admins. Staff only; nothing about pupils.
CREATE TABLE audit_log (
    id TEXT PRIMARY KEY,
    at BIGINT NOT NULL,
    staff_id TEXT REFERENCES staff(id) ON DELETE SET NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at ON audit_log (at);

-- Keys the portal makes at first start and every replica shares (the sign-in form's token key).
CREATE TABLE portal_keys (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
