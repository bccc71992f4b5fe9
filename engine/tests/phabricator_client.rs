//! The Phabricator client against the simulator's ground truth.
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

const PHABRICATOR: Forge = Forge::Phabricator;

#[tokio::test]
async fn contributions_equal_the_truth_over_a_year_and_more() {
    let simulator = Simulator::start(world(2), SimConfig::default())
        .await
        .unwrap();
    let client = common::client(&simulator, PHABRICATOR);
    for login in people(&simulator.world, PHABRICATOR, 2) {
        assert_matches_truth(
            &simulator,
            &client,
            PHABRICATOR,
            &login,
            "2025-11-01",
            "2026-10-31",
        )
        .await;
    }
    let login = people(&simulator.world, PHABRICATOR, 1).remove(0);
    assert_matches_truth(
        &simulator,
        &client,
        PHABRICATOR,
        &login,
        "2024-12-01",
        "2026-10-31",
    )
    .await;
    simulator.stop().await;
}

#[tokio::test]
async fn faults_change_nothing_and_bad_tokens_are_refused() {
    let faults = Faults {
        error_rate: 0.1,
        rate_limit_storm_rate: 0.05,
        retry_after_secs: 1,
        jitter_ms: 300,
        truncate_rate: 0.05,
        ..Faults::default()
    };
    let config = SimConfig {
        faults: [(PHABRICATOR, faults)].into(),
        ..SimConfig::default()
    };
    let simulator = Simulator::start(world(1), config).await.unwrap();
    let login = people(&simulator.world, PHABRICATOR, 1).remove(0);
    let endpoint = Endpoint {
        forge: PHABRICATOR,
        api_url: simulator.url(PHABRICATOR).unwrap().to_owned(),
        token: Some(sim::server::demo_token(PHABRICATOR).into()),
        scope: Vec::new(),
    };
    let client = Client::new(&endpoint, Arc::new(Governor::default())).unwrap();
    assert_matches_truth(
        &simulator,
        &client,
        PHABRICATOR,
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
