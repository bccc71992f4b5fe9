//! The Bitbucket client against the simulator's ground truth.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use common::{assert_matches_truth, day, people, world};
use engine::forge::governor::Governor;
use engine::forge::http::Stats;
use engine::forge::{Client, Endpoint};
use model::forge::Forge;
use sim::server::faults::Faults;
use sim::server::{SimConfig, Simulator};

const BITBUCKET: Forge = Forge::Bitbucket;

/// Reading a person's work costs Bitbucket many requests (every pull
/// request's activity): these tests run with the 10,000/h budget of a
/// large paid workspace rather than the default 1,000.
fn scaled_budget() -> SimConfig {
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
async fn contributions_equal_the_truth_over_a_year_and_more() {
    let simulator = Simulator::start(world(2), scaled_budget()).await.unwrap();
    let client = common::client(&simulator, BITBUCKET);
    for login in people(&simulator.world, BITBUCKET, 2) {
        assert_matches_truth(
            &simulator,
            &client,
            BITBUCKET,
            &login,
            "2025-11-01",
            "2026-10-31",
        )
        .await;
    }
    let login = people(&simulator.world, BITBUCKET, 1).remove(0);
    assert_matches_truth(
        &simulator,
        &client,
        BITBUCKET,
        &login,
        "2024-12-01",
        "2026-10-31",
    )
    .await;
    simulator.stop().await;
}

#[tokio::test]
async fn basic_auth_with_faults_changes_nothing() {
    let faults = Faults {
        error_rate: 0.1,
        rate_limit_storm_rate: 0.05,
        retry_after_secs: 1,
        jitter_ms: 300,
        truncate_rate: 0.05,
        ..Faults::default()
    };
    let config = SimConfig {
        faults: [(BITBUCKET, faults)].into(),
        ..scaled_budget()
    };
    let simulator = Simulator::start(world(1), config).await.unwrap();
    let login = people(&simulator.world, BITBUCKET, 1).remove(0);
    let endpoint = Endpoint {
        forge: BITBUCKET,
        api_url: simulator.url(BITBUCKET).unwrap().to_owned(),
        token: Some(format!("{login}@example.com:sim_api_token")),
        scope: common::scope(&simulator.world, BITBUCKET),
    };
    let client = Client::new(&endpoint, Arc::new(Governor::default())).unwrap();
    assert_matches_truth(
        &simulator,
        &client,
        BITBUCKET,
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
    simulator.stop().await;
}
