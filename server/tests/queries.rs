//! A contribution query through the running server without JavaScript: the
//! form posts, the server redirects to `/q/<hash>`, the page fills in as the
//! forge is read, and its numbers equal the simulator's truth.
#![allow(
    clippy::unwrap_used,
    reason = "a test or benchmark stops loudly on what it did not expect"
)]

mod common;

use chrono::NaiveDate;
use engine::store::testing::TestDb;
use model::forge::Forge;

use common::{filled, get, post_query, retry_query as retry};

#[tokio::test]
async fn a_query_posted_without_javascript_reads_the_truth() {
    let simulator = common::simulator(77, 40).await;
    let world = &simulator.world;
    let account = common::busiest_on_github(world);
    let (_db, server) = common::on_simulated_github(&simulator).await;

    let location = post_query(
        &server.url,
        &[
            ("people", format!("Busy = github:{}", account.username)),
            ("from", "2026-01-01".into()),
            ("to", "2026-06-30".into()),
            ("kinds[2]", "pull_request_merged".into()),
            ("kinds[0]", "commit".into()),
        ],
    )
    .await;
    let hash = location.strip_prefix("/q/").unwrap().to_owned();

    // The page is served at once and fills in as the forge is read.
    let page_url = format!("{}{location}", server.url);
    let html = filled(&page_url).await;
    let day = |s| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let truth = sim::truth::truth(world, account.id, day("2026-01-01"), day("2026-06-30"));
    let kind = |k| truth.by_kind.get(&k).copied().unwrap_or(0);
    let expected = kind(sim::truth::Kind::Commit) + kind(sim::truth::Kind::PullRequestMerged);
    assert!(expected > 0);
    assert_eq!(common::number(&html, "total"), expected, "{html}");
    assert!(!html.contains("at least"), "every day is fetched: {html}");

    // The graphs' cards come with the page; ECharts is only preloaded for
    // it, never for the home page, and never from elsewhere.
    assert!(html.contains("Every day") && html.contains("Week by week"));
    let preload = format!(r#"href="{}""#, app::ECHARTS_SCRIPT);
    assert!(html.contains(&preload), "{html}");
    let (_, home) = get(&server.url).await;
    assert!(!home.contains("echarts"));

    // The same form gives the same address; a day lists its items.
    let busiest_day = truth
        .by_day
        .iter()
        .max_by_key(|(_, n)| **n)
        .map(|(d, _)| d.to_string())
        .unwrap();
    let (status, day_html) = get(&format!("{page_url}/day/{busiest_day}")).await;
    assert_eq!(status, 200);
    assert!(common::number(&day_html, "period-total") > 0);

    for missing in [
        "/q/AAAAAAAAAAA",
        "/q/not-a-hash",
        &format!("{location}/day/1999-01-01"),
    ] {
        let (status, body) = get(&format!("{}{missing}", server.url)).await;
        assert_eq!(status, 404, "{missing}");
        assert!(body.contains("Page not found"), "{missing}");
    }

    // Past chrono's calendar: once a panic that left the browser waiting,
    // now an answer that names the problem.
    for past in ["week/262143-W01", "day/+262142-12-31"] {
        let (status, body) = get(&format!("{}{location}/{past}", server.url)).await;
        assert_eq!(status, 422, "{past}");
        assert!(body.contains("outside the years 1970 to 9999"), "{past}");
    }

    // The retry button's form goes back to the query; an unknown one is 404.
    let retried = retry(&server.url, &page_url, &hash).await;
    assert!(retried.status().is_redirection(), "{}", retried.status());
    assert_eq!(retried.headers()["location"], location.as_str());
    let unknown = retry(&server.url, &page_url, "AAAAAAAAAAA").await;
    assert_eq!(unknown.status(), 404);
    simulator.stop().await;
}

#[tokio::test]
async fn days_a_failed_forge_did_not_give_are_shown_missing_until_a_retry_fills_them() {
    let simulator = common::simulator(78, 20).await;
    let world = &simulator.world;
    let account = common::busiest_on_github(world);
    let github = simulator.url(Forge::GitHub).unwrap().to_owned();
    let faults = |faults: serde_json::Value| {
        let url = format!("{github}/_sim/faults");
        async move {
            let put = reqwest::Client::new().put(url).json(&faults).send().await;
            assert!(put.unwrap().status().is_success());
        }
    };
    faults(serde_json::json!({ "error_rate": 1.0 })).await;
    let db = TestDb::new().await;
    let server = common::start(&db.url, Some((&github, "sim_server_test")));
    let location = post_query(
        &server.url,
        &[
            ("people", format!("github:{}", account.username)),
            ("from", "2026-01-01".into()),
            ("to", "2026-03-31".into()),
        ],
    )
    .await;
    let page_url = format!("{}{location}", server.url);

    // Every request failed: not one day is fetched, and the page says so
    // beside every number instead of showing a zero.
    let html = filled(&page_url).await;
    assert!(html.contains("failed: "), "{html}");
    assert!(html.contains("0 so far, 90 days not fetched"), "{html}");
    assert!(html.contains("at least "), "{html}");
    assert!(html.contains("missing, not zero"), "{html}");
    let (_, day_html) = get(&format!("{page_url}/day/2026-02-02")).await;
    assert!(
        day_html.contains("data-testid=\"period-unfetched\""),
        "{day_html}"
    );
    assert!(day_html.contains("1 of 1 days"), "{day_html}");

    // The forge is back: a retry fills every day, and the numbers are whole.
    faults(serde_json::json!({})).await;
    let hash = location.strip_prefix("/q/").unwrap();
    assert!(
        retry(&server.url, &page_url, hash)
            .await
            .status()
            .is_redirection()
    );
    let html = filled(&page_url).await;
    let day = |s| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let truth = sim::truth::truth(world, account.id, day("2026-01-01"), day("2026-03-31"));
    assert!(truth.total > 0);
    assert_eq!(common::number(&html, "total"), truth.total, "{html}");
    assert!(
        !html.contains("at least") && !html.contains("not fetched"),
        "{html}"
    );
    let (_, day_html) = get(&format!("{page_url}/day/2026-02-02")).await;
    assert!(!day_html.contains("period-unfetched"), "{day_html}");
    simulator.stop().await;
}
