//! The simulated Gerrit over real HTTP: the XSSI guard, change queries with
//! `n`/`S`/`_more_changes`, `/a/` Basic auth and plain-text errors.
#![allow(
    clippy::unwrap_used,
    reason = "a test or benchmark stops loudly on what it did not expect"
)]

mod common;

use std::time::Duration;

use base64::Engine;
use chrono::{NaiveDateTime, TimeZone, Utc};
use reqwest::StatusCode;
use serde_json::Value;
use sim::server::{SimConfig, Simulator};
use sim::world::{Account, Forge, World};

async fn start() -> (Simulator, String) {
    let simulator = Simulator::start(common::one_year_world(41, 80, 40), SimConfig::default())
        .await
        .unwrap();
    let url = simulator.url(Forge::Gerrit).unwrap().to_owned();
    (simulator, url)
}

async fn get(url: &str, basic: Option<(&str, &str)>) -> reqwest::Response {
    let mut request = reqwest::Client::new()
        .get(url)
        .timeout(Duration::from_secs(10));
    if let Some((user, password)) = basic {
        let encoded =
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        request = request.header("authorization", format!("Basic {encoded}"));
    }
    request.send().await.unwrap()
}

/// Strips the `)]}'` line every JSON answer starts with, insisting it is there.
async fn json(response: reqwest::Response) -> Value {
    assert_eq!(response.status(), StatusCode::OK);
    assert!(common::header(&response, "content-type").starts_with("application/json"));
    let text = response.text().await.unwrap();
    let body = text
        .strip_prefix(")]}'\n")
        .unwrap_or_else(|| panic!("no XSSI guard line: {text:.40}"));
    serde_json::from_str(body).unwrap()
}

/// The Gerrit account with the most changes.
fn busiest_owner(world: &World) -> &Account {
    world
        .accounts
        .iter()
        .filter(|a| a.forge == Forge::Gerrit && !a.deleted)
        .max_by_key(|a| world.changes.iter().filter(|c| c.author == a.id).count())
        .unwrap()
}

#[tokio::test]
async fn owner_queries_page_with_start_until_more_changes_is_absent() {
    let (simulator, url) = start().await;
    let world = &simulator.world;
    let owner = busiest_owner(world);
    let after = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
    let expected = world
        .changes
        .iter()
        .filter(|c| c.author == owner.id && c.updated_at >= after)
        .count();
    assert!(expected > 5, "the test needs several pages, got {expected}");

    let mut seen: Vec<Value> = Vec::new();
    loop {
        let page = json(
            get(
                &format!(
                    "{url}/changes/?q=owner:{}+after:%222026-03-01%2000:00:00%22&n=5&S={}",
                    owner.username,
                    seen.len()
                ),
                None,
            )
            .await,
        )
        .await;
        let page = page.as_array().unwrap().clone();
        assert!(page.len() <= 5);
        let more = page
            .last()
            .is_some_and(|c| c["_more_changes"] == Value::Bool(true));
        for (i, change) in page.iter().enumerate() {
            // Only the last item may carry the flag, and it is never `false`.
            assert!(i + 1 == page.len() || change.get("_more_changes").is_none());
            assert_ne!(change.get("_more_changes"), Some(&Value::Bool(false)));
        }
        seen.extend(page);
        if !more {
            break;
        }
    }
    assert_eq!(seen.len(), expected);
    let updated: Vec<NaiveDateTime> = seen
        .iter()
        .map(|c| {
            NaiveDateTime::parse_from_str(c["updated"].as_str().unwrap(), "%Y-%m-%d %H:%M:%S%.9f")
                .unwrap()
        })
        .collect();
    assert!(
        updated.windows(2).all(|w| w[0] >= w[1]),
        "newest update first"
    );
    let owner_number = sim::gerrit::shapes::account_number(owner.id);
    assert!(
        seen.iter()
            .all(|c| c["owner"]["_account_id"] == owner_number)
    );
    simulator.stop().await;
}

