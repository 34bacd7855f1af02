//! The catalog database: SQLite (embedded, the default) or PostgreSQL, with the same SQL and the
//! same behaviour. Queries are built at run time (no database is needed to compile), and each
//! query is written once and run on whichever pool is open.

use anyhow::{Context, Result, bail};
use sqlx::Row;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use std::str::FromStr;
use std::time::Duration;

/// Migrations, in order. Each runs once, inside a transaction, on either database.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/0001_catalog.sql")),
    (2, include_str!("../migrations/0002_publish_requests.sql")),
    (3, include_str!("../migrations/0003_accounts.sql")),
    (4, include_str!("../migrations/0004_workflow.sql")),
    (5, include_str!("../migrations/0005_review.sql")),
    (6, include_str!("../migrations/0006_curation.sql")),
    (7, include_str!("../migrations/0007_sync.sql")),
];

pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// A transaction that will write. On SQLite it takes the write lock at its start
/// (`BEGIN IMMEDIATE`): a transaction that reads first and writes later could not wait for
/// another writer (SQLite answers "database is locked" at once), only fail.
pub(crate) trait BeginWrite {
    type Db: sqlx::Database;
    fn begin_write(
        &self,
    ) -> impl std::future::Future<Output = sqlx::Result<sqlx::Transaction<'static, Self::Db>>> + Send;
}

impl BeginWrite for SqlitePool {
    type Db = sqlx::Sqlite;
    fn begin_write(
        &self,
    ) -> impl std::future::Future<Output = sqlx::Result<sqlx::Transaction<'static, Self::Db>>> + Send
    {
        self.begin_with("BEGIN IMMEDIATE")
    }
}

impl BeginWrite for PgPool {
    type Db = sqlx::Postgres;
    fn begin_write(
        &self,
    ) -> impl std::future::Future<Output = sqlx::Result<sqlx::Transaction<'static, Self::Db>>> + Send
    {
        self.begin()
    }
}

/// Runs the same expression on the open pool, whichever database it is.
macro_rules! on_pool {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            Db::Sqlite($pool) => $body,
            Db::Postgres($pool) => $body,
        }
    };
}

