//! The simulated GitLab over real HTTP: paging headers, filters, budgets and errors.
#![allow(
    clippy::unwrap_used,
    reason = "a test or benchmark stops loudly on what it did not expect"
)]

mod common;

use common::header;

use std::collections::HashSet;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use reqwest::StatusCode;
use serde_json::Value;
use sim::server::budget::Limit;
use sim::server::{GitLabLimits, SimConfig, Simulator};
use sim::world::{Forge, Repo, World};

const TOKEN: &str = "sim_gitlab_test";

async fn start(config: SimConfig) -> (Simulator, String) {
    let simulator = Simulator::start(common::one_year_world(31, 60, 30), config)
        .await
        .unwrap();
    let url = simulator.url(Forge::GitLab).unwrap().to_owned();
    (simulator, url)
}

async fn get(url: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(url)
        .header("PRIVATE-TOKEN", TOKEN)
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .unwrap()
}

fn busiest_project(world: &World) -> &Repo {
    world
        .repos
        .iter()
        .filter(|r| r.forge == Forge::GitLab && !r.deleted)
        .max_by_key(|r| world.commits_in(r.id).count())
        .unwrap()
}

fn encoded(path: &str) -> String {
    path.replace('/', "%2F")
}

#[tokio::test]
async fn commits_page_by_x_next_page_without_totals() {
    let (simulator, url) = start(SimConfig::default()).await;
    let world = &simulator.world;
    let project = busiest_project(world);
    let expected = world.commits_in(project.id).count();
    assert!(
        expected > 20,
        "the test needs several pages, got {expected}"
    );
    let base = format!(
        "{url}/api/v4/projects/{}/repository/commits?per_page=20",
        encoded(&world.full_name(project))
    );
    let mut page = "1".to_owned();
    let mut seen = HashSet::new();
    loop {
        let response = get(&format!("{base}&page={page}")).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(
            response.headers().get("x-total").is_none(),
            "the commits API sends no totals"
        );
        assert!(!header(&response, "link").contains("rel=\"last\""));
        let next = header(&response, "x-next-page");
        let items: Vec<Value> = response.json().await.unwrap();
        for item in &items {
            assert!(seen.insert(item["id"].as_str().unwrap().to_owned()));
            // Git keeps the author's offset, and GitLab shows it.
            let authored = item["authored_date"].as_str().unwrap();
            assert!(
                chrono::DateTime::parse_from_rfc3339(authored).is_ok(),
                "{authored}"
            );
        }
        if next.is_empty() {
            break;
        }
        page = next;
    }
    assert_eq!(seen.len(), expected);
    simulator.stop().await;
}

#[tokio::test]
async fn merge_requests_filter_by_author_state_and_dates_with_totals() {
    let (simulator, url) = start(SimConfig::default()).await;
    let world = &simulator.world;
    let project = world
        .repos
        .iter()
        .filter(|r| r.forge == Forge::GitLab && !r.deleted)
        .max_by_key(|r| world.changes_in(r.id).count())
        .unwrap();
    let author = world.account(world.changes_in(project.id).next().unwrap().author);
    let after = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let expected = world
        .changes_in(project.id)
        .filter(|c| c.author == author.id && c.created_at >= after && c.merged_at.is_some())
        .count();
    let response = get(&format!(
        "{url}/api/v4/projects/{}/merge_requests?state=merged&author_username={}&created_after=2026-01-01T00:00:00Z&per_page=100",
        encoded(&world.full_name(project)),
        author.username
    ))
    .await;
    assert_eq!(header(&response, "x-total"), expected.to_string());
    let items: Vec<Value> = response.json().await.unwrap();
    assert_eq!(items.len(), expected);
    assert!(
        items
            .iter()
            .all(|mr| mr["state"] == "merged"
                && mr["author"]["username"] == author.username.as_str())
    );
    simulator.stop().await;
}

#[tokio::test]
async fn a_project_answers_by_id_and_by_path_and_errors_have_gitlabs_shapes() {
    let (simulator, url) = start(SimConfig::default()).await;
    let world = &simulator.world;
    let project = busiest_project(world);
    let by_path: Value = get(&format!(
        "{url}/api/v4/projects/{}",
        encoded(&world.full_name(project))
    ))
    .await
    .json()
    .await
    .unwrap();
    let by_id: Value = get(&format!("{url}/api/v4/projects/{}", by_path["id"]))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(by_path, by_id);

    let missing = get(&format!("{url}/api/v4/projects/nobody%2Fnothing")).await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        missing.json::<Value>().await.unwrap()["message"],
        "404 Project Not Found"
    );
    let route = get(&format!("{url}/api/v4/no/such/route")).await;
    assert_eq!(
        route.json::<Value>().await.unwrap()["error"],
        "404 Not Found"
    );
    let bad = reqwest::Client::new()
        .get(format!("{url}/api/v4/projects/{}", by_path["id"]))
        .header("PRIVATE-TOKEN", "glpat-not-a-sim-token")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        bad.json::<Value>().await.unwrap()["message"],
        "401 Unauthorized"
    );
    simulator.stop().await;
}

