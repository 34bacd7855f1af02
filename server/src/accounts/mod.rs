//! Staff accounts: passwords (Argon2id), random secrets (one-time passwords, API tokens), and
//! `policy`, the one place that says who may do what. No HTTP here; pupils never have an account.

pub mod passwords;
pub mod policy;
pub mod secrets;
pub mod sessions;

use anyhow::{Result, bail};
use catalog::{Db, Role, StaffRow};

/// What `kitep admin add-user` did: the account, its one-time password (shown once, stored
/// only as a hash), and whether the account is new.
pub struct AddedUser {
    pub staff: StaffRow,
    pub one_time_password: String,
    pub created: bool,
}

/// Creates a staff account with `roles` and a one-time password, which must be replaced at the
/// first sign-in; for a known address, adds the roles and issues a new one-time password.
pub async fn add_user(db: &Db, email: &str, roles: &[Role], actor: &str) -> Result<AddedUser> {
    add_user_in(db, email, roles, &[], actor).await
}

/// [`add_user`], also making the person a member of `organisations` (created if new).
pub async fn add_user_in(
    db: &Db,
    email: &str,
    roles: &[Role],
    organisations: &[String],
    actor: &str,
) -> Result<AddedUser> {
    let email = catalog::normalise_email(email);
    check_email(&email)?;
    if roles.is_empty() {
        bail!("give at least one --role (author, reviewer, librarian, admin)");
    }
    let one_time_password = secrets::one_time_password()?;
    let hash = passwords::hash(&one_time_password)?;
    let (staff, created) = db
        .add_staff(&email, roles, organisations, &hash, true, actor)
        .await?;
    Ok(AddedUser {
        staff,
        one_time_password,
        created,
    })
}

/// A new API token for the account with this address; the token is returned once and stored only
/// as its SHA-256. Its scopes are what the owner's roles allow today (`policy::token_scopes`);
/// each use is checked against the owner's roles again.
pub async fn issue_token(db: &Db, email: &str, name: &str, actor: &str) -> Result<String> {
    let Some(staff) = db.staff_by_email(email).await? else {
        bail!(
            "no staff account for {}: create it first with `kitep admin add-user --role ROLE EMAIL`",
            catalog::normalise_email(email)
        );
    };
    if staff.disabled {
        bail!(
            "the account {} is disabled; enable it before issuing a token",
            staff.email
        );
    }
    let scopes = policy::token_scopes(&staff.roles);
    if scopes.is_empty() {
        bail!(
            "the account {} holds no role, so a token could do nothing",
            staff.email
        );
    }
    let token = secrets::api_token()?;
    db.add_token(
        &staff.id,
        &secrets::token_hash(&token),
        name,
        &scopes,
        actor,
    )
    .await?;
    Ok(token)
}

/// The owner of a presented API token, when it is live.
pub async fn token_owner(db: &Db, token: &str) -> Result<Option<catalog::TokenOwner>> {
    if !secrets::looks_like_token(token) {
        return Ok(None);
    }
    db.token_owner(&secrets::token_hash(token)).await
}

/// A plausible address: one `@` with text on both sides, a dot in the domain, no spaces or
/// markup, at most 254 characters. (The address is a sign-in name; nothing is mailed to it
/// unless SMTP is configured.)
pub fn check_email(email: &str) -> Result<()> {
    let ok = email.len() <= 254
        && !email
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>\"'(),;:\\[]".contains(c))
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        });
    if !ok {
        bail!("'{email}' is not an e-mail address (name@example.org)");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        assert!(check_email("aigul@school.kg").is_ok());
        assert!(check_email("a.b+c@mektep.edu.kg").is_ok());
        for bad in [
            "",
            "aigul",
            "@school.kg",
            "aigul@",
            "aigul@kg",
            "a b@school.kg",
            "<s>@x.kg",
            "a@b@c.kg",
            "a@.kg",
        ] {
            assert!(check_email(bad).is_err(), "{bad}");
        }
    }
}
