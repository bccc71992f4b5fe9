//! Cross-site request forgery: every request that changes something must
//! come from Tally's own pages. Two checks, either of which stops a forged
//! request: the browser's own word on where it came from (`Sec-Fetch-Site`,
//! `Origin`) for every unsafe method, and the session's token, which forms
//! and server functions send back ([`engine::secrets::same_token`]).

use std::sync::Arc;

use app::error::AppError;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Refuses unsafe requests a browser says came from another site. `public`
/// is the installation's public URL: behind a proxy the `Host` a request
/// arrives with is the proxy's upstream, not the address browsers use.
pub async fn same_origin(State(public): State<Arc<str>>, request: Request, next: Next) -> Response {
    let unsafe_method = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if unsafe_method && let Some(problem) = cross_site(request.headers(), &public) {
        tracing::warn!(path = %request.uri().path(), problem, "refused a cross-site request");
        return AppError::Forbidden(format!("Refused: {problem}.")).into_response();
    }
    next.run(request).await
}

/// Why a request looks cross-site, if it does. Its `Origin` must be the
/// public URL's origin or name the host it was sent to.
fn cross_site(headers: &HeaderMap, public: &str) -> Option<&'static str> {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = text("sec-fetch-site")
        && !matches!(site, "same-origin" | "none")
    {
        return Some("the request came from another site");
    }
    let origin = text("origin")?;
    let origin_host = origin.split_once("://").map_or(origin, |(_, rest)| rest);
    let public_origin = origin_of(public);
    let same = origin != "null"
        && (public_origin.is_some_and(|p| p.eq_ignore_ascii_case(origin))
            || text("host").is_some_and(|host| origin_host.eq_ignore_ascii_case(host)));
    (!same).then_some("the request's origin is not this site")
}

/// `scheme://host[:port]` of a URL (without its path), as browsers send `Origin`.
fn origin_of(url: &str) -> Option<&str> {
    let (_, rest) = url.split_once("://")?;
    let end = rest
        .find('/')
        .map_or(url.len(), |i| url.len() - rest.len() + i);
    Some(&url[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> impl proptest::strategy::Strategy<Value = (&'static str, String)> {
        (
            proptest::sample::select(vec!["http", "https"]),
            "[a-z]{1,3}(\\.example)?(:[0-9]{2,4})?",
        )
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(2000))]

        #[test]
        fn only_the_public_origin_or_the_requested_host_is_this_site(
            (scheme, host) in site(),
            (public_scheme, public_host) in site(),
            served in "[a-z]{1,3}(\\.example)?(:[0-9]{2,4})?",
            shout in proptest::bool::ANY,
            path in "(/[a-z]{1,5}){0,2}/?",
        ) {
            let origin = format!("{scheme}://{host}");
            let origin = if shout { origin.to_uppercase() } else { origin };
            let mut map = HeaderMap::new();
            map.insert("origin", HeaderValue::from_str(&origin).unwrap());
            map.insert("host", HeaderValue::from_str(&served).unwrap());
            let public = format!("{public_scheme}://{public_host}{path}");
            let same = (scheme == public_scheme && host == public_host) || host == served;
            proptest::prop_assert_eq!(cross_site(&map, &public).is_none(), same, "{} to {} (host {})", origin, public, served);
            // The browser's own word that it came from elsewhere always wins.
            map.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
            proptest::prop_assert!(cross_site(&map, &public).is_some());
        }
    }
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    fn cross_site_of(headers: &HeaderMap) -> Option<&'static str> {
        cross_site(headers, "http://tally.example")
    }

    #[test]
    fn behind_a_proxy_the_public_url_is_this_site() {
        // The proxy forwards to 127.0.0.1:3000; browsers use the public URL.
        let proxied = headers(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "https://tally.example.org"),
        ]);
        assert_eq!(cross_site(&proxied, "https://tally.example.org/"), None);
        assert_eq!(cross_site(&proxied, "https://tally.example.org"), None);
        assert!(cross_site(&proxied, "https://other.example.org").is_some());
        // Same host, other scheme: not the public origin, nor the host's.
        let downgraded = headers(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "http://tally.example.org"),
        ]);
        assert!(cross_site(&downgraded, "https://tally.example.org").is_some());
        assert_eq!(
            origin_of("https://a.example:8443/tally"),
            Some("https://a.example:8443")
        );
    }

    #[test]
    fn requests_from_other_sites_are_told_apart() {
        assert_eq!(cross_site_of(&headers(&[("host", "tally.example")])), None);
        assert_eq!(
            cross_site_of(&headers(&[
                ("host", "tally.example"),
                ("origin", "https://tally.example")
            ])),
            None
        );
        assert_eq!(
            cross_site_of(&headers(&[
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
            assert!(cross_site_of(&forged).is_some(), "{forged:?}");
        }
    }
}
