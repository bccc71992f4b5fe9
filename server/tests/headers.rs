//! Every response says how browsers must treat it: no sniffing, no
//! framing, no address leaking to other sites; and every page says which
//! scripts may run: Tally's own files and the inline ones carrying the
//! nonce made for that response.
#![allow(
    clippy::unwrap_used,
    reason = "a test or benchmark stops loudly on what it did not expect"
)]

mod common;

use common::start;
use engine::store::testing::TestDb;

/// The nonce a page's policy allows, and the nonces its scripts carry.
fn nonces(policy: &str, body: &str) -> (String, Vec<String>) {
    let allowed = policy
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .unwrap()
        .to_owned();
    let scripts = body
        .split("<script")
        .skip(1)
        .map(|tag| {
            let tag = tag.split('>').next().unwrap_or_default();
            tag.split("nonce=\"")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .unwrap_or("none")
                .to_owned()
        })
        .collect();
    (allowed, scripts)
}

#[tokio::test]
async fn pages_allow_only_their_own_scripts_and_every_answer_forbids_framing_and_sniffing() {
    let db = TestDb::new().await;
    let server = start(&db.url, None);
    let http = reqwest::Client::new();
    let get = |path: &str| http.get(format!("{}{path}", server.url)).send();
    let mut seen = Vec::new();
    for path in ["/", "/", "/no-such-page", "/discover"] {
        let answer = get(path).await.unwrap();
        let policy = answer.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        let body = answer.text().await.unwrap();
        let (allowed, scripts) = nonces(&policy, &body);
        assert!(allowed.len() >= 16, "{path}: {policy}");
        assert!(!scripts.is_empty(), "{path}: the page has its scripts");
        assert!(
            scripts.iter().all(|n| *n == allowed),
            "{path}: every inline script carries the page's nonce: {scripts:?} vs {allowed}"
        );
        assert!(policy.contains("frame-ancestors 'none'"), "{path}");
        seen.push(allowed);
    }
    assert_ne!(seen[0], seen[1], "each render makes its own nonce");
    for path in ["/", "/api/v1/rate_limit", "/healthz", "/favicon.svg"] {
        let answer = get(path).await.unwrap();
        let header = |name: &str| answer.headers()[name].to_str().unwrap().to_owned();
        assert_eq!(header("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(header("x-frame-options"), "DENY", "{path}");
        assert_eq!(header("referrer-policy"), "same-origin", "{path}");
    }
}
