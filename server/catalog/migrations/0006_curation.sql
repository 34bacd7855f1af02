-- Librarians choose which collections the home page features.
ALTER TABLE collections ADD COLUMN featured BIGINT NOT NULL DEFAULT 0;