#[tokio::test]
async fn changes_carry_gerrits_fields_and_formats() {
    let (simulator, url) = start().await;
    let owner = busiest_owner(&simulator.world);
    let body = json(
        get(
            &format!(
                "{url}/changes/?q=owner:{}+status:merged&n=1&o=DETAILED_ACCOUNTS&o=DETAILED_LABELS&o=MESSAGES",
                owner.username
            ),
            None,
        )
        .await,
    )
    .await;
    let change = &body[0];
    for field in [
        "id",
        "triplet_id",
        "project",
        "branch",
        "change_id",
        "subject",
        "status",
        "created",
        "updated",
        "submitted",
        "insertions",
        "deletions",
        "_number",
        "owner",
        "labels",
        "messages",
    ] {
        assert!(
            change.get(field).is_some(),
            "ChangeInfo lacks {field}: {change}"
        );
    }
    assert_eq!(change["status"], "MERGED");
    assert_eq!(change["owner"]["username"], owner.username.as_str());
    assert!(change["change_id"].as_str().unwrap().starts_with('I'));
    let created = change["created"].as_str().unwrap();
    assert_eq!(
        created.len(),
        "2013-02-21 11:16:36.775000000".len(),
        "{created}"
    );
    assert!(!created.contains('T') && !created.contains('Z'));
    let project = change["project"].as_str().unwrap();
    assert_eq!(
        change["id"].as_str().unwrap(),
        format!("{}~{}", project.replace('/', "%2F"), change["_number"])
    );
    // The same change by its id, and its detail with Code-Review votes.
    let id = change["id"].as_str().unwrap().replace('%', "%25");
    let detail = json(get(&format!("{url}/changes/{id}/detail"), None).await).await;
    assert_eq!(detail["_number"], change["_number"]);
    assert!(detail["labels"]["Code-Review"]["all"].is_array());
    simulator.stop().await;
}

#[tokio::test]
async fn authenticated_paths_need_basic_auth_and_know_self() {
    let (simulator, url) = start().await;
    let owner = busiest_owner(&simulator.world);
    let anonymous = get(&format!("{url}/a/changes/?q=owner:self"), None).await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert!(common::header(&anonymous, "www-authenticate").starts_with("Basic realm="));
    let wrong = get(
        &format!("{url}/a/accounts/self"),
        Some((&owner.username, "nope")),
    )
    .await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);

    let me = json(
        get(
            &format!("{url}/a/accounts/self"),
            Some((&owner.username, "sim_pw")),
        )
        .await,
    )
    .await;
    assert_eq!(me["username"], owner.username.as_str());
    let mine = json(
        get(
            &format!("{url}/a/changes/?q=owner:self&n=3"),
            Some((&owner.username, "sim_pw")),
        )
        .await,
    )
    .await;
    assert_eq!(mine.as_array().unwrap().len(), 3);
    // Without `/a/`, `self` means nobody.
    let error = get(&format!("{url}/changes/?q=owner:self"), None).await;
    assert_eq!(error.status(), StatusCode::BAD_REQUEST);
    simulator.stop().await;
}

#[tokio::test]
async fn errors_are_plain_text_without_the_guard() {
    let (simulator, url) = start().await;
    let cases = [
        (
            "/changes/?q=frobnicate:yes",
            StatusCode::BAD_REQUEST,
            "Unsupported operator frobnicate:yes",
        ),
        (
            "/changes/?q=owner:nobody-at-all",
            StatusCode::BAD_REQUEST,
            "Account 'nobody-at-all' not found",
        ),
        (
            "/changes/?q=status:open&o=NOPE",
            StatusCode::BAD_REQUEST,
            "\"NOPE\" is not a valid value for \"-o\"",
        ),
        (
            "/changes/987654",
            StatusCode::NOT_FOUND,
            "Not found: 987654",
        ),
        (
            "/accounts/nobody-at-all",
            StatusCode::NOT_FOUND,
            "Account 'nobody-at-all' not found",
        ),
    ];
    for (path, status, text) in cases {
        let response = get(&format!("{url}{path}"), None).await;
        assert_eq!(response.status(), status, "{path}");
        assert!(common::header(&response, "content-type").starts_with("text/plain"));
        assert_eq!(response.text().await.unwrap(), text, "{path}");
    }
    simulator.stop().await;
}

#[tokio::test]
async fn several_queries_give_an_array_per_query_and_projects_a_map() {
    let (simulator, url) = start().await;
    let owner = busiest_owner(&simulator.world);
    let both = json(
        get(
            &format!(
                "{url}/changes/?q=owner:{0}+is:open&q=owner:{0}+is:merged&n=2",
                owner.username
            ),
            None,
        )
        .await,
    )
    .await;
    let both = both.as_array().unwrap();
    assert_eq!(both.len(), 2);
    assert!(
        both[1]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["status"] == "MERGED")
    );

    let projects = json(get(&format!("{url}/projects/?d"), None).await).await;
    let projects = projects.as_object().unwrap();
    let expected = simulator
        .world
        .repos
        .iter()
        .filter(|r| r.forge == Forge::Gerrit && !r.deleted)
        .count();
    assert_eq!(projects.len(), expected);
    let (name, info) = projects.iter().next().unwrap();
    assert_eq!(info["id"], name.replace('/', "%2F"));
    assert!(info["description"].is_string());
    simulator.stop().await;
}
