//! What one request may make the server read and spend: a body of at most
//! [`MOST_BODY_BYTES`] (a larger declared body is answered 413 before any
//! of it is read; a body without a declared length is cut off at the
//! limit), and [`MOST_TIME`] until its answer starts (408 after it, the
//! work dropped), so a slow client or a stuck handler holds nothing for long.
//! And what one client may make the server spend: [`Spending`] counts the
//! requests that fetch from forges or keep rows for anyone, per address.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::http::{HeaderName, Method};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use app::error::AppError;

/// Enough for any form, server function or API body Tally takes (a health
/// check of 50 addresses is a few kilobytes).
pub const MOST_BODY_BYTES: usize = 256 * 1024;

pub async fn body(request: Request, next: Next) -> Response {
    let declared = request
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    let limit_bytes = MOST_BODY_BYTES as u64;
    if declared.is_some_and(|n| n > limit_bytes) {
        return AppError::TooLarge { limit_bytes }.into_response();
    }
    let (parts, body) = request.into_parts();
    let limited = Body::new(http_body_util::Limited::new(body, MOST_BODY_BYTES));
    next.run(Request::from_parts(parts, limited)).await
}

/// The longest a request may take until its answer starts: a body sent
/// slowly, or a handler waiting on a forge or the database. (Pages stream
/// their body after it; background work is not bound by a request.)
pub const MOST_TIME: Duration = Duration::from_secs(60);

/// Answers 408 when the request takes longer than `limit` until its answer.
pub async fn time(State(limit): State<Duration>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => AppError::TimedOut {
            limit_secs: limit.as_secs(),
        }
        .into_response(),
    }
}

/// Whether a request makes the server spend forge budget or keep rows for
/// whoever asks: creating or retrying a query, a health check, starting a
/// task, starting a sign-in (a session row until it ends).
pub fn spends(method: &Method, path: &str) -> bool {
    matches!(
        path,
        "/api/create_query" | "/api/retry_query" | "/api/check_health" | "/api/v1/health-check"
    ) || (path == "/api/v1/tasks" && method == Method::POST)
        || (path.starts_with("/auth/") && path.ends_with("/start"))
}

/// Per client address, how many spending requests it may make: `per_minute`
/// a minute, as many at once.
pub struct Spending {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
    /// The header a reverse proxy puts the client's address in; without it
    /// the peer's address is the client's.
    client_ip_header: Option<HeaderName>,
}

impl Spending {
    pub fn new(per_minute: NonZeroU32, client_ip_header: Option<HeaderName>) -> Self {
        Self {
            limiter: RateLimiter::keyed(Quota::per_minute(per_minute)),
            client_ip_header,
        }
    }

    /// Forgets clients whose allowance is whole again, so the map holds
    /// only those seen lately; run it now and then.
    pub fn forget_idle(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }

    /// The client's address: the last one the proxy's header lists (the
    /// one the proxy itself saw), else the peer's.
    fn client(&self, request: &Request) -> IpAddr {
        let from_header = self.client_ip_header.as_ref().and_then(|name| {
            let listed = request.headers().get(name)?.to_str().ok()?;
            listed.rsplit(',').next()?.trim().parse().ok()
        });
        from_header
            .or_else(|| {
                request
                    .extensions()
                    .get::<ConnectInfo<SocketAddr>>()
                    .map(|info| info.0.ip())
            })
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
    }
}

