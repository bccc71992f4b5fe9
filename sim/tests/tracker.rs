//! What an issue tracker needs from the simulator, over real HTTP: the
//! clock that moves issues through time, private repositories that only
//! their members' tokens read, revoked tokens, the repositories a token may
//! read, request counts, and the truth about a repository's issues.
#![allow(
    clippy::unwrap_used,
    reason = "a test or benchmark stops loudly on what it did not expect"
)]

mod common;

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sim::server::{SimConfig, Simulator};
use sim::truth::IssueTruth;
use sim::world::{Forge, Owner, Repo, World};

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The busiest live repository of `forge` by issues, and its full name.
fn busiest_repo(world: &World, forge: Forge) -> (&Repo, String) {
    let repo = world.repos_by_issues(forge)[0];
    (repo, world.full_name(repo))
}

/// Someone on the repository's forge who is not a member of it.
fn outsider(world: &World, repo: &Repo) -> String {
    world
        .accounts
        .iter()
        .find(|a| a.forge == repo.forge && !a.deleted && !world.is_member(a.id, repo))
        .unwrap()
        .username
        .clone()
}

fn member(world: &World, repo: &Repo) -> String {
    let id = match repo.owner {
        Owner::Account(id) => id,
        Owner::Org(org) => world.orgs[org as usize].members[0],
    };
    world.account(id).username.clone()
}

async fn get(url: String, token: Option<&str>) -> reqwest::Response {
    let mut request = client().get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn the_clock_shows_issues_as_they_stood() {
    let simulator = Simulator::start(common::one_year_world(71, 40, 12), SimConfig::default())
        .await
        .unwrap();
    let base = simulator.url(Forge::GitHub).unwrap().to_owned();
    let world = &simulator.world;
    let (repo, name) = busiest_repo(world, Forge::GitHub);
    let issues: Vec<_> = world.issues_in(repo.id).collect();
    // Halfway through the repository's issues: later ones are not opened yet.
    let middle: DateTime<Utc> = issues[issues.len() / 2].created_at;
    let truth_now: Vec<IssueTruth> =
        get(format!("{base}/_sim/truth/issues?repository={name}"), None)
            .await
            .json()
            .await
            .unwrap();
    assert_eq!(truth_now.len(), issues.len());

    let set = client()
        .put(format!("{base}/_sim/clock"))
        .json(&json!({ "now": middle }))
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), StatusCode::OK);
    let mut listed: Vec<Value> = Vec::new();
    for page in 1.. {
        let items: Vec<Value> = get(
            format!("{base}/repos/{name}/issues?state=all&per_page=100&page={page}"),
            Some("sim_admin"),
        )
        .await
        .json()
        .await
        .unwrap();
        if items.is_empty() {
            break;
        }
        listed.extend(items.into_iter().filter(|i| i["pull_request"].is_null()));
    }
    let visible = issues.iter().filter(|i| i.created_at <= middle).count();
    assert_eq!(listed.len(), visible);
    for item in &listed {
        let updated: DateTime<Utc> = item["updated_at"].as_str().unwrap().parse().unwrap();
        assert!(updated <= middle, "{item}");
        if item["state"] == "closed" {
            let closed: DateTime<Utc> = item["closed_at"].as_str().unwrap().parse().unwrap();
            assert!(closed <= middle);
        }
    }
    let truth_then: Vec<IssueTruth> =
        get(format!("{base}/_sim/truth/issues?repository={name}"), None)
            .await
            .json()
            .await
            .unwrap();
    assert_eq!(truth_then.len(), visible);
    // An issue opened before and commented after shows fewer comments then.
    let later_comments = truth_then
        .iter()
        .zip(&truth_now)
        .filter(|(then, now)| then.comments < now.comments)
        .count();
    let expected = issues
        .iter()
        .filter(|i| i.created_at <= middle && i.comments.iter().any(|c| c.created_at > middle))
        .count();
    assert_eq!(later_comments, expected);

    client()
        .put(format!("{base}/_sim/clock"))
        .json(&json!({ "now": null }))
        .send()
        .await
        .unwrap();
    let again: Vec<IssueTruth> = get(format!("{base}/_sim/truth/issues?repository={name}"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again, truth_now);
}

