//! The GitHub client against the simulator: what it fetches must equal the
//! simulator's ground truth exactly, with and without injected faults.
#![allow(
    clippy::unwrap_used,
    reason = "a test or benchmark stops loudly on what it did not expect"
)]

mod common;

use std::time::Duration;

use chrono::Timelike;
use common::{assert_matches_truth, day, people, world};
use engine::forge::http::Stats;
use model::forge::Forge;
use sim::server::{GitHubLimits, SimConfig, Simulator};

const GITHUB: Forge = Forge::GitHub;

fn client(simulator: &Simulator) -> engine::forge::Client {
    common::client(simulator, GITHUB)
}

#[tokio::test]
async fn contributions_equal_the_truth_for_a_year() {
    let simulator = Simulator::start(world(1), SimConfig::default())
        .await
        .unwrap();
    let client = client(&simulator);
    let logins = people(&simulator.world, GITHUB, 4);
    for login in &logins {
        assert_matches_truth(
            &simulator,
            &client,
            GITHUB,
            login,
            "2025-11-01",
            "2026-10-31",
        )
        .await;
    }
    let stats = &client.http().stats;
    assert_eq!(Stats::get(&stats.rate_limited), 0);
    simulator.stop().await;
}

#[tokio::test]
async fn ranges_over_a_year_are_fetched_in_windows() {
    let simulator = Simulator::start(world(2), SimConfig::default())
        .await
        .unwrap();
    let client = client(&simulator);
    let login = people(&simulator.world, GITHUB, 1).remove(0);
    assert_matches_truth(
        &simulator,
        &client,
        GITHUB,
        &login,
        "2024-12-01",
        "2026-10-31",
    )
    .await;
    simulator.stop().await;
}

#[tokio::test]
async fn days_end_at_midnight_utc() {
    let simulator = Simulator::start(world(1), SimConfig::default())
        .await
        .unwrap();
    let client = client(&simulator);
    let world = &simulator.world;
    // A commit in the last or first half hour of a UTC day, by a live account.
    let commit = world
        .commits
        .iter()
        .find(|c| {
            let minutes = c.authored_at.time().num_seconds_from_midnight() / 60;
            let author = world.account(c.author);
            author.forge == Forge::GitHub && !author.deleted && !(30..1410).contains(&minutes)
        })
        .unwrap();
    let login = world.account(commit.author).username.clone();
    let edge = commit.authored_at.date_naive().to_string();
    assert_matches_truth(&simulator, &client, GITHUB, &login, &edge, &edge).await;
    simulator.stop().await;
}

#[tokio::test]
async fn an_unknown_user_is_a_typed_not_found() {
    let simulator = Simulator::start(world(1), SimConfig::default())
        .await
        .unwrap();
    let client = client(&simulator);
    let error = client
        .contributions("no-such-person-here", day("2026-01-01"), day("2026-02-01"))
        .await
        .unwrap_err();
    assert!(matches!(error, engine::Error::NotFound { .. }), "{error}");
    assert!(error.to_string().contains("no-such-person-here"));
    let backwards = client
        .contributions("x", day("2026-02-01"), day("2026-01-01"))
        .await
        .unwrap_err();
    assert!(matches!(backwards, engine::Error::Invalid(_)));
    simulator.stop().await;
}

#[tokio::test]
async fn faults_do_not_change_the_numbers() {
    let config = common::usual_faults(GITHUB, SimConfig::default());
    let simulator = Simulator::start(world(1), config).await.unwrap();
    let client = client(&simulator);
    let login = people(&simulator.world, GITHUB, 1).remove(0);
    assert_matches_truth(
        &simulator,
        &client,
        GITHUB,
        &login,
        "2025-11-01",
        "2026-10-31",
    )
    .await;
    let stats = &client.http().stats;
    assert!(Stats::get(&stats.retries) > 0, "the faults were felt");
    simulator.stop().await;
}

