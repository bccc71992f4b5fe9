//! HTTP for every forge client: one place that bounds concurrency, asks the
//! [`Governor`] before spending budget, retries what is worth retrying
//! (transport errors, timeouts, 5xx, rate-limit refusals, and bodies that do
//! not parse, such as truncated ones), and answers unchanged data from
//! stored ETags with conditional requests.
//!
//! Retries live here, around sending *and* decoding, rather than in a
//! reqwest middleware: a truncated body is only found when it is decoded.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rand::Rng;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode};
use tokio::sync::Semaphore;

use super::cache::{self, ResponseCache};
use super::governor::{Governor, Patience};
use crate::error::{Error, Result};

/// How hard to try.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts per request for errors (5xx, transport, bad bodies).
    pub attempts: u32,
    /// Waits imposed by rate limiting, per request, before giving up.
    pub rate_limit_waits: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
    pub timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: 8,
            rate_limit_waits: 20,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(20),
            timeout: Duration::from_secs(30),
        }
    }
}

/// Counters for the operator (`tally fetch` prints them).
#[derive(Debug, Default)]
pub struct Stats {
    pub requests: AtomicU64,
    pub not_modified: AtomicU64,
    pub retries: AtomicU64,
    pub rate_limited: AtomicU64,
    pub waited_ms: AtomicU64,
}

impl Stats {
    fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

/// One request: what to send and which budget it draws on. Its headers
/// and body may carry a token, so `Debug` shows only their names and size.
#[derive(Clone)]
pub struct Call {
    pub method: Method,
    pub url: String,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(HeaderName, String)>,
    pub body: Option<(String, Vec<u8>)>,
    /// The governor bucket: `core`, `search`, `graphql`, …
    pub bucket: &'static str,
    /// Units the request costs (GraphQL points; 1 elsewhere).
    pub cost: u64,
}

impl std::fmt::Debug for Call {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let headers: Vec<&str> = self.headers.iter().map(|(name, _)| name.as_str()).collect();
        f.debug_struct("Call")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("query", &self.query)
            .field("headers", &headers)
            .field(
                "body",
                &self
                    .body
                    .as_ref()
                    .map(|(kind, bytes)| format!("{kind}, {} bytes", bytes.len())),
            )
            .field("bucket", &self.bucket)
            .field("cost", &self.cost)
            .finish()
    }
}

impl Call {
    pub fn get(url: impl Into<String>, bucket: &'static str) -> Self {
        Self {
            method: Method::GET,
            url: url.into(),
            query: Vec::new(),
            headers: Vec::new(),
            body: None,
            bucket,
            cost: 1,
        }
    }

    pub fn post(
        url: impl Into<String>,
        bucket: &'static str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Self {
        Self {
            method: Method::POST,
            body: Some((content_type.to_owned(), body)),
            ..Self::get(url, bucket)
        }
    }

    pub fn query(mut self, key: &str, value: impl ToString) -> Self {
        self.query.push((key.to_owned(), value.to_string()));
        self
    }

    /// The URL with its query, for messages and the ETag cache.
    pub fn full_url(&self) -> String {
        if self.query.is_empty() {
            return self.url.clone();
        }
        let encoded = serde_urlencoded::to_string(&self.query).unwrap_or_default();
        let separator = if self.url.contains('?') { '&' } else { '?' };
        format!("{}{separator}{encoded}", self.url)
    }
}

/// What one attempt at a request came to: the loop in [`Http::fetch`]
/// acts on it, so each way a request can go is decided in one place.
enum Attempt<T> {
    Done(Fetched<T>),
    /// Worth asking again after a backoff; reported if attempts run out.
    Retry(Error),
    /// The forge refused for its rate limit and said (or implied) how long
    /// to wait; waits are counted apart from failures.
    Wait {
        pause: Duration,
        status: StatusCode,
    },
    /// Asking again will not help.
    Fail(Error),
}

fn unreachable(url: &str, problem: impl Into<String>) -> Error {
    Error::Unreachable {
        url: url.to_owned(),
        problem: problem.into(),
    }
}

/// A decoded answer and the headers that came with it.
#[derive(Debug)]
pub struct Fetched<T> {
    pub value: T,
    pub headers: HeaderMap,
}

