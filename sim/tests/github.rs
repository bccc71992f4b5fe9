//! The simulated GitHub over real HTTP: paging, budgets, conditional
//! requests, errors, and the recorded api.github.com responses in
//! shared/fixtures/github as the contract for shapes and headers.
#![allow(
    clippy::unwrap_used,
    reason = "a test or benchmark stops loudly on what it did not expect"
)]

mod common;

use common::header;

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use reqwest::StatusCode;
use serde_json::Value;
use sim::server::budget::Limit;
use sim::server::{GitHubLimits, SimConfig, Simulator};
use sim::world::{Forge, Owner, World};

const TOKEN: &str = "sim_test_token";

fn world() -> Arc<World> {
    common::one_year_world(21, 40, 30)
}

async fn start(config: SimConfig) -> (Simulator, String) {
    let simulator = Simulator::start(world(), config).await.unwrap();
    let url = simulator.url(Forge::GitHub).unwrap().to_owned();
    (simulator, url)
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

async fn get(url: &str) -> reqwest::Response {
    client().get(url).bearer_auth(TOKEN).send().await.unwrap()
}

fn next_link(response: &reqwest::Response) -> Option<String> {
    header(response, "link")
        .split(", ")
        .find(|l| l.ends_with("rel=\"next\""))
        .map(|l| {
            l.trim_start_matches('<')
                .split('>')
                .next()
                .unwrap()
                .to_owned()
        })
}

fn busiest_repo(world: &World) -> String {
    let repo = world
        .repos
        .iter()
        .filter(|r| r.forge == Forge::GitHub && !r.deleted)
        .max_by_key(|r| world.commits.iter().filter(|c| c.repo == r.id).count())
        .unwrap();
    world.full_name(repo)
}

#[tokio::test]
async fn commits_page_to_the_last_page_without_loss_or_repeats() {
    let (simulator, url) = start(SimConfig::default()).await;
    let full_name = busiest_repo(&simulator.world);
    let repo = simulator
        .world
        .repos
        .iter()
        .find(|r| simulator.world.full_name(r) == full_name)
        .unwrap();
    let expected = simulator
        .world
        .commits
        .iter()
        .filter(|c| c.repo == repo.id)
        .count();
    assert!(
        expected > 100,
        "the test needs several pages, got {expected} commits"
    );

    let mut next = Some(format!("{url}/repos/{full_name}/commits?per_page=100"));
    let mut seen = HashSet::new();
    let mut pages = 0;
    while let Some(page_url) = next {
        let response = get(&page_url).await;
        assert_eq!(response.status(), StatusCode::OK);
        next = next_link(&response);
        let items: Vec<Value> = response.json().await.unwrap();
        assert!(items.len() <= 100);
        for item in items {
            assert!(
                seen.insert(item["sha"].as_str().unwrap().to_owned()),
                "a commit came twice"
            );
        }
        pages += 1;
    }
    assert_eq!(seen.len(), expected);
    assert_eq!(pages, expected.div_ceil(100));
    simulator.stop().await;
}

#[tokio::test]
async fn commits_filter_by_author_and_dates() {
    let (simulator, url) = start(SimConfig::default()).await;
    let world = &simulator.world;
    let full_name = busiest_repo(world);
    let repo = world
        .repos
        .iter()
        .find(|r| world.full_name(r) == full_name)
        .unwrap();
    let author = world.account(
        world
            .commits
            .iter()
            .find(|c| c.repo == repo.id)
            .unwrap()
            .author,
    );
    let since = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
    let until = Utc.with_ymd_and_hms(2026, 6, 30, 23, 59, 59).unwrap();
    let expected = world
        .commits
        .iter()
        .filter(|c| {
            c.repo == repo.id
                && c.author == author.id
                && c.committed_at >= since
                && c.committed_at <= until
        })
        .count();
    let response = get(&format!(
        "{url}/repos/{full_name}/commits?author={}&since=2026-03-01T00:00:00Z&until=2026-06-30T23:59:59Z&per_page=100",
        author.username.to_uppercase()
    ))
    .await;
    let items: Vec<Value> = response.json().await.unwrap();
    assert_eq!(items.len(), expected.min(100));
    assert!(
        items
            .iter()
            .all(|c| c["author"]["login"] == author.username.as_str())
    );
    simulator.stop().await;
}

#[tokio::test]
async fn a_budget_runs_out_with_403_and_renews_at_reset() {
    let limits = GitHubLimits {
        core: Limit {
            units: 3,
            window: Duration::from_secs(2),
        },
        ..GitHubLimits::default()
    };
    let (simulator, url) = start(SimConfig {
        github: limits,
        ..SimConfig::default()
    })
    .await;
    let target = format!("{url}/rate_limit");
    let user_url = format!(
        "{url}/users/{}",
        simulator
            .world
            .find_account(Forge::GitHub, &first_login(&simulator.world))
            .unwrap()
            .username
    );
    for remaining in ["2", "1", "0"] {
        let response = get(&user_url).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(header(&response, "x-ratelimit-remaining"), remaining);
    }
    let refused = get(&user_url).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(header(&refused, "x-ratelimit-remaining"), "0");
    let reset: i64 = header(&refused, "x-ratelimit-reset").parse().unwrap();
    let body: Value = refused.json().await.unwrap();
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("API rate limit exceeded")
    );

    // /rate_limit itself is free and agrees with the headers.
    let status: Value = get(&target).await.json().await.unwrap();
    assert_eq!(status["resources"]["core"]["remaining"], 0);
    assert_eq!(status["resources"]["core"]["reset"], reset);

    let wait = u64::try_from((reset - Utc::now().timestamp()).max(0)).unwrap() + 1;
    tokio::time::sleep(Duration::from_secs(wait)).await;
    let renewed = get(&user_url).await;
    assert_eq!(renewed.status(), StatusCode::OK);
    assert_eq!(header(&renewed, "x-ratelimit-remaining"), "2");
    simulator.stop().await;
}