/// Writes one audit entry through `$ex` (a pool or an open transaction), in the caller's
/// transaction when it has one.
macro_rules! audit {
    ($ex:expr, at = $at:expr, staff = $staff:expr, actor = $actor:expr, action = $action:expr, target = $target:expr, detail = $detail:expr) => {
        sqlx::query("INSERT INTO audit_log (id, at, staff_id, actor, action, target, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind($crate::new_id()?)
            .bind($at)
            .bind($staff)
            .bind($actor)
            .bind($action)
            .bind($target)
            .bind($detail)
            .execute($ex)
            .await?
    };
}

/// A `StoredVersion` from a row whose first eight columns are `v.id, slug, v.published_at,
/// v.source_hash, v.epub_file, v.epub_bytes, v.record, v.manifest` (on either pool's rows).
macro_rules! stored_version {
    ($r:expr) => {
        $crate::StoredVersion {
            id: $r.try_get(0)?,
            slug: $r.try_get(1)?,
            published_at: $r.try_get(2)?,
            source_hash: $r.try_get(3)?,
            epub_file: $r.try_get(4)?,
            epub_bytes: $r.try_get(5)?,
            record: $r.try_get(6)?,
            manifest: $r.try_get(7)?,
        }
    };
}

mod accounts;
mod sync;
mod workflow;

pub use accounts::{
    AuditEntry, InvitationProblem, InvitationRow, Role, SessionRow, StaffRow, TokenOwner, new_id,
    normalise_email,
};
pub use sync::{SyncEvent, SyncFile, SyncedBook};

pub use workflow::{DraftEvent, DraftRow, EditionRow, JobRow, RevisionRow, Stage};

/// A new version of an edition, with everything the catalog keeps of it.
#[derive(Debug, Clone, Default)]
pub struct NewVersion {
    pub id: String,
    pub slug: String,
    pub work: String,
    pub language: String,
    pub published_at: i64,
    pub source_hash: String,
    pub title: String,
    pub subtitle: Option<String>,
    pub subject: Option<String>,
    pub material: Option<String>,
    pub licence: Option<String>,
    pub organisation: Option<String>,
    pub year: Option<i64>,
    pub words: i64,
    pub epub_file: Option<String>,
    pub epub_bytes: i64,
    pub grades: Vec<i64>,
    /// (name, title) in reading order.
    pub chapters: Vec<(String, String)>,
    pub passages: Vec<PassageRow>,
    /// (path, bytes).
    pub assets: Vec<(String, i64)>,
    /// The indexer's book record (JSON) and the build's `book.json`.
    pub record: String,
    pub manifest: String,
    /// What is new in this version (one line, from the librarian who published it).
    pub changelog: String,
    /// Who published it through the portal (a staff id); `None` for a folder at start-up.
    pub published_by: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct PassageRow {
    pub chapter_position: i64,
    pub anchor: String,
    pub heading: String,
    pub language: String,
    pub body: String,
}

/// The current version of one edition, as stored.
#[derive(Debug, Clone)]
pub struct StoredVersion {
    pub id: String,
    pub slug: String,
    pub published_at: i64,
    pub source_hash: String,
    pub epub_file: Option<String>,
    pub epub_bytes: i64,
    pub record: String,
    pub manifest: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct CollectionRow {
    pub slug: String,
    /// JSON objects: language code → text.
    pub titles: String,
    pub descriptions: String,
    pub books: Vec<String>,
    /// Shown on the home page.
    pub featured: bool,
}

impl Db {
    /// `sqlite://PATH` (created if missing) or `postgres://…`.
    pub async fn connect(url: &str) -> Result<Db> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = PgPoolOptions::new()
                .max_connections(8)
                .acquire_timeout(Duration::from_secs(10))
                .connect(url)
                .await
                .with_context(|| format!("connecting to PostgreSQL at {}", redact(url)))?;
            Ok(Db::Postgres(pool))
        } else if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)
                .with_context(|| format!("the SQLite URL {url}"))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10));
            let pool = SqlitePoolOptions::new()
                .max_connections(4)
                .connect_with(opts)
                .await
                .with_context(|| format!("opening the SQLite catalog {url}"))?;
            Ok(Db::Sqlite(pool))
        } else {
            bail!(
                "--database-url {}: use sqlite://PATH or postgres://USER@HOST/DB",
                redact(url)
            )
        }
    }

    /// Opens the catalog without writing to it, for a data folder that cannot be written (a full
    /// disk, a read-only mount): SQLite is opened read-only and immutable (no journal, no lock
    /// files); PostgreSQL as usual.
    pub async fn connect_read_only(url: &str) -> Result<Db> {
        if !url.starts_with("sqlite:") {
            return Db::connect(url).await;
        }
        let base = SqliteConnectOptions::from_str(url)
            .with_context(|| format!("the SQLite URL {url}"))?
            .read_only(true);
        // Read-only first: it still reads what a start that was killed left in the write-ahead
        // log. Where even that cannot open (no room for the shared-memory file, read-only media
        // without one), immutable: the database file alone, no side files.
        for opts in [base.clone(), base.immutable(true)] {
            let pool = SqlitePoolOptions::new()
                .max_connections(4)
                .connect_with(opts)
                .await;
            if let Ok(pool) = pool {
                let readable: Result<i64, _> =
                    sqlx::query_scalar("SELECT COUNT(*) FROM kitep_migrations")
                        .fetch_one(&pool)
                        .await;
                if readable.is_ok() {
                    return Ok(Db::Sqlite(pool));
                }
                pool.close().await;
            }
        }
        bail!("opening the SQLite catalog {url} read-only failed")
    }

    pub fn backend(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    /// Brings the schema up to date; each migration and its record commit together.
    pub async fn migrate(&self) -> Result<()> {
        on_pool!(self, pool => {
            sqlx::raw_sql(
                "CREATE TABLE IF NOT EXISTS kitep_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
            )
            .execute(pool)
            .await?;
            for (version, sql) in MIGRATIONS {
                let done: Option<i64> =
                    sqlx::query_scalar("SELECT version FROM kitep_migrations WHERE version = $1")
                        .bind(version)
                        .fetch_optional(pool)
                        .await?;
                if done.is_some() {
                    continue;
                }
                let mut tx = pool.begin_write().await?;
                sqlx::raw_sql(sql).execute(&mut *tx).await.with_context(|| format!("migration {version}"))?;
                sqlx::query("INSERT INTO kitep_migrations (version, applied_at) VALUES ($1, $2)")
                    .bind(version)
                    .bind(now())
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
            }
        });
        Ok(())
    }

    /// Stores a version and makes it the edition's current one, in one transaction.
    pub async fn publish(&self, v: &NewVersion) -> Result<()> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            for (table, column, value) in [
                ("languages", "code", Some(&v.language)),
                ("subjects", "code", v.subject.as_ref()),
                ("licences", "code", v.licence.as_ref()),
                ("organisations", "name", v.organisation.as_ref()),
            ] {
                if let Some(value) = value {
                    sqlx::query(&format!(
                        "INSERT INTO {table} ({column}) VALUES ($1) ON CONFLICT ({column}) DO NOTHING"
                    ))
                    .bind(value)
                    .execute(&mut *tx)
                    .await?;
                }
            }
            sqlx::query("INSERT INTO works (id, created_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING")
                .bind(&v.work)
                .bind(v.published_at)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO editions (slug, work_id, language, current_version, created_at, updated_at)
                 VALUES ($1, $2, $3, NULL, $4, $4)
                 ON CONFLICT (slug) DO UPDATE SET work_id = excluded.work_id, language = excluded.language",
            )
            .bind(&v.slug)
            .bind(&v.work)
            .bind(&v.language)
            .bind(v.published_at)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO versions (id, edition_slug, published_at, source_hash, title, subtitle, subject,
                   material, licence, organisation, year, words, epub_file, epub_bytes, record, manifest,
                   changelog, published_by)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
            )
            .bind(&v.id)
            .bind(&v.slug)
            .bind(v.published_at)
            .bind(&v.source_hash)
            .bind(&v.title)
            .bind(&v.subtitle)
            .bind(&v.subject)
            .bind(&v.material)
            .bind(&v.licence)
            .bind(&v.organisation)
            .bind(v.year)
            .bind(v.words)
            .bind(&v.epub_file)
            .bind(v.epub_bytes)
            .bind(&v.record)
            .bind(&v.manifest)
            .bind(&v.changelog)
            .bind(&v.published_by)
            .execute(&mut *tx)
            .await?;
            for g in &v.grades {
                sqlx::query("INSERT INTO version_grades (version_id, grade) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                    .bind(&v.id)
                    .bind(g)
                    .execute(&mut *tx)
                    .await?;
            }
            for (i, (name, title)) in v.chapters.iter().enumerate() {
                sqlx::query("INSERT INTO chapters (version_id, position, name, title) VALUES ($1, $2, $3, $4)")
                    .bind(&v.id)
                    .bind(i as i64)
                    .bind(name)
                    .bind(title)
                    .execute(&mut *tx)
                    .await?;
            }
            for (i, p) in v.passages.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO passages (version_id, position, chapter_position, anchor, heading, language, body)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(&v.id)
                .bind(i as i64)
                .bind(p.chapter_position)
                .bind(&p.anchor)
                .bind(&p.heading)
                .bind(&p.language)
                .bind(&p.body)
                .execute(&mut *tx)
                .await?;
            }
            for (path, bytes) in &v.assets {
                sqlx::query("INSERT INTO assets (version_id, path, bytes) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
                    .bind(&v.id)
                    .bind(path)
                    .bind(bytes)
                    .execute(&mut *tx)
                    .await?;
            }
            // A new version of a withdrawn edition makes it available again.
            sqlx::query("UPDATE editions SET current_version = $1, updated_at = $2, withdrawn_at = NULL, withdrawn_reason = NULL WHERE slug = $3")
                .bind(&v.id)
                .bind(v.published_at)
                .bind(&v.slug)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Every edition's current version.
    pub async fn current_versions(&self) -> Result<Vec<StoredVersion>> {
        let rows = on_pool!(self, pool => {
            sqlx::query(
                "SELECT v.id, v.edition_slug, v.published_at, v.source_hash, v.epub_file, v.epub_bytes, v.record, v.manifest
                 FROM editions e JOIN versions v ON v.id = e.current_version
                 WHERE e.withdrawn_at IS NULL
                 ORDER BY v.published_at DESC, e.slug",
            )
            .fetch_all(pool)
            .await?
            .into_iter()
            .map(|r| -> Result<StoredVersion, sqlx::Error> { Ok(stored_version!(r)) })
            .collect::<Result<Vec<_>, _>>()?
        });
        Ok(rows)
    }

    /// The source fingerprint of an edition's current version (to skip unchanged books).
    pub async fn current_source_hash(&self, slug: &str) -> Result<Option<String>> {
        let hash = on_pool!(self, pool => {
            sqlx::query_scalar(
                "SELECT v.source_hash FROM editions e JOIN versions v ON v.id = e.current_version WHERE e.slug = $1",
            )
            .bind(slug)
            .fetch_optional(pool)
            .await?
        });
        Ok(hash)
    }

    /// Whether any version of the edition was published from exactly this source.
    pub async fn ever_published(&self, slug: &str, source_hash: &str) -> Result<bool> {
        let n: i64 = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM versions WHERE edition_slug = $1 AND source_hash = $2")
                .bind(slug)
                .bind(source_hash)
                .fetch_one(pool)
                .await?
        });
        Ok(n > 0)
    }

    /// The versions of an edition, newest first: (id, published_at).
    pub async fn versions_of(&self, slug: &str) -> Result<Vec<(String, i64)>> {
        let rows = on_pool!(self, pool => {
            sqlx::query("SELECT id, published_at FROM versions WHERE edition_slug = $1 ORDER BY published_at DESC, id DESC")
                .bind(slug)
                .fetch_all(pool)
                .await?
                .into_iter()
                .map(|r| Ok::<_, sqlx::Error>((r.try_get(0)?, r.try_get(1)?)))
                .collect::<Result<Vec<_>, _>>()?
        });
        Ok(rows)
    }

    /// Whether every migration this build knows has been applied (a read-only catalog cannot
    /// be migrated, only served if it is current).
    pub async fn is_current(&self) -> Result<bool> {
        let latest = MIGRATIONS.last().map_or(0, |(v, _)| *v);
        let applied: Option<i64> = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT MAX(version) FROM kitep_migrations")
                .fetch_one(pool)
                .await?
        });
        Ok(applied == Some(latest))
    }

    /// Records that `source` is to be published (again, if it was before).
    pub async fn request_publish(&self, source: &str) -> Result<()> {
        on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO publish_requests (source, requested_at, finished_at) VALUES ($1, $2, NULL) \
                 ON CONFLICT (source) DO UPDATE SET requested_at = $2, finished_at = NULL",
            )
            .bind(source)
            .bind(now())
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Records that publishing `source` went through to the end (each of its books published,
    /// unchanged, or reported as failed).
    pub async fn finish_publish(&self, source: &str) -> Result<()> {
        on_pool!(self, pool => {
            sqlx::query("UPDATE publish_requests SET finished_at = $2 WHERE source = $1")
                .bind(source)
                .bind(now())
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Sources asked to be published whose publishing did not finish, oldest first.
    pub async fn unfinished_publishes(&self) -> Result<Vec<String>> {
        let rows = on_pool!(self, pool => {
            sqlx::query_scalar(
                "SELECT source FROM publish_requests WHERE finished_at IS NULL ORDER BY requested_at, source",
            )
            .fetch_all(pool)
            .await?
        });
        Ok(rows)
    }

    /// Every passage stored for a version, in order (to rebuild the search index from).
    pub async fn passage_rows(&self, version: &str) -> Result<Vec<PassageRow>> {
        let rows = on_pool!(self, pool => {
            sqlx::query("SELECT chapter_position, anchor, heading, language, body FROM passages WHERE version_id = $1 ORDER BY position")
                .bind(version)
                .fetch_all(pool)
                .await?
                .into_iter()
                .map(|r| {
                    Ok::<_, sqlx::Error>(PassageRow {
                        chapter_position: r.try_get(0)?,
                        anchor: r.try_get(1)?,
                        heading: r.try_get(2)?,
                        language: r.try_get(3)?,
                        body: r.try_get(4)?,
                    })
                })
                .collect::<Result<Vec<_>, _>>()?
        });
        Ok(rows)
    }

    /// Passages stored for a version, in order: (chapter position, anchor, body).
    pub async fn passages_of(&self, version: &str) -> Result<Vec<(i64, String, String)>> {
        let rows = on_pool!(self, pool => {
            sqlx::query("SELECT chapter_position, anchor, body FROM passages WHERE version_id = $1 ORDER BY position")
                .bind(version)
                .fetch_all(pool)
                .await?
                .into_iter()
                .map(|r| Ok::<_, sqlx::Error>((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
                .collect::<Result<Vec<_>, _>>()?
        });
        Ok(rows)
    }

    /// Replaces the collections and their books (the librarian's curation file).
    pub async fn set_collections(&self, collections: &[CollectionRow]) -> Result<()> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query("DELETE FROM collection_items").execute(&mut *tx).await?;
            sqlx::query("DELETE FROM collections").execute(&mut *tx).await?;
            for (i, c) in collections.iter().enumerate() {
                sqlx::query("INSERT INTO collections (slug, position, titles, descriptions, featured) VALUES ($1, $2, $3, $4, $5)")
                    .bind(&c.slug)
                    .bind(i as i64)
                    .bind(&c.titles)
                    .bind(&c.descriptions)
                    .bind(i64::from(c.featured))
                    .execute(&mut *tx)
                    .await?;
                for (j, b) in c.books.iter().enumerate() {
                    sqlx::query(
                        "INSERT INTO collection_items (collection_slug, edition_slug, position) VALUES ($1, $2, $3)
                         ON CONFLICT DO NOTHING",
                    )
                    .bind(&c.slug)
                    .bind(b)
                    .bind(j as i64)
                    .execute(&mut *tx)
                    .await?;
                }
            }
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn collections(&self) -> Result<Vec<CollectionRow>> {
        let out = on_pool!(self, pool => {
            let mut out: Vec<CollectionRow> = sqlx::query("SELECT slug, titles, descriptions, featured FROM collections ORDER BY position, slug")
                .fetch_all(pool)
                .await?
                .into_iter()
                .map(|r| {
                    Ok::<_, sqlx::Error>(CollectionRow {
                        slug: r.try_get(0)?,
                        titles: r.try_get(1)?,
                        descriptions: r.try_get(2)?,
                        books: Vec::new(),
                        featured: r.try_get::<i64, _>(3)? != 0,
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            let items = sqlx::query("SELECT collection_slug, edition_slug FROM collection_items ORDER BY collection_slug, position")
                .fetch_all(pool)
                .await?;
            for r in items {
                let c: String = r.try_get(0)?;
                let b: String = r.try_get(1)?;
                if let Some(col) = out.iter_mut().find(|x| x.slug == c) {
                    col.books.push(b);
                }
            }
            out
        });
        Ok(out)
    }

    pub async fn close(&self) {
        on_pool!(self, pool => pool.close().await)
    }
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// A database URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_are_not_shown() {
        assert_eq!(
            super::redact("postgres://kitep:secret@db/kitep"),
            "postgres://kitep:***@db/kitep"
        );
        assert_eq!(super::redact("sqlite://x.db"), "sqlite://x.db");
    }
}