/// How the credentials go on a request.
#[derive(Clone)]
pub enum Auth {
    None,
    /// `Authorization: Bearer <token>`.
    Bearer(String),
    /// `PRIVATE-TOKEN: <token>` (GitLab).
    Header(HeaderName, String),
    /// HTTP Basic (Gerrit's HTTP password, Bitbucket's API token).
    Basic(String, String),
}

/// How a client treats a forge: the governor, how hard to retry, how many
/// requests may be in flight, and where answers are kept. Clients built from
/// clones of one `Limits` share all of it, so a forge and token keep one
/// budget and one bound on concurrency however many clients use them.
#[derive(Debug, Clone)]
pub struct Limits {
    pub governor: Arc<Governor>,
    pub policy: RetryPolicy,
    /// Requests in flight at once.
    pub permits: Arc<Semaphore>,
    /// Where answers and their ETags are kept for conditional requests.
    pub cache: Arc<ResponseCache>,
}

impl Limits {
    pub fn new(governor: Arc<Governor>) -> Self {
        Self {
            governor,
            policy: RetryPolicy::default(),
            permits: Arc::new(Semaphore::new(4)),
            cache: Arc::new(ResponseCache::default()),
        }
    }
}

pub struct Http {
    client: reqwest::Client,
    auth: Auth,
    governor: Arc<Governor>,
    /// Requests in flight to this forge with this token.
    permits: Arc<Semaphore>,
    policy: RetryPolicy,
    cache: Arc<ResponseCache>,
    /// What the cache keys are salted with: the answers depend on who asks.
    credentials: String,
    /// The forge's API origin: no request (a next page a forge links, a
    /// URL in its answer) goes anywhere else with the credentials.
    only_to: Option<Origin>,
    pub stats: Stats,
}

/// The largest answer read from a forge: far above any page of any forge
/// (GitHub's 100 issues with long bodies are a few MiB), far below what
/// would hurt the server.
pub const MOST_BODY_BYTES: usize = 32 << 20;

/// The answer's body, or `None` when it is larger than [`MOST_BODY_BYTES`]
/// (said by its length, or found while reading: nothing more is read).
async fn read_capped(mut response: reqwest::Response) -> reqwest::Result<Option<Vec<u8>>> {
    if response
        .content_length()
        .is_some_and(|n| n > MOST_BODY_BYTES as u64)
    {
        return Ok(None);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > MOST_BODY_BYTES {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body))
}

/// Where a URL points: scheme, host and port.
type Origin = (String, Option<String>, Option<u16>);

fn origin(url: &reqwest::Url) -> Origin {
    (
        url.scheme().to_owned(),
        url.host_str().map(str::to_owned),
        url.port_or_known_default(),
    )
}

/// Redirects are followed only within the origin asked (a renamed
/// repository's 301 on the same API); one to another host, port or scheme
/// is answered as the redirect itself, so a forge can never send Tally,
/// with its credentials, somewhere else.
fn same_origin_redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let same = attempt
            .previous()
            .first()
            .is_some_and(|first| origin(first) == origin(attempt.url()));
        if !same || attempt.previous().len() > 5 {
            attempt.stop()
        } else {
            attempt.follow()
        }
    })
}

impl Http {
    pub fn new(auth: Auth, limits: &Limits) -> Result<Self> {
        let policy = limits.policy;
        let client = reqwest::Client::builder()
            .user_agent(concat!("tally/", env!("CARGO_PKG_VERSION")))
            .timeout(policy.timeout)
            .connect_timeout(Duration::from_secs(10))
            .redirect(same_origin_redirects())
            .build()
            .map_err(|e| Error::Unreachable {
                url: String::new(),
                problem: format!("could not set up HTTP: {e}"),
            })?;
        let credentials = match &auth {
            Auth::None => String::new(),
            Auth::Bearer(token) | Auth::Header(_, token) => token.clone(),
            Auth::Basic(user, password) => format!("{user}:{password}"),
        };
        Ok(Self {
            client,
            credentials,
            auth,
            governor: limits.governor.clone(),
            permits: limits.permits.clone(),
            policy,
            cache: limits.cache.clone(),
            only_to: None,
            stats: Stats::default(),
        })
    }

