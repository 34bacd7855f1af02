//! Staff accounts, roles, API tokens and the audit log, as stored. Secrets arrive here already
//! hashed; deciding who may do what is the portal's policy, not the catalog's.

use super::{BeginWrite, Db, now};
use anyhow::{Context, Result, bail};
use sqlx::Row;

/// What a staff member does on the portal. A person may hold several roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    Author,
    Reviewer,
    Librarian,
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Author, Role::Reviewer, Role::Librarian, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Author => "author",
            Role::Reviewer => "reviewer",
            Role::Librarian => "librarian",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// One staff member, with roles and organisations.
#[derive(Debug, Clone)]
pub struct StaffRow {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub password_hash: Option<String>,
    pub password_temporary: bool,
    pub disabled: bool,
    pub failed_signins: i64,
    pub locked_until: i64,
    pub roles: Vec<Role>,
    pub organisations: Vec<String>,
}

/// The person behind a valid API token, and what the token was issued for.
#[derive(Debug, Clone)]
pub struct TokenOwner {
    pub token_id: String,
    pub staff: StaffRow,
    pub scopes: Vec<String>,
}

/// A signed-in session, as stored (the id itself is never stored, only its hash).
#[derive(Debug, Clone)]
pub struct SessionRow {
    pub staff_id: String,
    pub csrf: String,
    pub created_at: i64,
    pub last_seen: i64,
}

/// An invitation to join the portal as staff.
#[derive(Debug, Clone)]
pub struct InvitationRow {
    pub email: String,
    pub roles: Vec<Role>,
    pub organisation: Option<String>,
    pub expires_at: i64,
    pub used: bool,
}

/// Why an invitation cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvitationProblem {
    Unknown,
    Used,
    Expired,
    /// An account with the invited address exists already.
    AccountExists,
}

#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub detail: String,
}

/// A random identifier for rows (not a secret): 16 bytes as hex.
pub fn new_id() -> Result<String> {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).map_err(|e| anyhow::anyhow!("no randomness from the system: {e}"))?;
    Ok(b.iter().map(|x| format!("{x:02x}")).collect())
}

/// E-mail addresses are compared lower-cased and trimmed.
pub fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

impl Db {
    /// Creates a staff member, or, when the address is already known, adds `roles` and replaces
    /// the password (the way back in for an admin who lost theirs). Returns the row and whether
    /// it was created. Recorded in the audit log, in the same transaction.
    pub async fn add_staff(
        &self,
        email: &str,
        roles: &[Role],
        organisations: &[String],
        password_hash: &str,
        temporary: bool,
        actor: &str,
    ) -> Result<(StaffRow, bool)> {
        let email = normalise_email(email);
        let at = now();
        let created = on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let existing: Option<String> = sqlx::query_scalar("SELECT id FROM staff WHERE email = $1")
                .bind(&email)
                .fetch_optional(&mut *tx)
                .await?;
            let (id, created) = match existing {
                Some(id) => {
                    sqlx::query("UPDATE staff SET password_hash = $1, password_temporary = $2, failed_signins = 0, locked_until = 0 WHERE id = $3")
                        .bind(password_hash)
                        .bind(i64::from(temporary))
                        .bind(&id)
                        .execute(&mut *tx)
                        .await?;
                    (id, false)
                }
                None => {
                    let id = new_id()?;
                    sqlx::query("INSERT INTO staff (id, email, password_hash, password_temporary, created_at) VALUES ($1, $2, $3, $4, $5)")
                        .bind(&id)
                        .bind(&email)
                        .bind(password_hash)
                        .bind(i64::from(temporary))
                        .bind(at)
                        .execute(&mut *tx)
                        .await?;
                    (id, true)
                }
            };
            for r in roles {
                sqlx::query("INSERT INTO staff_roles (staff_id, role) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                    .bind(&id)
                    .bind(r.as_str())
                    .execute(&mut *tx)
                    .await?;
            }
            for o in organisations {
                sqlx::query("INSERT INTO organisations (name) VALUES ($1) ON CONFLICT DO NOTHING")
                    .bind(o)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("INSERT INTO staff_organisations (staff_id, organisation) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                    .bind(&id)
                    .bind(o)
                    .execute(&mut *tx)
                    .await?;
            }
            // A replaced password ends every session of the account.
            sqlx::query("DELETE FROM sessions WHERE staff_id = $1")
                .bind(&id)
                .execute(&mut *tx)
                .await?;
            let roles: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
            let action = if created { "staff.create" } else { "staff.reset_password" };
            audit!(&mut *tx, at = at, staff = None::<&str>, actor = actor, action = action, target = &email, detail = format!("roles: {}", roles.join(" ")));
            tx.commit().await?;
            created
        });
        let row = self
            .staff_by_email(&email)
            .await?
            .context("the account just written is missing")?;
        Ok((row, created))
    }

