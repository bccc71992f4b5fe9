#![allow(
    clippy::unwrap_used,
    reason = "a test or benchmark stops loudly on what it did not expect"
)]

mod common;

use chrono::NaiveDate;
use serde_json::Value;
use sim::server::{SimConfig, Simulator};
use sim::truth::truth;
use sim::world::Forge;

#[tokio::test]
async fn ground_truth_over_http_equals_the_library_call() {
    let world = common::one_year_world(4, 30, 20);
    let simulator = Simulator::start(world.clone(), SimConfig::default())
        .await
        .unwrap();
    let url = simulator.url(Forge::GitHub).unwrap();
    let account = world
        .accounts
        .iter()
        .filter(|a| a.forge == Forge::GitLab && !a.deleted)
        .max_by_key(|a| world.changes.iter().filter(|c| c.author == a.id).count())
        .unwrap();
    let (from, to) = (
        NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        NaiveDate::from_ymd_opt(2026, 10, 31).unwrap(),
    );
    let over_http: Value = reqwest::get(format!(
        "{url}/_sim/truth?forge=gitlab&user={}&from={from}&to={to}",
        account.username
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let direct = serde_json::to_value(truth(&world, account.id, from, to)).unwrap();
    assert_eq!(over_http, direct);
    assert!(direct["total"].as_u64().unwrap() > 0);

    let unknown = reqwest::get(format!(
        "{url}/_sim/truth?forge=github&user=nobody-at-all&from={from}&to={to}"
    ))
    .await
    .unwrap();
    assert_eq!(unknown.status(), 404);
    let reversed = reqwest::get(format!(
        "{url}/_sim/truth?forge=gitlab&user={}&from={to}&to={from}",
        account.username
    ))
    .await
    .unwrap();
    assert_eq!(reversed.status(), 400);
    simulator.stop().await;
}
