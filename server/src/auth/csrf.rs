//! Cross-site request forgery: every request that changes something must
//! come from Tally's own pages. Two checks, either of which stops a forged
//! request: the browser's own word on where it came from (`Sec-Fetch-Site`,
//! `Origin`) for every unsafe method, and the session's token, which forms
//! and server functions send back ([`engine::secrets::same_token`]).

use app::error::AppError;
use axum::extract::Request;
use axum::http::{HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Refuses unsafe requests a browser says came from another site.
pub async fn same_origin(request: Request, next: Next) -> Response {
    let unsafe_method = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if unsafe_method && let Some(problem) = cross_site(request.headers()) {
        tracing::warn!(path = %request.uri().path(), problem, "refused a cross-site request");
        return AppError::Forbidden(format!("Refused: {problem}.")).into_response();
    }
    next.run(request).await
}

/// Why a request looks cross-site, if it does.
fn cross_site(headers: &HeaderMap) -> Option<&'static str> {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = text("sec-fetch-site")
        && !matches!(site, "same-origin" | "none")
    {
        return Some("the request came from another site");
    }
    let origin = text("origin")?;
    let host = text("host")?;
    let origin_host = origin.split_once("://").map_or(origin, |(_, rest)| rest);
    (origin == "null" || !origin_host.eq_ignore_ascii_case(host))
        .then_some("the request's origin is not this site")
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn requests_from_other_sites_are_told_apart() {
        assert_eq!(cross_site(&headers(&[("host", "tally.example")])), None);
        assert_eq!(
            cross_site(&headers(&[
                ("host", "tally.example"),
                ("origin", "https://tally.example")
            ])),
            None
        );
        assert_eq!(
            cross_site(&headers(&[
                ("sec-fetch-site", "same-origin"),
                ("host", "a")
            ])),
            None
        );
        for forged in [
            headers(&[
                ("host", "tally.example"),
                ("origin", "https://evil.example"),
            ]),
            headers(&[("host", "tally.example"), ("origin", "null")]),
            headers(&[("host", "tally.example"), ("sec-fetch-site", "cross-site")]),
            headers(&[("host", "tally.example"), ("sec-fetch-site", "same-site")]),
        ] {
            assert!(cross_site(&forged).is_some(), "{forged:?}");
        }
    }
}
