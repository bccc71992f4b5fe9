//! Signing in through a forge's OAuth server, over real HTTP against a
//! running `tally` and the simulator: the honest way in, a tampered
//! `state`, a code obtained for another PKCE verifier; the pages and server
//! functions that need a session; the CSRF checks on changes; titles from
//! forges always escaped.
#![allow(
    clippy::unwrap_used,
    reason = "a test or benchmark stops loudly on what it did not expect"
)]

mod common;

use base64::Engine;
use common::{Browser, location, param};
use engine::store::testing::TestDb;
use model::forge::Forge;
use sha2::{Digest, Sha256};

async fn setup() -> (TestDb, sim::server::Simulator, common::Server) {
    let simulator = common::simulator(31, 30).await;
    let db = TestDb::new().await;
    let server = common::start_with(&db.url, &common::sim_forges(&simulator));
    (db, simulator, server)
}

fn someone(world: &sim::world::World) -> String {
    common::busiest_on_github(world).username.clone()
}

/// The name of the world's first live GitHub repository.
fn first_github_repo(world: &sim::world::World) -> String {
    world
        .repos
        .iter()
        .find(|r| r.forge == Forge::GitHub && !r.deleted)
        .map(|r| world.full_name(r))
        .unwrap()
}

/// Whether the browser's session is signed in, as the pages see it.
async fn signed_in(browser: &Browser) -> bool {
    let (status, viewer) = browser.call("viewer", &[]).await;
    assert_eq!(status, 200);
    !viewer.is_null()
}

#[tokio::test]
async fn signing_in_lands_on_the_issues_with_a_new_session() {
    let (db, simulator, server) = setup().await;
    let expires_in = |id: String| {
        let pool = db.store.pool().clone();
        async move {
            let at: chrono::DateTime<chrono::Utc> =
                sqlx::query_scalar("SELECT expiry_date FROM tower_sessions.session WHERE id = $1")
                    .bind(id)
                    .fetch_one(&pool)
                    .await
                    .unwrap();
            at - chrono::Utc::now()
        }
    };
    let browser = Browser::new(&server.url);
    let person = someone(&simulator.world);
    common::approve_as(&simulator, Forge::GitHub, &person).await;
    let start = browser.get("/auth/github/start?next=/issues").await;
    let before = browser.session().unwrap();
    // A sign-in under way keeps its row for minutes, not the session's days.
    let pending = expires_in(before.clone()).await;
    assert!(
        pending <= chrono::Duration::minutes(15) && pending > chrono::Duration::minutes(14),
        "{pending}"
    );
    let authorize = location(&start);
    assert!(authorize.starts_with(simulator.url(Forge::GitHub).unwrap()));
    assert_eq!(
        param(&authorize, "code_challenge_method").as_deref(),
        Some("S256")
    );
    assert!(param(&authorize, "state").unwrap().len() >= 16);
    let callback = location(&browser.get(&authorize).await);
    let landed = browser.get(&callback).await;
    assert_eq!(location(&landed), "/issues");
    let cookie = landed.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert_ne!(
        browser.session().unwrap(),
        before,
        "signing in gives a new session id"
    );
    let page = browser.get("/issues").await;
    assert_eq!(page.status(), 200);
    assert!(signed_in(&browser).await);
    let signed = expires_in(browser.session().unwrap()).await;
    assert!(signed > chrono::Duration::days(29), "{signed}");
    // Signing out needs the session's token, and ends the session.
    let refused = browser
        .post("/auth/sign-out", &[("csrf", "forged".into())], &[])
        .await;
    assert_eq!(refused.status(), 403);
    let csrf = browser.csrf().await;
    let out = browser.post("/auth/sign-out", &[("csrf", csrf)], &[]).await;
    assert_eq!(location(&out), "/");
    assert!(!signed_in(&browser).await);
}

