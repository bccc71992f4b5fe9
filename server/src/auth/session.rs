//! Sessions: a random id in an HttpOnly, SameSite=Lax cookie (Secure when
//! Tally is served over https), the data in Postgres (`tower_sessions`
//! schema). A session holds who is signed in, their CSRF token, and a
//! sign-in under way; never a forge token.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;
use rand::RngCore;
use tower_sessions::cookie::SameSite;
use tower_sessions::cookie::time::Duration;
use tower_sessions::session_store::ExpiredDeletion;
use tower_sessions::{Expiry, Session, SessionManagerLayer};
use tower_sessions_sqlx_store::PostgresStore;

use super::oauth::Pending;
use app::visitor::Visitor;
use model::ids::UserId;

pub const COOKIE: &str = "tally_session";
const USER: &str = "user";
const CSRF: &str = "csrf";
const PENDING: &str = "oauth";

/// The session layer over Postgres, its table migrated, and a task that
/// deletes expired sessions.
pub async fn layer(
    pool: sqlx::PgPool,
    secure: bool,
    days: i64,
) -> Result<SessionManagerLayer<PostgresStore>, sqlx::Error> {
    let store = PostgresStore::new(pool);
    store.migrate().await?;
    tokio::spawn(
        store
            .clone()
            .continuously_delete_expired(std::time::Duration::from_secs(3600)),
    );
    Ok(SessionManagerLayer::new(store)
        .with_name(COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(secure)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(Duration::days(days.max(1)))))
}

/// Puts the [`Visitor`] into every request, for pages and server functions,
/// and ends the session when the answer asks to
/// ([`app::visitor::END_SESSION_HEADER`]).
pub async fn visitor(session: Session, mut request: Request, next: Next) -> Response {
    let user = session.get::<UserId>(USER).await.ok().flatten();
    let csrf = session.get::<String>(CSRF).await.ok().flatten();
    request.extensions_mut().insert(Visitor { user, csrf });
    let mut response = next.run(request).await;
    if response
        .headers_mut()
        .remove(app::visitor::END_SESSION_HEADER)
        .is_some()
        && let Err(error) = session.flush().await
    {
        tracing::error!(%error, "could not end a session");
    }
    response
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Signs `user` in: a new session id (so an id planted before sign-in is
/// worth nothing after) and a new CSRF token.
pub async fn sign_in(
    session: &Session,
    user: UserId,
) -> Result<(), tower_sessions::session::Error> {
    session.cycle_id().await?;
    session.insert(USER, user).await?;
    session.insert(CSRF, random_token()).await
}

pub async fn sign_out(session: &Session) -> Result<(), tower_sessions::session::Error> {
    session.flush().await
}

pub async fn signed_in(session: &Session) -> Option<UserId> {
    session.get::<UserId>(USER).await.ok().flatten()
}

pub async fn csrf(session: &Session) -> Option<String> {
    session.get::<String>(CSRF).await.ok().flatten()
}

/// Keeps a sign-in under way. A visitor not signed in gets a session row
/// only for it, and only for [`PENDING_FOR`]: sign-ins started and never
/// finished do not pile up for the session's days (the layer's expiry is
/// back with the next change, the sign-in itself).
pub async fn keep_pending(
    session: &Session,
    pending: &Pending,
) -> Result<(), tower_sessions::session::Error> {
    if signed_in(session).await.is_none() {
        session.set_expiry(Some(Expiry::OnInactivity(PENDING_FOR)));
    }
    session.insert(PENDING, pending).await
}

/// How long a sign-in may take, from leaving for the forge to coming back.
pub const PENDING_FOR: Duration = Duration::minutes(15);

/// The sign-in under way, taken out: a callback is used once.
pub async fn take_pending(session: &Session) -> Option<Pending> {
    session.remove::<Pending>(PENDING).await.ok().flatten()
}
