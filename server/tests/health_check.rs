//! The organisation health check over real HTTP: `curl`'s short form and
//! the API answer the simulator's truth, a missing organisation lands in
//! `missing`, addresses Tally must not fetch are refused before any
//! connection is made, and checks the forges' rate limits cannot cover are
//! refused with a status that says whether waiting helps.
#![allow(
    clippy::unwrap_used,
    reason = "a test stops loudly on what it did not expect"
)]

mod common;

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use engine::store::testing::TestDb;
use model::forge::Forge;
use model::health_check::HealthCheck;
use sim::server::{SimConfig, Simulator};
use sim::world::{World, WorldConfig, generate};

/// A small world, to which each test adds its organisations.
fn small_world() -> World {
    generate(WorldConfig {
        seed: 31,
        people: 40,
        repos: 20,
        years: 1,
        until: Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap(),
    })
}

async fn simulator() -> Simulator {
    let mut world = small_world();
    world.add_organisation(Forge::GitHub, "octo-org", 30);
    world.add_organisation(Forge::GitLab, "lab-group", 12);
    world.add_organisation(Forge::Bitbucket, "bucket-space", 7);
    Simulator::start(Arc::new(world), SimConfig::default())
        .await
        .unwrap()
}

fn serve(db: &TestDb, simulator: &Simulator) -> common::Server {
    let url = |forge| simulator.url(forge).unwrap().to_owned();
    let mut env = common::sim_forges(simulator);
    env.push(("TALLY_BITBUCKET_API_URL", url(Forge::Bitbucket)));
    env.push(("TALLY_BITBUCKET_TOKEN", "sim_instance".into()));
    common::start_with(&db.url, &env)
}

fn page(simulator: &Simulator, forge: Forge, login: &str) -> String {
    let api = simulator.url(forge).unwrap().trim_end_matches('/');
    let root = match forge {
        Forge::GitLab => api.trim_end_matches("/api/v4"),
        Forge::Bitbucket => api.trim_end_matches("/2.0"),
        _ => api,
    };
    format!("{root}/{login}")
}

async fn get(server: &common::Server, path_and_query: &str) -> (u16, serde_json::Value) {
    let answer = reqwest::get(format!("{}{path_and_query}", server.url))
        .await
        .unwrap();
    let status = answer.status().as_u16();
    (status, answer.json().await.unwrap())
}

fn query(urls: &[String]) -> String {
    urls.iter()
        .map(|u| format!("url={}", model::url::encode_component(u)))
        .collect::<Vec<_>>()
        .join("&")
}

#[tokio::test]
async fn curl_and_the_api_answer_the_truth_and_list_what_is_missing() {
    let simulator = simulator().await;
    let db = TestDb::new().await;
    let server = serve(&db, &simulator);
    let orgs = [
        (Forge::GitHub, "octo-org"),
        (Forge::GitLab, "lab-group"),
        (Forge::Bitbucket, "bucket-space"),
    ];
    let mut urls: Vec<String> = orgs
        .iter()
        .map(|(forge, login)| page(&simulator, *forge, login))
        .collect();
    let missing = page(&simulator, Forge::GitHub, "nobody-at-all");
    urls.push(missing.clone());
    let (status, body) = get(&server, &format!("/health-check?{}", query(&urls))).await;
    assert_eq!(status, 200, "{body}");
    let answer: HealthCheck = serde_json::from_value(body).unwrap();
    assert_eq!(answer.missing, vec![missing]);
    for ((forge, login), found) in orgs.iter().zip(&answer.data.organisations) {
        let truth = simulator.organisation_truth(*forge, login).unwrap();
        assert_eq!(found.login, *login);
        assert_eq!(
            truth.differences(&found.numbers),
            Vec::<String>::new(),
            "{login}"
        );
        assert_eq!(found.repositories.len() as u64, truth.repositories);
    }
    assert_eq!(answer.data.total.repositories.total, 30 + 12 + 7);

    // The API takes the same as a JSON body, and answers the same.
    let posted = reqwest::Client::new()
        .post(format!("{}/api/v1/health-check", server.url))
        .json(&serde_json::json!({ "urls": urls }))
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 200);
    let again: HealthCheck = posted.json().await.unwrap();
    assert_eq!(again, answer, "the kept answer, read at the same time");
    simulator.stop().await;
}

