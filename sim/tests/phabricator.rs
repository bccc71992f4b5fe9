//! The simulated Phabricator over real HTTP: Conduit's envelope, both
//! parameter encodings, `after` cursors and its error codes.
#![allow(
    clippy::unwrap_used,
    reason = "a test or benchmark stops loudly on what it did not expect"
)]

mod common;

use std::time::Duration;

use serde_json::{Value, json};
use sim::phabricator::shapes;
use sim::server::{SimConfig, Simulator};
use sim::world::{Account, Forge, World};

const TOKEN: &str = "api-simulatedphabricatortoken001";

async fn start() -> (Simulator, String) {
    let simulator = Simulator::start(common::one_year_world(61, 80, 40), SimConfig::default())
        .await
        .unwrap();
    let url = simulator.url(Forge::Phabricator).unwrap().to_owned();
    (simulator, url)
}

/// Calls a method with form fields and returns the whole envelope; Conduit
/// answers HTTP 200 whatever happened.
async fn call_form(url: &str, method: &str, fields: &[(String, String)]) -> Value {
    let response = reqwest::Client::new()
        .post(format!("{url}/api/{method}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(fields).unwrap())
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), reqwest::StatusCode::OK);
    response.json().await.unwrap()
}

/// Calls a method with one `params` JSON field carrying the token.
async fn call_json(url: &str, method: &str, mut params: Value) -> Value {
    params["__conduit__"] = json!({ "token": TOKEN });
    call_form(url, method, &[("params".into(), params.to_string())]).await
}

fn field(key: &str, value: impl ToString) -> (String, String) {
    (key.to_owned(), value.to_string())
}

fn most_active(world: &World) -> &Account {
    world
        .accounts
        .iter()
        .filter(|a| a.forge == Forge::Phabricator)
        .max_by_key(|a| world.issues.iter().filter(|i| i.author == a.id).count())
        .unwrap()
}

