//! The simulated GitHub GraphQL API over real HTTP: contributionsCollection
//! against the ground truth, its one-year limit, paging, points and errors.
#![allow(
    clippy::unwrap_used,
    reason = "a test or benchmark stops loudly on what it did not expect"
)]

mod common;

use std::time::Duration;

use chrono::NaiveDate;
use serde_json::{Value, json};
use sim::server::budget::Limit;
use sim::server::{GitHubLimits, SimConfig, Simulator};
use sim::truth::{Kind, truth};
use sim::world::{Account, Forge, World};

const TOKEN: &str = "sim_graphql_test";

async fn start(config: SimConfig) -> (Simulator, String) {
    let simulator = Simulator::start(common::one_year_world(71, 60, 30), config)
        .await
        .unwrap();
    let url = format!("{}/graphql", simulator.url(Forge::GitHub).unwrap());
    (simulator, url)
}

async fn post(url: &str, token: Option<&str>, query: &str, variables: Value) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .post(url)
        .json(&json!({ "query": query, "variables": variables }))
        .timeout(Duration::from_secs(10));
    if let Some(token) = token {
        request = request.header("authorization", format!("bearer {token}"));
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

async fn query(url: &str, query: &str, variables: Value) -> Value {
    let (status, body) = post(url, Some(TOKEN), query, variables).await;
    assert_eq!(status, 200);
    body
}

fn busiest(world: &World) -> &Account {
    world
        .accounts
        .iter()
        .filter(|a| a.forge == Forge::GitHub && !a.deleted)
        .max_by_key(|a| world.commits.iter().filter(|c| c.author == a.id).count())
        .unwrap()
}

const TOTALS: &str = r#"
query($login: String!, $from: DateTime!, $to: DateTime!) {
  user(login: $login) {
    login
    contributionsCollection(from: $from, to: $to) {
      totalCommitContributions totalIssueContributions
      totalPullRequestContributions totalPullRequestReviewContributions
      contributionCalendar { totalContributions weeks { firstDay contributionDays { date weekday contributionCount contributionLevel } } }
    }
  }
  rateLimit { cost remaining limit used resetAt }
}"#;

#[tokio::test]
async fn totals_and_calendar_equal_the_ground_truth() {
    let (simulator, url) = start(SimConfig::default()).await;
    let world = &simulator.world;
    let account = busiest(world);
    let body = query(
        &url,
        TOTALS,
        json!({ "login": account.username, "from": "2025-11-01T00:00:00Z", "to": "2026-10-31T23:59:59Z" }),
    )
    .await;
    assert!(body.get("errors").is_none(), "{body}");
    let collection = &body["data"]["user"]["contributionsCollection"];
    let day = |d: &str| NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap();
    let expected = truth(world, account.id, day("2025-11-01"), day("2026-10-31"));
    let kind = |k: Kind| expected.by_kind.get(&k).copied().unwrap_or(0);
    assert!(kind(Kind::Commit) > 50, "a busy account is needed");
    assert_eq!(collection["totalCommitContributions"], kind(Kind::Commit));
    assert_eq!(
        collection["totalIssueContributions"],
        kind(Kind::IssueOpened)
    );
    assert_eq!(
        collection["totalPullRequestContributions"],
        kind(Kind::PullRequestOpened)
    );
    assert_eq!(
        collection["totalPullRequestReviewContributions"],
        kind(Kind::Review)
    );

    let calendar = &collection["contributionCalendar"];
    let days: Vec<&Value> = calendar["weeks"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|w| w["contributionDays"].as_array().unwrap())
        .collect();
    assert_eq!(days.len(), 365, "every day of the window once");
    assert_eq!(days[0]["date"], "2025-11-01");
    let summed: u64 = days
        .iter()
        .map(|d| d["contributionCount"].as_u64().unwrap())
        .sum();
    assert_eq!(calendar["totalContributions"], summed);
    assert_eq!(
        summed,
        kind(Kind::Commit)
            + kind(Kind::IssueOpened)
            + kind(Kind::PullRequestOpened)
            + kind(Kind::Review)
    );
    assert!(
        days.iter()
            .all(|d| (d["contributionCount"] == 0) == (d["contributionLevel"] == "NONE"))
    );
    let weeks = calendar["weeks"].as_array().unwrap();
    assert!(
        weeks[1..]
            .iter()
            .all(|w| w["contributionDays"][0]["weekday"] == 0),
        "weeks start on Sunday"
    );

    let rate = &body["data"]["rateLimit"];
    assert_eq!(rate["cost"], 1);
    assert_eq!(rate["remaining"], 4999);
    simulator.stop().await;
}

const BY_REPOSITORY: &str = r#"
query($login: String!, $after: String) {
  user(login: $login) {
    contributionsCollection(from: "2025-11-01T00:00:00Z", to: "2026-10-31T23:59:59Z") {
      totalCommitContributions
      commitContributionsByRepository(maxRepositories: 100) {
        repository { nameWithOwner }
        contributions(first: 7, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { occurredAt commitCount } }
      }
    }
  }
}"#;

#[tokio::test]
async fn per_repository_commit_days_page_by_cursor_and_add_up() {
    let (simulator, url) = start(SimConfig::default()).await;
    let world = &simulator.world;
    let account = busiest(world);
    let first = query(&url, BY_REPOSITORY, json!({ "login": account.username })).await;
    let collection = &first["data"]["user"]["contributionsCollection"];
    let repos = collection["commitContributionsByRepository"]
        .as_array()
        .unwrap();
    let mut total = 0;
    let mut follow_ups = 0;
    for (index, repo) in repos.iter().enumerate() {
        let mut connection = repo["contributions"].clone();
        let mut days = 0;
        loop {
            for node in connection["nodes"].as_array().unwrap() {
                assert!(node["occurredAt"].as_str().unwrap().ends_with("T00:00:00Z"));
                total += node["commitCount"].as_u64().unwrap();
                days += 1;
            }
            if connection["pageInfo"]["hasNextPage"] != true {
                break;
            }
            let next = query(
                &url,
                BY_REPOSITORY,
                json!({ "login": account.username, "after": connection["pageInfo"]["endCursor"] }),
            )
            .await;
            follow_ups += 1;
            connection =
                next["data"]["user"]["contributionsCollection"]["commitContributionsByRepository"]
                    [index]["contributions"]
                    .clone();
        }
        assert_eq!(repo["contributions"]["totalCount"], days);
    }
    assert!(follow_ups > 0, "some repository needed a second page");
    assert_eq!(collection["totalCommitContributions"], total);
    simulator.stop().await;
}

#[tokio::test]
async fn windows_over_a_year_and_unknown_users_are_errors_in_a_200() {
    let (simulator, url) = start(SimConfig::default()).await;
    let account = busiest(&simulator.world);
    let too_long = query(
        &url,
        "{ user(login: \"LOGIN\") { contributionsCollection(from: \"2024-01-01T00:00:00Z\", to: \"2025-01-02T00:00:00Z\") { totalCommitContributions } } }"
            .replace("LOGIN", &account.username)
            .as_str(),
        json!({}),
    )
    .await;
    assert_eq!(too_long["data"]["user"], Value::Null);
    assert_eq!(too_long["errors"][0]["type"], "VALIDATION");
    assert_eq!(
        too_long["errors"][0]["message"],
        "The total time spanned by 'from' and 'to' must not exceed 1 year"
    );

    let unknown = query(
        &url,
        "{ user(login: \"no-such-user-x\") { login } }",
        json!({}),
    )
    .await;
    assert_eq!(unknown["data"]["user"], Value::Null);
    assert_eq!(unknown["errors"][0]["type"], "NOT_FOUND");
    assert_eq!(unknown["errors"][0]["path"], json!(["user"]));
    assert_eq!(
        unknown["errors"][0]["message"],
        "Could not resolve to a User with the login of 'no-such-user-x'."
    );
    simulator.stop().await;
}

#[tokio::test]
async fn schema_and_paging_mistakes_are_named() {
    let (simulator, url) = start(SimConfig::default()).await;
    let login = busiest(&simulator.world).username.clone();
    let unknown_field = query(
        &url,
        &format!("{{ user(login: \"{login}\") {{ shoeSize }} }}"),
        json!({}),
    )
    .await;
    assert!(
        unknown_field.get("data").is_none(),
        "static errors return no data"
    );
    assert_eq!(
        unknown_field["errors"][0]["message"],
        "Field 'shoeSize' doesn't exist on type 'User'"
    );
    assert_eq!(
        unknown_field["errors"][0]["extensions"]["code"],
        "undefinedField"
    );

    let collection = |connection: &str| {
        format!(
            "{{ user(login: \"{login}\") {{ contributionsCollection {{ {connection} {{ totalCount }} }} }} }}"
        )
    };
    let too_many = query(
        &url,
        &collection("issueContributions(first: 101)"),
        json!({}),
    )
    .await;
    assert_eq!(too_many["errors"][0]["type"], "EXCESSIVE_PAGINATION");
    assert_eq!(
        too_many["errors"][0]["message"],
        "Requesting 101 records on the `issueContributions` connection exceeds the `first` limit of 100 records."
    );
    let unbounded = query(&url, &collection("issueContributions"), json!({})).await;
    assert_eq!(
        unbounded["errors"][0]["type"],
        "MISSING_PAGINATION_BOUNDARIES"
    );

    let parse_error = query(&url, "{ user(login: ", json!({})).await;
    assert!(parse_error["errors"][0]["message"].is_string());
    simulator.stop().await;
}

#[tokio::test]
async fn fragments_aliases_and_details_resolve() {
    let (simulator, url) = start(SimConfig::default()).await;
    let world = &simulator.world;
    let account = busiest(world);
    let body = query(
        &url,
        r#"query Detail($login: String!) {
          who: user(login: $login) { ...Names
            contributionsCollection(from: "2025-11-01T00:00:00Z", to: "2026-10-31T23:59:59Z") {
              pullRequestContributions(first: 100, orderBy: {direction: ASC}) {
                totalCount nodes { occurredAt pullRequest { number state url repository { nameWithOwner } author { ... on User { login } } } }
              }
            }
          }
        }
        fragment Names on User { login name __typename }"#,
        json!({ "login": account.username }),
    )
    .await;
    assert!(body.get("errors").is_none(), "{body}");
    let who = &body["data"]["who"];
    assert_eq!(who["login"], account.username.as_str());
    assert_eq!(who["__typename"], "User");
    let nodes = who["contributionsCollection"]["pullRequestContributions"]["nodes"]
        .as_array()
        .unwrap();
    let times: Vec<&str> = nodes
        .iter()
        .map(|n| n["occurredAt"].as_str().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "ascending as asked");
    assert!(
        nodes
            .iter()
            .all(|n| n["pullRequest"]["author"]["login"] == account.username.as_str())
    );
    assert!(nodes.iter().all(|n| {
        ["OPEN", "CLOSED", "MERGED"].contains(&n["pullRequest"]["state"].as_str().unwrap())
    }));
    simulator.stop().await;
}

