//! Who is calling the API, and what they may do.
//!
//! Reads are public unless the installation runs with `--private-api`.
//! Writes need a signed-in session that sends its CSRF token back in
//! `X-CSRF-Token` (what Tally's own pages do), or a personal API token as
//! `Authorization: Bearer tally_…`. A token that is sent but does not work
//! (mistyped, revoked) is a 401 even where none is needed: a script should
//! learn at once that its token is dead.

use app::error::AppError;
use app::visitor::Visitor;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use model::ids::{ApiTokenId, UserId};

use crate::state::AppState;

/// The header a session's CSRF token comes back in.
pub const CSRF_HEADER: &str = "x-csrf-token";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    Anonymous,
    /// A signed-in browser; `csrf_ok` when it sent the session's token.
    Session {
        user: UserId,
        csrf_ok: bool,
    },
    Token {
        token: ApiTokenId,
        user: UserId,
    },
}

impl Caller {
    /// Whether the caller is someone (for `--private-api` reads).
    pub fn is_known(&self) -> bool {
        !matches!(self, Caller::Anonymous)
    }

    /// The person calling, if any (their token or session).
    pub fn user(&self) -> Option<UserId> {
        match self {
            Caller::Anonymous => None,
            Caller::Session { user, .. } | Caller::Token { user, .. } => Some(*user),
        }
    }

    /// Who asked, as a run records it; a refusal for anyone who may not
    /// write.
    pub fn writer(&self) -> Result<String, AppError> {
        match self {
            Caller::Anonymous => Err(AppError::Unauthorized),
            Caller::Session { csrf_ok: false, .. } => Err(AppError::Forbidden(format!(
                "a signed-in session must send its CSRF token in `{CSRF_HEADER}`; scripts use an API token"
            ))),
            Caller::Session { user, .. } => Ok(format!("user:{user}")),
            Caller::Token { token, .. } => Ok(format!("token:{token}")),
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        if let Some(value) = parts.headers.get(AUTHORIZATION) {
            let token = value
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(str::trim)
                .ok_or_else(|| {
                    AppError::bad_request("Authorization", "send an API token as `Bearer <token>`")
                })?;
            let owner = state.store.api_token_owner(token).await?;
            return owner
                .map(|(token, user)| Caller::Token { token, user })
                .ok_or(AppError::Unauthorized);
        }
        let visitor = parts
            .extensions
            .get::<Visitor>()
            .cloned()
            .unwrap_or_default();
        let Some(user) = visitor.user else {
            return Ok(Caller::Anonymous);
        };
        let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
        let csrf_ok = matches!((sent, visitor.csrf.as_deref()),
            (Some(sent), Some(kept)) if engine::secrets::same_token(sent, kept));
        Ok(Caller::Session { user, csrf_ok })
    }
}

/// Checks every API request's credentials before its handler runs: a
/// token sent must work, and with `--private-api` a session or a token is
/// needed for reads too.
pub async fn check(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if !state.private_api && !request.headers().contains_key(AUTHORIZATION) {
        return next.run(request).await;
    }
    let (mut parts, body) = request.into_parts();
    match Caller::from_request_parts(&mut parts, &state).await {
        Ok(caller) if caller.is_known() || !state.private_api => {
            next.run(Request::from_parts(parts, body)).await
        }
        Ok(_) => AppError::Unauthorized.into_response(),
        Err(error) => error.into_response(),
    }
}
