//! The GitLab, Bitbucket, Gerrit and Phabricator clients against the
//! simulator's ground truth: a year for the busiest people, a range over a
//! year, the usual faults, and unknown people. (GitHub, with more paths,
//! has `github_client.rs`.)
#![allow(
    clippy::unwrap_used,
    reason = "a test or benchmark stops loudly on what it did not expect"
)]

mod common;

use std::sync::Arc;

use common::{assert_matches_truth, client_with, day, people, usual_faults, world};
use engine::forge::Client;
use engine::forge::governor::Governor;
use engine::forge::http::Stats;
use model::forge::Forge;
use sim::server::{SimConfig, Simulator};

/// Each busy person over a year and the busiest over almost two equal the
/// truth; returns the simulator for more checks.
async fn reads_the_truth(
    forge: Forge,
    config: SimConfig,
    people_per_year: usize,
) -> (Simulator, Client) {
    let simulator = Simulator::start(world(2), config).await.unwrap();
    let client = common::client(&simulator, forge);
    for login in people(&simulator.world, forge, people_per_year) {
        assert_matches_truth(
            &simulator,
            &client,
            forge,
            &login,
            "2025-11-01",
            "2026-10-31",
        )
        .await;
    }
    let login = people(&simulator.world, forge, 1).remove(0);
    assert_matches_truth(
        &simulator,
        &client,
        forge,
        &login,
        "2024-12-01",
        "2026-10-31",
    )
    .await;
    (simulator, client)
}

/// Under the usual faults the busiest person's year still equals the truth,
/// the faults were felt, and an unknown person is a typed "not found".
/// `token` makes the credentials from the person's login.
async fn comes_through_faults(
    forge: Forge,
    base: SimConfig,
    token: impl Fn(&str) -> String,
) -> (Simulator, String) {
    let simulator = Simulator::start(world(1), usual_faults(forge, base))
        .await
        .unwrap();
    let login = people(&simulator.world, forge, 1).remove(0);
    let client = client_with(&simulator, forge, Some(token(&login)));
    assert_matches_truth(
        &simulator,
        &client,
        forge,
        &login,
        "2025-11-01",
        "2026-10-31",
    )
    .await;
    assert!(
        Stats::get(&client.http().stats.retries) > 0,
        "the faults were felt"
    );
    let missing = client
        .contributions("nobody-here-at-all", day("2026-01-01"), day("2026-01-31"))
        .await
        .unwrap_err();
    assert!(
        matches!(missing, engine::Error::NotFound { .. }),
        "{missing}"
    );
    (simulator, login)
}

fn demo_token(forge: Forge) -> impl Fn(&str) -> String {
    move |_| sim::server::demo_token(forge).to_owned()
}

#[tokio::test]
async fn gitlab_equals_the_truth_also_on_a_single_day() {
    let (simulator, client) = reads_the_truth(Forge::GitLab, SimConfig::default(), 3).await;
    let world = &simulator.world;
    let login = people(world, Forge::GitLab, 1).remove(0);
    let account = world.find_account(Forge::GitLab, &login).unwrap();
    let busy_day = world
        .commits
        .iter()
        .filter(|c| c.author == account.id)
        .map(|c| c.authored_at.date_naive().to_string())
        .next_back()
        .unwrap();
    assert_matches_truth(
        &simulator,
        &client,
        Forge::GitLab,
        &login,
        &busy_day,
        &busy_day,
    )
    .await;
    // A commit authored late one day and pushed the next: its project is
    // named only by the next day's push event, and the day alone still
    // finds it.
    let pushed_later: Vec<String> = world
        .commits
        .iter()
        .filter(|c| c.author == account.id)
        .filter(|c| c.committed_at.date_naive() > c.authored_at.date_naive())
        .map(|c| c.authored_at.date_naive().to_string())
        .collect();
    assert!(!pushed_later.is_empty(), "the world has such commits");
    for day in pushed_later.iter().take(5) {
        assert_matches_truth(&simulator, &client, Forge::GitLab, &login, day, day).await;
    }
    simulator.stop().await;
}

#[tokio::test]
async fn gitlab_comes_through_faults() {
    let (simulator, _) = comes_through_faults(
        Forge::GitLab,
        SimConfig::default(),
        demo_token(Forge::GitLab),
    )
    .await;
    simulator.stop().await;
}

/// Reading a person's work costs Bitbucket many requests (every pull
/// request's activity): these tests run with the 10,000/h budget of a
/// large paid workspace rather than the default 1,000.
fn scaled_bitbucket_budget() -> SimConfig {
    SimConfig {
        bitbucket: sim::server::BitbucketLimits {
            authenticated: sim::server::budget::Limit {
                units: 10_000,
                window: std::time::Duration::from_secs(3600),
            },
            ..Default::default()
        },
        ..SimConfig::default()
    }
}

#[tokio::test]
async fn bitbucket_equals_the_truth() {
    let (simulator, _) = reads_the_truth(Forge::Bitbucket, scaled_bitbucket_budget(), 2).await;
    simulator.stop().await;
}

#[tokio::test]
async fn bitbucket_with_basic_auth_comes_through_faults() {
    let basic = |login: &str| format!("{login}@example.com:sim_api_token");
    let (simulator, _) =
        comes_through_faults(Forge::Bitbucket, scaled_bitbucket_budget(), basic).await;
    simulator.stop().await;
}

#[tokio::test]
async fn gerrit_read_anonymously_equals_the_truth() {
    let (simulator, _) = reads_the_truth(Forge::Gerrit, SimConfig::default(), 2).await;
    simulator.stop().await;
}

#[tokio::test]
async fn gerrit_through_a_with_basic_auth_comes_through_faults() {
    let http_password = |login: &str| format!("{login}:sim_http_password");
    let (simulator, _) =
        comes_through_faults(Forge::Gerrit, SimConfig::default(), http_password).await;
    simulator.stop().await;
}

#[tokio::test]
async fn phabricator_equals_the_truth() {
    let (simulator, _) = reads_the_truth(Forge::Phabricator, SimConfig::default(), 2).await;
    simulator.stop().await;
}

#[tokio::test]
async fn phabricator_comes_through_faults_and_refuses_bad_tokens() {
    let (simulator, login) = comes_through_faults(
        Forge::Phabricator,
        SimConfig::default(),
        demo_token(Forge::Phabricator),
    )
    .await;
    let wrong = common::endpoint(&simulator, Forge::Phabricator, Some("api-short".into()));
    let refused = Client::new(&wrong, Arc::new(Governor::default()))
        .unwrap()
        .contributions(&login, day("2026-01-01"), day("2026-01-31"))
        .await
        .unwrap_err();
    assert!(
        matches!(refused, engine::Error::Refused { .. }),
        "{refused}"
    );
    simulator.stop().await;
}