#[tokio::test]
async fn points_run_out_into_rate_limited_and_tokens_are_required() {
    let config = SimConfig {
        github: GitHubLimits {
            graphql: Limit {
                units: 2,
                window: Duration::from_secs(3600),
            },
            ..GitHubLimits::default()
        },
        ..SimConfig::default()
    };
    let (simulator, url) = start(config).await;
    let (status, anonymous) = post(&url, None, "{ viewer { login } }", json!({})).await;
    assert_eq!(status, 401);
    assert_eq!(
        anonymous["message"],
        "This endpoint requires you to be authenticated."
    );
    let (status, _) = post(
        &url,
        Some("not-a-sim-token"),
        "{ viewer { login } }",
        json!({}),
    )
    .await;
    assert_eq!(status, 401);

    for remaining in [1, 0] {
        let body = query(
            &url,
            "{ viewer { login } rateLimit { remaining } }",
            json!({}),
        )
        .await;
        assert_eq!(body["data"]["rateLimit"]["remaining"], remaining);
    }
    let response = reqwest::Client::new()
        .post(&url)
        .header("authorization", format!("bearer {TOKEN}"))
        .json(&json!({ "query": "{ viewer { login } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(common::header(&response, "x-ratelimit-remaining"), "0");
    assert_eq!(common::header(&response, "x-ratelimit-resource"), "graphql");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["errors"][0]["type"], "RATE_LIMITED");
    simulator.stop().await;
}
