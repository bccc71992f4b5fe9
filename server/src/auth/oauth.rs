//! OAuth 2 with the forges, through the `oauth2` crate: the authorization
//! code flow with PKCE (S256) and `state`, the code exchange, and refreshing
//! tokens that expire. `oauth2` brings no HTTP client of ours (its reqwest
//! is an older one); [`send`] carries its requests over reqwest 0.13.

use std::sync::Arc;

use chrono::{Duration, Utc};
use engine::accounts::{Renew, Renewal, Tokens};
use engine::forge::{Endpoint, instance_of};
use engine::tracker::locate::web_root;
use model::forge::Forge;
use oauth2::basic::BasicClient;
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet,
    EndpointSet, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken, RequestTokenError,
    Scope, TokenResponse, TokenUrl,
};

/// One forge's OAuth application: who Tally is to its authorization server.
#[derive(Clone)]
pub struct OAuthApp {
    pub forge: Forge,
    /// The instance it signs in to (as the forge's endpoint names it).
    pub instance: String,
    pub client_id: String,
    /// GitLab also takes public clients that prove themselves with PKCE alone.
    pub client_secret: Option<String>,
    pub authorize_url: String,
    pub token_url: String,
    pub scopes: Vec<&'static str>,
}

// Written by hand so the secret never reaches a log line.
impl std::fmt::Debug for OAuthApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthApp")
            .field("forge", &self.forge)
            .field("instance", &self.instance)
            .field("client_id", &self.client_id)
            .field("authorize_url", &self.authorize_url)
            .finish_non_exhaustive()
    }
}

type Configured = oauth2::Client<
    oauth2::basic::BasicErrorResponse,
    oauth2::basic::BasicTokenResponse,
    oauth2::basic::BasicTokenIntrospectionResponse,
    oauth2::StandardRevocableToken,
    oauth2::basic::BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// A sign-in under way, kept in the visitor's session until the forge
/// sends them back.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Pending {
    pub forge: Forge,
    pub instance: String,
    pub state: String,
    pub verifier: String,
    /// Where to go once signed in (a path of this site).
    pub next: String,
}

/// Why a sign-in did not finish, in words for the person.
#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    #[error("{0}")]
    Setup(String),
    #[error("the forge refused the sign-in: {0}")]
    Refused(String),
    #[error("the forge could not be reached: {0}")]
    Unreachable(String),
}

impl OAuthApp {
    /// The app of `endpoint`'s forge, at the forge's own authorization
    /// server (the pages' host: github.com, not api.github.com).
    pub fn for_endpoint(
        endpoint: &Endpoint,
        client_id: String,
        client_secret: Option<String>,
    ) -> Self {
        let web = web_root(endpoint);
        let (authorize, token, scopes): (&str, &str, Vec<&'static str>) = match endpoint.forge {
            Forge::GitHub => (
                "/login/oauth/authorize",
                "/login/oauth/access_token",
                vec!["repo", "read:user"],
            ),
            Forge::GitLab => (
                "/oauth/authorize",
                "/oauth/token",
                vec!["read_api", "read_user"],
            ),
            // Bitbucket's scopes are set on the consumer, not asked for.
            _ => (
                "/site/oauth2/authorize",
                "/site/oauth2/access_token",
                vec![],
            ),
        };
        Self {
            forge: endpoint.forge,
            instance: instance_of(&endpoint.api_url),
            client_id,
            client_secret,
            authorize_url: format!("{web}{authorize}"),
            token_url: format!("{web}{token}"),
            scopes,
        }
    }

    fn client(&self, redirect: &str) -> Result<Configured, OAuthError> {
        let setup = |e: url::ParseError| OAuthError::Setup(e.to_string());
        let mut client = BasicClient::new(ClientId::new(self.client_id.clone()))
            .set_auth_uri(AuthUrl::new(self.authorize_url.clone()).map_err(setup)?)
            .set_token_uri(TokenUrl::new(self.token_url.clone()).map_err(setup)?)
            .set_redirect_uri(RedirectUrl::new(redirect.to_owned()).map_err(setup)?)
            // Bitbucket wants the client's credentials as HTTP Basic; GitHub
            // and GitLab in the form.
            .set_auth_type(if self.forge == Forge::Bitbucket {
                AuthType::BasicAuth
            } else {
                AuthType::RequestBody
            });
        if let Some(secret) = &self.client_secret {
            client = client.set_client_secret(ClientSecret::new(secret.clone()));
        }
        Ok(client)
    }

