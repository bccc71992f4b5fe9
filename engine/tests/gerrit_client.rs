//! The Gerrit client against the simulator's ground truth.
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

const GERRIT: Forge = Forge::Gerrit;

#[tokio::test]
async fn anonymous_reads_equal_the_truth_over_a_year_and_more() {
    let simulator = Simulator::start(world(2), SimConfig::default())
        .await
        .unwrap();
    let client = common::client(&simulator, GERRIT);
    for login in people(&simulator.world, GERRIT, 2) {
        assert_matches_truth(
            &simulator,
            &client,
            GERRIT,
            &login,
            "2025-11-01",
            "2026-10-31",
        )
        .await;
    }
    let login = people(&simulator.world, GERRIT, 1).remove(0);
    assert_matches_truth(
        &simulator,
        &client,
        GERRIT,
        &login,
        "2024-12-01",
        "2026-10-31",
    )
    .await;
    simulator.stop().await;
}

#[tokio::test]
async fn authenticated_reads_go_through_a_and_faults_change_nothing() {
    let faults = Faults {
        error_rate: 0.1,
        rate_limit_storm_rate: 0.05,
        retry_after_secs: 1,
        jitter_ms: 300,
        truncate_rate: 0.05,
        ..Faults::default()
    };
    let config = SimConfig {
        faults: [(GERRIT, faults)].into(),
        ..SimConfig::default()
    };
    let simulator = Simulator::start(world(1), config).await.unwrap();
    let login = people(&simulator.world, GERRIT, 1).remove(0);
    let endpoint = Endpoint {
        forge: GERRIT,
        api_url: simulator.url(GERRIT).unwrap().to_owned(),
        token: Some(format!("{login}:sim_http_password")),
        scope: Vec::new(),
    };
    let client = Client::new(&endpoint, Arc::new(Governor::default())).unwrap();
    assert_matches_truth(
        &simulator,
        &client,
        GERRIT,
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
