//! Rendered query pages are served again while their data is unchanged,
//! and a write from another process shows on the next opening.
#![allow(
    clippy::unwrap_used,
    reason = "a test or benchmark stops loudly on what it did not expect"
)]

mod common;

use std::time::Duration;

use chrono::NaiveDate;
use engine::queries::Bounds;
use engine::store::Store;
use model::contribution::{Contribution, ContributionKind};
use model::forge::Forge;
use model::query::{AccountSpec, PersonSpec, QuerySpec};

async fn total(url: &str) -> (bool, u64) {
    let html = reqwest::get(url).await.unwrap().text().await.unwrap();
    let fetching = html.contains("Fetching from the forges");
    let n = common::number(&html, "total");
    (fetching, n)
}

#[tokio::test]
async fn a_remembered_page_gives_way_to_a_write_from_another_process() {
    let simulator = common::simulator(5, 30).await;
    let account = common::busiest_on_github(&simulator.world).clone();
    let (db, server) = common::on_simulated_github(&simulator).await;
    let day = |s| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let who = AccountSpec {
        forge: Forge::GitHub,
        instance: None,
        username: account.username.clone(),
    };
    let spec = QuerySpec {
        people: vec![PersonSpec {
            name: None,
            accounts: vec![who.clone()],
        }],
        from: day("2026-03-01"),
        to: day("2026-03-31"),
        kinds: vec![],
        statuses: vec![],
        include_repos: vec![],
        exclude_repos: vec![],
    };
    // Another process on the same database.
    let other = Store::connect_url(&db.url).await.unwrap();
    let hash = engine::queries::create(&other, &spec, Bounds::default())
        .await
        .unwrap();
    let url = format!("{}/q/{hash}", server.url);
    let mut settled = None;
    for _ in 0..100 {
        let (fetching, n) = total(&url).await;
        if !fetching {
            settled = Some(n);
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let before = settled.expect("the query settles");
    assert_eq!(total(&url).await, (false, before), "the same page again");

    // The other process adds one item on a day of the range.
    let on = day("2026-03-15");
    let mut items: Vec<Contribution> =
        engine::queries::period(&other, &spec, model::period::Period::Day(on), None, 500)
            .await
            .unwrap()
            .items
            .into_iter()
            .map(|i| i.contribution)
            .collect();
    let mut added = Contribution::new(
        Forge::GitHub,
        "github.com",
        ContributionKind::Commit,
        &who.username,
    );
    added.id = "added-by-another-process".into();
    added.repository = "elsewhere/repo".into();
    added.title = "added".into();
    added.url = "https://github.com/elsewhere/repo".into();
    added.occurred_at = on.and_hms_opt(9, 0, 0).unwrap().and_utc();
    items.push(added);
    let id = other.identity(&who).await.unwrap();
    other.replace_days(id, on, on, &items).await.unwrap();

    let mut after = 0;
    for _ in 0..50 {
        after = total(&url).await.1;
        if after != before {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(after, before + 1);
    simulator.stop().await;
}