#[tokio::test]
async fn tasks_page_with_after_cursors_using_php_style_fields() {
    let (simulator, url) = start().await;
    let world = &simulator.world;
    let author = most_active(world);
    let expected: Vec<u64> = {
        let mut ids: Vec<u64> = world
            .issues
            .iter()
            .filter(|i| i.author == author.id && world.repo(i.repo).forge == Forge::Phabricator)
            .map(|i| u64::from(i.id))
            .collect();
        ids.sort_unstable_by(|a, b| b.cmp(a));
        ids
    };
    assert!(expected.len() > 3, "the test needs several pages");

    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut fields = vec![
            field("api.token", TOKEN),
            field("constraints[authorPHIDs][0]", shapes::user_phid(author.id)),
            field("attachments[projects]", 1),
            field("limit", 3),
        ];
        if let Some(cursor) = &after {
            fields.push(field("after", cursor));
        }
        let envelope = call_form(&url, "maniphest.search", &fields).await;
        assert_eq!(envelope["error_code"], Value::Null, "{envelope}");
        let result = &envelope["result"];
        assert_eq!(result["cursor"]["limit"], 3);
        for task in result["data"].as_array().unwrap() {
            assert_eq!(task["type"], "TASK");
            assert_eq!(task["fields"]["authorPHID"], shapes::user_phid(author.id));
            assert!(task["attachments"]["projects"]["projectPHIDs"].is_array());
            seen.push(task["id"].as_u64().unwrap());
        }
        match result["cursor"]["after"].as_str() {
            Some(cursor) => after = Some(cursor.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, expected, "every task once, newest first");
    simulator.stop().await;
}

#[tokio::test]
async fn revisions_filter_by_time_window_and_attach_reviewers() {
    let (simulator, url) = start().await;
    let world = &simulator.world;
    let revisions: Vec<_> = world
        .changes
        .iter()
        .filter(|c| world.repo(c.repo).forge == Forge::Phabricator)
        .collect();
    let start = revisions[revisions.len() / 4].created_at.timestamp();
    let end = revisions[revisions.len() / 2].created_at.timestamp();
    let expected = revisions
        .iter()
        .filter(|c| (start..=end).contains(&c.created_at.timestamp()))
        .count();
    assert!(
        expected > 100,
        "the window should span pages, got {expected}"
    );
    let mut total = 0;
    let mut after = Value::Null;
    loop {
        let envelope = call_json(
            &url,
            "differential.revision.search",
            json!({ "constraints": { "createdStart": start, "createdEnd": end },
                "attachments": { "reviewers": true }, "after": after }),
        )
        .await;
        let result = &envelope["result"];
        let data = result["data"].as_array().unwrap();
        assert!(data.len() <= 100);
        for revision in data {
            let created = revision["fields"]["dateCreated"].as_i64().unwrap();
            assert!((start..=end).contains(&created));
            assert!(revision["attachments"]["reviewers"]["reviewers"].is_array());
            assert!(revision["fields"]["status"]["value"].is_string());
        }
        total += data.len();
        after = result["cursor"]["after"].clone();
        if after.is_null() {
            break;
        }
    }
    assert_eq!(total, expected);
    simulator.stop().await;
}

#[tokio::test]
async fn task_transactions_hold_every_comment() {
    let (simulator, url) = start().await;
    let world = &simulator.world;
    let issue = world
        .issues
        .iter()
        .filter(|i| world.repo(i.repo).forge == Forge::Phabricator)
        .max_by_key(|i| i.comments.len())
        .unwrap();
    let envelope = call_json(
        &url,
        "transaction.search",
        json!({ "objectIdentifier": format!("T{}", issue.id) }),
    )
    .await;
    let data = envelope["result"]["data"].as_array().unwrap().clone();
    let comments: Vec<&Value> = data.iter().filter(|t| t["type"] == "comment").collect();
    assert_eq!(comments.len(), issue.comments.len());
    assert!(
        comments
            .iter()
            .all(|c| c["comments"][0]["content"]["raw"].is_string())
    );
    assert!(data.iter().any(|t| t["type"] == "create"));
    simulator.stop().await;
}

#[tokio::test]
async fn users_and_projects_resolve_names_to_phids() {
    let (simulator, url) = start().await;
    let author = most_active(&simulator.world);
    let envelope = call_json(
        &url,
        "user.search",
        json!({ "constraints": { "usernames": [author.username] } }),
    )
    .await;
    let user = &envelope["result"]["data"][0];
    assert_eq!(user["phid"], shapes::user_phid(author.id));
    assert_eq!(user["fields"]["username"], author.username.as_str());

    let envelope = call_json(
        &url,
        "project.search",
        json!({ "constraints": { "name": "bug" } }),
    )
    .await;
    let names: Vec<&str> = envelope["result"]["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["fields"]["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"bug") && names.contains(&"kind/bug"),
        "{names:?}"
    );
    simulator.stop().await;
}

#[tokio::test]
async fn errors_come_as_codes_in_a_200() {
    let (simulator, url) = start().await;
    type Fields = Vec<(String, String)>;
    let cases: Vec<(Fields, &str, &str)> = vec![
        (vec![], "ERR-INVALID-SESSION", "Session key is not present."),
        (
            vec![field("api.token", "api-short")],
            "ERR-INVALID-AUTH",
            "API token \"api-short\" has the wrong length. API tokens should be 32 characters long.",
        ),
        (
            vec![field("api.token", TOKEN), field("limit", 101)],
            "ERR-CONDUIT-CORE",
            "Maximum page size for Conduit API method calls is 100, but this call specified 101.",
        ),
        (
            vec![
                field("api.token", TOKEN),
                field("constraints[colour]", "red"),
            ],
            "ERR-CONDUIT-CORE",
            "Constraint \"colour\" is not a valid constraint for this query.",
        ),
    ];
    for (fields, code, info) in cases {
        let envelope = call_form(&url, "maniphest.search", &fields).await;
        assert_eq!(envelope["result"], Value::Null);
        assert_eq!(envelope["error_code"], code, "{envelope}");
        assert_eq!(envelope["error_info"], info);
    }
    let demo = sim::server::demo_token(Forge::Phabricator);
    let accepted = call_form(&url, "user.whoami", &[field("api.token", demo)]).await;
    assert_eq!(
        accepted["error_code"],
        Value::Null,
        "the demo token is well-formed"
    );
    let unknown = call_form(&url, "maniphest.frobnicate", &[field("api.token", TOKEN)]).await;
    assert_eq!(unknown["error_code"], "ERR-CONDUIT-CALL");
    simulator.stop().await;
}

