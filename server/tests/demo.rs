//! With no forge configured Tally serves simulated demo forges and says so
//! on every page; with one configured, it does not.
#![allow(
    clippy::unwrap_used,
    reason = "a test or benchmark stops loudly on what it did not expect"
)]

mod common;

use std::time::Duration;

use common::{Server, start};
use engine::store::testing::TestDb;

async fn home_page(server: &Server) -> String {
    reqwest::Client::new()
        .get(&server.url)
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test]
async fn without_a_forge_the_pages_say_the_data_is_simulated() {
    let db = TestDb::new().await;
    let server = start(&db.url, None);
    let html = home_page(&server).await;
    assert!(
        html.contains("demo-banner") && html.contains("Demo data."),
        "no demo notice in:\n{html}"
    );
}

#[tokio::test]
async fn with_a_forge_configured_there_is_no_demo_notice() {
    let db = TestDb::new().await;
    let server = start(&db.url, Some(("https://api.github.com", "")));
    let html = home_page(&server).await;
    assert!(
        html.contains("Every contribution, counted once"),
        "the page did not render:\n{html}"
    );
    assert!(!html.contains("demo-banner"));
}
