//! The GitLab client against the simulator's ground truth.
#![allow(clippy::unwrap_used)]

mod common;

use common::{assert_matches_truth, day, people, world};
use engine::forge::http::Stats;
use model::forge::Forge;
use sim::server::faults::Faults;
use sim::server::{SimConfig, Simulator};

const GITLAB: Forge = Forge::GitLab;

#[tokio::test]
async fn contributions_equal_the_truth_for_a_year() {
    let simulator = Simulator::start(world(1), SimConfig::default())
        .await
        .unwrap();
    let client = common::client(&simulator, GITLAB);
    for login in people(&simulator.world, GITLAB, 3) {
        assert_matches_truth(
            &simulator,
            &client,
            GITLAB,
            &login,
            "2025-11-01",
            "2026-10-31",
        )
        .await;
    }
    simulator.stop().await;
}

#[tokio::test]
async fn ranges_over_a_year_and_single_days_match() {
    let simulator = Simulator::start(world(2), SimConfig::default())
        .await
        .unwrap();
    let client = common::client(&simulator, GITLAB);
    let login = people(&simulator.world, GITLAB, 1).remove(0);
    assert_matches_truth(
        &simulator,
        &client,
        GITLAB,
        &login,
        "2024-12-01",
        "2026-10-31",
    )
    .await;
    let world = &simulator.world;
    let account = world.find_account(GITLAB, &login).unwrap();
    let busy_day = world
        .commits
        .iter()
        .filter(|c| c.author == account.id)
        .map(|c| c.authored_at.date_naive().to_string())
        .next_back()
        .unwrap();
    assert_matches_truth(&simulator, &client, GITLAB, &login, &busy_day, &busy_day).await;
    simulator.stop().await;
}

#[tokio::test]
async fn unknown_users_are_not_found_and_faults_change_nothing() {
    let faults = Faults {
        error_rate: 0.1,
        rate_limit_storm_rate: 0.05,
        retry_after_secs: 1,
        jitter_ms: 300,
        truncate_rate: 0.05,
        ..Faults::default()
    };
    let config = SimConfig {
        faults: [(GITLAB, faults)].into(),
        ..SimConfig::default()
    };
    let simulator = Simulator::start(world(1), config).await.unwrap();
    let client = common::client(&simulator, GITLAB);
    let missing = client
        .contributions("nobody-here-at-all", day("2026-01-01"), day("2026-01-31"))
        .await
        .unwrap_err();
    assert!(
        matches!(missing, engine::Error::NotFound { .. }),
        "{missing}"
    );
    let login = people(&simulator.world, GITLAB, 1).remove(0);
    assert_matches_truth(
        &simulator,
        &client,
        GITLAB,
        &login,
        "2025-11-01",
        "2026-10-31",
    )
    .await;
    assert!(
        Stats::get(&client.http().stats.retries) > 0,
        "the faults were felt"
    );
    simulator.stop().await;
}