fn first_login(world: &World) -> String {
    world
        .accounts
        .iter()
        .find(|a| a.forge == Forge::GitHub && !a.deleted)
        .unwrap()
        .username
        .clone()
}

#[tokio::test]
async fn a_304_costs_nothing_and_a_changed_tag_costs_one() {
    let (simulator, url) = start(SimConfig::default()).await;
    let repo_url = format!("{url}/repos/{}", busiest_repo(&simulator.world));
    let first = get(&repo_url).await;
    let etag = header(&first, "etag");
    let remaining: u32 = header(&first, "x-ratelimit-remaining").parse().unwrap();
    assert!(!etag.is_empty());

    for _ in 0..3 {
        let unchanged = client()
            .get(&repo_url)
            .bearer_auth(TOKEN)
            .header("if-none-match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(unchanged.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(
            header(&unchanged, "x-ratelimit-remaining"),
            remaining.to_string()
        );
        assert_eq!(header(&unchanged, "etag"), etag);
    }
    let stale = client()
        .get(&repo_url)
        .bearer_auth(TOKEN)
        .header("if-none-match", "\"other\"")
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), StatusCode::OK);
    assert_eq!(
        header(&stale, "x-ratelimit-remaining"),
        (remaining - 1).to_string()
    );
    simulator.stop().await;
}

#[tokio::test]
async fn anonymous_callers_get_the_lower_budget_and_bad_tokens_a_401() {
    let (simulator, url) = start(SimConfig::default()).await;
    let anonymous = client()
        .get(format!("{url}/rate_limit"))
        .send()
        .await
        .unwrap();
    assert_eq!(header(&anonymous, "x-ratelimit-limit"), "60");
    let bad = client()
        .get(format!("{url}/rate_limit"))
        .bearer_auth("ghp_not_a_sim_token")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::UNAUTHORIZED);
    let body: Value = bad.json().await.unwrap();
    assert_eq!(body["message"], "Bad credentials");
    simulator.stop().await;
}