    /// A staff member by e-mail address (any case), with roles and organisations.
    pub async fn staff_by_email(&self, email: &str) -> Result<Option<StaffRow>> {
        let email = normalise_email(email);
        let id: Option<String> = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT id FROM staff WHERE email = $1")
                .bind(&email)
                .fetch_optional(pool)
                .await?
        });
        match id {
            Some(id) => self.staff_by_id(&id).await,
            None => Ok(None),
        }
    }

    pub async fn staff_by_id(&self, id: &str) -> Result<Option<StaffRow>> {
        on_pool!(self, pool => {
            let Some(r) = sqlx::query("SELECT id, email, display_name, password_hash, password_temporary, disabled_at, failed_signins, locked_until FROM staff WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await?
            else {
                return Ok(None);
            };
            let roles: Vec<String> = sqlx::query_scalar("SELECT role FROM staff_roles WHERE staff_id = $1 ORDER BY role")
                .bind(id)
                .fetch_all(pool)
                .await?;
            let organisations: Vec<String> = sqlx::query_scalar("SELECT organisation FROM staff_organisations WHERE staff_id = $1 ORDER BY organisation")
                .bind(id)
                .fetch_all(pool)
                .await?;
            let mut roles: Vec<Role> = roles.iter().filter_map(|r| Role::parse(r)).collect();
            roles.sort();
            Ok(Some(StaffRow {
                id: r.try_get("id")?,
                email: r.try_get("email")?,
                display_name: r.try_get("display_name")?,
                password_hash: r.try_get("password_hash")?,
                password_temporary: r.try_get::<i64, _>("password_temporary")? != 0,
                disabled: r.try_get::<Option<i64>, _>("disabled_at")?.is_some(),
                failed_signins: r.try_get("failed_signins")?,
                locked_until: r.try_get("locked_until")?,
                roles,
                organisations,
            }))
        })
    }

    /// Stores a new API token (its SHA-256 only) for a staff member; returns the token's id.
    pub async fn add_token(
        &self,
        staff_id: &str,
        token_hash: &str,
        name: &str,
        scopes: &[&str],
        actor: &str,
    ) -> Result<String> {
        let id = new_id()?;
        let at = now();
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query("INSERT INTO api_tokens (id, staff_id, token_hash, name, scopes, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(&id)
                .bind(staff_id)
                .bind(token_hash)
                .bind(name)
                .bind(scopes.join(" "))
                .bind(at)
                .execute(&mut *tx)
                .await?;
            audit!(&mut *tx, at = at, staff = staff_id, actor = actor, action = "token.create", target = &id, detail = name);
            tx.commit().await?;
        });
        Ok(id)
    }

    /// The owner of a token that is neither revoked nor held by a disabled account.
    pub async fn token_owner(&self, token_hash: &str) -> Result<Option<TokenOwner>> {
        let found: Option<(String, String, String)> = on_pool!(self, pool => {
            let r = sqlx::query("SELECT id, staff_id, scopes FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL")
                .bind(token_hash)
                .fetch_optional(pool)
                .await?;
            match r {
                Some(r) => Some((r.try_get("id")?, r.try_get("staff_id")?, r.try_get("scopes")?)),
                None => None,
            }
        });
        let Some((token_id, staff_id, scopes)) = found else {
            return Ok(None);
        };
        let Some(staff) = self.staff_by_id(&staff_id).await? else {
            return Ok(None);
        };
        if staff.disabled {
            return Ok(None);
        }
        on_pool!(self, pool => {
            sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                .bind(now())
                .bind(&token_id)
                .execute(pool)
                .await?;
        });
        Ok(Some(TokenOwner {
            token_id,
            staff,
            scopes: scopes.split_whitespace().map(str::to_string).collect(),
        }))
    }

    /// Revokes a token; false when there was no such live token.
    pub async fn revoke_token(&self, token_id: &str, actor: &str) -> Result<bool> {
        let at = now();
        let n = on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let n = sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                .bind(at)
                .bind(token_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n > 0 {
                audit!(&mut *tx, at = at, staff = None::<&str>, actor = actor, action = "token.revoke", target = token_id, detail = "");
            }
            tx.commit().await?;
            n
        });
        Ok(n > 0)
    }

    /// The newest entries of the audit log first.
    pub async fn audit_log(&self, limit: i64) -> Result<Vec<AuditEntry>> {
        if limit <= 0 {
            bail!("the audit log's page size must be positive");
        }
        on_pool!(self, pool => {
            let rows = sqlx::query("SELECT at, actor, action, target, detail FROM audit_log ORDER BY at DESC, id LIMIT $1")
                .bind(limit)
                .fetch_all(pool)
                .await?;
            rows.iter()
                .map(|r| {
                    Ok(AuditEntry {
                        at: r.try_get("at")?,
                        actor: r.try_get("actor")?,
                        action: r.try_get("action")?,
                        target: r.try_get("target")?,
                        detail: r.try_get("detail")?,
                    })
                })
                .collect()
        })
    }

    /// Writes one audit entry.
    pub async fn audit(
        &self,
        staff_id: Option<&str>,
        actor: &str,
        action: &str,
        target: &str,
        detail: &str,
    ) -> Result<()> {
        on_pool!(self, pool => {
            audit!(pool, at = now(), staff = staff_id, actor = actor, action = action, target = target, detail = detail);
        });
        Ok(())
    }

    /// A key by name, made with `make` and stored the first time it is asked for (by whichever
    /// replica asks first; the others then read the same one).
    pub async fn portal_key(&self, name: &str, make: impl FnOnce() -> String) -> Result<String> {
        let value = make();
        on_pool!(self, pool => {
            sqlx::query("INSERT INTO portal_keys (name, value, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
                .bind(name)
                .bind(&value)
                .bind(now())
                .execute(pool)
                .await?;
            Ok(sqlx::query_scalar("SELECT value FROM portal_keys WHERE name = $1")
                .bind(name)
                .fetch_one(pool)
                .await?)
        })
    }

    pub async fn create_session(&self, staff_id: &str, id_hash: &str, csrf: &str) -> Result<()> {
        let at = now();
        on_pool!(self, pool => {
            sqlx::query("INSERT INTO sessions (id_hash, staff_id, csrf, created_at, last_seen) VALUES ($1, $2, $3, $4, $4)")
                .bind(id_hash)
                .bind(staff_id)
                .bind(csrf)
                .bind(at)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    pub async fn session(&self, id_hash: &str) -> Result<Option<SessionRow>> {
        on_pool!(self, pool => {
            let r = sqlx::query("SELECT staff_id, csrf, created_at, last_seen FROM sessions WHERE id_hash = $1")
                .bind(id_hash)
                .fetch_optional(pool)
                .await?;
            r.map(|r| -> Result<SessionRow> {
                Ok(SessionRow {
                    staff_id: r.try_get("staff_id")?,
                    csrf: r.try_get("csrf")?,
                    created_at: r.try_get("created_at")?,
                    last_seen: r.try_get("last_seen")?,
                })
            })
            .transpose()
        })
    }

    pub async fn touch_session(&self, id_hash: &str, at: i64) -> Result<()> {
        on_pool!(self, pool => {
            sqlx::query("UPDATE sessions SET last_seen = $1 WHERE id_hash = $2")
                .bind(at)
                .bind(id_hash)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    pub async fn delete_session(&self, id_hash: &str) -> Result<()> {
        on_pool!(self, pool => {
            sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
                .bind(id_hash)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Ends every session of a person; returns how many there were.
    pub async fn delete_sessions_of(&self, staff_id: &str) -> Result<u64> {
        Ok(on_pool!(self, pool => {
            sqlx::query("DELETE FROM sessions WHERE staff_id = $1")
                .bind(staff_id)
                .execute(pool)
                .await?
                .rows_affected()
        }))
    }

    /// After a wrong password: the count of failures in a row, and until when the account is
    /// locked (0: not locked).
    pub async fn record_signin_failure(
        &self,
        staff_id: &str,
        failures: i64,
        locked_until: i64,
    ) -> Result<()> {
        on_pool!(self, pool => {
            sqlx::query("UPDATE staff SET failed_signins = $1, locked_until = $2 WHERE id = $3")
                .bind(failures)
                .bind(locked_until)
                .bind(staff_id)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    pub async fn record_signin_success(&self, staff_id: &str) -> Result<()> {
        self.record_signin_failure(staff_id, 0, 0).await
    }

    /// Replaces a password (a hash); `temporary` for one that must be changed at next sign-in.
    pub async fn set_password(&self, staff_id: &str, hash: &str, temporary: bool) -> Result<()> {
        on_pool!(self, pool => {
            sqlx::query("UPDATE staff SET password_hash = $1, password_temporary = $2, failed_signins = 0, locked_until = 0 WHERE id = $3")
                .bind(hash)
                .bind(i64::from(temporary))
                .bind(staff_id)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Every staff member, by address.
    pub async fn list_staff(&self) -> Result<Vec<StaffRow>> {
        let ids: Vec<String> = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT id FROM staff ORDER BY email")
                .fetch_all(pool)
                .await?
        });
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(s) = self.staff_by_id(&id).await? {
                out.push(s);
            }
        }
        Ok(out)
    }

    /// Organisations known to the catalog (publishers of books, and staff organisations).
    pub async fn organisations(&self) -> Result<Vec<String>> {
        Ok(on_pool!(self, pool => {
            sqlx::query_scalar("SELECT name FROM organisations ORDER BY name")
                .fetch_all(pool)
                .await?
        }))
    }

    /// Sets a person's roles, organisations and whether the account is disabled, in one
    /// transaction with its audit entry; disabling ends every session.
    pub async fn update_staff(
        &self,
        staff_id: &str,
        roles: &[Role],
        organisations: &[String],
        disabled: bool,
        actor_id: &str,
        actor: &str,
    ) -> Result<()> {
        let at = now();
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let email: Option<String> = sqlx::query_scalar("SELECT email FROM staff WHERE id = $1")
                .bind(staff_id)
                .fetch_optional(&mut *tx)
                .await?;
            let Some(email) = email else { bail!("no such staff member") };
            sqlx::query("DELETE FROM staff_roles WHERE staff_id = $1").bind(staff_id).execute(&mut *tx).await?;
            for r in roles {
                sqlx::query("INSERT INTO staff_roles (staff_id, role) VALUES ($1, $2)")
                    .bind(staff_id).bind(r.as_str()).execute(&mut *tx).await?;
            }
            sqlx::query("DELETE FROM staff_organisations WHERE staff_id = $1").bind(staff_id).execute(&mut *tx).await?;
            for o in organisations {
                sqlx::query("INSERT INTO organisations (name) VALUES ($1) ON CONFLICT DO NOTHING")
                    .bind(o).execute(&mut *tx).await?;
                sqlx::query("INSERT INTO staff_organisations (staff_id, organisation) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                    .bind(staff_id).bind(o).execute(&mut *tx).await?;
            }
            let was_disabled: Option<i64> = sqlx::query_scalar("SELECT disabled_at FROM staff WHERE id = $1")
                .bind(staff_id).fetch_one(&mut *tx).await?;
            match (was_disabled.is_some(), disabled) {
                (false, true) => {
                    sqlx::query("UPDATE staff SET disabled_at = $1 WHERE id = $2").bind(at).bind(staff_id).execute(&mut *tx).await?;
                    sqlx::query("DELETE FROM sessions WHERE staff_id = $1").bind(staff_id).execute(&mut *tx).await?;
                }
                (true, false) => {
                    sqlx::query("UPDATE staff SET disabled_at = NULL WHERE id = $1").bind(staff_id).execute(&mut *tx).await?;
                }
                _ => {}
            }
            let roles: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
            audit!(&mut *tx, at = at, staff = actor_id, actor = actor, action = "staff.update", target = &email, detail = format!("roles: {}; organisations: {}; {}", roles.join(" "), organisations.join(", "), if disabled { "disabled" } else { "enabled" }));
            tx.commit().await?;
        });
        Ok(())
    }

    /// Stores an invitation (the link's token only as its hash).
    #[allow(clippy::too_many_arguments)]
    pub async fn create_invitation(
        &self,
        token_hash: &str,
        email: &str,
        roles: &[Role],
        organisation: Option<&str>,
        expires_at: i64,
        actor_id: &str,
        actor: &str,
    ) -> Result<()> {
        let email = normalise_email(email);
        let at = now();
        let roles: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            if let Some(o) = organisation {
                sqlx::query("INSERT INTO organisations (name) VALUES ($1) ON CONFLICT DO NOTHING")
                    .bind(o).execute(&mut *tx).await?;
            }
            sqlx::query("INSERT INTO invitations (token_hash, email, roles, organisation, created_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .bind(token_hash)
                .bind(&email)
                .bind(roles.join(" "))
                .bind(organisation)
                .bind(actor_id)
                .bind(at)
                .bind(expires_at)
                .execute(&mut *tx)
                .await?;
            audit!(&mut *tx, at = at, staff = actor_id, actor = actor, action = "staff.invite", target = &email, detail = format!("roles: {}; organisation: {}", roles.join(" "), organisation.unwrap_or("-")));
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn invitation(&self, token_hash: &str) -> Result<Option<InvitationRow>> {
        on_pool!(self, pool => {
            let r = sqlx::query("SELECT email, roles, organisation, expires_at, used_at FROM invitations WHERE token_hash = $1")
                .bind(token_hash)
                .fetch_optional(pool)
                .await?;
            r.map(|r| -> Result<InvitationRow> {
                let roles: String = r.try_get("roles")?;
                Ok(InvitationRow {
                    email: r.try_get("email")?,
                    roles: roles.split_whitespace().filter_map(Role::parse).collect(),
                    organisation: r.try_get("organisation")?,
                    expires_at: r.try_get("expires_at")?,
                    used: r.try_get::<Option<i64>, _>("used_at")?.is_some(),
                })
            })
            .transpose()
        })
    }

    /// Uses an invitation once: creates the account with the invited roles and organisation and
    /// the chosen password, and marks the invitation used, in one transaction (two submissions
    /// of the same link make one account).
    pub async fn accept_invitation(
        &self,
        token_hash: &str,
        password_hash: &str,
        at: i64,
    ) -> Result<std::result::Result<StaffRow, InvitationProblem>> {
        let outcome: std::result::Result<String, InvitationProblem> = on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            // Claims the invitation first: of two submissions, one updates the row.
            let claimed = sqlx::query("UPDATE invitations SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1")
                .bind(at)
                .bind(token_hash)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if claimed == 0 {
                let r = sqlx::query("SELECT used_at, expires_at FROM invitations WHERE token_hash = $1")
                    .bind(token_hash)
                    .fetch_optional(&mut *tx)
                    .await?;
                tx.rollback().await?;
                Err(match r {
                    None => InvitationProblem::Unknown,
                    Some(r) if r.try_get::<Option<i64>, _>("used_at")?.is_some() => InvitationProblem::Used,
                    Some(_) => InvitationProblem::Expired,
                })
            } else {
                let r = sqlx::query("SELECT email, roles, organisation FROM invitations WHERE token_hash = $1")
                    .bind(token_hash)
                    .fetch_one(&mut *tx)
                    .await?;
                let email: String = r.try_get("email")?;
                let roles: String = r.try_get("roles")?;
                let organisation: Option<String> = r.try_get("organisation")?;
                let exists: Option<String> = sqlx::query_scalar("SELECT id FROM staff WHERE email = $1")
                    .bind(&email)
                    .fetch_optional(&mut *tx)
                    .await?;
                if exists.is_some() {
                    tx.rollback().await?;
                    Err(InvitationProblem::AccountExists)
                } else {
                    let id = new_id()?;
                    sqlx::query("INSERT INTO staff (id, email, password_hash, password_temporary, created_at) VALUES ($1, $2, $3, 0, $4)")
                        .bind(&id).bind(&email).bind(password_hash).bind(at)
                        .execute(&mut *tx).await?;
                    for role in roles.split_whitespace().filter_map(Role::parse) {
                        sqlx::query("INSERT INTO staff_roles (staff_id, role) VALUES ($1, $2)")
                            .bind(&id).bind(role.as_str()).execute(&mut *tx).await?;
                    }
                    if let Some(o) = &organisation {
                        sqlx::query("INSERT INTO staff_organisations (staff_id, organisation) VALUES ($1, $2)")
                            .bind(&id).bind(o).execute(&mut *tx).await?;
                    }
                    audit!(&mut *tx, at = at, staff = &id, actor = &email, action = "staff.join", target = &email, detail = &roles);
                    tx.commit().await?;
                    Ok(id)
                }
            }
        });
        match outcome {
            Ok(id) => Ok(Ok(self
                .staff_by_id(&id)
                .await?
                .context("the account just created is missing")?)),
            Err(p) => Ok(Err(p)),
        }
    }

    /// A person's tokens, newest first: (id, name, created_at, last_used_at, revoked_at).
    #[allow(clippy::type_complexity)]
    pub async fn tokens_of(
        &self,
        staff_id: &str,
    ) -> Result<Vec<(String, String, i64, Option<i64>, Option<i64>)>> {
        on_pool!(self, pool => {
            let rows = sqlx::query("SELECT id, name, created_at, last_used_at, revoked_at FROM api_tokens WHERE staff_id = $1 ORDER BY created_at DESC, id")
                .bind(staff_id)
                .fetch_all(pool)
                .await?;
            rows.iter()
                .map(|r| Ok((r.try_get("id")?, r.try_get("name")?, r.try_get("created_at")?, r.try_get("last_used_at")?, r.try_get("revoked_at")?)))
                .collect()
        })
    }

    /// The owner of a token (to let only them revoke it).
    pub async fn token_staff(&self, token_id: &str) -> Result<Option<String>> {
        Ok(on_pool!(self, pool => {
            sqlx::query_scalar("SELECT staff_id FROM api_tokens WHERE id = $1")
                .bind(token_id)
                .fetch_optional(pool)
                .await?
        }))
    }
}
