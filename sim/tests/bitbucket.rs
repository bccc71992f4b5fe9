//! The simulated Bitbucket Cloud over real HTTP: body envelopes followed by
//! `next`, BBQL filters, PR states, errors and budgets.
#![allow(
    clippy::unwrap_used,
    reason = "a test or benchmark stops loudly on what it did not expect"
)]

mod common;

use std::time::Duration;

use base64::Engine;
use chrono::{TimeZone, Utc};
use reqwest::StatusCode;
use serde_json::Value;
use sim::bitbucket::shapes;
use sim::server::budget::Limit;
use sim::server::{BitbucketLimits, SimConfig, Simulator};
use sim::world::{Forge, Repo, Status, World};

const TOKEN: &str = "sim_bitbucket_test";

async fn start(config: SimConfig) -> (Simulator, String) {
    let simulator = Simulator::start(common::one_year_world(51, 120, 80), config)
        .await
        .unwrap();
    let url = simulator.url(Forge::Bitbucket).unwrap().to_owned();
    (simulator, url)
}

fn basic(user: &str, token: &str) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{token}"));
    format!("Basic {encoded}")
}

async fn get_with(url: &str, authorization: &str) -> reqwest::Response {
    let client = reqwest::Client::new();
    let mut request = client.get(url).timeout(Duration::from_secs(10));
    if !authorization.is_empty() {
        request = request.header("authorization", authorization);
    }
    request.send().await.unwrap()
}

async fn get(url: &str) -> reqwest::Response {
    get_with(url, &basic("someone@example.com", TOKEN)).await
}

/// Follows `next` from `url`, checking each envelope, and returns all values.
async fn all_values(url: &str) -> Vec<Value> {
    let mut values = Vec::new();
    let mut next = Some(url.to_owned());
    while let Some(url) = next {
        let response = get(&url).await;
        assert_eq!(response.status(), StatusCode::OK, "{url}");
        let page: Value = response.json().await.unwrap();
        assert!(
            page["pagelen"].is_u64() && page["values"].is_array(),
            "{page}"
        );
        values.extend(page["values"].as_array().unwrap().iter().cloned());
        next = page["next"].as_str().map(str::to_owned);
    }
    values
}

fn busiest_repo(world: &World) -> &Repo {
    world
        .repos
        .iter()
        .filter(|r| r.forge == Forge::Bitbucket && !r.deleted)
        .max_by_key(|r| world.changes_in(r.id).count() + world.issues_in(r.id).count())
        .unwrap()
}

#[tokio::test]
async fn pull_requests_default_to_open_and_take_repeated_states_and_bbql() {
    let (simulator, url) = start(SimConfig::default()).await;
    let world = &simulator.world;
    let repo = busiest_repo(world);
    let base = format!(
        "{url}/2.0/repositories/{}/pullrequests",
        world.full_name(repo)
    );
    let count = |statuses: &[Status]| {
        world
            .changes_in(repo.id)
            .filter(|c| statuses.contains(&c.status))
            .count()
    };
    assert!(
        count(&[Status::Merged]) > 10,
        "the test needs several pages"
    );

    let open = all_values(&base).await;
    assert_eq!(open.len(), count(&[Status::Open]));
    assert!(
        open.iter()
            .all(|p| p["state"] == "OPEN" && p["type"] == "pullrequest")
    );

    let closed = all_values(&format!("{base}?state=MERGED&state=DECLINED&pagelen=4")).await;
    assert_eq!(closed.len(), count(&[Status::Merged, Status::Closed]));

    // Filter by author and update time; `next` must carry `q` along.
    let change = world
        .changes_in(repo.id)
        .find(|c| c.status == Status::Merged)
        .unwrap();
    let author_uuid = shapes::uuid(shapes::ACCOUNT, change.author);
    let since = Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, 0).unwrap();
    let expected = world
        .changes_in(repo.id)
        .filter(|c| {
            c.author == change.author && c.updated_at >= since && c.status == Status::Merged
        })
        .count();
    let q = format!("author.uuid=\"{author_uuid}\" AND updated_on >= 2026-02-01T00:00:00+00:00");
    let url_q = format!(
        "{base}?state=MERGED&pagelen=1&q={}",
        sim::server::paging::encode(&q)
    );
    let found = all_values(&url_q).await;
    assert_eq!(found.len(), expected);
    assert!(
        found
            .iter()
            .all(|p| p["author"]["uuid"] == author_uuid.as_str())
    );
    simulator.stop().await;
}