#[tokio::test]
async fn unknown_things_are_404_with_githubs_body() {
    let (simulator, url) = start(SimConfig::default()).await;
    for path in [
        "/users/no-such-user-anywhere",
        "/repos/nobody/nothing",
        "/no/such/route",
    ] {
        let response = get(&format!("{url}{path}")).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["message"], "Not Found");
        assert_eq!(body["status"], "404");
    }
    let bad_state = get(&format!(
        "{url}/repos/{}/issues?state=everything",
        busiest_repo(&simulator.world)
    ))
    .await;
    assert_eq!(bad_state.status(), StatusCode::UNPROCESSABLE_ENTITY);
    simulator.stop().await;
}

#[tokio::test]
async fn a_renamed_repository_redirects_to_its_new_name() {
    // The first seed whose world renamed a live GitHub repository (3% are).
    let renamed_in = |world: &World| {
        world
            .repos
            .iter()
            .position(|r| r.forge == Forge::GitHub && !r.deleted && r.previous_name.is_some())
    };
    let (world, index) = (0..100)
        .map(|seed| common::one_year_world(seed, 10, 60))
        .find_map(|world| renamed_in(&world).map(|index| (world, index)))
        .expect("some seed renames a GitHub repository");
    let renamed = &world.repos[index];
    let old = format!(
        "{}/{}",
        world.owner_login(renamed.owner),
        renamed.previous_name.as_deref().unwrap()
    );
    let new = world.full_name(renamed);
    let simulator = Simulator::start(world.clone(), SimConfig::default())
        .await
        .unwrap();
    let url = simulator.url(Forge::GitHub).unwrap();
    let body: Value = get(&format!("{url}/repos/{old}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["full_name"], new.as_str());
    simulator.stop().await;
}

// ---- Contract with the recorded api.github.com responses ----

/// `shared/` sits beside the project's root (TALLY_SHARED_DIR overrides).
fn fixture(name: &str) -> Value {
    let shared = std::env::var("TALLY_SHARED_DIR")
        .unwrap_or_else(|_| format!("{}/../../shared", env!("CARGO_MANIFEST_DIR")));
    let path = format!("{shared}/fixtures/github/{name}");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!("recorded fixture {path}: {e} (set TALLY_SHARED_DIR to the shared/ folder)")
    });
    serde_json::from_str::<Value>(&text).unwrap()[0].clone()
}