#[tokio::test]
async fn a_small_budget_is_waited_for_never_overdrawn() {
    let limits = GitHubLimits {
        core: sim::server::budget::Limit {
            units: 15,
            window: Duration::from_secs(2),
        },
        ..GitHubLimits::default()
    };
    let config = SimConfig {
        github: limits,
        ..SimConfig::default()
    };
    let simulator = Simulator::start(world(1), config).await.unwrap();
    let client = client(&simulator);
    let login = people(&simulator.world, GITHUB, 1).remove(0);
    assert_matches_truth(
        &simulator,
        &client,
        GITHUB,
        &login,
        "2025-11-01",
        "2026-10-31",
    )
    .await;
    let stats = &client.http().stats;
    assert_eq!(
        Stats::get(&stats.rate_limited),
        0,
        "no request was refused for budget"
    );
    assert!(
        Stats::get(&stats.waited_ms) > 0,
        "the governor waited for a reset"
    );
    simulator.stop().await;
}

#[tokio::test]
async fn without_a_token_search_and_rest_give_the_same_truth() {
    let (simulator, client) = anonymous(2, 1000).await;
    for login in people(&simulator.world, GITHUB, 2) {
        assert_matches_truth(
            &simulator,
            &client,
            GITHUB,
            &login,
            "2025-06-01",
            "2026-10-31",
        )
        .await;
    }
    simulator.stop().await;
}

#[tokio::test]
async fn a_renamed_user_is_found_by_the_new_name_only() {
    // Renames are rare: a larger world is sure to hold one.
    let simulator = Simulator::start(common::world_of(300, 1), SimConfig::default())
        .await
        .unwrap();
    let client = client(&simulator);
    let world = &simulator.world;
    let renamed = world
        .accounts
        .iter()
        .filter(|a| a.forge == GITHUB && !a.deleted)
        .filter(|a| a.previous_username.is_some())
        .max_by_key(|a| world.commits.iter().filter(|c| c.author == a.id).count())
        .expect("the world has a renamed GitHub account");
    assert_matches_truth(
        &simulator,
        &client,
        GITHUB,
        &renamed.username,
        "2025-11-01",
        "2026-10-31",
    )
    .await;
    let old = renamed.previous_username.as_deref().unwrap();
    let error = client
        .contributions(old, day("2025-11-01"), day("2026-10-31"))
        .await
        .unwrap_err();
    assert!(matches!(error, engine::Error::NotFound { .. }), "{error}");
    simulator.stop().await;
}

/// A simulator of `years` whose search serves at most `cap` results per
/// query, with budgets no test exhausts, and a client without a token
/// (which reads everything through search and REST).
async fn anonymous(years: u32, cap: usize) -> (Simulator, engine::forge::Client) {
    let generous = |units| sim::server::budget::Limit {
        units,
        window: Duration::from_secs(60),
    };
    let limits = GitHubLimits {
        search_result_cap: cap,
        unauthenticated_core: generous(5000),
        unauthenticated_search: generous(5000),
        ..GitHubLimits::default()
    };
    let config = SimConfig {
        github: limits,
        ..SimConfig::default()
    };
    let simulator = Simulator::start(world(years), config).await.unwrap();
    let client = common::client_with(&simulator, GITHUB, None);
    (simulator, client)
}

#[tokio::test]
async fn search_results_past_the_cap_are_split_by_date_not_dropped() {
    let (simulator, client) = anonymous(1, 25).await;
    let login = people(&simulator.world, GITHUB, 1).remove(0);
    assert_matches_truth(
        &simulator,
        &client,
        GITHUB,
        &login,
        "2026-01-01",
        "2026-06-30",
    )
    .await;
    simulator.stop().await;
}

#[tokio::test]
async fn a_day_with_more_results_than_search_serves_is_an_error() {
    let (simulator, client) = anonymous(1, 2).await;
    let login = people(&simulator.world, GITHUB, 1).remove(0);
    let error = client
        .contributions(&login, day("2026-01-01"), day("2026-06-30"))
        .await
        .unwrap_err();
    assert!(matches!(error, engine::Error::Inconsistent(_)), "{error}");
    assert!(
        error.to_string().contains("on one day but serves 2"),
        "{error}"
    );
    simulator.stop().await;
}