    /// Sends requests only to `api`'s origin; any other is refused unsent.
    #[must_use]
    pub fn only_to(mut self, api: &str) -> Self {
        self.only_to = reqwest::Url::parse(api).ok().map(|url| origin(&url));
        self
    }

    /// Refuses `call` when it would leave the forge's origin.
    fn check_origin(&self, call: &Call) -> Result<()> {
        let Some(allowed) = &self.only_to else {
            return Ok(());
        };
        let target = reqwest::Url::parse(&call.url).ok().map(|url| origin(&url));
        if target.as_ref() == Some(allowed) {
            return Ok(());
        }
        Err(Error::Malformed {
            url: call.url.clone(),
            problem: format!(
                "the forge pointed to another site than its own ({}://{}); not followed",
                allowed.0,
                allowed.1.as_deref().unwrap_or_default()
            ),
        })
    }

    pub fn governor(&self) -> &Governor {
        &self.governor
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let ceiling = self
            .policy
            .base_delay
            .saturating_mul(2u32.saturating_pow(attempt))
            .min(self.policy.max_delay);
        // Full jitter: callers that failed together do not retry together.
        let ceiling = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
        let millis = rand::rng().random_range(0..=ceiling);
        Duration::from_millis(millis)
    }

    fn build(&self, call: &Call, etag: Option<&str>) -> reqwest::RequestBuilder {
        let mut request = self.client.request(call.method.clone(), &call.url);
        if !call.query.is_empty() {
            request = request.query(&call.query);
        }
        request = match &self.auth {
            Auth::None => request,
            Auth::Bearer(token) => request.bearer_auth(token),
            Auth::Header(name, token) => request.header(name.clone(), token.as_str()),
            Auth::Basic(user, password) => request.basic_auth(user, Some(password)),
        };
        for (name, value) in &call.headers {
            request = request.header(name.clone(), value.as_str());
        }
        if let Some(tag) = etag {
            request = request.header(reqwest::header::IF_NONE_MATCH, tag);
        }
        if let Some((content_type, body)) = &call.body {
            request = request
                .header(reqwest::header::CONTENT_TYPE, content_type.as_str())
                .body(body.clone());
        }
        request
    }

