//! `tally fetch` against the simulator: JSON lines on stdout that add up to
//! the truth, costs on stderr, and a named failure for an unknown user.
#![allow(
    clippy::unwrap_used,
    reason = "a test or benchmark stops loudly on what it did not expect"
)]

mod common;

use std::process::Output;

use chrono::NaiveDate;
use model::forge::Forge;
use tokio::process::Command;

async fn fetch(base_url: &str, login: &str, database_url: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tally"));
    command.env_remove("DATABASE_URL");
    if let Some(url) = database_url {
        command.env("DATABASE_URL", url);
    }
    command
        .args([
            "fetch",
            "github",
            "contributions",
            login,
            "--from",
            "2026-01-01",
            "--to",
            "2026-06-30",
            "--base-url",
            base_url,
        ])
        .env("TALLY_FETCH_TOKEN", "sim_cli")
        .output()
        .await
        .unwrap()
}

#[tokio::test]
async fn prints_one_json_line_per_contribution_and_the_costs() {
    let simulator = common::simulator(8, 30).await;
    let base_url = simulator.url(Forge::GitHub).unwrap().to_owned();
    let world = &simulator.world;
    let account = common::busiest_on_github(world);
    let output = fetch(&base_url, &account.username, None).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let lines: Vec<serde_json::Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let day = |s| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let expected = sim::truth::truth(world, account.id, day("2026-01-01"), day("2026-06-30"));
    assert_eq!(lines.len() as u64, expected.total);
    assert!(
        lines
            .iter()
            .all(|l| l["url"].as_str().unwrap().starts_with("http"))
    );
    assert!(
        stderr.contains("requests ") && stderr.contains("retries "),
        "{stderr}"
    );

    let missing = fetch(&base_url, "nobody-by-this-name", None).await;
    assert!(!missing.status.success());
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(stderr.contains("nobody-by-this-name"), "{stderr}");

    // With a database, a second run asks conditionally and is answered 304.
    let db = engine::store::testing::TestDb::new().await;
    let first = fetch(&base_url, &account.username, Some(&db.url)).await;
    assert!(first.status.success());
    let second = fetch(&base_url, &account.username, Some(&db.url)).await;
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(second.status.success(), "{stderr}");
    assert!(!stderr.contains("not modified 0 "), "{stderr}");
    assert_eq!(first.stdout, second.stdout);
    simulator.stop().await;
}

#[tokio::test]
async fn lists_a_repositorys_issues_and_names_missing_flags() {
    let simulator = common::simulator(9, 30).await;
    let base_url = simulator.url(Forge::GitLab).unwrap().to_owned();
    let world = &simulator.world;
    let repo = world
        .repos
        .iter()
        .filter(|r| r.forge == Forge::GitLab && !r.deleted)
        .max_by_key(|r| world.issues_in(r.id).count())
        .unwrap();
    let run = |args: Vec<String>| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_tally"));
        command.env_remove("DATABASE_URL").args(args);
        async move { command.output().await.unwrap() }
    };
    let name = world.full_name(repo);
    let issues = run(vec![
        "fetch".into(),
        "gitlab".into(),
        "issues".into(),
        name.clone(),
        "--base-url".into(),
        base_url.clone(),
    ])
    .await;
    assert!(
        issues.status.success(),
        "{}",
        String::from_utf8_lossy(&issues.stderr)
    );
    let lines = String::from_utf8(issues.stdout).unwrap().lines().count();
    assert_eq!(lines, world.issues_in(repo.id).count());

    let no_range = run(vec![
        "fetch".into(),
        "gitlab".into(),
        "contributions".into(),
        "someone".into(),
        "--base-url".into(),
        base_url,
    ])
    .await;
    assert!(!no_range.status.success());
    assert!(String::from_utf8_lossy(&no_range.stderr).contains("--from and --to"));
    simulator.stop().await;
}
