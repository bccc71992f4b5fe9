//! The simulated OAuth servers over real HTTP: consent page or automatic
//! approval, code exchange in each forge's format, PKCE S256 and `state`.
#![allow(
    clippy::unwrap_used,
    reason = "a test or benchmark stops loudly on what it did not expect"
)]

mod common;

use std::collections::HashMap;

use base64::Engine;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use sim::server::{SimConfig, Simulator};
use sim::world::{Account, Forge, World};

const REDIRECT: &str = "http://127.0.0.1:9/auth/callback";
const VERIFIER: &str = "a-long-random-verifier-string-of-at-least-43-characters-0123";
const SECRET: &str = "sim_client_secret";

fn challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn someone(world: &World, forge: Forge) -> &Account {
    world
        .accounts
        .iter()
        .filter(|a| a.forge == forge && !a.deleted)
        .nth(2)
        .unwrap()
}

/// The query of a redirect's `Location`, which must go to `REDIRECT`.
fn redirect_query(response: &reqwest::Response) -> HashMap<String, String> {
    assert_eq!(response.status(), StatusCode::FOUND);
    let location = common::header(response, "location");
    let (target, query) = location.split_once('?').unwrap();
    assert_eq!(target, REDIRECT);
    serde_urlencoded::from_str(query).unwrap()
}

fn form(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap()
}

