//! Signing in and out, and the sessions of staff. A session id is 256 random bits, sent only in
//! an HttpOnly cookie and stored only as its SHA-256; a new one is made at every sign-in (so an id
//! planted before sign-in is worth nothing). Sessions end after `IDLE` without use or `ABSOLUTE`
//! after sign-in, whichever comes first. Sign-in is throttled per account, never per address.

use super::{passwords, secrets};
use anyhow::Result;
use catalog::{Db, StaffRow};
use std::sync::LazyLock;

/// A session unused this long ends (seconds).
pub const IDLE: i64 = 2 * 60 * 60;
/// A session ends this long after sign-in, used or not (seconds): a school day.
pub const ABSOLUTE: i64 = 12 * 60 * 60;
/// Wrong passwords in a row before the account is locked for a while.
pub const FREE_FAILURES: i64 = 5;
/// The first lock (seconds); each further failure doubles it, up to `MAX_LOCK`.
pub const FIRST_LOCK: i64 = 30;
pub const MAX_LOCK: i64 = 15 * 60;
/// `last_seen` is written at most this often (seconds): not a database write per page.
const TOUCH_EVERY: i64 = 60;

/// Why a sign-in was refused. `Wrong` covers an unknown address too: the answer does not tell
/// whether an address has an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Wrong,
    /// Too many wrong passwords: try again after this many seconds.
    Locked(i64),
    Disabled,
}

/// A live session and its person.
#[derive(Debug, Clone)]
pub struct Session {
    pub staff: StaffRow,
    pub csrf: String,
    pub id_hash: String,
}

/// Argon2 work for an unknown address, so that it takes as long as a known one.
static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| passwords::hash("kitepkana dummy password").unwrap_or_default());

fn lock_for(failures: i64) -> i64 {
    if failures < FREE_FAILURES {
        return 0;
    }
    let doublings = (failures - FREE_FAILURES).min(10) as u32;
    (FIRST_LOCK << doublings).min(MAX_LOCK)
}

/// Checks an address and password; on success the failure count is reset.
pub async fn sign_in(
    db: &Db,
    email: &str,
    password: &str,
    now: i64,
) -> Result<Result<StaffRow, Refusal>> {
    let Some(staff) = db.staff_by_email(email).await? else {
        passwords::verify(password, &DUMMY_HASH);
        return Ok(Err(Refusal::Wrong));
    };
    if staff.locked_until > now {
        return Ok(Err(Refusal::Locked(staff.locked_until - now)));
    }
    let ok = staff
        .password_hash
        .as_deref()
        .is_some_and(|h| passwords::verify(password, h));
    if !ok {
        let failures = staff.failed_signins + 1;
        let lock = lock_for(failures);
        let until = if lock > 0 { now + lock } else { 0 };
        db.record_signin_failure(&staff.id, failures, until).await?;
        if failures == FREE_FAILURES {
            db.audit(
                Some(&staff.id),
                &staff.email,
                "signin.locked",
                &staff.email,
                "",
            )
            .await?;
        }
        return Ok(Err(if lock > 0 {
            Refusal::Locked(lock)
        } else {
            Refusal::Wrong
        }));
    }
    if staff.disabled {
        return Ok(Err(Refusal::Disabled));
    }
    db.record_signin_success(&staff.id).await?;
    Ok(Ok(staff))
}

/// Starts a session for a person who has just signed in; returns the cookie's value.
pub async fn start(db: &Db, staff: &StaffRow) -> Result<String> {
    let id = secrets::random_token()?;
    let csrf = secrets::random_token()?;
    db.create_session(&staff.id, &secrets::token_hash(&id), &csrf)
        .await?;
    db.audit(Some(&staff.id), &staff.email, "signin", &staff.email, "")
        .await?;
    Ok(id)
}

/// The session behind a cookie value, if it is live; an expired one is removed.
pub async fn resolve(db: &Db, cookie: &str, now: i64) -> Result<Option<Session>> {
    if cookie.len() != 52 || !cookie.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Ok(None);
    }
    let id_hash = secrets::token_hash(cookie);
    let Some(row) = db.session(&id_hash).await? else {
        return Ok(None);
    };
    if now - row.last_seen > IDLE || now - row.created_at > ABSOLUTE {
        db.delete_session(&id_hash).await?;
        return Ok(None);
    }
    let Some(staff) = db.staff_by_id(&row.staff_id).await? else {
        return Ok(None);
    };
    if staff.disabled {
        db.delete_sessions_of(&staff.id).await?;
        return Ok(None);
    }
    if now - row.last_seen >= TOUCH_EVERY {
        db.touch_session(&id_hash, now).await?;
    }
    Ok(Some(Session {
        staff,
        csrf: row.csrf,
        id_hash,
    }))
}

pub async fn sign_out(db: &Db, session: &Session) -> Result<()> {
    db.delete_session(&session.id_hash).await?;
    db.audit(
        Some(&session.staff.id),
        &session.staff.email,
        "signout",
        &session.staff.email,
        "",
    )
    .await
}

/// Ends every session of the person (on every device and every replica).
pub async fn sign_out_everywhere(db: &Db, staff: &StaffRow) -> Result<u64> {
    let n = db.delete_sessions_of(&staff.id).await?;
    db.audit(
        Some(&staff.id),
        &staff.email,
        "signout.everywhere",
        &staff.email,
        &format!("{n} sessions"),
    )
    .await?;
    Ok(n)
}

/// Sets a new password chosen by the person, if it passes the rules; every other session of the
/// person ends (the one in use stays).
pub async fn change_password(
    db: &Db,
    session: &Session,
    new_password: &str,
) -> Result<Result<(), passwords::Weakness>> {
    if let Some(w) = passwords::weakness(new_password, &session.staff.email) {
        return Ok(Err(w));
    }
    let hash = passwords::hash(new_password)?;
    db.set_password(&session.staff.id, &hash, false).await?;
    // Other devices signed in with the old password are signed out.
    let n = db.delete_sessions_of(&session.staff.id).await?;
    let csrf = secrets::random_token()?;
    db.create_session(&session.staff.id, &session.id_hash, &csrf)
        .await?;
    db.audit(
        Some(&session.staff.id),
        &session.staff.email,
        "password.change",
        &session.staff.email,
        &format!("{} other sessions ended", n.saturating_sub(1)),
    )
    .await?;
    Ok(Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_grow_and_stop_at_the_cap() {
        assert_eq!(lock_for(4), 0);
        assert_eq!(lock_for(5), 30);
        assert_eq!(lock_for(6), 60);
        assert_eq!(lock_for(9), 480);
        assert_eq!(lock_for(10), MAX_LOCK);
        assert_eq!(lock_for(1000), MAX_LOCK);
    }
}
