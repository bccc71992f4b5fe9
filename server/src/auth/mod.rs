//! Signing in with a forge: `/auth/<forge>/start` sends the person to the
//! forge's authorization page (PKCE and `state` kept in their session),
//! `/auth/<forge>/callback` checks what comes back, trades the code for
//! tokens, links the forge account and signs the session in;
//! `/auth/sign-out` (a form with the CSRF token) ends the session.

pub mod csrf;
pub mod oauth;
pub mod session;

use std::sync::Arc;

use axum::Form;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use model::forge::Forge;
use model::tracker::SignInOption;
use model::url::encode_component;
use serde::Deserialize;
use tower_sessions::Session;

use app::error::AppError;
use engine::store::accounts::UserId;

use crate::state::AppState;
use oauth::{OAuthApp, OAuthError};

/// The OAuth apps and what signing in needs to know of this installation.
pub struct Auth {
    pub apps: Arc<Vec<OAuthApp>>,
    pub http: reqwest::Client,
    /// Where people reach Tally, without a trailing slash.
    pub public_url: String,
}

impl Auth {
    fn app(&self, forge: &str) -> Option<&OAuthApp> {
        let forge = Forge::from_key(forge)?;
        self.apps.iter().find(|a| a.forge == forge)
    }

    fn redirect_uri(&self, forge: Forge) -> String {
        format!("{}/auth/{}/callback", self.public_url, forge.key())
    }

    /// The forges people can sign in with, for the pages.
    pub fn options(&self) -> Vec<SignInOption> {
        self.apps
            .iter()
            .map(|a| SignInOption {
                forge: a.forge,
                instance: a.instance.clone(),
                href: format!("/auth/{}/start", a.forge.key()),
            })
            .collect()
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/auth/{forge}/start", get(start))
        .route("/auth/{forge}/callback", get(callback))
        .route("/auth/sign-out", post(sign_out))
}

/// Pages that show a person's own data: without a session they send the
/// visitor to sign in, and back here after.
const SIGNED_IN_PAGES: [&str; 2] = ["/issues", "/subscriptions"];

pub async fn signed_in_pages(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let path = request.uri().path();
    let guarded = SIGNED_IN_PAGES
        .iter()
        .any(|page| path == *page || path.starts_with(&format!("{page}/")));
    let signed_in = request
        .extensions()
        .get::<app::visitor::Visitor>()
        .is_some_and(|v| v.user.is_some());
    if guarded && !signed_in {
        let back = request
            .uri()
            .path_and_query()
            .map_or(path, |p| p.as_str())
            .to_owned();
        return Redirect::to(&format!("/sign-in?next={}", encode_component(&back))).into_response();
    }
    next.run(request).await
}

/// A sign-in that did not finish. It answers by sending the person back to
/// the sign-in page, which shows why; the message is the person's, so
/// internal failures arrive here already reduced to [`AppError`]'s words.
struct SignInProblem(String);

impl SignInProblem {
    fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }
}

impl IntoResponse for SignInProblem {
    fn into_response(self) -> Response {
        Redirect::to(&format!("/sign-in?problem={}", encode_component(&self.0))).into_response()
    }
}

impl From<AppError> for SignInProblem {
    fn from(error: AppError) -> Self {
        Self(error.to_string())
    }
}

impl From<engine::Error> for SignInProblem {
    fn from(error: engine::Error) -> Self {
        AppError::from(error).into()
    }
}

/// The OAuth errors are written for the person already.
impl From<OAuthError> for SignInProblem {
    fn from(error: OAuthError) -> Self {
        Self(error.to_string())
    }
}

/// A path of this site to go to after signing in; anything else goes to
/// the issues. `next` is read as a browser reads a link on this site
/// (which drops tabs and newlines and takes `\\` for `/`), and kept only
/// if it stays on this site, so `/\t/evil.com` cannot become `//evil.com`.
fn local_path(next: Option<String>) -> String {
    const HERE: &str = "https://tally.invalid/";
    let here = url::Url::parse(HERE).ok();
    next.and_then(|next| {
        let here = here.as_ref()?;
        let target = here.join(&next).ok()?;
        let path = &target[url::Position::BeforePath..];
        // `./\evil.com` resolves here to the path `//evil.com`, which a
        // browser given it as `Location` reads as another host.
        (target.origin() == here.origin() && !path.starts_with("//")).then(|| path.to_owned())
    })
    .unwrap_or_else(|| "/issues".to_owned())
}

#[derive(Deserialize)]
struct StartQuery {
    next: Option<String>,
}

async fn start(
    State(state): State<AppState>,
    session: Session,
    Path(forge): Path<String>,
    Query(query): Query<StartQuery>,
) -> Result<Redirect, SignInProblem> {
    let app = state.auth.app(&forge).ok_or_else(|| {
        SignInProblem::new(format!("Tally has no sign-in with {forge:?} configured"))
    })?;
    let redirect = state.auth.redirect_uri(app.forge);
    let (url, pending) = app.start(&redirect, local_path(query.next))?;
    session::keep_pending(&session, &pending)
        .await
        .map_err(|error| {
            tracing::error!(%error, "could not keep a sign-in in the session");
            SignInProblem::new("the sign-in could not be started; try again")
        })?;
    Ok(Redirect::to(&url))
}

#[derive(Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

