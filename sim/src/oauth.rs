//! OAuth 2.0 authorization servers for GitHub, GitLab and Bitbucket: an
//! authorize page (or automatic approval for tests), the code exchange with
//! each forge's request and response formats, PKCE S256 and `state`.
//!
//! | forge     | authorize                  | token                          |
//! |-----------|----------------------------|--------------------------------|
//! | GitHub    | `/login/oauth/authorize`   | `/login/oauth/access_token`    |
//! | GitLab    | `/oauth/authorize`         | `/oauth/token`                 |
//! | Bitbucket | `/site/oauth2/authorize`   | `/site/oauth2/access_token`    |

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::server::SimState;
use crate::server::params::{basic_credentials, header_text};
use crate::server::respond::{self, set_header};
use crate::world::{Forge, Id};

/// How long a code may wait for its exchange (GitHub's ten minutes).
const CODE_LIFETIME: Duration = Duration::from_secs(600);

/// The state of one forge's authorization server.
#[derive(Debug, Default)]
pub struct Server {
    grants: Mutex<HashMap<String, Grant>>,
    access_tokens: Mutex<HashMap<String, Id>>,
    /// Refresh tokens, with the account and scope they renew.
    refresh_tokens: Mutex<HashMap<String, (Id, String)>>,
    /// Access tokens the account holder revoked: the forge refuses them.
    revoked: Mutex<std::collections::HashSet<String>>,
    approval: RwLock<Approval>,
}

/// Whether authorize requests are answered at once, and as whom.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    /// A username on this forge: authorize redirects at once, signed in as
    /// it. `None` shows the page where a person picks an account.
    pub approve_as: Option<String>,
}

#[derive(Debug, Clone)]
struct Grant {
    account: Id,
    client_id: String,
    redirect_uri: String,
    challenge: Option<String>,
    scope: String,
    issued: Instant,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// An unguessable-enough token for a simulator: a counter and the clock,
/// mixed, with a recognisable prefix.
fn mint(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let digest = Sha256::digest(format!("{n}:{nanos}").as_bytes());
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("{prefix}{hex}")
}

impl Server {
    pub fn token_owner(&self, token: &str) -> Option<Id> {
        lock(&self.access_tokens).get(token).copied()
    }

    pub fn is_revoked(&self, token: &str) -> bool {
        lock(&self.revoked).contains(token)
    }

    /// Revokes every token issued to `account`, as a person does by
    /// removing an application's access; returns how many access tokens.
    pub fn revoke_account(&self, account: Id) -> usize {
        let mut access = lock(&self.access_tokens);
        let tokens: Vec<String> = access
            .iter()
            .filter(|(_, owner)| **owner == account)
            .map(|(token, _)| token.clone())
            .collect();
        for token in &tokens {
            access.remove(token);
        }
        lock(&self.revoked).extend(tokens.iter().cloned());
        lock(&self.refresh_tokens).retain(|_, (owner, _)| *owner != account);
        tokens.len()
    }