    /// Sends `call` and decodes a successful body with `decode`, retrying as
    /// the module explains. Statuses other than success come back as errors:
    /// 404 as [`Error::NotFound`], 401 as [`Error::Refused`], others as
    /// [`Error::Status`] with the body's text.
    pub async fn fetch<T>(
        &self,
        call: &Call,
        decode: impl Fn(&[u8]) -> std::result::Result<T, String>,
    ) -> Result<Fetched<T>> {
        self.check_origin(call)?;
        let url = call.full_url();
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| unreachable(&url, "the client is shutting down"))?;
        let mut failures = 0;
        let mut rate_limit_waits = 0;
        loop {
            match self.attempt(call, &url, &decode, rate_limit_waits).await {
                Attempt::Done(fetched) => return Ok(fetched),
                Attempt::Fail(error) => return Err(error),
                Attempt::Retry(error) => {
                    failures += 1;
                    self.retry_after(self.backoff(failures)).await;
                    if failures >= self.policy.attempts {
                        return Err(error);
                    }
                }
                Attempt::Wait { pause, status } => {
                    rate_limit_waits += 1;
                    if rate_limit_waits > self.policy.rate_limit_waits {
                        return Err(Error::Status {
                            url,
                            status: status.as_u16(),
                            message: "still rate limited after waiting repeatedly".into(),
                        });
                    }
                    super::progress::waiting(pause);
                    self.retry_after(pause).await;
                    super::progress::waited();
                }
            }
        }
    }

    /// Sends `call` once and says what came of it; the loop in [`Http::fetch`]
    /// acts on that. `refusals` is how many rate-limit refusals came before.
    async fn attempt<T>(
        &self,
        call: &Call,
        url: &str,
        decode: &impl Fn(&[u8]) -> std::result::Result<T, String>,
        refusals: u32,
    ) -> Attempt<T> {
        let waited = match self.governor.acquire(call.bucket, call.cost).await {
            Ok(waited) => waited,
            Err(reset) => return Attempt::Fail(Error::deferred(reset)),
        };
        self.stats.waited_ms.fetch_add(
            u64::try_from(waited.as_millis()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
        let cache_key = cache::key(&self.credentials, url);
        let cached = if call.method == Method::GET {
            self.cache.get(&cache_key).await
        } else {
            None
        };
        Stats::bump(&self.stats.requests);
        super::progress::request_sent();
        let sent = self
            .build(call, cached.as_ref().map(|kept| kept.etag.as_str()))
            .send()
            .await;
        let response = match sent {
            Ok(response) => response,
            Err(error) => {
                self.governor.settle(call.bucket, call.cost, None);
                return Attempt::Retry(unreachable(url, describe(&error)));
            }
        };
        let status = response.status();
        let mut headers = response.headers().clone();
        self.governor.settle(call.bucket, call.cost, Some(&headers));
        if let Some(pause) = rate_limit_pause(status, &headers, refusals) {
            Stats::bump(&self.stats.rate_limited);
            if let Some((_, _, reset)) = super::governor::read_headers(&headers)
                && header_number(&headers, "x-ratelimit-remaining") == Some(0)
            {
                self.governor.exhausted(call.bucket, reset);
            }
            if self.governor.patience() == Patience::Defer {
                let resumes = SystemTime::now()
                    .checked_add(pause)
                    .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                    .map_or(0, |d| d.as_secs());
                return Attempt::Fail(Error::deferred(resumes));
            }
            return Attempt::Wait { pause, status };
        }
        let body = match read_capped(response).await {
            Ok(Some(body)) => body,
            Ok(None) => {
                return Attempt::Fail(Error::Malformed {
                    url: url.to_owned(),
                    problem: format!(
                        "the answer is larger than {} MiB; not read",
                        MOST_BODY_BYTES >> 20
                    ),
                });
            }
            Err(error) => return Attempt::Retry(unreachable(url, describe(&error))),
        };
        if status.is_server_error() {
            return Attempt::Retry(unreachable(url, format!("{status} from the forge")));
        }
        let body = match (status, cached) {
            (StatusCode::NOT_MODIFIED, Some(kept)) => {
                Stats::bump(&self.stats.not_modified);
                // The 304 may leave out the links to the list's other pages.
                if !headers.contains_key(reqwest::header::LINK)
                    && let Some(link) = kept.link.and_then(|l| HeaderValue::from_str(&l).ok())
                {
                    headers.insert(reqwest::header::LINK, link);
                }
                kept.body
            }
            (StatusCode::NOT_MODIFIED, None) => body,
            (status, _) if status.is_success() => body,
            (status, _) => return Attempt::Fail(status_error(url.to_owned(), status, &body)),
        };
        match decode(&body) {
            Ok(value) => {
                if status.is_success()
                    && call.method == Method::GET
                    && let Some(tag) = headers
                        .get(reqwest::header::ETAG)
                        .and_then(|v| v.to_str().ok())
                {
                    let link = headers
                        .get(reqwest::header::LINK)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned);
                    let kept = cache::Kept {
                        etag: tag.to_owned(),
                        body,
                        link,
                    };
                    self.cache.put(&cache_key, kept).await;
                }
                Attempt::Done(Fetched { value, headers })
            }
            // Complete JSON of the wrong shape will not improve by asking
            // again; a cut or garbled body may.
            Err(problem) => {
                let malformed = Error::Malformed {
                    url: url.to_owned(),
                    problem,
                };
                if is_complete_json(&body) {
                    Attempt::Fail(malformed)
                } else {
                    Attempt::Retry(malformed)
                }
            }
        }
    }

    /// Sends `call` and decodes its JSON body; a 404 is [`Error::NotFound`]
    /// naming `what` (the forge's URL says less to a person).
    pub async fn json<T: serde::de::DeserializeOwned>(
        &self,
        call: &Call,
        what: impl FnOnce() -> String,
    ) -> Result<Fetched<T>> {
        self.fetch(call, |body| {
            serde_json::from_slice::<T>(body).map_err(|e| e.to_string())
        })
        .await
        .map_err(|e| match e {
            Error::NotFound { .. } => Error::NotFound { what: what() },
            other => other,
        })
    }

    async fn retry_after(&self, pause: Duration) {
        Stats::bump(&self.stats.retries);
        tokio::time::sleep(pause).await;
    }
}

