//! Each injected fault does to a client what it says, and can be changed at run time.
#![allow(
    clippy::unwrap_used,
    reason = "a test or benchmark stops loudly on what it did not expect"
)]

mod common;

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use sim::server::faults::Faults;
use sim::server::{SimConfig, Simulator};
use sim::world::Forge;

async fn start(faults: Faults) -> (Simulator, String, String) {
    let world = common::one_year_world(9, 20, 10);
    let repo = world
        .repos
        .iter()
        .find(|r| r.forge == Forge::GitHub && !r.deleted)
        .unwrap();
    let path = format!("/repos/{}", world.full_name(repo));
    let simulator = Simulator::start(
        world,
        SimConfig {
            faults: [(Forge::GitHub, faults)].into(),
            ..SimConfig::default()
        },
    )
    .await
    .unwrap();
    let url = simulator.url(Forge::GitHub).unwrap().to_owned();
    (simulator, url, path)
}

async fn get(url: &str) -> reqwest::Result<reqwest::Response> {
    reqwest::Client::new()
        .get(url)
        .bearer_auth("sim_faults")
        .timeout(Duration::from_secs(10))
        .send()
        .await
}

#[tokio::test]
async fn latency_and_jitter_delay_every_answer() {
    let (simulator, url, path) = start(Faults {
        latency_ms: 150,
        jitter_ms: 100,
        ..Faults::default()
    })
    .await;
    for _ in 0..3 {
        let started = Instant::now();
        assert_eq!(
            get(&format!("{url}{path}")).await.unwrap().status(),
            StatusCode::OK
        );
        let took = started.elapsed();
        assert!(
            took >= Duration::from_millis(150) && took < Duration::from_millis(1500),
            "{took:?}"
        );
    }
    simulator.stop().await;
}

#[tokio::test]
async fn server_errors_come_as_500_502_and_503() {
    let (simulator, url, path) = start(Faults {
        error_rate: 1.0,
        ..Faults::default()
    })
    .await;
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..30 {
        seen.insert(
            get(&format!("{url}{path}"))
                .await
                .unwrap()
                .status()
                .as_u16(),
        );
    }
    assert_eq!(seen.into_iter().collect::<Vec<_>>(), vec![500, 502, 503]);
    simulator.stop().await;
}

#[tokio::test]
async fn a_rate_limit_storm_answers_403_with_retry_after() {
    let faults = Faults {
        rate_limit_storm_rate: 1.0,
        retry_after_secs: 7,
        ..Faults::default()
    };
    let (simulator, url, path) = start(faults).await;
    let response = get(&format!("{url}{path}")).await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(response.headers()["retry-after"], "7");
    let body: Value = response.json().await.unwrap();
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("secondary rate limit")
    );
    simulator.stop().await;
}

#[tokio::test]
async fn truncated_and_malformed_bodies_do_not_parse() {
    for faults in [
        Faults {
            truncate_rate: 1.0,
            ..Faults::default()
        },
        Faults {
            malformed_rate: 1.0,
            ..Faults::default()
        },
    ] {
        let (simulator, url, path) = start(faults.clone()).await;
        let response = get(&format!("{url}{path}")).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{faults:?}");
        let text = response.text().await.unwrap();
        assert!(
            serde_json::from_str::<Value>(&text).is_err(),
            "{faults:?} still parsed"
        );
        simulator.stop().await;
    }
}

#[tokio::test]
async fn a_reset_breaks_the_body_part_way() {
    let (simulator, url, path) = start(Faults {
        reset_rate: 1.0,
        ..Faults::default()
    })
    .await;
    // Depending on how far the first piece got, the client fails reading the
    // head or the body; either way it never sees a whole answer.
    if let Ok(response) = get(&format!("{url}{path}")).await {
        assert!(
            response.bytes().await.is_err(),
            "the body should end in an error"
        );
    }
    simulator.stop().await;
}

#[tokio::test]
async fn a_slow_body_arrives_whole_but_late() {
    let (simulator, url, path) = start(Faults {
        slow_body_ms: 60,
        ..Faults::default()
    })
    .await;
    let started = Instant::now();
    let body: Value = get(&format!("{url}{path}"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(body["full_name"].is_string());
    assert!(
        started.elapsed() >= Duration::from_millis(8 * 60),
        "{:?}",
        started.elapsed()
    );
    simulator.stop().await;
}

#[tokio::test]
async fn faults_change_at_run_time_and_bad_settings_are_refused() {
    let (simulator, url, path) = start(Faults::default()).await;
    let client = reqwest::Client::new();
    assert_eq!(
        get(&format!("{url}{path}")).await.unwrap().status(),
        StatusCode::OK
    );

    let set = client
        .put(format!("{url}/_sim/faults"))
        .json(&json!({ "error_rate": 1.0 }))
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), StatusCode::OK);
    assert!(
        get(&format!("{url}{path}"))
            .await
            .unwrap()
            .status()
            .is_server_error()
    );
    let current: Value = client
        .get(format!("{url}/_sim/faults"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(current["error_rate"], 1.0);

    let refused = client
        .put(format!("{url}/_sim/faults"))
        .json(&json!({ "error_rate": 2.0 }))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = refused.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("error_rate"));
    let unknown = client
        .put(format!("{url}/_sim/faults"))
        .json(&json!({ "eror_rate": 0.5 }))
        .send()
        .await
        .unwrap();
    assert!(
        unknown.status().is_client_error(),
        "a misspelt field is not silently ignored"
    );

    client
        .put(format!("{url}/_sim/faults"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        get(&format!("{url}{path}")).await.unwrap().status(),
        StatusCode::OK
    );
    simulator.stop().await;
}

#[tokio::test]
async fn faults_at_start_belong_to_one_forge() {
    let faults = Faults {
        error_rate: 1.0,
        ..Faults::default()
    };
    let (simulator, url, path) = start(faults).await;
    let failing = get(&format!("{url}{path}")).await.unwrap();
    assert!(failing.status().is_server_error());
    let gitlab = simulator.url(Forge::GitLab).unwrap();
    let healthy = get(&format!("{gitlab}/api/v4/users")).await.unwrap();
    assert_eq!(healthy.status(), StatusCode::OK);
    simulator.stop().await;
}