async fn callback(
    State(state): State<AppState>,
    session: Session,
    Path(forge): Path<String>,
    Query(query): Query<CallbackQuery>,
) -> Result<Redirect, SignInProblem> {
    let pending = session::take_pending(&session)
        .await
        .filter(|p| p.forge.key() == forge)
        .ok_or_else(|| {
            SignInProblem::new(
                "this sign-in was not started in this browser, or it expired; start again",
            )
        })?;
    // The forge sends back the state it was given: anything else is not
    // the answer to this browser's sign-in.
    if !query
        .state
        .as_deref()
        .is_some_and(|sent| engine::secrets::same_token(sent, &pending.state))
    {
        tracing::warn!(forge, "a sign-in came back with the wrong state");
        return Err(SignInProblem::new(
            "the answer from the forge does not belong to this sign-in; start again",
        ));
    }
    if let Some(error) = query.error {
        let said = query.error_description.unwrap_or(error);
        return Err(SignInProblem::new(format!(
            "{} did not sign you in: {said}",
            pending.forge.name()
        )));
    }
    let code = query
        .code
        .ok_or_else(|| SignInProblem::new("the forge sent no code back; start again"))?;
    let app = state
        .auth
        .apps
        .iter()
        .find(|a| a.forge == pending.forge && a.instance == pending.instance)
        .ok_or_else(|| SignInProblem::new("that sign-in is no longer configured"))?;
    let redirect = state.auth.redirect_uri(app.forge);
    let tokens = app
        .exchange(&state.auth.http, &redirect, &code, &pending.verifier)
        .await
        .inspect_err(|error| tracing::warn!(forge, %error, "a code exchange failed"))?;
    let user = link(&state, &session, app, &tokens).await?;
    session::sign_in(&session, user).await.map_err(|error| {
        tracing::error!(%error, "could not sign the session in");
        SignInProblem::new("the sign-in could not be saved; try again")
    })?;
    let tracker = state.tracker.clone();
    tokio::spawn(async move {
        if let Err(error) = tracker.refresh_readable(user, true).await {
            tracing::warn!(%error, "could not list the repositories a new sign-in may read");
        }
    });
    Ok(Redirect::to(&pending.next))
}

/// Links the account the tokens belong to, to whoever is signed in here.
async fn link(
    state: &AppState,
    session: &Session,
    app: &OAuthApp,
    tokens: &engine::accounts::Tokens,
) -> Result<UserId, engine::Error> {
    let client = state
        .directory
        .client_with_token(app.forge, &app.instance, &tokens.access)?;
    let who = client.viewer().await?;
    let current = session::signed_in(session).await;
    let user = state
        .tracker
        .accounts()
        .sign_in(current, app.forge, &app.instance, &who, tokens)
        .await?;
    // Access lost before comes back only when a sync proves the new token reads it.
    if let Err(error) = state.tracker.recheck_lost_access(user).await {
        tracing::warn!(%error, "could not queue the syncs that recheck lost access");
    }
    Ok(user)
}

#[derive(Deserialize)]
struct SignOut {
    csrf: String,
}

async fn sign_out(session: Session, Form(form): Form<SignOut>) -> Result<Redirect, AppError> {
    let expected = session::csrf(&session).await;
    if !expected.is_some_and(|token| engine::secrets::same_token(&form.csrf, &token)) {
        return Err(AppError::Forbidden(
            "Refused: the form's token is not this session's.".into(),
        ));
    }
    if let Err(error) = session::sign_out(&session).await {
        tracing::error!(%error, "could not end a session");
    }
    Ok(Redirect::to("/"))
}

#[cfg(test)]
mod tests {
    use super::local_path;

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(2000))]

        #[test]
        fn whatever_next_says_the_browser_stays_on_this_site(
            next in "\\PC{0,40}|[/\\\\\t\n%0-9a-z.:@]{0,24}",
        ) {
            let found = local_path(Some(next.clone()));
            proptest::prop_assert!(found.starts_with('/') && !found.starts_with("//"), "{:?} became {:?}", next, found);
            let here = url::Url::parse("https://tally.example/").unwrap();
            let went = here.join(&found).unwrap();
            proptest::prop_assert_eq!(went.origin(), here.origin(), "{:?} became {:?}", next, found);
        }

        #[test]
        fn a_plain_path_of_this_site_is_kept(next in "(/[a-z0-9_-]{1,10}){1,4}(\\?[a-z]{1,5}=[a-z0-9]{1,5})?") {
            proptest::prop_assert_eq!(local_path(Some(next.clone())), next);
        }
    }

    #[test]
    fn after_sign_in_only_paths_of_this_site_are_followed() {
        let next = |text: &str| local_path(Some(text.to_owned()));
        assert_eq!(next("/q/abc?x=1#top"), "/q/abc?x=1#top");
        assert_eq!(next("/issues/../settings"), "/settings");
        for away in [
            "/\t/evil.com",
            "/%09/evil.com",
            "//evil.com",
            "/\\evil.com",
            "\\\\evil.com",
            "https://evil.com/",
            "http:evil.com",
            "javascript:alert(1)",
            "/\n/evil.com",
            "./\\evil.com",
            "/.//evil.com",
        ] {
            let found = next(away);
            assert!(
                found.starts_with('/') && !found.starts_with("//") && !found.contains("evil.com/")
                    || found == "/issues",
                "{away:?} became {found:?}"
            );
            // What a browser would do with the Location header: stay here.
            let here = url::Url::parse("https://tally.example/").unwrap();
            assert_eq!(
                here.join(&found).unwrap().host_str(),
                Some("tally.example"),
                "{away:?} became {found:?}"
            );
        }
        assert_eq!(local_path(None), "/issues");
    }
}