/// Whether a body is syntactically whole JSON (after Gerrit's `)]}'` line).
fn is_complete_json(body: &[u8]) -> bool {
    let json = body.strip_prefix(b")]}'").unwrap_or(body);
    serde_json::from_slice::<serde::de::IgnoredAny>(json).is_ok()
}

fn header_number(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

/// Whether a response is a rate-limit refusal, and how long to wait: 429,
/// or 403 with a spent budget or a `retry-after` (GitHub's primary and
/// secondary limits). Without either header (Bitbucket) the wait doubles
/// from 5 s to a minute with each refusal in a row.
fn rate_limit_pause(status: StatusCode, headers: &HeaderMap, refusals: u32) -> Option<Duration> {
    let retry_after = header_number(headers, "retry-after").map(Duration::from_secs);
    let spent = header_number(headers, "x-ratelimit-remaining") == Some(0);
    let reset_in = || {
        let reset = header_number(headers, "x-ratelimit-reset")?;
        let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs();
        Some(Duration::from_secs(reset.saturating_sub(now).max(1)))
    };
    let limited = status == StatusCode::TOO_MANY_REQUESTS
        || (status == StatusCode::FORBIDDEN && (spent || retry_after.is_some()));
    if !limited {
        return None;
    }
    Some(
        retry_after
            .or_else(|| spent.then(reset_in).flatten())
            .unwrap_or_else(|| {
                Duration::from_secs(5u64.saturating_mul(1 << refusals.min(4)).min(60))
            }),
    )
}

pub(crate) fn status_error(url: String, status: StatusCode, body: &[u8]) -> Error {
    let text = String::from_utf8_lossy(body);
    let message = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            v.get("message")
                .or_else(|| v.get("error").and_then(|e| e.get("message").or(Some(e))))
                .and_then(|m| m.as_str().map(str::to_owned))
        })
        .unwrap_or_else(|| text.trim().chars().take(200).collect());
    match status {
        StatusCode::NOT_FOUND => Error::NotFound { what: url },
        StatusCode::UNAUTHORIZED => Error::Refused { url, message },
        _ => Error::Status {
            url,
            status: status.as_u16(),
            message,
        },
    }
}

fn describe(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        "timed out".into()
    } else if error.is_connect() {
        format!("could not connect: {error}")
    } else {
        let mut text = error.to_string();
        let mut source = std::error::Error::source(error);
        while let Some(inner) = source {
            text.push_str(&format!(": {inner}"));
            source = inner.source();
        }
        text
    }
}

#[cfg(test)]
mod call_tests {
    use super::*;

    #[tokio::test]
    async fn a_request_to_another_origin_is_refused_unsent() {
        let limits = Limits::new(Arc::new(Governor::new(1.0)));
        let http = Http::new(Auth::Bearer("secret".into()), &limits)
            .unwrap()
            .only_to("https://api.forge.example/v4");
        for elsewhere in [
            "https://evil.example/steal",
            "http://api.forge.example/v4/x",
            "https://api.forge.example:8443/v4/x",
        ] {
            let error = http
                .fetch(&Call::get(elsewhere, "core"), |_| Ok(()))
                .await
                .unwrap_err();
            assert!(error.to_string().contains("another site"), "{error}");
        }
        assert_eq!(
            http.stats.requests.load(Ordering::Relaxed),
            0,
            "nothing sent"
        );
    }

    #[test]
    fn a_calls_debug_shows_no_header_value_or_body() {
        let mut call = Call::post(
            "https://phab.example/api/user.whoami",
            "api",
            "application/x-www-form-urlencoded",
            b"params={\"__conduit__\":{\"token\":\"api-secret\"}}".to_vec(),
        );
        call.headers
            .push((reqwest::header::AUTHORIZATION, "Bearer gho_secret".into()));
        let shown = format!("{call:?}");
        assert!(!shown.contains("secret"), "{shown}");
        assert!(
            shown.contains("authorization") && shown.contains("bytes"),
            "{shown}"
        );
    }
}