#[tokio::test]
async fn commits_are_newest_first_unfiltered_and_uncounted() {
    let (simulator, url) = start(SimConfig::default()).await;
    let world = &simulator.world;
    let repo = world
        .repos
        .iter()
        .filter(|r| r.forge == Forge::Bitbucket && !r.deleted)
        .max_by_key(|r| world.commits_in(r.id).count())
        .unwrap();
    let base = format!("{url}/2.0/repositories/{}/commits", world.full_name(repo));
    let first: Value = get(&format!("{base}?pagelen=100"))
        .await
        .json()
        .await
        .unwrap();
    assert!(first.get("size").is_none(), "commits carry no size");
    let all = all_values(&format!("{base}?pagelen=100")).await;
    assert_eq!(all.len(), world.commits_in(repo.id).count());
    // Newest commit first, in the order the repository's history has them.
    let expected: Vec<&str> = world
        .commits_matching(repo.id, None, None, |_| true)
        .iter()
        .map(|c| c.sha.as_str())
        .collect();
    let hashes: Vec<&str> = all.iter().map(|c| c["hash"].as_str().unwrap()).collect();
    assert_eq!(hashes, expected);
    assert!(all[0]["hash"].as_str().unwrap().len() == 40);

    let refused = get(&format!("{base}?q=commit.date%3E2024-01-01")).await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["type"], "error");
    assert_eq!(
        body["error"]["message"],
        "Field \"commit.date\" does not support filtering"
    );
    simulator.stop().await;
}

#[tokio::test]
async fn issues_filter_by_kind_and_comments_page() {
    let (simulator, url) = start(SimConfig::default()).await;
    let world = &simulator.world;
    let repo = busiest_repo(world);
    let base = format!("{url}/2.0/repositories/{}/issues", world.full_name(repo));
    let all = all_values(&base).await;
    assert_eq!(all.len(), world.issues_in(repo.id).count());
    let bugs = all_values(&format!("{base}?q=kind%3D%22bug%22")).await;
    let expected_bugs = world
        .issues_in(repo.id)
        .filter(|i| i.labels.iter().any(|l| sim::world::is_bug_label(l)))
        .count();
    assert_eq!(bugs.len(), expected_bugs);
    let issue = world
        .issues_in(repo.id)
        .max_by_key(|i| i.comments.len())
        .unwrap();
    let comments = all_values(&format!("{base}/{}/comments?pagelen=2", issue.number)).await;
    assert_eq!(comments.len(), issue.comments.len());
    simulator.stop().await;
}

#[tokio::test]
async fn errors_have_bitbuckets_shape() {
    let (simulator, url) = start(SimConfig::default()).await;
    let missing = get(&format!("{url}/2.0/repositories/nobody-here/nothing")).await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let body: Value = missing.json().await.unwrap();
    assert_eq!(body["type"], "error");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("nobody-here")
    );

    let bad = get_with(&format!("{url}/2.0/user"), &basic("x", "wrong")).await;
    assert_eq!(bad.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        common::header(&bad, "www-authenticate"),
        "Basic realm=\"Bitbucket.org HTTP\""
    );
    let anonymous = get_with(&format!("{url}/2.0/user"), "").await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);

    let bad_state = get(&format!(
        "{url}/2.0/repositories/{}/pullrequests?state=WHATEVER",
        simulator.world.full_name(busiest_repo(&simulator.world))
    ))
    .await;
    assert_eq!(bad_state.status(), StatusCode::BAD_REQUEST);
    simulator.stop().await;
}

#[tokio::test]
async fn budgets_answer_429_and_only_access_tokens_see_limit_headers() {
    let config = SimConfig {
        bitbucket: BitbucketLimits {
            authenticated: Limit {
                units: 3,
                window: Duration::from_secs(3600),
            },
            ..BitbucketLimits::default()
        },
        ..SimConfig::default()
    };
    let (simulator, url) = start(config).await;
    let world = &simulator.world;
    let account = world
        .accounts
        .iter()
        .find(|a| a.forge == Forge::Bitbucket && !a.deleted)
        .unwrap();
    let me = format!("{url}/2.0/user");
    let response = get_with(&me, &basic(&account.email, TOKEN)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(common::header(&response, "x-ratelimit-limit"), "");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["nickname"], account.username.as_str());

    let bearer = format!("Bearer {TOKEN}_2");
    let response = get_with(&me, &bearer).await;
    assert_eq!(common::header(&response, "x-ratelimit-limit"), "3");
    assert_eq!(common::header(&response, "x-ratelimit-resource"), "api");
    for _ in 0..2 {
        get_with(&me, &bearer).await;
    }
    let refused = get_with(&me, &bearer).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(common::header(&refused, "x-ratelimit-nearlimit"), "true");
    let body: Value = refused.json().await.unwrap();
    assert_eq!(
        body["error"]["message"],
        "Rate limit for this resource has been exceeded"
    );
    simulator.stop().await;
}