/// Every field the recorded object has, the simulated one has too, with the
/// same JSON type (null matches anything: those fields are nullable), recursively.
fn assert_same_shape(recorded: &Value, simulated: &Value, path: &str, skip: &[&str]) {
    match (recorded, simulated) {
        (Value::Object(r), Value::Object(s)) => {
            for (key, value) in r {
                if skip.contains(&key.as_str()) {
                    continue;
                }
                let here = format!("{path}.{key}");
                let other = s
                    .get(key)
                    .unwrap_or_else(|| panic!("simulator lacks {here}"));
                assert_same_shape(value, other, &here, skip);
            }
        }
        (Value::Array(r), Value::Array(s)) => {
            if let (Some(r), Some(s)) = (r.first(), s.first()) {
                assert_same_shape(r, s, &format!("{path}[]"), skip);
            }
        }
        (Value::Null, _) | (_, Value::Null) => {}
        (r, s) => assert_eq!(kind(r), kind(s), "type of {path}"),
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn assert_same_headers(recorded: &Value, response: &reqwest::Response) {
    // Hop-by-hop and per-connection headers say nothing about the API.
    let ignored = ["connection", "content-length", "last-modified"];
    let have: BTreeSet<String> = response
        .headers()
        .keys()
        .map(|k| k.as_str().to_owned())
        .collect();
    for name in recorded["headers"].as_object().unwrap().keys() {
        if !ignored.contains(&name.as_str()) {
            assert!(have.contains(name), "simulator lacks header {name}");
        }
    }
}

#[tokio::test]
async fn repository_matches_the_recorded_response() {
    let (simulator, url) = start(SimConfig::default()).await;
    let world = &simulator.world;
    let repo = world
        .repos
        .iter()
        .find(|r| r.forge == Forge::GitHub && !r.deleted && matches!(r.owner, Owner::Org(_)))
        .unwrap();
    let response = get(&format!("{url}/repos/{}", world.full_name(repo))).await;
    let recorded = fixture("get-repository.json");
    assert_same_headers(&recorded, &response);
    let body: Value = response.json().await.unwrap();
    // `permissions` and `temp_clone_token` are shown only to collaborators, and
    // the merge settings only to admins; the fixture was recorded as an admin.
    let admin_only = [
        "permissions",
        "temp_clone_token",
        "allow_squash_merge",
        "allow_merge_commit",
        "allow_rebase_merge",
        "allow_auto_merge",
        "delete_branch_on_merge",
        "allow_update_branch",
        "use_squash_pr_title_as_default",
    ];
    assert_same_shape(&recorded["response"], &body, "repo", &admin_only);
    simulator.stop().await;
}

#[tokio::test]
async fn organization_matches_the_recorded_response() {
    let (simulator, url) = start(SimConfig::default()).await;
    let org = simulator
        .world
        .orgs
        .iter()
        .find(|o| o.forge == Forge::GitHub)
        .unwrap();
    let response = get(&format!("{url}/orgs/{}", org.login)).await;
    let recorded = fixture("get-organization.json");
    assert_same_headers(&recorded, &response);
    let body: Value = response.json().await.unwrap();
    // The recording was made by an owner of the organisation; these fields are owners' only.
    let owners_only = [
        "total_private_repos",
        "owned_private_repos",
        "private_gists",
        "disk_usage",
        "collaborators",
        "billing_email",
        "default_repository_permission",
        "members_can_create_repositories",
        "two_factor_requirement_enabled",
        "members_allowed_repository_creation_type",
        "members_can_create_public_repositories",
        "members_can_create_private_repositories",
        "members_can_create_internal_repositories",
        "members_can_create_pages",
        "members_can_fork_private_repositories",
        "members_can_create_public_pages",
        "members_can_create_private_pages",
        "web_commit_signoff_required",
        "plan",
    ];
    assert_same_shape(&recorded["response"], &body, "org", &owners_only);
    simulator.stop().await;
}

#[tokio::test]
async fn issues_and_labels_match_the_recorded_shapes() {
    let (simulator, url) = start(SimConfig::default()).await;
    let world = &simulator.world;
    let issue = world
        .issues
        .iter()
        .find(|i| {
            world.repo(i.repo).forge == Forge::GitHub
                && !i.labels.is_empty()
                && !world.repo(i.repo).deleted
        })
        .unwrap();
    let full_name = world.full_name(world.repo(issue.repo));
    let response = get(&format!(
        "{url}/repos/{full_name}/issues?state=all&per_page=100"
    ))
    .await;
    let items: Vec<Value> = response.json().await.unwrap();
    let simulated = items
        .iter()
        .find(|i| i["labels"].as_array().is_some_and(|l| !l.is_empty()))
        .unwrap();
    let recorded = fixture("search-issues.json");
    // `score` belongs to search results only.
    assert_same_shape(
        &recorded["response"]["items"][0],
        simulated,
        "issue",
        &["score"],
    );
    let label = fixture("labels.json");
    assert_same_shape(&label["response"][0], &simulated["labels"][0], "label", &[]);
    simulator.stop().await;
}

#[tokio::test]
async fn search_counts_exactly_what_the_world_holds_and_charges_the_search_budget() {
    let (simulator, url) = start(SimConfig::default()).await;
    let world = &simulator.world;
    let author = world
        .accounts
        .iter()
        .filter(|a| a.forge == Forge::GitHub && !a.deleted)
        .max_by_key(|a| world.changes.iter().filter(|c| c.author == a.id).count())
        .unwrap();
    let from = Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, 0).unwrap();
    let to = Utc.with_ymd_and_hms(2026, 7, 31, 23, 59, 59).unwrap();
    let expected = world
        .changes
        .iter()
        .filter(|c| {
            c.author == author.id
                && !world.repo(c.repo).deleted
                && c.created_at >= from
                && c.created_at <= to
        })
        .count();
    let q = format!(
        "is:pr author:{} created:2026-02-01..2026-07-31",
        author.username
    );
    let response = client()
        .get(format!("{url}/search/issues"))
        .query(&[("q", q.as_str()), ("per_page", "100")])
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(header(&response, "x-ratelimit-resource"), "search");
    assert_eq!(header(&response, "x-ratelimit-limit"), "30");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["total_count"], expected);
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.len(), expected.min(100));
    assert!(
        items.iter().all(
            |i| i["pull_request"].is_object() && i["user"]["login"] == author.username.as_str()
        )
    );
    simulator.stop().await;
}

