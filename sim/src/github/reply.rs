//! Turning a handler's outcome into GitHub's response: authentication,
//! rate-limit budgets and headers, ETags with free 304s, and error bodies.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::server::SimState;
use crate::server::budget::{Limit, Principal, Standing};
use crate::server::params::{bearer_token, header_text};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    Core,
    Search,
    GraphQl,
}

impl Resource {
    fn name(self) -> &'static str {
        match self {
            Self::Core => "core",
            Self::Search => "search",
            Self::GraphQl => "graphql",
        }
    }
}

/// A successful body and what goes with it.
pub struct Answer {
    pub body: Value,
    pub link: Option<String>,
    pub last_modified: Option<DateTime<Utc>>,
}

impl Answer {
    pub fn single(body: Value) -> Self {
        Self {
            body,
            link: None,
            last_modified: None,
        }
    }

    /// One object that also answers `If-Modified-Since`.
    pub fn modified(body: Value, at: DateTime<Utc>) -> Self {
        Self {
            last_modified: Some(at),
            ..Self::single(body)
        }
    }
}

#[derive(Debug)]
pub enum GitHubError {
    NotFound,
    /// `/user` and other endpoints about the caller, called anonymously.
    RequiresAuthentication,
    /// A renamed repository: 301 to its new URL.
    Moved(String),
    /// A parameter GitHub would reject with 422.
    Invalid(&'static str),
    /// A 422 with GitHub's own message.
    Unprocessable(&'static str),
}

impl GitHubError {
    pub fn invalid(field: &'static str) -> Self {
        Self::Invalid(field)
    }
}

/// Who called, and how: read from the request headers.
pub struct Caller {
    principal: Principal,
    bad_credentials: bool,
    if_none_match: Option<String>,
    if_modified_since: Option<DateTime<Utc>>,
    accept: String,
    query: Option<String>,
}

impl Caller {
    pub fn principal(&self) -> &Principal {
        &self.principal
    }

    pub fn has_bad_credentials(&self) -> bool {
        self.bad_credentials
    }

    pub fn accepts(&self, media_type: &str) -> bool {
        self.accept.contains(media_type)
    }

    /// Whether the caller's copy is current: its ETag matches, or, without
    /// an ETag, it is no older than the last modification (RFC 9110 §13.2.2).
    fn is_fresh(&self, etag: &str, last_modified: Option<DateTime<Utc>>) -> bool {
        match (&self.if_none_match, self.if_modified_since, last_modified) {
            (Some(tags), _, _) => tags
                .split(',')
                .any(|t| t.trim().trim_start_matches("W/") == etag),
            (None, Some(since), Some(modified)) => modified.timestamp() <= since.timestamp(),
            _ => false,
        }
    }
}

impl FromRequestParts<Arc<SimState>> for Caller {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<SimState>,
    ) -> Result<Self, Self::Rejection> {
        let header = |name: HeaderName| header_text(&parts.headers, name.as_str());
        let token = bearer_token(&parts.headers);
        // An Authorization header that is not a token is as bad as a wrong token.
        let principal = state
            .principal(token.clone())
            .filter(|_| token.is_some() || header(header::AUTHORIZATION).is_none());
        Ok(Self {
            bad_credentials: principal.is_none(),
            principal: principal.unwrap_or(Principal::Anonymous),
            if_none_match: header(header::IF_NONE_MATCH),
            if_modified_since: header(header::IF_MODIFIED_SINCE)
                .and_then(|value| DateTime::parse_from_rfc2822(&value).ok())
                .map(|at| at.with_timezone(&Utc)),
            accept: header(header::ACCEPT).unwrap_or_default(),
            query: parts.uri.query().map(str::to_owned),
        })
    }
}

pub(super) fn limit_for(state: &SimState, principal: &Principal, resource: Resource) -> Limit {
    let limits = &state.config.github;
    match (principal, resource) {
        (Principal::Token(_), Resource::Core) => limits.core,
        (Principal::Token(_), Resource::Search) => limits.search,
        (Principal::Anonymous, Resource::Core) => limits.unauthenticated_core,
        (Principal::Anonymous, Resource::Search) => limits.unauthenticated_search,
        (Principal::Token(_), Resource::GraphQl) => limits.graphql,
        // GraphQL refuses anonymous callers before counting anything.
        (Principal::Anonymous, Resource::GraphQl) => limits.unauthenticated_core,
    }
}

/// The 401 for a token the forge does not know, whatever was asked.
pub(super) fn bad_credentials(state: &SimState, resource: Resource) -> Response {
    let limit = limit_for(state, &Principal::Anonymous, resource);
    let standing = state
        .budgets
        .peek(&Principal::Anonymous, resource.name(), limit, state.now());
    error(
        StatusCode::UNAUTHORIZED,
        "Bad credentials",
        standing,
        resource,
    )
}

pub fn reply(
    state: &SimState,
    caller: &Caller,
    resource: Resource,
    outcome: Result<Answer, GitHubError>,
) -> Response {
    let now = state.now();
    if caller.bad_credentials {
        return bad_credentials(state, resource);
    }
    let limit = limit_for(state, &caller.principal, resource);
    let answer = match outcome {
        Ok(answer) => answer,
        Err(problem) => {
            return match state
                .budgets
                .charge(&caller.principal, resource.name(), limit, 1, now)
            {
                Ok(standing) => problem_response(problem, standing, resource, caller),
                Err(standing) => rate_limited(state, standing, resource),
            };
        }
    };
    let body = serde_json::to_vec(&answer.body).unwrap_or_default();
    let etag = format!("\"{}\"", fingerprint(&body));
    // GitHub answers a matching conditional request with 304 and does not
    // count it, as long as the request was authorised.
    let authorised = matches!(caller.principal, Principal::Token(_));
    if authorised && caller.is_fresh(&etag, answer.last_modified) {
        let standing = state
            .budgets
            .peek(&caller.principal, resource.name(), limit, now);
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        common_headers(response.headers_mut(), standing, resource);
        set(response.headers_mut(), header::ETAG, &etag);
        return response;
    }
    let standing = match state
        .budgets
        .charge(&caller.principal, resource.name(), limit, 1, now)
    {
        Ok(standing) => standing,
        Err(standing) => return rate_limited(state, standing, resource),
    };
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    common_headers(headers, standing, resource);
    set(headers, header::ETAG, &etag);
    if let Some(link) = &answer.link {
        set(headers, header::LINK, link);
    }
    if let Some(modified) = answer.last_modified {
        set(headers, header::LAST_MODIFIED, &http_date(modified));
    }
    response
}

/// `GET /rate_limit`: free, and the same numbers as the headers.
pub fn rate_limit(state: &SimState, caller: &Caller) -> Response {
    if caller.bad_credentials {
        return bad_credentials(state, Resource::Core);
    }
    let now = state.now();
    let entry = |resource: Resource| {
        let limit = limit_for(state, &caller.principal, resource);
        let s = state
            .budgets
            .peek(&caller.principal, resource.name(), limit, now);
        json!({ "limit": s.limit, "used": s.used, "remaining": s.remaining, "reset": s.reset })
    };
    let core = entry(Resource::Core);
    let body = json!({
        "resources": { "core": core, "search": entry(Resource::Search) },
        "rate": core,
    });
    let standing = state.budgets.peek(
        &caller.principal,
        "core",
        limit_for(state, &caller.principal, Resource::Core),
        now,
    );
    let mut response = (
        StatusCode::OK,
        serde_json::to_vec(&body).unwrap_or_default(),
    )
        .into_response();
    common_headers(response.headers_mut(), standing, Resource::Core);
    response
}

fn problem_response(
    problem: GitHubError,
    standing: Standing,
    resource: Resource,
    caller: &Caller,
) -> Response {
    match problem {
        GitHubError::NotFound => error(StatusCode::NOT_FOUND, "Not Found", standing, resource),
        GitHubError::RequiresAuthentication => error(
            StatusCode::UNAUTHORIZED,
            "Requires authentication",
            standing,
            resource,
        ),
        GitHubError::Moved(location) => {
            let location = match &caller.query {
                Some(query) => format!("{location}?{query}"),
                None => location,
            };
            let body = json!({
                "message": "Moved Permanently",
                "url": location,
                "documentation_url": "https://docs.github.com/rest/guides/best-practices-for-using-the-rest-api#follow-redirects",
            });
            let mut response = (
                StatusCode::MOVED_PERMANENTLY,
                serde_json::to_vec(&body).unwrap_or_default(),
            )
                .into_response();
            common_headers(response.headers_mut(), standing, resource);
            set(response.headers_mut(), header::LOCATION, &location);
            response
        }
        GitHubError::Invalid(field) => json_response(
            StatusCode::UNPROCESSABLE_ENTITY,
            &json!({
                "message": "Validation Failed",
                "errors": [{ "resource": "Search", "field": field, "code": "invalid" }],
                "documentation_url": "https://docs.github.com/rest",
                "status": "422",
            }),
            standing,
            resource,
        ),
        GitHubError::Unprocessable(message) => json_response(
            StatusCode::UNPROCESSABLE_ENTITY,
            &json!({
                "message": message,
                "documentation_url": "https://docs.github.com/v3/search/",
                "status": "422",
            }),
            standing,
            resource,
        ),
    }
}

pub(super) fn json_response(
    status: StatusCode,
    body: &Value,
    standing: Standing,
    resource: Resource,
) -> Response {
    let mut response = (status, serde_json::to_vec(body).unwrap_or_default()).into_response();
    common_headers(response.headers_mut(), standing, resource);
    response
}

fn error(status: StatusCode, message: &str, standing: Standing, resource: Resource) -> Response {
    let body = json!({
        "message": message,
        "documentation_url": "https://docs.github.com/rest",
        "status": status.as_u16().to_string(),
    });
    json_response(status, &body, standing, resource)
}

fn rate_limited(state: &SimState, standing: Standing, resource: Resource) -> Response {
    let status = if state.config.github.exhausted_status_429 {
        StatusCode::TOO_MANY_REQUESTS
    } else {
        StatusCode::FORBIDDEN
    };
    let body = json!({
        "message": "API rate limit exceeded for user. (But here's the good news: Authenticated requests get a higher rate limit. Check out the documentation for more details.)",
        "documentation_url": "https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting",
    });
    json_response(status, &body, standing, resource)
}

/// The headers api.github.com sends on every response (names as in the recorded fixtures).
fn common_headers(headers: &mut HeaderMap, standing: Standing, resource: Resource) {
    let pairs: [(&str, String); 22] = [
        ("content-type", "application/json; charset=utf-8".into()),
        ("cache-control", "private, max-age=60, s-maxage=60".into()),
        ("vary", "Accept, Authorization, Cookie, X-GitHub-OTP".into()),
        ("x-ratelimit-limit", standing.limit.to_string()),
        ("x-ratelimit-remaining", standing.remaining.to_string()),
        ("x-ratelimit-reset", standing.reset.to_string()),
        ("x-ratelimit-used", standing.used.to_string()),
        ("x-ratelimit-resource", resource.name().into()),
        ("x-github-media-type", "github.v3; format=json".into()),
        ("x-github-request-id", request_id()),
        ("x-oauth-scopes", "repo, read:org, read:user".into()),
        ("x-accepted-oauth-scopes", String::new()),
        ("access-control-allow-origin", "*".into()),
        (
            "access-control-expose-headers",
            "ETag, Link, Location, Retry-After, X-GitHub-OTP, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Used, X-RateLimit-Resource, X-RateLimit-Reset, X-OAuth-Scopes, X-Accepted-OAuth-Scopes, X-Poll-Interval, X-GitHub-Media-Type, X-GitHub-SSO, X-GitHub-Request-Id, Deprecation, Sunset".into(),
        ),
        ("content-security-policy", "default-src 'none'".into()),
        ("referrer-policy", "origin-when-cross-origin, strict-origin-when-cross-origin".into()),
        ("strict-transport-security", "max-age=31536000; includeSubdomains; preload".into()),
        ("x-content-type-options", "nosniff".into()),
        ("x-frame-options", "deny".into()),
        ("x-xss-protection", "0".into()),
        ("date", http_date(Utc::now())),
        ("server", "github.com".into()),
    ];
    for (name, value) in pairs {
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            headers.insert(name, value);
        }
    }
}

fn set(headers: &mut HeaderMap, name: HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::try_from(value) {
        headers.insert(name, value);
    }
}

fn http_date(at: DateTime<Utc>) -> String {
    at.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

fn request_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!(
        "{:04X}:{:05X}:{:07X}:{:07X}:{:08X}",
        n % 0xFFFF,
        n % 0xFFFFF,
        n,
        n,
        n
    )
}

/// A stable 128-bit FNV-1a digest of a body, as 32 hex digits (an ETag).
pub fn fingerprint(bytes: &[u8]) -> String {
    let mut hash: u128 = 0x6c62272e07bb014262b821756295c58d;
    for byte in bytes {
        hash ^= u128::from(*byte);
        hash = hash.wrapping_mul(0x0000000001000000000000000000013B);
    }
    format!("{hash:032x}")
}