#[tokio::test]
async fn a_spent_budget_answers_429_retry_later() {
    let config = SimConfig {
        gitlab: GitLabLimits {
            authenticated: Limit {
                units: 2,
                window: Duration::from_secs(60),
            },
            ..GitLabLimits::default()
        },
        ..SimConfig::default()
    };
    let (simulator, url) = start(config).await;
    let users = format!("{url}/api/v4/users?per_page=1");
    assert_eq!(header(&get(&users).await, "ratelimit-remaining"), "1");
    assert_eq!(header(&get(&users).await, "ratelimit-remaining"), "0");
    let refused = get(&users).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(header(&refused, "content-type").starts_with("text/plain"));
    assert!(header(&refused, "retry-after").parse::<i64>().unwrap() >= 1);
    assert_eq!(refused.text().await.unwrap().trim(), "Retry later");
    simulator.stop().await;
}

#[tokio::test]
async fn issue_notes_and_user_lookup_by_username() {
    let (simulator, url) = start(SimConfig::default()).await;
    let world = &simulator.world;
    let issue = world
        .issues
        .iter()
        .find(|i| {
            world.repo(i.repo).forge == Forge::GitLab
                && !world.repo(i.repo).deleted
                && i.comments.len() > 1
        })
        .unwrap();
    let project = encoded(&world.full_name(world.repo(issue.repo)));
    let notes: Vec<Value> = get(&format!(
        "{url}/api/v4/projects/{project}/issues/{}/notes",
        issue.number
    ))
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(notes.len(), issue.comments.len());
    let author = world.account(issue.author);
    let users: Vec<Value> = get(&format!(
        "{url}/api/v4/users?username={}",
        author.username.to_uppercase()
    ))
    .await
    .json()
    .await
    .unwrap();
    if author.deleted {
        assert!(users.is_empty());
    } else {
        assert_eq!(users.len(), 1);
        assert_eq!(users[0]["username"], author.username.as_str());
    }
    simulator.stop().await;
}

#[tokio::test]
async fn a_rate_limit_storm_on_gitlab_is_a_plain_429() {
    let faults = sim::server::faults::Faults {
        rate_limit_storm_rate: 1.0,
        retry_after_secs: 3,
        ..Default::default()
    };
    let (simulator, url) = start(SimConfig {
        faults: [(Forge::GitLab, faults)].into(),
        ..SimConfig::default()
    })
    .await;
    let response = get(&format!("{url}/api/v4/users")).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(header(&response, "retry-after"), "3");
    assert_eq!(response.text().await.unwrap().trim(), "Retry later");
    simulator.stop().await;
}

#[tokio::test]
async fn user_events_filter_by_action_and_exclusive_dates() {
    let (simulator, url) = start(SimConfig::default()).await;
    let world = &simulator.world;
    let account = world
        .accounts
        .iter()
        .filter(|a| a.forge == Forge::GitLab && !a.deleted)
        .max_by_key(|a| world.commits.iter().filter(|c| c.author == a.id).count())
        .unwrap();
    let after = chrono::NaiveDate::from_ymd_opt(2026, 1, 31).unwrap();
    let before = chrono::NaiveDate::from_ymd_opt(2026, 7, 1).unwrap();
    let expected = world
        .commits
        .iter()
        .filter(|c| c.author == account.id && world.repo(c.repo).forge == Forge::GitLab)
        .filter(|c| {
            let day = c.committed_at.date_naive();
            day > after && day < before
        })
        .count();
    assert!(
        expected > 20,
        "the test needs several pages, got {expected}"
    );
    let mut seen = 0;
    let mut page = "1".to_owned();
    while !page.is_empty() {
        let response = get(&format!(
            "{url}/api/v4/users/{}/events?action=pushed&after=2026-01-31&before=2026-07-01&per_page=20&page={page}",
            account.username
        ))
        .await;
        assert_eq!(response.status(), StatusCode::OK);
        page = header(&response, "x-next-page");
        let events: Vec<Value> = response.json().await.unwrap();
        for event in &events {
            assert_eq!(event["action_name"], "pushed to");
            assert_eq!(event["push_data"]["commit_count"], 1);
            let day = &event["created_at"].as_str().unwrap()[..10];
            assert!(day > "2026-01-31" && day < "2026-07-01", "{day}");
        }
        seen += events.len();
    }
    assert_eq!(seen, expected);
    let bad = get(&format!(
        "{url}/api/v4/users/{}/events?after=yesterday",
        account.username
    ))
    .await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    simulator.stop().await;
}