    pub fn approval(&self) -> Approval {
        self.approval
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    pub fn set_approval(&self, approval: Approval) {
        *self
            .approval
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = approval;
    }

    fn issue_code(&self, account: Id, request: &AuthorizeRequest) -> String {
        let code = mint("");
        lock(&self.grants).insert(
            code.clone(),
            Grant {
                account,
                client_id: request.client_id.clone().unwrap_or_default(),
                redirect_uri: request.redirect_uri.clone().unwrap_or_default(),
                challenge: request.code_challenge.clone(),
                scope: request.scope.clone().unwrap_or_default(),
                issued: Instant::now(),
            },
        );
        code
    }

    /// An access token for `account`, as if they had approved a sign-in.
    pub fn issue_access_token(&self, account: Id) -> String {
        self.issue_tokens(account, "").0
    }

    fn issue_tokens(&self, account: Id, scope: &str) -> (String, String) {
        let access = mint("sim_oauth_");
        let refresh = mint("sim_refresh_");
        lock(&self.access_tokens).insert(access.clone(), account);
        lock(&self.refresh_tokens).insert(refresh.clone(), (account, scope.to_owned()));
        (access, refresh)
    }
}

pub fn router(forge: Forge) -> Router<Arc<SimState>> {
    let (authorize_path, token_path) = match forge {
        Forge::GitHub => ("/login/oauth/authorize", "/login/oauth/access_token"),
        Forge::GitLab => ("/oauth/authorize", "/oauth/token"),
        Forge::Bitbucket => ("/site/oauth2/authorize", "/site/oauth2/access_token"),
        Forge::Gerrit | Forge::Phabricator => return Router::new(),
    };
    Router::new()
        .route(authorize_path, get(authorize).post(decide))
        .route(token_path, axum::routing::post(token))
}

#[derive(Debug, Clone, Default, Deserialize)]
struct AuthorizeRequest {
    client_id: Option<String>,
    redirect_uri: Option<String>,
    scope: Option<String>,
    state: Option<String>,
    response_type: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    /// GitHub's hint of which account to sign in with.
    login: Option<String>,
}

/// Problems with an authorize request that cannot go back to the client.
fn check_authorize(forge: Forge, request: &AuthorizeRequest) -> Result<(), String> {
    if request.client_id.as_deref().is_none_or(str::is_empty) {
        return Err("The client_id parameter is missing.".into());
    }
    if request.redirect_uri.as_deref().is_none_or(str::is_empty) {
        return Err("The redirect_uri parameter is missing.".into());
    }
    if forge != Forge::GitHub && request.response_type.as_deref() != Some("code") {
        return Err("The response_type parameter must be \"code\".".into());
    }
    if let Some(method) = &request.code_challenge_method
        && method != "S256"
    {
        return Err(format!(
            "code_challenge_method {method:?} is not supported; use S256."
        ));
    }
    if request.code_challenge_method.is_some() && request.code_challenge.is_none() {
        return Err("code_challenge is missing.".into());
    }
    Ok(())
}

async fn authorize(
    State(state): State<Arc<SimState>>,
    Query(request): Query<AuthorizeRequest>,
) -> Response {
    if let Err(problem) = check_authorize(state.forge, &request) {
        return respond::text(StatusCode::BAD_REQUEST, problem);
    }
    let approval = state.oauth.approval();
    if let Some(username) = approval.approve_as {
        return match state.world.find_account(state.forge, &username) {
            Some(account) => approved(&state, account.id, &request),
            None => respond::text(
                StatusCode::BAD_REQUEST,
                format!("No account {username:?} to approve as."),
            ),
        };
    }
    consent_page(&state, &request)
}

/// `POST` from the consent page: the person's choice.
async fn decide(State(state): State<Arc<SimState>>, body: Bytes) -> Response {
    #[derive(Deserialize)]
    struct Decision {
        /// The authorize request, carried through the page's hidden fields.
        #[serde(flatten)]
        request: AuthorizeRequest,
        account: Option<String>,
        decision: String,
    }
    let Ok(decision) = serde_urlencoded::from_bytes::<Decision>(&body) else {
        return respond::text(StatusCode::BAD_REQUEST, "The form could not be read.");
    };
    let request = decision.request;
    if let Err(problem) = check_authorize(state.forge, &request) {
        return respond::text(StatusCode::BAD_REQUEST, problem);
    }
    if decision.decision != "approve" {
        return redirect_back(
            &request,
            &[
                ("error", "access_denied"),
                (
                    "error_description",
                    "The user has denied your application access.",
                ),
            ],
        );
    }
    let account = decision
        .account
        .and_then(|username| state.world.find_account(state.forge, &username));
    match account {
        Some(account) => approved(&state, account.id, &request),
        None => respond::text(StatusCode::BAD_REQUEST, "Pick an account to sign in as."),
    }
}

fn approved(state: &SimState, account: Id, request: &AuthorizeRequest) -> Response {
    let code = state.oauth.issue_code(account, request);
    redirect_back(request, &[("code", &code)])
}

/// Back to the client's `redirect_uri` with `pairs` and the `state` it sent.
fn redirect_back(request: &AuthorizeRequest, pairs: &[(&str, &str)]) -> Response {
    let mut query: Vec<(&str, &str)> = pairs.to_vec();
    if let Some(client_state) = &request.state {
        query.push(("state", client_state));
    }
    let uri = request.redirect_uri.clone().unwrap_or_default();
    let separator = if uri.contains('?') { '&' } else { '?' };
    let location = format!(
        "{uri}{separator}{}",
        serde_urlencoded::to_string(&query).unwrap_or_default()
    );
    let mut response = respond::text(StatusCode::FOUND, "");
    set_header(response.headers_mut(), "location", &location);
    response
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The page where a person picks an account and approves or denies.
fn consent_page(state: &SimState, request: &AuthorizeRequest) -> Response {
    let hidden: String = [
        ("client_id", &request.client_id),
        ("redirect_uri", &request.redirect_uri),
        ("scope", &request.scope),
        ("state", &request.state),
        ("response_type", &request.response_type),
        ("code_challenge", &request.code_challenge),
        ("code_challenge_method", &request.code_challenge_method),
    ]
    .iter()
    .filter_map(|(name, value)| {
        value.as_ref().map(|v| {
            format!(
                "<input type=\"hidden\" name=\"{name}\" value=\"{}\">",
                escape(v)
            )
        })
    })
    .collect();
    let options: String = state
        .world
        .accounts
        .iter()
        .filter(|a| a.forge == state.forge && !a.deleted)
        .map(|a| {
            let selected = if request.login.as_deref() == Some(a.username.as_str()) {
                " selected"
            } else {
                ""
            };
            format!(
                "<option value=\"{0}\"{selected}>{0} ({1})</option>",
                escape(&a.username),
                escape(&a.display_name)
            )
        })
        .collect();
    let forge = state.forge.name();
    let client = escape(request.client_id.as_deref().unwrap_or_default());
    let scope = escape(request.scope.as_deref().unwrap_or("(none)"));
    let page = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Authorize {client} · simulated {forge}</title></head>\
         <body style=\"font-family: system-ui, sans-serif; max-width: 28rem; margin: 2rem auto; padding: 0 1rem\">\
         <h1>Authorize {client}</h1>\
         <p>{client} wants to sign you in to the simulated {forge} with scope <code>{scope}</code>.</p>\
         <form method=\"post\">{hidden}\
         <label>Account <select name=\"account\">{options}</select></label>\
         <p><button type=\"submit\" name=\"decision\" value=\"approve\">Authorize</button> \
         <button type=\"submit\" name=\"decision\" value=\"deny\">Cancel</button></p>\
         </form></body></html>"
    );
    respond::bytes(
        StatusCode::OK,
        "text/html; charset=utf-8",
        page.into_bytes(),
    )
}

#[derive(Debug, Default, Deserialize)]
struct TokenRequest {
    grant_type: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    code_verifier: Option<String>,
    refresh_token: Option<String>,
}

/// A refused exchange: the OAuth error code and its description.
struct Refusal {
    error: &'static str,
    description: &'static str,
    status: StatusCode,
}

impl Refusal {
    fn grant(description: &'static str) -> Self {
        Self {
            error: "invalid_grant",
            description,
            status: StatusCode::BAD_REQUEST,
        }
    }