#[tokio::test]
async fn private_repositories_answer_only_their_members_and_instance_tokens() {
    let world = common::one_year_world(72, 40, 12);
    let (repo, name) = busiest_repo(&world, Forge::GitHub);
    let (member, outsider) = (member(&world, repo), outsider(&world, repo));
    let config = SimConfig {
        private_repositories: vec![(Forge::GitHub, name.clone())],
        ..SimConfig::default()
    };
    let simulator = Simulator::start(world.clone(), config).await.unwrap();
    let base = simulator.url(Forge::GitHub).unwrap().to_owned();
    let member_token = simulator.issue_token(Forge::GitHub, &member).unwrap();
    let outsider_token = simulator.issue_token(Forge::GitHub, &outsider).unwrap();

    for (token, status) in [
        (None, StatusCode::NOT_FOUND),
        (Some(outsider_token.as_str()), StatusCode::NOT_FOUND),
        (Some(member_token.as_str()), StatusCode::OK),
        (Some("sim_instance_admin"), StatusCode::OK),
    ] {
        let answer = get(format!("{base}/repos/{name}/issues"), token).await;
        assert_eq!(answer.status(), status, "{token:?}");
    }
    let shown: Value = get(format!("{base}/repos/{name}"), Some(&member_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(shown["private"], true);

    // The member's own list has it; the outsider's does not.
    let own = |token: String| {
        let base = base.clone();
        async move {
            let repos: Vec<Value> = get(format!("{base}/user/repos?per_page=100"), Some(&token))
                .await
                .json()
                .await
                .unwrap();
            repos
                .iter()
                .map(|r| r["full_name"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert!(own(member_token.clone()).await.contains(&name));
    assert!(!own(outsider_token.clone()).await.contains(&name));

    // Made public, everyone reads it again.
    client()
        .put(format!("{base}/_sim/private"))
        .json(&json!({ "repository": name, "private": false }))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    assert_eq!(
        get(format!("{base}/repos/{name}/issues"), None)
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_revoked_token_is_refused_and_others_keep_working() {
    let simulator = Simulator::start(common::one_year_world(73, 40, 12), SimConfig::default())
        .await
        .unwrap();
    let world = &simulator.world;
    for forge in [Forge::GitHub, Forge::GitLab] {
        let base = simulator.url(forge).unwrap().to_owned();
        let mut people = world
            .accounts
            .iter()
            .filter(|a| a.forge == forge && !a.deleted);
        let (one, other) = (people.next().unwrap(), people.next().unwrap());
        let first = simulator.issue_token(forge, &one.username).unwrap();
        let second = simulator.issue_token(forge, &other.username).unwrap();
        let me = if forge == Forge::GitHub {
            "/user"
        } else {
            "/api/v4/user"
        };
        assert_eq!(
            get(format!("{base}{me}"), Some(&first)).await.status(),
            StatusCode::OK
        );
        let revoked: Value = client()
            .post(format!("{base}/_sim/oauth/revoke"))
            .json(&json!({ "username": one.username }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(revoked["revoked"], 1, "{forge:?}");
        assert_eq!(
            get(format!("{base}{me}"), Some(&first)).await.status(),
            StatusCode::UNAUTHORIZED,
            "{forge:?}"
        );
        assert_eq!(
            get(format!("{base}{me}"), Some(&second)).await.status(),
            StatusCode::OK
        );
    }
}

#[tokio::test]
async fn gitlab_and_bitbucket_list_the_repositories_a_member_reads() {
    let simulator = Simulator::start(common::one_year_world(74, 60, 30), SimConfig::default())
        .await
        .unwrap();
    let world = &simulator.world;
    for forge in [Forge::GitLab, Forge::Bitbucket] {
        let base = simulator.url(forge).unwrap().to_owned();
        let (repo, name) = busiest_repo(world, forge);
        let member = member(world, repo);
        let token = simulator.issue_token(forge, &member).unwrap();
        let path = match forge {
            Forge::GitLab => "/api/v4/projects?membership=true&per_page=100",
            _ => "/2.0/repositories?role=member&pagelen=100",
        };
        let answer: Value = get(format!("{base}{path}"), Some(&token))
            .await
            .json()
            .await
            .unwrap();
        let names: Vec<String> = match forge {
            Forge::GitLab => answer.as_array().unwrap().iter(),
            _ => answer["values"].as_array().unwrap().iter(),
        }
        .map(|r| {
            r.get("path_with_namespace")
                .or(r.get("full_name"))
                .and_then(Value::as_str)
                .unwrap()
                .to_owned()
        })
        .collect();
        let account = world.find_account(forge, &member).unwrap();
        let expected = world
            .repos
            .iter()
            .filter(|r| r.forge == forge && !r.deleted && world.is_member(account.id, r))
            .count();
        assert!(names.contains(&name), "{forge:?}: {names:?}");
        assert_eq!(names.len(), expected, "{forge:?}");
    }
}

#[tokio::test]
async fn requests_are_counted_by_route() {
    let simulator = Simulator::start(common::one_year_world(75, 30, 10), SimConfig::default())
        .await
        .unwrap();
    let base = simulator.url(Forge::GitHub).unwrap().to_owned();
    let (_, name) = busiest_repo(&simulator.world, Forge::GitHub);
    for _ in 0..3 {
        get(format!("{base}/repos/{name}/issues"), Some("sim_x")).await;
    }
    get(format!("{base}/rate_limit"), Some("sim_x")).await;
    let counts: Value = get(format!("{base}/_sim/stats"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(counts["requests"], 4);
    assert_eq!(counts["by_route"]["GET /repos/{owner}/{repo}/issues"], 3);
    client()
        .delete(format!("{base}/_sim/stats"))
        .send()
        .await
        .unwrap();
    let counts: Value = get(format!("{base}/_sim/stats"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(counts["requests"], 0);
}

#[test]
fn busy_trackers_have_their_issues_and_leave_other_worlds_alone() {
    use sim::world::{WorldConfig, generate, generate_with_issues};
    let config = WorldConfig {
        seed: 76,
        people: 30,
        repos: 10,
        years: 1,
        until: chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 11, 1, 0, 0, 0).unwrap(),
    };
    let plain = generate(config);
    let busy = generate_with_issues(config, 300);
    assert_eq!(plain.commits.len(), busy.commits.len());
    for repo in busy
        .repos
        .iter()
        .filter(|r| r.forge != Forge::Gerrit && !r.deleted)
    {
        let issues: Vec<_> = busy.issues_in(repo.id).collect();
        assert!(issues.len() >= 300, "{}", busy.full_name(repo));
        let mut numbers: Vec<u32> = issues.iter().map(|i| i.number).collect();
        numbers.sort_unstable();
        numbers.dedup();
        assert_eq!(
            numbers.len(),
            issues.len(),
            "numbers are unique per repository"
        );
    }
}
