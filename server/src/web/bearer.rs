//! Staff programs (a publisher's CI, `kitep publish`) sign in with an API token in the
//! `Authorization: Bearer …` header. A missing, unknown or revoked token gets 401 with a JSON
//! error; what the token may do is checked against its scopes and its owner's roles today.

use crate::accounts::policy::{self, Action, Actor, Decision};
use crate::library::state::Shared;
use crate::web::respond::json_error;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use catalog::TokenOwner;

/// The person behind a valid token.
pub struct Bearer(pub TokenOwner);

fn unauthorized(message: &str) -> Response {
    let mut r = json_error(StatusCode::UNAUTHORIZED, message);
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"kitepkana\""),
    );
    r
}

impl FromRequestParts<Shared> for Bearer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &Shared) -> Result<Self, Response> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        let Some(token) = token else {
            return Err(unauthorized(
                "an API token is needed: send `Authorization: Bearer TOKEN` (create one in the portal or with `kitep admin token`)",
            ));
        };
        match crate::accounts::token_owner(&state.db, token).await {
            Ok(Some(owner)) => Ok(Bearer(owner)),
            Ok(None) => Err(unauthorized(
                "the API token is not valid: it is unknown, revoked, or its account is disabled",
            )),
            Err(e) => {
                tracing::error!("checking an API token: {e:#}");
                Err(json_error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the token could not be checked; try again",
                ))
            }
        }
    }
}

impl Bearer {
    pub fn actor(&self) -> Actor<'_> {
        Actor {
            id: &self.0.staff.id,
            roles: &self.0.staff.roles,
            organisations: &self.0.staff.organisations,
        }
    }

    /// 403 unless the token carries the action's scope and its owner's roles allow it.
    pub fn refusal(&self, action: Action) -> Option<Response> {
        let scoped = self.0.scopes.iter().any(|s| s == action.scope());
        let allowed = policy::decide(&self.actor(), action, None) == Decision::Allow;
        (!(scoped && allowed)).then(|| {
            json_error(
                StatusCode::FORBIDDEN,
                &format!(
                    "this token cannot {}: its owner's roles do not allow it",
                    action.scope()
                ),
            )
        })
    }
}