#[tokio::test]
async fn github_consent_page_pkce_and_form_encoded_token() {
    let simulator = Simulator::start(common::one_year_world(81, 40, 10), SimConfig::default())
        .await
        .unwrap();
    let base = simulator.url(Forge::GitHub).unwrap().to_owned();
    let account = someone(&simulator.world, Forge::GitHub);
    let challenge = challenge(VERIFIER);
    let authorize = [
        ("client_id", "tally-test"),
        ("redirect_uri", REDIRECT),
        ("scope", "read:user repo"),
        ("state", "st4te/with+chars"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let page = client()
        .get(format!("{base}/login/oauth/authorize?{}", form(&authorize)))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Authorize tally-test")
            && html.contains(&format!("value=\"{}\"", account.username))
    );

    let mut decision = authorize.to_vec();
    decision.extend([
        ("account", account.username.as_str()),
        ("decision", "approve"),
    ]);
    let approved = client()
        .post(format!("{base}/login/oauth/authorize"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&decision))
        .send()
        .await
        .unwrap();
    let query = redirect_query(&approved);
    assert_eq!(query["state"], "st4te/with+chars");
    let code = query["code"].clone();

    let exchange = |verifier: &'static str, code: String| {
        let base = base.clone();
        async move {
            client()
                .post(format!("{base}/login/oauth/access_token"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form(&[
                    ("client_id", "tally-test"),
                    ("client_secret", SECRET),
                    ("code", &code),
                    ("redirect_uri", REDIRECT),
                    ("code_verifier", verifier),
                ]))
                .send()
                .await
                .unwrap()
        }
    };
    // GitHub answers errors with 200, form-encoded; a failed try uses the code up.
    let wrong = exchange(
        "not-the-verifier-at-all-not-the-verifier-at-all",
        code.clone(),
    )
    .await;
    assert_eq!(wrong.status(), StatusCode::OK);
    let wrong: HashMap<String, String> =
        serde_urlencoded::from_str(&wrong.text().await.unwrap()).unwrap();
    assert_eq!(wrong["error"], "bad_verification_code");
    let reused = exchange(VERIFIER, code).await;
    let reused: HashMap<String, String> =
        serde_urlencoded::from_str(&reused.text().await.unwrap()).unwrap();
    assert_eq!(reused["error"], "bad_verification_code");

    // A fresh code with the right verifier.
    let again = client()
        .post(format!("{base}/login/oauth/authorize"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&decision))
        .send()
        .await
        .unwrap();
    let code = redirect_query(&again)["code"].clone();
    let granted = exchange(VERIFIER, code).await;
    assert!(
        common::header(&granted, "content-type").starts_with("application/x-www-form-urlencoded")
    );
    let granted: HashMap<String, String> =
        serde_urlencoded::from_str(&granted.text().await.unwrap()).unwrap();
    assert_eq!(granted["token_type"], "bearer");
    assert_eq!(
        granted["scope"], "read:user,repo",
        "GitHub joins scopes with commas"
    );

    let me: Value = client()
        .get(format!("{base}/user"))
        .header(
            "authorization",
            format!("Bearer {}", granted["access_token"]),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["login"], account.username.as_str());
    let anonymous = client().get(format!("{base}/user")).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    simulator.stop().await;
}

#[tokio::test]
async fn gitlab_auto_approval_public_pkce_client_and_refresh() {
    let simulator = Simulator::start(common::one_year_world(82, 40, 10), SimConfig::default())
        .await
        .unwrap();
    let base = simulator.url(Forge::GitLab).unwrap().to_owned();
    let account = someone(&simulator.world, Forge::GitLab);
    let set = client()
        .put(format!("{base}/_sim/oauth"))
        .json(&json!({ "approve_as": account.username }))
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), StatusCode::OK);
    let challenge = challenge(VERIFIER);
    let redirected = client()
        .get(format!(
            "{base}/oauth/authorize?{}",
            form(&[
                ("client_id", "tally-public"),
                ("redirect_uri", REDIRECT),
                ("response_type", "code"),
                ("scope", "read_user read_api"),
                ("state", "s1"),
                ("code_challenge", &challenge),
                ("code_challenge_method", "S256"),
            ])
        ))
        .send()
        .await
        .unwrap();
    let query = redirect_query(&redirected);
    assert_eq!(query["state"], "s1");

    let token = |pairs: Vec<(&'static str, String)>| {
        let base = base.clone();
        async move {
            let body = serde_urlencoded::to_string(&pairs).unwrap();
            client()
                .post(format!("{base}/oauth/token"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .unwrap()
        }
    };
    let granted = token(vec![
        ("grant_type", "authorization_code".into()),
        ("client_id", "tally-public".into()),
        ("code", query["code"].clone()),
        ("redirect_uri", REDIRECT.into()),
        ("code_verifier", VERIFIER.into()),
    ])
    .await;
    assert_eq!(granted.status(), StatusCode::OK);
    let granted: Value = granted.json().await.unwrap();
    assert_eq!(granted["token_type"], "Bearer");
    assert_eq!(granted["expires_in"], 7200);

    let me: Value = client()
        .get(format!("{base}/api/v4/user"))
        .header(
            "authorization",
            format!("Bearer {}", granted["access_token"].as_str().unwrap()),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["username"], account.username.as_str());

    let refreshed = token(vec![
        ("grant_type", "refresh_token".into()),
        ("client_id", "tally-public".into()),
        ("client_secret", SECRET.into()),
        (
            "refresh_token",
            granted["refresh_token"].as_str().unwrap().into(),
        ),
    ])
    .await;
    assert_eq!(refreshed.status(), StatusCode::OK);
    let refreshed: Value = refreshed.json().await.unwrap();
    assert_ne!(refreshed["access_token"], granted["access_token"]);

    let bad_client = token(vec![
        ("grant_type", "authorization_code".into()),
        ("client_id", "tally-public".into()),
        ("client_secret", "wrong".into()),
        ("code", "whatever".into()),
    ])
    .await;
    assert_eq!(bad_client.status(), StatusCode::UNAUTHORIZED);
    let body: Value = bad_client.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");
    simulator.stop().await;
}

#[tokio::test]
async fn bitbucket_basic_client_credentials_and_denial_keep_state() {
    let simulator = Simulator::start(common::one_year_world(83, 40, 10), SimConfig::default())
        .await
        .unwrap();
    let base = simulator.url(Forge::Bitbucket).unwrap().to_owned();
    let account = someone(&simulator.world, Forge::Bitbucket);
    let authorize = [
        ("client_id", "tally-bb"),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("state", "bb-state"),
    ];
    let submit = |decision: &'static str| {
        let base = base.clone();
        let mut pairs = authorize.to_vec();
        pairs.extend([
            ("account", account.username.as_str()),
            ("decision", decision),
        ]);
        let body = form(&pairs);
        async move {
            client()
                .post(format!("{base}/site/oauth2/authorize"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .unwrap()
        }
    };
    let denied = redirect_query(&submit("deny").await);
    assert_eq!(denied["error"], "access_denied");
    assert_eq!(denied["state"], "bb-state");

    let code = redirect_query(&submit("approve").await)["code"].clone();
    let granted: Value = client()
        .post(format!("{base}/site/oauth2/access_token"))
        .basic_auth("tally-bb", Some(SECRET))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
        ]))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(granted["state"], "authorization_code");
    let me: Value = client()
        .get(format!("{base}/2.0/user"))
        .bearer_auth(granted["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["nickname"], account.username.as_str());
    simulator.stop().await;
}

#[tokio::test]
async fn malformed_authorize_requests_are_refused_with_the_reason() {
    let simulator = Simulator::start(common::one_year_world(84, 20, 5), SimConfig::default())
        .await
        .unwrap();
    let base = simulator.url(Forge::GitLab).unwrap().to_owned();
    let cases = [
        (
            "redirect_uri=http%3A%2F%2Fx&response_type=code",
            "The client_id parameter is missing.",
        ),
        (
            "client_id=a&redirect_uri=http%3A%2F%2Fx",
            "The response_type parameter must be \"code\".",
        ),
        (
            "client_id=a&redirect_uri=http%3A%2F%2Fx&response_type=code&code_challenge=x&code_challenge_method=plain",
            "code_challenge_method \"plain\" is not supported; use S256.",
        ),
    ];
    for (query, reason) in cases {
        let response = client()
            .get(format!("{base}/oauth/authorize?{query}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(response.text().await.unwrap(), reason);
    }
    let unknown = client()
        .put(format!("{base}/_sim/oauth"))
        .json(&json!({ "approve_as": "nobody-at-all" }))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    simulator.stop().await;
}