#[tokio::test]
async fn unlinking_the_last_account_ends_the_session() {
    let (db, simulator, server) = setup().await;
    let browser = Browser::new(&server.url);
    browser
        .sign_in(&simulator, Forge::GitHub, &someone(&simulator.world))
        .await;
    let session = browser.session().unwrap();
    let (_, viewer) = browser.call("viewer", &[]).await;
    let account = viewer["accounts"][0]["id"].to_string();
    let csrf = browser.csrf().await;
    let (status, answer) = browser
        .call("unlink_account", &[("csrf", csrf), ("account", account)])
        .await;
    assert!(status < 400, "{status} {answer}");
    assert!(!signed_in(&browser).await);
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM tower_sessions.session WHERE id = $1")
        .bind(&session)
        .fetch_one(db.store.pool())
        .await
        .unwrap();
    assert_eq!(rows, 0, "the session is gone from the database");
    // What needs a session says so, rather than failing on the person gone.
    let (status, answer) = browser
        .call(
            "subscribe_address",
            &[("csrf", "x".into()), ("address", "github:a/b".into())],
        )
        .await;
    assert_eq!(status, 401, "{answer}");
}

#[tokio::test]
async fn a_tampered_state_is_refused() {
    let (_db, simulator, server) = setup().await;
    let browser = Browser::new(&server.url);
    common::approve_as(&simulator, Forge::GitHub, &someone(&simulator.world)).await;
    let authorize = location(&browser.get("/auth/github/start").await);
    let callback = location(&browser.get(&authorize).await);
    let state = param(&callback, "state").unwrap();
    let tampered = callback.replace(&state, &format!("{state}x"));
    let refused = location(&browser.get(&tampered).await);
    assert!(refused.starts_with("/sign-in?problem="), "{refused}");
    assert!(
        param(&refused, "problem")
            .unwrap()
            .contains("does not belong")
    );
    assert!(!signed_in(&browser).await);
    // The sign-in is used up: the honest answer cannot be replayed after it.
    let replayed = location(&browser.get(&callback).await);
    assert!(replayed.starts_with("/sign-in?problem="), "{replayed}");
    assert!(!signed_in(&browser).await);
}