    fn client() -> Self {
        Self {
            error: "invalid_client",
            description: "Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.",
            status: StatusCode::UNAUTHORIZED,
        }
    }
}

async fn token(State(state): State<Arc<SimState>>, headers: HeaderMap, body: Bytes) -> Response {
    let json_body = header_text(&headers, "content-type").is_some_and(|t| t.contains("json"));
    let parsed = if json_body {
        serde_json::from_slice::<TokenRequest>(&body).ok()
    } else {
        serde_urlencoded::from_bytes::<TokenRequest>(&body).ok()
    };
    let mut request = parsed.unwrap_or_default();
    // Client credentials may come as HTTP Basic instead (Bitbucket's way).
    if let Some(Ok((id, secret))) = basic_credentials(&headers) {
        request.client_id.get_or_insert(id);
        request.client_secret.get_or_insert(secret);
    }
    let outcome = exchange(&state, &request);
    let wants_json = state.forge != Forge::GitHub
        || header_text(&headers, "accept").is_some_and(|a| a.contains("json"));
    match outcome {
        Ok((access, refresh, scope)) => granted(state.forge, wants_json, &access, &refresh, &scope),
        Err(refusal) => refused(state.forge, wants_json, &refusal),
    }
}

fn exchange(state: &SimState, request: &TokenRequest) -> Result<(String, String, String), Refusal> {
    let client_id = request.client_id.as_deref().unwrap_or_default();
    if client_id.is_empty() {
        return Err(Refusal::client());
    }
    let secret_ok = request
        .client_secret
        .as_deref()
        .is_some_and(|s| state.token_is_valid(s));
    // GitLab lets public clients prove themselves with PKCE alone.
    let public_client = state.forge == Forge::GitLab
        && request.client_secret.is_none()
        && request.code_verifier.is_some();
    if !secret_ok && !public_client {
        return Err(Refusal::client());
    }
    let grant_type = request
        .grant_type
        .as_deref()
        .unwrap_or("authorization_code");
    let account = match grant_type {
        "authorization_code" => redeem(state, request, client_id)?,
        "refresh_token" => {
            let token = request.refresh_token.as_deref().unwrap_or_default();
            lock(&state.oauth.refresh_tokens)
                .remove(token)
                .ok_or_else(|| {
                    Refusal::grant("The refresh token is invalid, expired or revoked.")
                })?
        }
        _ => {
            return Err(Refusal {
                error: "unsupported_grant_type",
                description: "The authorization grant type is not supported by the authorization server.",
                status: StatusCode::BAD_REQUEST,
            });
        }
    };
    let (account, scope) = account;
    let (access, refresh) = state.oauth.issue_tokens(account, &scope);
    Ok((access, refresh, scope))
}

/// Uses up a code: it must exist, be fresh, belong to this client and
/// redirect URI, and match its PKCE challenge. Returns the account and scope.
fn redeem(
    state: &SimState,
    request: &TokenRequest,
    client_id: &str,
) -> Result<(Id, String), Refusal> {
    let code = request.code.as_deref().unwrap_or_default();
    // A code is single-use: taken out whatever the outcome.
    let grant = lock(&state.oauth.grants)
        .remove(code)
        .filter(|g| g.issued.elapsed() < CODE_LIFETIME)
        .ok_or_else(|| Refusal::grant("The code passed is incorrect or expired."))?;
    if grant.client_id != client_id {
        return Err(Refusal::grant("The code was issued to another client."));
    }
    if request
        .redirect_uri
        .as_deref()
        .is_some_and(|uri| uri != grant.redirect_uri)
    {
        return Err(Refusal::grant(
            "The redirect_uri does not match the one used to authorize.",
        ));
    }
    if let Some(challenge) = &grant.challenge {
        let verifier = request
            .code_verifier
            .as_deref()
            .ok_or_else(|| Refusal::grant("The code_verifier is missing."))?;
        let digest = Sha256::digest(verifier.as_bytes());
        let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest);
        if &computed != challenge {
            return Err(Refusal::grant(
                "The code_verifier does not match the code_challenge.",
            ));
        }
    }
    Ok((grant.account, grant.scope))
}

fn granted(forge: Forge, wants_json: bool, access: &str, refresh: &str, scope: &str) -> Response {
    match forge {
        // GitHub answers form-encoded unless asked for JSON; scopes comma-separated.
        Forge::GitHub => {
            let scope = scope
                .split([' ', ','])
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(",");
            if wants_json {
                respond::json(
                    StatusCode::OK,
                    &json!({ "access_token": access, "token_type": "bearer", "scope": scope }),
                )
            } else {
                let body = serde_urlencoded::to_string([
                    ("access_token", access),
                    ("scope", &scope),
                    ("token_type", "bearer"),
                ])
                .unwrap_or_default();
                respond::bytes(
                    StatusCode::OK,
                    "application/x-www-form-urlencoded; charset=utf-8",
                    body.into_bytes(),
                )
            }
        }
        Forge::Bitbucket => respond::json(
            StatusCode::OK,
            &json!({ "access_token": access, "scopes": scope, "token_type": "bearer", "expires_in": 7200,
                "refresh_token": refresh, "state": "authorization_code" }),
        ),
        _ => respond::json(
            StatusCode::OK,
            &json!({ "access_token": access, "token_type": "Bearer", "expires_in": 7200, "refresh_token": refresh,
                "scope": scope, "created_at": chrono::Utc::now().timestamp() }),
        ),
    }
}

fn refused(forge: Forge, wants_json: bool, refusal: &Refusal) -> Response {
    if forge == Forge::GitHub {
        // GitHub reports exchange errors with 200 and its own codes.
        let error = match refusal.error {
            "invalid_client" => "incorrect_client_credentials",
            "invalid_grant" => "bad_verification_code",
            other => other,
        };
        let body = json!({ "error": error, "error_description": refusal.description,
            "error_uri": "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors" });
        return if wants_json {
            respond::json(StatusCode::OK, &body)
        } else {
            let pairs: Vec<(&str, String)> = body
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.as_str(), v.as_str().unwrap_or_default().to_owned()))
                .collect();
            respond::bytes(
                StatusCode::OK,
                "application/x-www-form-urlencoded; charset=utf-8",
                serde_urlencoded::to_string(pairs)
                    .unwrap_or_default()
                    .into_bytes(),
            )
        };
    }
    respond::json(
        refusal.status,
        &json!({ "error": refusal.error, "error_description": refusal.description }),
    )
}