/// Every result of `method` under `constraints`, following `after`.
async fn every(url: &str, method: &str, constraints: Value) -> Vec<Value> {
    let mut all = Vec::new();
    let mut after = Value::Null;
    loop {
        let envelope = call_json(
            url,
            method,
            json!({ "constraints": constraints, "limit": 100, "after": after }),
        )
        .await;
        assert_eq!(envelope["error_code"], Value::Null, "{envelope}");
        all.extend(
            envelope["result"]["data"]
                .as_array()
                .unwrap()
                .iter()
                .cloned(),
        );
        after = envelope["result"]["cursor"]["after"].clone();
        if after.is_null() {
            return all;
        }
    }
}

/// As the real Phabricator: user constraints take PHIDs or usernames, and
/// tasks are found by owner with `assigned` (`ownerPHIDs` is no constraint).
#[tokio::test]
async fn user_constraints_take_phids_or_usernames_and_assigned_finds_owners() {
    let (simulator, url) = start().await;
    let world = &simulator.world;
    let author = most_active(world);
    let phid = shapes::user_phid(author.id);
    for method in ["maniphest.search", "differential.revision.search"] {
        let by_phid = every(&url, method, json!({ "authorPHIDs": [phid] })).await;
        let by_name = every(&url, method, json!({ "authorPHIDs": [author.username] })).await;
        assert!(!by_phid.is_empty(), "{method}");
        assert_eq!(by_name, by_phid, "{method}");
        assert!(by_phid.iter().all(|o| o["fields"]["authorPHID"] == phid));
    }
    let owned = |id| {
        world.issues.iter().filter(move |i| {
            world.repo(i.repo).forge == Forge::Phabricator && i.assignees.first() == Some(&id)
        })
    };
    let owner = world
        .accounts
        .iter()
        .filter(|a| a.forge == Forge::Phabricator)
        .max_by_key(|a| owned(a.id).count())
        .unwrap();
    let owner_phid = shapes::user_phid(owner.id);
    let by_phid = every(
        &url,
        "maniphest.search",
        json!({ "assigned": [owner_phid] }),
    )
    .await;
    let by_name = every(
        &url,
        "maniphest.search",
        json!({ "assigned": [owner.username] }),
    )
    .await;
    assert!(!by_phid.is_empty());
    assert_eq!(by_name, by_phid);
    assert!(
        by_phid
            .iter()
            .all(|t| t["fields"]["ownerPHID"] == owner_phid)
    );
    let nobody = every(&url, "maniphest.search", json!({ "assigned": ["none()"] })).await;
    assert!(!nobody.is_empty(), "some tasks have no owner");
    assert!(nobody.iter().all(|t| t["fields"]["ownerPHID"].is_null()));
    let unknown = every(
        &url,
        "maniphest.search",
        json!({ "authorPHIDs": ["no-such-user"] }),
    )
    .await;
    assert!(unknown.is_empty());
    let refused = call_json(
        &url,
        "maniphest.search",
        json!({ "constraints": { "ownerPHIDs": [owner_phid] } }),
    )
    .await;
    assert_eq!(refused["error_code"], "ERR-CONDUIT-CORE");
    assert_eq!(
        refused["error_info"],
        "Constraint \"ownerPHIDs\" is not a valid constraint for this query."
    );
    simulator.stop().await;
}