    /// Where to send the person, and what to keep until they come back.
    pub fn start(&self, redirect: &str, next: String) -> Result<(String, Pending), OAuthError> {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let client = self.client(redirect)?;
        let mut request = client
            .authorize_url(CsrfToken::new_random)
            .set_pkce_challenge(challenge);
        for scope in &self.scopes {
            request = request.add_scope(Scope::new((*scope).to_owned()));
        }
        let (url, state) = request.url();
        Ok((
            url.to_string(),
            Pending {
                forge: self.forge,
                instance: self.instance.clone(),
                state: state.secret().clone(),
                verifier: verifier.secret().clone(),
                next,
            },
        ))
    }

    /// Trades the code the forge sent back for tokens, proving with the
    /// PKCE verifier that this is the browser that started the sign-in.
    pub async fn exchange(
        &self,
        http: &reqwest::Client,
        redirect: &str,
        code: &str,
        verifier: &str,
    ) -> Result<Tokens, OAuthError> {
        let token = self
            .client(redirect)?
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .set_pkce_verifier(PkceCodeVerifier::new(verifier.to_owned()))
            .request_async(&Bridge(http.clone()))
            .await
            .map_err(refusal)?;
        Ok(tokens(&token))
    }

    pub async fn refresh(
        &self,
        http: &reqwest::Client,
        refresh: &str,
    ) -> Result<Tokens, OAuthError> {
        // No redirect is involved in a refresh; the client still wants one set.
        let token = self
            .client("http://localhost/")?
            .exchange_refresh_token(&RefreshToken::new(refresh.to_owned()))
            .request_async(&Bridge(http.clone()))
            .await
            .map_err(refusal)?;
        Ok(tokens(&token))
    }
}

fn tokens(token: &oauth2::basic::BasicTokenResponse) -> Tokens {
    Tokens {
        access: token.access_token().secret().clone(),
        refresh: token.refresh_token().map(|r| r.secret().clone()),
        expires_at: token
            .expires_in()
            .and_then(|d| Duration::from_std(d).ok())
            .map(|d| Utc::now() + d),
    }
}

/// What the forge said, in words: its own description where it gave one
/// (GitHub answers errors with 200 and a body `oauth2` cannot read as a token).
fn refusal<E: std::error::Error + 'static>(
    error: RequestTokenError<E, oauth2::basic::BasicErrorResponse>,
) -> OAuthError {
    match error {
        RequestTokenError::ServerResponse(response) => OAuthError::Refused(
            response
                .error_description()
                .cloned()
                .unwrap_or_else(|| response.error().to_string()),
        ),
        RequestTokenError::Parse(_, body) => {
            let described = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| {
                    v.get("error_description")
                        .or_else(|| v.get("error"))
                        .and_then(|d| d.as_str().map(str::to_owned))
                });
            OAuthError::Refused(described.unwrap_or_else(|| "an unreadable answer".into()))
        }
        RequestTokenError::Request(error) => OAuthError::Unreachable(error.to_string()),
        RequestTokenError::Other(message) => OAuthError::Refused(message),
    }
}

/// `oauth2`'s HTTP client: reqwest 0.13 (a client is a cheap handle).
struct Bridge(reqwest::Client);

impl<'c> oauth2::AsyncHttpClient<'c> for Bridge {
    type Error = reqwest::Error;
    type Future = std::pin::Pin<
        Box<dyn Future<Output = Result<oauth2::HttpResponse, reqwest::Error>> + Send + 'c>,
    >;

    fn call(&'c self, request: oauth2::HttpRequest) -> Self::Future {
        Box::pin(send(&self.0, request))
    }
}

/// Carries one of `oauth2`'s requests over reqwest and brings the answer
/// back in `oauth2`'s types.
async fn send(
    http: &reqwest::Client,
    request: oauth2::HttpRequest,
) -> Result<oauth2::HttpResponse, reqwest::Error> {
    let (parts, body) = request.into_parts();
    let response = http
        .request(parts.method, parts.uri.to_string())
        .headers(parts.headers)
        .body(body)
        .send()
        .await?;
    let mut answer = http::Response::builder().status(response.status());
    for (name, value) in response.headers() {
        answer = answer.header(name, value);
    }
    let body = response.bytes().await?.to_vec();
    // A status and headers that came over HTTP make a valid response.
    Ok(answer
        .body(body)
        .unwrap_or_else(|_| http::Response::new(Vec::new())))
}

