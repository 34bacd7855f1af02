//! The sync log and its files (national portal side), and what a school server has applied.

use super::{BeginWrite, Db, now};
use anyhow::Result;
use sqlx::Row;

/// One event of the log as a school reads it.
#[derive(Debug, Clone)]
pub struct SyncEvent {
    pub seq: i64,
    pub slug: String,
    pub kind: String,
    pub version: Option<String>,
    pub doc: String,
    pub signature: String,
}

/// A source file of a stored version.
#[derive(Debug, Clone)]
pub struct SyncFile {
    pub slug: String,
    pub version: String,
    pub path: String,
    pub bytes: i64,
}

/// A book a school has from a portal: the signed time of the event applied, its kind, and the
/// files (JSON) of the version applied.
#[derive(Debug, Clone)]
pub struct SyncedBook {
    pub source: String,
    pub at: i64,
    pub kind: String,
    pub files: String,
}

impl Db {
    /// Appends an event; returns its number. Numbers are taken in the write transaction, so two
    /// writers never share one.
    pub async fn append_sync_event(
        &self,
        slug: &str,
        kind: &str,
        version: Option<&str>,
        at: i64,
        doc: &str,
        signature: &str,
    ) -> Result<i64> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let seq: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) + 1 FROM sync_events")
                .fetch_one(&mut *tx)
                .await?;
            sqlx::query("INSERT INTO sync_events (seq, slug, kind, version, at, doc, signature) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .bind(seq).bind(slug).bind(kind).bind(version).bind(at).bind(doc).bind(signature)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(seq)
        })
    }

    /// Events after `since`, oldest first, at most `limit`.
    pub async fn sync_events_since(&self, since: i64, limit: i64) -> Result<Vec<SyncEvent>> {
        on_pool!(self, pool => {
            let rows = sqlx::query("SELECT seq, slug, kind, version, doc, signature FROM sync_events WHERE seq > $1 ORDER BY seq LIMIT $2")
                .bind(since).bind(limit)
                .fetch_all(pool).await?;
            rows.iter().map(|r| Ok(SyncEvent {
                seq: r.try_get(0)?,
                slug: r.try_get(1)?,
                kind: r.try_get(2)?,
                version: r.try_get(3)?,
                doc: r.try_get(4)?,
                signature: r.try_get(5)?,
            })).collect()
        })
    }

    /// The newest event's number (0 when there is none).
    pub async fn last_sync_seq(&self) -> Result<i64> {
        on_pool!(self, pool => {
            Ok(sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM sync_events").fetch_one(pool).await?)
        })
    }

    /// The kind and version of each edition's newest event.
    pub async fn last_sync_events(
        &self,
    ) -> Result<std::collections::HashMap<String, (String, Option<String>)>> {
        on_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT s.slug, s.kind, s.version FROM sync_events s
                 JOIN (SELECT slug, MAX(seq) AS seq FROM sync_events GROUP BY slug) m ON m.seq = s.seq")
                .fetch_all(pool).await?;
            rows.iter().map(|r| Ok((r.try_get(0)?, (r.try_get(1)?, r.try_get(2)?)))).collect()
        })
    }

    pub async fn add_sync_files(
        &self,
        version: &str,
        files: &[(String, String, i64)],
    ) -> Result<()> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            for (path, sha, bytes) in files {
                sqlx::query("INSERT INTO sync_files (version_id, path, sha256, bytes) VALUES ($1, $2, $3, $4) ON CONFLICT (version_id, path) DO NOTHING")
                    .bind(version).bind(path).bind(sha).bind(bytes)
                    .execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    /// A stored source file with this hash, of a version whose edition is not withdrawn (the
    /// newest version first).
    pub async fn sync_file(&self, sha256: &str) -> Result<Option<SyncFile>> {
        on_pool!(self, pool => {
            let row = sqlx::query(
                "SELECT v.edition_slug, f.version_id, f.path, f.bytes FROM sync_files f
                 JOIN versions v ON v.id = f.version_id JOIN editions e ON e.slug = v.edition_slug
                 WHERE f.sha256 = $1 AND e.withdrawn_at IS NULL ORDER BY v.published_at DESC LIMIT 1")
                .bind(sha256).fetch_optional(pool).await?;
            Ok(match row {
                Some(r) => Some(SyncFile { slug: r.try_get(0)?, version: r.try_get(1)?, path: r.try_get(2)?, bytes: r.try_get(3)? }),
                None => None,
            })
        })
    }

    /// A school's record of a portal: its trusted public key and the last event applied.
    pub async fn sync_source(&self, source: &str) -> Result<Option<(String, i64)>> {
        on_pool!(self, pool => {
            let row = sqlx::query("SELECT public_key, last_seq FROM sync_sources WHERE source = $1")
                .bind(source).fetch_optional(pool).await?;
            Ok(match row { Some(r) => Some((r.try_get(0)?, r.try_get(1)?)), None => None })
        })
    }

    pub async fn set_sync_source(
        &self,
        source: &str,
        public_key: &str,
        last_seq: i64,
    ) -> Result<()> {
        on_pool!(self, pool => {
            sqlx::query("INSERT INTO sync_sources (source, public_key, last_seq, synced_at) VALUES ($1, $2, $3, $4)
                         ON CONFLICT (source) DO UPDATE SET public_key = excluded.public_key, last_seq = excluded.last_seq, synced_at = excluded.synced_at")
                .bind(source).bind(public_key).bind(last_seq).bind(now())
                .execute(pool).await?;
            Ok(())
        })
    }

    pub async fn synced_book(&self, slug: &str) -> Result<Option<SyncedBook>> {
        on_pool!(self, pool => {
            let row = sqlx::query("SELECT source, at, kind, files FROM synced_books WHERE slug = $1")
                .bind(slug).fetch_optional(pool).await?;
            Ok(match row {
                Some(r) => Some(SyncedBook { source: r.try_get(0)?, at: r.try_get(1)?, kind: r.try_get(2)?, files: r.try_get(3)? }),
                None => None,
            })
        })
    }

    /// Every book taken from a source, with the files of the version applied (to keep their
    /// blobs).
    pub async fn synced_books(&self) -> Result<Vec<(String, SyncedBook)>> {
        on_pool!(self, pool => {
            let rows = sqlx::query("SELECT slug, source, at, kind, files FROM synced_books ORDER BY slug")
                .fetch_all(pool).await?;
            rows.iter().map(|r| Ok((r.try_get(0)?, SyncedBook { source: r.try_get(1)?, at: r.try_get(2)?, kind: r.try_get(3)?, files: r.try_get(4)? }))).collect()
        })
    }

    pub async fn set_synced_book(&self, slug: &str, b: &SyncedBook) -> Result<()> {
        on_pool!(self, pool => {
            sqlx::query("INSERT INTO synced_books (slug, source, at, kind, files) VALUES ($1, $2, $3, $4, $5)
                         ON CONFLICT (slug) DO UPDATE SET source = excluded.source, at = excluded.at, kind = excluded.kind, files = excluded.files")
                .bind(slug).bind(&b.source).bind(b.at).bind(&b.kind).bind(&b.files)
                .execute(pool).await?;
            Ok(())
        })
    }
}

/// Every edition with its current version, withdrawn ones too (with when), and when it last
/// changed by the log (milliseconds; `None` before the log): what OAI-PMH harvesters see.
impl Db {
    pub async fn all_editions(
        &self,
    ) -> Result<Vec<(crate::StoredVersion, Option<i64>, Option<i64>)>> {
        on_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT v.id, e.slug, v.published_at, v.source_hash, v.epub_file, v.epub_bytes, v.record, v.manifest, e.withdrawn_at,
                        (SELECT MAX(s.at) FROM sync_events s WHERE s.slug = e.slug)
                 FROM editions e JOIN versions v ON v.id = e.current_version ORDER BY e.slug")
                .fetch_all(pool).await?;
            rows.iter().map(|r| Ok((stored_version!(r), r.try_get(8)?, r.try_get(9)?))).collect()
        })
    }
}
