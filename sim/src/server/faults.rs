//! Fault and latency injection in front of every forge: what real networks
//! and overloaded services do to clients. Set at start (`SimConfig::faults`)
//! and at run time (`PUT /_sim/faults`). Simulator endpoints are exempt.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::stream;
use rand::Rng;
use serde::{Deserialize, Serialize};

use super::SimState;
use super::respond;
use crate::world::Forge;

/// Each rate is a probability per request, from 0 to 1.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Added to every response.
    pub latency_ms: u64,
    /// A further uniformly random delay of up to this much.
    pub jitter_ms: u64,
    /// Answer 500, 502 or 503 instead.
    pub error_rate: f64,
    /// Answer as a secondary rate limit does: 403 with `retry-after`.
    pub rate_limit_storm_rate: f64,
    /// Seconds the storm's `retry-after` asks for.
    pub retry_after_secs: u64,
    /// Send only the first half of the body.
    pub truncate_rate: f64,
    /// Send a body that is not JSON.
    pub malformed_rate: f64,
    /// Drop the connection part-way through the body.
    pub reset_rate: f64,
    /// Send the body in 8 pieces with this delay between them.
    pub slow_body_ms: u64,
}

impl Faults {
    /// Refuses settings that cannot be meant, naming the field.
    pub fn validate(&self) -> Result<(), String> {
        let rates = [
            ("error_rate", self.error_rate),
            ("rate_limit_storm_rate", self.rate_limit_storm_rate),
            ("truncate_rate", self.truncate_rate),
            ("malformed_rate", self.malformed_rate),
            ("reset_rate", self.reset_rate),
        ];
        for (name, rate) in rates {
            if !(0.0..=1.0).contains(&rate) {
                return Err(format!("{name} must be between 0 and 1, not {rate}"));
            }
        }
        Ok(())
    }
}

/// What happens to one response, decided up front from one random draw each.
enum Fate {
    Untouched,
    ServerError(StatusCode),
    Storm,
    Truncated,
    Malformed,
    Reset,
}

pub async fn inject(State(state): State<Arc<SimState>>, request: Request, next: Next) -> Response {
    if request.uri().path().starts_with("/_sim/") {
        return next.run(request).await;
    }
    let faults = state.faults();
    let (delay, fate) = decide(&state, &faults);
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    match fate {
        Fate::ServerError(status) => {
            return (status, "{\"message\":\"Server Error\"}").into_response();
        }
        Fate::Storm => return storm(state.forge, &faults),
        _ => {}
    }
    let response = next.run(request).await;
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let bytes = match fate {
        Fate::Truncated => bytes.slice(..bytes.len() / 2),
        Fate::Malformed => {
            Bytes::from_static(b"{\"message\": \"Server Er<html><body>upstream timed out")
        }
        _ => bytes,
    };
    // A body of a different length must not claim the old one.
    parts.headers.remove(header::CONTENT_LENGTH);
    let body = match fate {
        Fate::Reset => reset_midway(bytes),
        _ if faults.slow_body_ms > 0 => slowly(bytes, Duration::from_millis(faults.slow_body_ms)),
        _ => Body::from(bytes),
    };
    Response::from_parts(parts, body)
}

fn decide(state: &SimState, faults: &Faults) -> (Duration, Fate) {
    let mut rng = state.fault_rng();
    let jitter = if faults.jitter_ms > 0 {
        rng.random_range(0..=faults.jitter_ms)
    } else {
        0
    };
    let delay = Duration::from_millis(faults.latency_ms + jitter);
    let fate = if rng.random_bool(faults.error_rate) {
        let statuses = [
            StatusCode::INTERNAL_SERVER_ERROR,
            StatusCode::BAD_GATEWAY,
            StatusCode::SERVICE_UNAVAILABLE,
        ];
        Fate::ServerError(statuses[rng.random_range(0..statuses.len())])
    } else if rng.random_bool(faults.rate_limit_storm_rate) {
        Fate::Storm
    } else if rng.random_bool(faults.truncate_rate) {
        Fate::Truncated
    } else if rng.random_bool(faults.malformed_rate) {
        Fate::Malformed
    } else if rng.random_bool(faults.reset_rate) {
        Fate::Reset
    } else {
        Fate::Untouched
    };
    (delay, fate)
}

/// A burst of throttling as each forge words it: GitHub's secondary rate
/// limit (403), everyone else's 429 in their own body.
fn storm(forge: Forge, faults: &Faults) -> Response {
    let mut response = match forge {
        Forge::GitHub => respond::json(
            StatusCode::FORBIDDEN,
            &serde_json::json!({
                "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
                "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
            }),
        ),
        Forge::GitLab => respond::text(StatusCode::TOO_MANY_REQUESTS, "Retry later\n"),
        Forge::Bitbucket => respond::json(
            StatusCode::TOO_MANY_REQUESTS,
            &serde_json::json!({ "type": "error", "error": { "message": "Rate limit for this resource has been exceeded" } }),
        ),
        Forge::Gerrit => respond::text(StatusCode::TOO_MANY_REQUESTS, "Too Many Requests"),
        Forge::Phabricator => respond::text(
            StatusCode::TOO_MANY_REQUESTS,
            "TOO MANY REQUESTS\nYou (\"127.0.0.1\") are issuing too many requests too quickly.",
        ),
    };
    if let Ok(value) = HeaderValue::try_from(faults.retry_after_secs.max(1).to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

fn reset_midway(bytes: Bytes) -> Body {
    let first = bytes.slice(..bytes.len() / 2);
    let pieces: Vec<Result<Bytes, std::io::Error>> = vec![
        Ok(first),
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "simulated connection reset",
        )),
    ];
    Body::from_stream(stream::iter(pieces))
}

fn slowly(bytes: Bytes, pause: Duration) -> Body {
    let piece = bytes.len().div_ceil(8).max(1);
    let pieces: Vec<Bytes> = (0..bytes.len())
        .step_by(piece)
        .map(|at| bytes.slice(at..(at + piece).min(bytes.len())))
        .collect();
    let stream = stream::unfold(pieces.into_iter(), move |mut rest| async move {
        let next = rest.next()?;
        tokio::time::sleep(pause).await;
        Some((Ok::<_, std::io::Error>(next), rest))
    });
    Body::from_stream(stream)
}