#[tokio::test]
async fn search_serves_only_the_first_thousand_results() {
    let world = common::one_year_world(2, 120, 40);
    let pulls = world
        .changes
        .iter()
        .filter(|c| world.repo(c.repo).forge == Forge::GitHub && !world.repo(c.repo).deleted)
        .count();
    assert!(
        pulls > 1000,
        "the test needs more than 1,000 pull requests, got {pulls}"
    );
    let simulator = Simulator::start(world, SimConfig::default()).await.unwrap();
    let url = simulator.url(Forge::GitHub).unwrap();
    let page = |n: u32| {
        client()
            .get(format!("{url}/search/issues"))
            .query(&[
                ("q", "is:pr"),
                ("per_page", "100"),
                ("page", &n.to_string()),
            ])
            .bearer_auth(TOKEN)
            .send()
    };
    let tenth = page(10).await.unwrap();
    assert_eq!(tenth.status(), StatusCode::OK);
    assert!(
        next_link(&tenth).is_none(),
        "no link beyond the 1,000th result"
    );
    let body: Value = tenth.json().await.unwrap();
    assert_eq!(
        body["total_count"], pulls,
        "the total still tells the truth"
    );
    assert_eq!(body["items"].as_array().unwrap().len(), 100);
    let eleventh = page(11).await.unwrap();
    assert_eq!(eleventh.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = eleventh.json().await.unwrap();
    assert_eq!(
        body["message"],
        "Only the first 1000 search results are available"
    );
    simulator.stop().await;
}

#[tokio::test]
async fn if_modified_since_answers_304_for_free_and_200_when_older() {
    let (simulator, url) = start(SimConfig::default()).await;
    let repo_url = format!("{url}/repos/{}", busiest_repo(&simulator.world));
    let first = get(&repo_url).await;
    let modified = header(&first, "last-modified");
    let remaining: u32 = header(&first, "x-ratelimit-remaining").parse().unwrap();
    assert!(modified.ends_with("GMT"), "{modified}");

    let fresh = client()
        .get(&repo_url)
        .bearer_auth(TOKEN)
        .header("if-modified-since", &modified)
        .send()
        .await
        .unwrap();
    assert_eq!(fresh.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(
        header(&fresh, "x-ratelimit-remaining"),
        remaining.to_string()
    );

    let old = client()
        .get(&repo_url)
        .bearer_auth(TOKEN)
        .header("if-modified-since", "Mon, 01 Jan 2001 00:00:00 GMT")
        .send()
        .await
        .unwrap();
    assert_eq!(old.status(), StatusCode::OK);
    assert_eq!(
        header(&old, "x-ratelimit-remaining"),
        (remaining - 1).to_string()
    );
    simulator.stop().await;
}