#[tokio::test]
async fn a_code_issued_for_another_verifier_is_refused() {
    let (_db, simulator, server) = setup().await;
    let victim = Browser::new(&server.url);
    let person = someone(&simulator.world);
    common::approve_as(&simulator, Forge::GitHub, &person).await;
    let authorize = location(&victim.get("/auth/github/start").await);
    let state = param(&authorize, "state").unwrap();
    // An attacker gets a code for their own PKCE challenge and slips it into
    // the victim's callback (with the victim's state).
    let verifier = "an-attackers-own-verifier-of-at-least-43-characters-long";
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(Sha256::digest(verifier.as_bytes()));
    let redirect = param(&authorize, "redirect_uri").unwrap();
    let query = serde_urlencoded::to_string([
        ("client_id", "tally-test"),
        ("redirect_uri", redirect.as_str()),
        ("state", "attacker"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ])
    .unwrap();
    let attacker = Browser::new(&server.url);
    let issued = location(
        &attacker
            .get(&format!(
                "{}/login/oauth/authorize?{query}",
                simulator.url(Forge::GitHub).unwrap()
            ))
            .await,
    );
    let code = param(&issued, "code").unwrap();
    let injected = format!(
        "/auth/github/callback?{}",
        serde_urlencoded::to_string([("code", code.as_str()), ("state", state.as_str())]).unwrap()
    );
    let refused = location(&victim.get(&injected).await);
    let problem = param(&refused, "problem").unwrap();
    assert!(problem.contains("refused"), "{problem}");
    assert!(
        problem.contains("code_verifier"),
        "the forge says why: {problem}"
    );
    assert!(!signed_in(&victim).await);
}

#[tokio::test]
async fn the_list_and_its_server_functions_need_a_session() {
    let (_db, _simulator, server) = setup().await;
    let stranger = Browser::new(&server.url);
    for page in ["/issues", "/issues?label=bug", "/subscriptions"] {
        let answer = stranger.get(page).await;
        let to = location(&answer);
        assert!(to.starts_with("/sign-in?next="), "{page}: {to}");
        assert_eq!(param(&to, "next").as_deref(), Some(page));
    }
    for (endpoint, form) in [
        ("issues", vec![("query", String::new())]),
        ("issue_counts", vec![("query", String::new())]),
        ("subscriptions", vec![]),
        (
            "readable",
            vec![("search", String::new()), ("page", "1".into())],
        ),
        (
            "subscribe_address",
            vec![("csrf", "x".into()), ("address", "github:a/b".into())],
        ),
        (
            "unsubscribe",
            vec![("csrf", "x".into()), ("repo", "1".into())],
        ),
        ("sync_now", vec![("csrf", "x".into()), ("repo", "1".into())]),
    ] {
        let (status, answer) = stranger.call(endpoint, &form).await;
        assert_eq!(status, 401, "{endpoint}: {answer}");
    }
    // The sign-in page lists the forges to sign in with.
    let page = stranger.get("/sign-in").await.text().await.unwrap();
    assert!(page.contains("/auth/github/start") && page.contains("/auth/gitlab/start"));
}

#[tokio::test]
async fn changes_need_the_sessions_token_and_this_sites_origin() {
    let (_db, simulator, server) = setup().await;
    let browser = Browser::new(&server.url);
    let person = someone(&simulator.world);
    browser.sign_in(&simulator, Forge::GitHub, &person).await;
    let csrf = browser.csrf().await;
    let repo = first_github_repo(&simulator.world);
    let address = format!("github:{repo}");
    let (status, answer) = browser
        .call(
            "subscribe_address",
            &[
                ("csrf", "not-the-token".into()),
                ("address", address.clone()),
            ],
        )
        .await;
    assert_eq!(status, 403, "{answer}");
    let forged = browser
        .post(
            "/api/subscribe_address",
            &[("csrf", csrf.clone()), ("address", address.clone())],
            &[("origin", "https://evil.example")],
        )
        .await;
    assert_eq!(forged.status(), 403);
    let (_, subscriptions) = browser.call("subscriptions", &[]).await;
    assert_eq!(
        subscriptions.as_array().unwrap().len(),
        0,
        "nothing changed"
    );

    let (status, answer) = browser
        .call(
            "subscribe_address",
            &[("csrf", csrf.clone()), ("address", address)],
        )
        .await;
    assert!(status == 200 || status == 302, "{status} {answer}");
    let (_, subscriptions) = browser.call("subscriptions", &[]).await;
    assert_eq!(subscriptions.as_array().unwrap().len(), 1);

    // Bad input names the problem.
    let (status, answer) = browser
        .call(
            "subscribe_address",
            &[
                ("csrf", csrf),
                ("address", "https://example.org/x/y".into()),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        answer
            .to_string()
            .contains("no configured forge serves example.org"),
        "{answer}"
    );
}

#[tokio::test]
async fn titles_and_labels_from_forges_are_escaped() {
    let (db, simulator, server) = setup().await;
    let browser = Browser::new(&server.url);
    let person = someone(&simulator.world);
    browser.sign_in(&simulator, Forge::GitHub, &person).await;
    let csrf = browser.csrf().await;
    let repo = first_github_repo(&simulator.world);
    browser
        .call(
            "subscribe_address",
            &[("csrf", csrf), ("address", format!("github:{repo}"))],
        )
        .await;
    // What a hostile forge (or issue author) could send.
    sqlx::query(
        "INSERT INTO tracked_issues (repository_id, number, title, body, url, status, author,
             labels, assignees, comments, created_at, updated_at)
         SELECT id, 999999, '<script>alert(1)</script><img src=x onerror=alert(2)>', '',
                'javascript:alert(3)', 'open', '<b>who</b>', ARRAY['<i>label</i>'], ARRAY[]::text[],
                0, now(), now() + interval '1 day'
         FROM tracked_repositories",
    )
    .execute(db.store.pool())
    .await
    .unwrap();
    let page = browser.get("/issues").await.text().await.unwrap();
    assert!(
        page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "escaped title"
    );
    assert!(!page.contains("<script>alert(1)"));
    assert!(!page.contains("<img src=x"));
    assert!(page.contains("&lt;i&gt;label&lt;/i&gt;") && page.contains("&lt;b&gt;who&lt;/b&gt;"));
    // (The resource data for hydration carries the text; no link does.)
    assert!(
        !page.contains("href=\"javascript:"),
        "only http(s) links to forges"
    );
}