#[tokio::test]
async fn addresses_tally_must_not_fetch_are_refused_before_any_connection() {
    let simulator = simulator().await;
    let db = TestDb::new().await;
    let server = serve(&db, &simulator);
    // A listener that must never see a connection.
    let trap = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    trap.set_nonblocking(true).unwrap();
    let trap_url = format!("http://{}/admin", trap.local_addr().unwrap());
    let before = simulator.requests(Forge::GitHub);
    for address in [
        trap_url.as_str(),
        "http://127.0.0.1:5432/",
        "http://169.254.169.254/latest/meta-data/",
        "file:///etc/passwd",
        "gopher://127.0.0.1:70/",
        "https://gіthub.com/rust-lang",
        "https://github.com@127.0.0.1/rust-lang",
    ] {
        let (status, body) = get(
            &server,
            &format!("/health-check?{}", query(&[address.into()])),
        )
        .await;
        assert_eq!(status, 422, "{address}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(address.trim()), "{address}: {message}");
        assert_eq!(body["error"]["field"], "url");
    }
    assert!(
        trap.accept().is_err(),
        "nothing connected to the trap's address"
    );
    assert_eq!(
        simulator.requests(Forge::GitHub),
        before,
        "no forge was asked"
    );

    let many: Vec<String> = (0..51).map(|n| format!("github:org{n}")).collect();
    let (status, body) = get(&server, &format!("/api/v1/health-check?{}", query(&many))).await;
    assert_eq!(status, 422);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("at most 50")
    );
    let (status, body) = get(&server, "/api/v1/health-check?org=x").await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (400, Some("org"))
    );
    simulator.stop().await;
}

#[tokio::test]
async fn a_check_the_rate_limit_cannot_cover_answers_503_with_retry_after_or_422() {
    let mut world = small_world();
    world.add_organisation(Forge::GitLab, "lab-group", 12);
    world.add_organisation(Forge::GitLab, "lab-ninety", 90);
    world.add_organisation(Forge::GitLab, "lab-two-hundred", 200);
    let mut config = SimConfig::default();
    // 200 an hour, of which health checks (what anyone may start) may
    // spend the query share: 100.
    config.gitlab.authenticated = sim::server::budget::Limit {
        units: 200,
        window: std::time::Duration::from_secs(3600),
    };
    let simulator = Simulator::start(Arc::new(world), config).await.unwrap();
    let db = TestDb::new().await;
    let server = serve(&db, &simulator);
    let check = |login: &str| {
        format!(
            "/api/v1/health-check?{}",
            query(&[page(&simulator, Forge::GitLab, login)])
        )
    };
    // 2 + 12 of the share's 100 spent; 90 projects then need more than is left.
    let (status, body) = get(&server, &check("lab-group")).await;
    assert_eq!(status, 200, "{body}");
    let answer = reqwest::get(format!("{}{}", server.url, check("lab-ninety")))
        .await
        .unwrap();
    assert_eq!(answer.status(), 503);
    let retry_after: u64 = answer.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=3600).contains(&retry_after), "{retry_after}");
    let body: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(body["error"]["code"], "busy");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("lab-ninety") && message.contains("90 projects"),
        "{message}"
    );
    // 200 projects need more than the share of a whole window: waiting
    // cannot help.
    let (status, body) = get(&server, &check("lab-two-hundred")).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "url");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("a whole window holds"),
        "{body}"
    );
    simulator.stop().await;
}