/// An HTTP client for OAuth: token endpoints must not redirect (a
/// redirect could carry the code elsewhere).
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(30))
        .user_agent(concat!("tally/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_default()
}

/// Renews expiring tokens for the engine with the forges' OAuth apps.
pub struct Renewer {
    pub apps: Arc<Vec<OAuthApp>>,
    pub http: reqwest::Client,
}

impl Renew for Renewer {
    fn renew<'a>(&'a self, forge: Forge, instance: &'a str, refresh: &'a str) -> Renewal<'a> {
        Box::pin(async move {
            let app = self
                .apps
                .iter()
                .find(|a| a.forge == forge && a.instance == instance)
                .ok_or_else(|| {
                    engine::Error::Invalid(format!(
                        "no {} sign-in is configured for {instance}",
                        forge.name()
                    ))
                })?;
            let url = app.token_url.clone();
            app.refresh(&self.http, refresh)
                .await
                .map_err(|error| match error {
                    OAuthError::Unreachable(problem) => engine::Error::Unreachable { url, problem },
                    OAuthError::Refused(message) => engine::Error::Refused { url, message },
                    OAuthError::Setup(problem) => engine::Error::Invalid(problem),
                })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim::server::{SimConfig, Simulator};
    use sim::world::{WorldConfig, generate};

    /// The code flow against the simulated GitLab, then a refresh: each
    /// step gives tokens the forge takes, and a used refresh token is spent.
    #[tokio::test]
    async fn a_code_then_a_refresh_token_give_working_tokens() {
        let world = Arc::new(generate(WorldConfig {
            seed: 5,
            people: 20,
            repos: 5,
            years: 1,
            until: Utc::now(),
        }));
        let simulator = Simulator::start(world, SimConfig::default()).await.unwrap();
        let base = simulator.url(Forge::GitLab).unwrap().to_owned();
        let endpoint = Endpoint {
            forge: Forge::GitLab,
            api_url: base.clone(),
            token: None,
            scope: Vec::new(),
        };
        let app = OAuthApp::for_endpoint(&endpoint, "tally-test".into(), Some("sim_secret".into()));
        let http = http_client();
        let username = simulator
            .world
            .accounts
            .iter()
            .find(|a| a.forge == Forge::GitLab && !a.deleted)
            .unwrap()
            .username
            .clone();
        http.put(format!("{base}/_sim/oauth"))
            .json(&serde_json::json!({ "approve_as": username }))
            .send()
            .await
            .unwrap();
        let redirect = "http://127.0.0.1:9/auth/gitlab/callback";
        let (url, pending) = app.start(redirect, "/issues".into()).unwrap();
        let back = http.get(url).send().await.unwrap();
        let location = back.headers()["location"].to_str().unwrap().to_owned();
        let query: Vec<(String, String)> =
            serde_urlencoded::from_str(location.split_once('?').unwrap().1).unwrap();
        let get = |name: &str| query.iter().find(|(k, _)| k == name).unwrap().1.clone();
        assert_eq!(get("state"), pending.state);
        let tokens = app
            .exchange(&http, redirect, &get("code"), &pending.verifier)
            .await
            .unwrap();
        assert!(tokens.expires_at.is_some());
        let refresh = tokens.refresh.clone().unwrap();
        let renewed = app.refresh(&http, &refresh).await.unwrap();
        assert_ne!(renewed.access, tokens.access);
        let me: serde_json::Value = http
            .get(format!("{base}/api/v4/user"))
            .bearer_auth(&renewed.access)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(me["username"], serde_json::json!(username));
        let spent = app.refresh(&http, &refresh).await.unwrap_err();
        assert!(spent.to_string().contains("refused"), "{spent}");
        // A wrong verifier is refused, naming the reason.
        let (url, pending) = app.start(redirect, "/".into()).unwrap();
        let back = http.get(url).send().await.unwrap();
        let location = back.headers()["location"].to_str().unwrap().to_owned();
        let code = location
            .split("code=")
            .nth(1)
            .unwrap()
            .split('&')
            .next()
            .unwrap()
            .to_owned();
        let refused = app
            .exchange(&http, redirect, &code, &format!("{}x", pending.verifier))
            .await
            .unwrap_err();
        assert!(refused.to_string().contains("code_verifier"), "{refused}");
    }
}
