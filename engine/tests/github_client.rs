//! The GitHub client against the simulator: what it fetches must equal the
//! simulator's ground truth exactly, with and without injected faults.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{NaiveDate, TimeZone, Timelike, Utc};
use engine::forge::governor::Governor;
use engine::forge::http::Stats;
use engine::forge::{Client, Endpoint};
use model::contribution::Contribution;
use model::forge::Forge;
use serde_json::Value;
use sim::server::faults::Faults;
use sim::server::{GitHubLimits, SimConfig, Simulator};
use sim::truth::truth;
use sim::world::{World, WorldConfig, generate};

fn world(years: u32) -> Arc<World> {
    Arc::new(generate(WorldConfig {
        seed: 404,
        people: 50,
        repos: 30,
        years,
        until: Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap(),
    }))
}

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

fn client(simulator: &Simulator) -> Client {
    let endpoint = Endpoint {
        forge: Forge::GitHub,
        api_url: simulator.url(Forge::GitHub).unwrap().to_owned(),
        token: Some("sim_client_test".into()),
    };
    Client::new(&endpoint, Arc::new(Governor::default())).unwrap()
}

/// The fetched items counted the way `sim::truth` counts, as JSON so the
/// two can be compared whole.
fn tally(items: &[Contribution]) -> Value {
    let mut by_kind: BTreeMap<String, u64> = BTreeMap::new();
    let mut by_status: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    let mut by_repo: BTreeMap<String, u64> = BTreeMap::new();
    let mut by_day: BTreeMap<String, u64> = BTreeMap::new();
    let name = |v: &dyn erased::Named| v.name();
    for item in items {
        let kind = name(&item.kind);
        *by_kind.entry(kind.clone()).or_default() += 1;
        if let Some(status) = item.status {
            *by_status
                .entry(kind)
                .or_default()
                .entry(name(&status))
                .or_default() += 1;
        }
        *by_repo.entry(item.repository.clone()).or_default() += 1;
        *by_day
            .entry(item.occurred_at.date_naive().to_string())
            .or_default() += 1;
    }
    serde_json::json!({
        "total": items.len(),
        "by_kind": by_kind,
        "by_kind_and_status": by_status,
        "by_repo": by_repo,
        "by_day": by_day,
    })
}

mod erased {
    /// The serde name of an enum value.
    pub trait Named {
        fn name(&self) -> String;
    }
    impl<T: serde::Serialize> Named for T {
        fn name(&self) -> String {
            serde_json::to_value(self)
                .unwrap()
                .as_str()
                .unwrap()
                .to_owned()
        }
    }
}

/// GitHub accounts with the most activity, plus a renamed one if any.
fn people(world: &World, count: usize) -> Vec<String> {
    let mut accounts: Vec<_> = world
        .accounts
        .iter()
        .filter(|a| a.forge == Forge::GitHub && !a.deleted)
        .collect();
    accounts.sort_by_key(|a| {
        std::cmp::Reverse(world.commits.iter().filter(|c| c.author == a.id).count())
    });
    let mut chosen: Vec<String> = accounts
        .iter()
        .take(count)
        .map(|a| a.username.clone())
        .collect();
    if let Some(renamed) = accounts.iter().find(|a| a.previous_username.is_some()) {
        chosen.push(renamed.username.clone());
    }
    chosen
}

async fn assert_matches_truth(
    simulator: &Simulator,
    client: &Client,
    login: &str,
    from: &str,
    to: &str,
) {
    let world = &simulator.world;
    let account = world.find_account(Forge::GitHub, login).unwrap();
    let fetched = client
        .contributions(login, day(from), day(to))
        .await
        .unwrap();
    let expected = serde_json::to_value(truth(world, account.id, day(from), day(to))).unwrap();
    assert!(
        expected["total"].as_u64().unwrap() > 0,
        "{login} did something in {from}..{to}"
    );
    assert_eq!(tally(&fetched), expected, "{login} {from}..{to}");
}

#[tokio::test]
async fn contributions_equal_the_truth_for_a_year() {
    let simulator = Simulator::start(world(1), SimConfig::default())
        .await
        .unwrap();
    let client = client(&simulator);
    let logins = people(&simulator.world, 4);
    for login in &logins {
        assert_matches_truth(&simulator, &client, login, "2025-11-01", "2026-10-31").await;
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
    let login = people(&simulator.world, 1).remove(0);
    assert_matches_truth(&simulator, &client, &login, "2024-12-01", "2026-10-31").await;
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
    assert_matches_truth(&simulator, &client, &login, &edge, &edge).await;
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
    let faults = Faults {
        error_rate: 0.1,
        rate_limit_storm_rate: 0.05,
        retry_after_secs: 1,
        jitter_ms: 300,
        truncate_rate: 0.05,
        ..Faults::default()
    };
    let config = SimConfig {
        faults: [(Forge::GitHub, faults)].into(),
        ..SimConfig::default()
    };
    let simulator = Simulator::start(world(1), config).await.unwrap();
    let client = client(&simulator);
    let login = people(&simulator.world, 1).remove(0);
    assert_matches_truth(&simulator, &client, &login, "2025-11-01", "2026-10-31").await;
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
    let login = people(&simulator.world, 1).remove(0);
    assert_matches_truth(&simulator, &client, &login, "2025-11-01", "2026-10-31").await;
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