/// Answers 429 with `Retry-After` to a client past its spending allowance.
pub async fn spending(
    State(spending): State<Arc<Spending>>,
    request: Request,
    next: Next,
) -> Response {
    if spends(request.method(), request.uri().path()) {
        let client = spending.client(&request);
        if let Err(not_until) = spending.limiter.check_key(&client) {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            tracing::info!(%client, path = request.uri().path(), "refused past the spending limit");
            return AppError::RateLimited {
                retry_after: wait.as_secs().max(1),
            }
            .into_response();
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::routing::{get, post};
    use tower::ServiceExt;

    #[tokio::test]
    async fn a_request_past_its_time_answers_408_and_its_work_is_dropped() {
        let router: Router = Router::new()
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                    "late"
                }),
            )
            .route("/quick", get(|| async { "ok" }))
            .layer(axum::middleware::from_fn_with_state(
                Duration::from_millis(50),
                time,
            ));
        let slow = router
            .clone()
            .oneshot(Request::get("/slow").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(slow.status(), 408);
        let body = axum::body::to_bytes(slow.into_body(), 10_000)
            .await
            .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["error"]["code"], "timed_out");
        let quick = router
            .oneshot(Request::get("/quick").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(quick.status(), 200);
    }

    #[tokio::test]
    async fn a_body_sent_too_slowly_answers_408() {
        let router: Router = Router::new()
            .route("/form", post(|body: String| async move { body }))
            .layer(axum::middleware::from_fn_with_state(
                Duration::from_millis(50),
                time,
            ));
        // A body that never ends: a client that stopped sending.
        struct Stalled;
        impl axum::body::HttpBody for Stalled {
            type Data = axum::body::Bytes;
            type Error = std::convert::Infallible;
            fn poll_frame(
                self: std::pin::Pin<&mut Self>,
                _: &mut std::task::Context<'_>,
            ) -> std::task::Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>>
            {
                std::task::Poll::Pending
            }
        }
        let answer = router
            .oneshot(Request::post("/form").body(Body::new(Stalled)).unwrap())
            .await
            .unwrap();
        assert_eq!(answer.status(), 408);
    }

    fn from(address: &str, method: Method, path: &str) -> Request {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .body(Body::empty())
            .unwrap();
        let peer: SocketAddr = format!("{address}:40000").parse().unwrap();
        request.extensions_mut().insert(ConnectInfo(peer));
        request
    }

    #[tokio::test]
    async fn a_client_past_its_spending_allowance_answers_429_and_others_go_on() {
        let spending = Arc::new(Spending::new(NonZeroU32::new(2).unwrap(), None));
        let router: Router = Router::new()
            .route("/api/create_query", post(|| async { "created" }))
            .route("/q/{hash}", get(|| async { "page" }))
            .layer(axum::middleware::from_fn_with_state(
                spending.clone(),
                super::spending,
            ));
        let status = |request: Request| {
            let router = router.clone();
            async move { router.oneshot(request).await.unwrap() }
        };
        for _ in 0..2 {
            let ok = status(from("192.0.2.1", Method::POST, "/api/create_query")).await;
            assert_eq!(ok.status(), 200);
        }
        let refused = status(from("192.0.2.1", Method::POST, "/api/create_query")).await;
        assert_eq!(refused.status(), 429);
        let wait: u64 = refused.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=30).contains(&wait), "{wait}");
        let body = axum::body::to_bytes(refused.into_body(), 10_000)
            .await
            .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["error"]["code"], "rate_limited");
        // Reading pages is not spending; another client has its own allowance.
        assert_eq!(
            status(from("192.0.2.1", Method::GET, "/q/abc"))
                .await
                .status(),
            200
        );
        let other = status(from("198.51.100.7", Method::POST, "/api/create_query")).await;
        assert_eq!(other.status(), 200);
        spending.forget_idle();
    }

    #[tokio::test]
    async fn behind_a_proxy_the_client_is_the_address_the_proxy_saw() {
        let header = HeaderName::from_static("x-forwarded-for");
        let spending = Spending::new(NonZeroU32::new(1).unwrap(), Some(header));
        let mut request = from("127.0.0.1", Method::POST, "/api/create_query");
        request
            .headers_mut()
            .insert("x-forwarded-for", "10.0.0.9, 203.0.113.5".parse().unwrap());
        assert_eq!(
            spending.client(&request),
            "203.0.113.5".parse::<IpAddr>().unwrap()
        );
        let direct = from("127.0.0.1", Method::POST, "/api/create_query");
        assert_eq!(
            spending.client(&direct),
            "127.0.0.1".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn the_spending_requests_are_the_ones_that_fetch_or_keep_rows() {
        assert!(spends(&Method::POST, "/api/create_query"));
        assert!(spends(&Method::GET, "/api/v1/health-check"));
        assert!(spends(&Method::POST, "/api/v1/tasks"));
        assert!(!spends(&Method::GET, "/api/v1/tasks"));
        assert!(spends(&Method::GET, "/auth/github/start"));
        assert!(!spends(&Method::POST, "/api/query_page"));
    }
}
