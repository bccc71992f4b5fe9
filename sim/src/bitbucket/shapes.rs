//! Bitbucket Cloud 2.0 objects (`account`, `workspace`, `repository`,
//! `commit`, `pullrequest`, `issue`, …) as the swagger definitions name them:
//! a `type` on every object, `links` of `{href}`, UUIDs in braces.

use chrono::{DateTime, FixedOffset, Offset, Utc};
use serde_json::{Value, json};

use crate::server::paging::encode;
use crate::world::{
    Account, ChangeRequest, Comment, Commit, Id, Issue, Org, Owner, Repo, ReviewState, Status,
    World,
};

/// `2016-08-30T12:59:02.440738+00:00`: microseconds and an offset.
pub fn time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string()
}

/// A stable version-4-looking UUID in braces for one object of one kind.
pub fn uuid(kind: u8, id: Id) -> String {
    let mut x =
        (u64::from(id) << 8 | u64::from(kind)).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xB17B_0C4E;
    let mut hex = String::new();
    while hex.len() < 32 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        hex.push_str(&format!("{x:016x}"));
    }
    format!(
        "{{{}-{}-4{}-a{}-{}}}",
        &hex[0..8],
        &hex[8..12],
        &hex[13..16],
        &hex[17..20],
        &hex[20..32]
    )
}

pub const ACCOUNT: u8 = 1;
pub const WORKSPACE: u8 = 2;
pub const REPOSITORY: u8 = 3;

pub fn account_id(id: Id) -> String {
    format!(
        "5b{:022x}",
        u64::from(id).wrapping_mul(0x2545_F491_4F6C_DD1D)
    )
}

fn href(url: String) -> Value {
    json!({ "href": url })
}

pub fn account(base: &str, account: &Account) -> Value {
    let uuid = uuid(ACCOUNT, account.id);
    json!({
        "type": "user",
        "uuid": uuid,
        "account_id": account_id(account.id),
        "display_name": account.display_name,
        "nickname": account.username,
        "links": {
            "self": href(format!("{base}/2.0/users/{}", encode(&uuid))),
            "html": href(format!("{base}/{}/", encode(&uuid))),
            "avatar": href(format!("{base}/account/{}/avatar", account.username)),
        },
    })
}

/// `GET /users/{user}` and `/user`: the account with its creation time.
pub fn account_page(base: &str, account: &Account) -> Value {
    let mut body = self::account(base, account);
    if let Value::Object(map) = &mut body {
        map.insert("created_on".into(), json!(time(account.created_at)));
        map.insert("account_status".into(), json!("active"));
    }
    body
}

/// A workspace: an organisation's, or the personal one every account has.
pub fn workspace(
    base: &str,
    slug: &str,
    name: &str,
    uuid: String,
    created: DateTime<Utc>,
) -> Value {
    json!({
        "type": "workspace",
        "uuid": uuid,
        "name": name,
        "slug": slug,
        "is_private": false,
        "created_on": time(created),
        "links": {
            "self": href(format!("{base}/2.0/workspaces/{slug}")),
            "html": href(format!("{base}/{slug}/")),
            "repositories": href(format!("{base}/2.0/repositories/{slug}")),
            "members": href(format!("{base}/2.0/workspaces/{slug}/members")),
        },
    })
}

pub fn org_workspace(base: &str, org: &Org) -> Value {
    workspace(
        base,
        &org.login,
        &org.name,
        uuid(WORKSPACE, org.id),
        org.created_at,
    )
}

pub fn personal_workspace(base: &str, account: &Account) -> Value {
    workspace(
        base,
        &account.username,
        &account.display_name,
        uuid(ACCOUNT, account.id),
        account.created_at,
    )
}

fn owner_workspace(base: &str, world: &World, owner: Owner) -> Value {
    match owner {
        Owner::Org(id) => org_workspace(base, &world.orgs[id as usize]),
        Owner::Account(id) => personal_workspace(base, world.account(id)),
    }
}

/// The short form of a repository inside other objects.
fn repository_ref(base: &str, world: &World, repo: &Repo) -> Value {
    let full_name = world.full_name(repo);
    json!({
        "type": "repository",
        "full_name": full_name,
        "name": repo.name,
        "uuid": uuid(REPOSITORY, repo.id),
        "links": {
            "self": href(format!("{base}/2.0/repositories/{full_name}")),
            "html": href(format!("{base}/{full_name}")),
        },
    })
}

pub fn repository(base: &str, world: &World, repo: &Repo) -> Value {
    let full_name = world.full_name(repo);
    let api = format!("{base}/2.0/repositories/{full_name}");
    let updated = world
        .commits_in(repo.id)
        .next_back()
        .map_or(repo.created_at, |c| c.committed_at);
    let mut body = json!({
        "type": "repository",
        "full_name": full_name,
        "name": repo.name,
        "slug": repo.name,
        "uuid": uuid(REPOSITORY, repo.id),
        "description": repo.description,
        "is_private": false,
        "scm": "git",
        "language": repo.language.to_lowercase(),
        "size": repo.languages.iter().map(|(_, bytes)| bytes).sum::<u64>(),
        "created_on": time(repo.created_at),
        "updated_on": time(updated),
        "has_issues": true,
        "has_wiki": false,
        "fork_policy": "allow_forks",
        "mainbranch": { "type": "branch", "name": "main" },
        "owner": match repo.owner {
            Owner::Account(id) => account(base, world.account(id)),
            Owner::Org(id) => json!({ "type": "team", "uuid": uuid(WORKSPACE, id),
                "display_name": world.orgs[id as usize].name, "username": world.orgs[id as usize].login }),
        },
        "workspace": owner_workspace(base, world, repo.owner),
        "links": {
            "self": href(api.clone()),
            "html": href(format!("{base}/{full_name}")),
            "commits": href(format!("{api}/commits")),
            "pullrequests": href(format!("{api}/pullrequests")),
            "issues": href(format!("{api}/issues")),
            "watchers": href(format!("{api}/watchers")),
            "clone": [{ "name": "https", "href": format!("{base}/{full_name}.git") }],
        },
    });
    // Only a fork has a parent.
    if let Some(parent) = repo.fork_of.map(|id| world.repo(id)) {
        let parent_name = world.full_name(parent);
        body["parent"] = json!({
            "type": "repository",
            "full_name": parent_name,
            "name": parent.name,
            "uuid": uuid(REPOSITORY, parent.id),
            "links": {
                "self": href(format!("{base}/2.0/repositories/{parent_name}")),
                "html": href(format!("{base}/{parent_name}")),
            },
        });
    }
    body
}

fn with_offset(at: DateTime<Utc>, minutes: i32) -> String {
    let offset = FixedOffset::east_opt(minutes * 60).unwrap_or_else(|| Utc.fix());
    at.with_timezone(&offset)
        .format("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

/// A commit; an author whose account is gone keeps only the raw signature.
pub fn commit(base: &str, world: &World, commit: &Commit) -> Value {
    let repo = world.repo(commit.repo);
    let full_name = world.full_name(repo);
    let author = world.account(commit.author);
    let mut signature = json!({
        "type": "author",
        "raw": format!("{} <{}>", author.display_name, author.email),
    });
    if !author.deleted
        && let Value::Object(map) = &mut signature
    {
        map.insert("user".into(), account(base, author));
    }
    json!({
        "type": "commit",
        "hash": commit.sha,
        "date": with_offset(commit.authored_at, commit.utc_offset_minutes),
        "author": signature,
        "message": format!("{}\n", commit.message),
        "summary": { "type": "rendered", "raw": format!("{}\n", commit.message), "markup": "markdown",
            "html": format!("<p>{}</p>", commit.message) },
        "parents": [],
        "repository": repository_ref(base, world, repo),
        "links": {
            "self": href(format!("{base}/2.0/repositories/{full_name}/commit/{}", commit.sha)),
            "html": href(format!("{base}/{full_name}/commits/{}", commit.sha)),
        },
    })
}

pub fn pr_state(status: Status) -> &'static str {
    match status {
        Status::Open => "OPEN",
        Status::Merged => "MERGED",
        Status::Closed | Status::Abandoned => "DECLINED",
    }
}

/// A pull request as lists show it; `detailed` adds reviewers and participants
/// (which Bitbucket leaves out of lists).
pub fn pullrequest(base: &str, world: &World, change: &ChangeRequest, detailed: bool) -> Value {
    let repo = world.repo(change.repo);
    let full_name = world.full_name(repo);
    let api = format!(
        "{base}/2.0/repositories/{full_name}/pullrequests/{}",
        change.number
    );
    let branch = |name: String| json!({ "branch": { "name": name }, "repository": repository_ref(base, world, repo) });
    let mut body = json!({
        "type": "pullrequest",
        "id": change.number,
        "title": change.title,
        "description": "",
        "state": pr_state(change.status),
        "author": account(base, world.account(change.author)),
        "source": branch(format!("feature/{}", change.number)),
        "destination": branch("main".into()),
        "merge_commit": change.merged_at.map(|_| json!({ "type": "commit", "hash": format!("{:040x}", change.id) })),
        "comment_count": change.reviews.iter().filter(|r| r.state == ReviewState::Commented).count(),
        "task_count": 0,
        "close_source_branch": false,
        "closed_by": change.closed_at.map(|_| account(base, world.account(change.author))),
        "reason": "",
        "created_on": time(change.created_at),
        "updated_on": time(change.updated_at),
        "links": {
            "self": href(api.clone()),
            "html": href(format!("{base}/{full_name}/pull-requests/{}", change.number)),
            "activity": href(format!("{api}/activity")),
        },
    });
    if detailed && let Value::Object(map) = &mut body {
        let participants: Vec<Value> = change
            .reviews
            .iter()
            .map(|r| {
                json!({
                    "type": "participant",
                    "user": account(base, world.account(r.reviewer)),
                    "role": "REVIEWER",
                    "approved": r.state == ReviewState::Approved,
                    "state": match r.state {
                        ReviewState::Approved => json!("approved"),
                        ReviewState::ChangesRequested => json!("changes_requested"),
                        ReviewState::Commented => Value::Null,
                    },
                    "participated_on": time(r.submitted_at),
                })
            })
            .collect();
        let reviewers: Vec<Value> = participants.iter().map(|p| p["user"].clone()).collect();
        map.insert("participants".into(), Value::Array(participants));
        map.insert("reviewers".into(), Value::Array(reviewers));
    }
    body
}

/// A pull request's activity, newest first: state updates, approvals,
/// requested changes and comments.
pub fn activity(base: &str, world: &World, change: &ChangeRequest) -> Vec<(DateTime<Utc>, Value)> {
    let pr = json!({ "type": "pullrequest", "id": change.number, "title": change.title });
    let author = account(base, world.account(change.author));
    let update = |state: &str, at: DateTime<Utc>| {
        json!({ "update": { "state": state, "date": time(at), "author": author, "title": change.title },
            "pull_request": pr })
    };
    let mut entries = vec![(change.created_at, update("OPEN", change.created_at))];
    if let Some(closed) = change.closed_at {
        entries.push((closed, update(pr_state(change.status), closed)));
    }
    for review in &change.reviews {
        let user = account(base, world.account(review.reviewer));
        let at = review.submitted_at;
        let entry = match review.state {
            ReviewState::Approved => {
                json!({ "approval": { "date": time(at), "user": user, "pullrequest": pr }, "pull_request": pr })
            }
            ReviewState::ChangesRequested => {
                json!({ "changes_requested": { "date": time(at), "user": user, "pullrequest": pr }, "pull_request": pr })
            }
            ReviewState::Commented => {
                json!({ "comment": { "type": "pullrequest_comment", "id": review.id,
                "created_on": time(at), "user": user, "content": { "raw": "Looks reasonable.", "markup": "markdown" } }, "pull_request": pr })
            }
        };
        entries.push((at, entry));
    }
    entries.sort_by_key(|(at, _)| std::cmp::Reverse(*at));
    entries
}

/// Bitbucket issues have no labels: a `kind` (bug, enhancement, proposal,
/// task), a `priority` and a `component`, which carries other labels.
pub fn issue_kind(issue: &Issue) -> &'static str {
    if issue.labels.iter().any(|l| crate::world::is_bug_label(l)) {
        "bug"
    } else if issue
        .labels
        .iter()
        .any(|l| l.contains("enhancement") || l.contains("feature"))
    {
        "enhancement"
    } else {
        "task"
    }
}

pub fn issue_priority(issue: &Issue) -> &'static str {
    ["trivial", "minor", "major", "critical", "blocker"][usize::from(issue.priority.min(4))]
}

pub fn issue_state(issue: &Issue) -> &'static str {
    match (issue.closed_at.is_some(), issue.comments.is_empty()) {
        (true, _) => "resolved",
        (false, true) => "new",
        (false, false) => "open",
    }
}

/// The first label that is not the kind, as Bitbucket's component.
pub fn issue_component(issue: &Issue) -> Option<&'static str> {
    issue
        .labels
        .iter()
        .copied()
        .find(|l| !crate::world::is_bug_label(l))
}

pub fn issue(base: &str, world: &World, issue: &Issue) -> Value {
    let repo = world.repo(issue.repo);
    let full_name = world.full_name(repo);
    json!({
        "type": "issue",
        "id": issue.number,
        "title": issue.title,
        "content": { "type": "rendered", "raw": issue.body, "markup": "markdown", "html": format!("<p>{}</p>", issue.body) },
        "reporter": account(base, world.account(issue.author)),
        "assignee": issue.assignees.first().map(|a| account(base, world.account(*a))),
        "state": issue_state(issue),
        "kind": issue_kind(issue),
        "priority": issue_priority(issue),
        "component": issue_component(issue).map(|name| json!({ "type": "component", "name": name })),
        "milestone": null,
        "version": null,
        "votes": 0,
        "watches": 1,
        "created_on": time(issue.created_at),
        "updated_on": time(issue.updated_at),
        "edited_on": null,
        "repository": repository_ref(base, world, repo),
        "links": {
            "self": href(format!("{base}/2.0/repositories/{full_name}/issues/{}", issue.number)),
            "html": href(format!("{base}/{full_name}/issues/{}", issue.number)),
            "comments": href(format!("{base}/2.0/repositories/{full_name}/issues/{}/comments", issue.number)),
        },
    })
}

pub fn issue_comment(base: &str, world: &World, issue: &Issue, comment: &Comment) -> Value {
    let repo = world.repo(issue.repo);
    let full_name = world.full_name(repo);
    json!({
        "type": "issue_comment",
        "id": comment.id,
        "content": { "type": "rendered", "raw": comment.body, "markup": "markdown", "html": format!("<p>{}</p>", comment.body) },
        "user": account(base, world.account(comment.author)),
        "created_on": time(comment.created_at),
        "updated_on": null,
        "issue": { "type": "issue", "id": issue.number, "title": issue.title, "repository": repository_ref(base, world, repo) },
        "links": {
            "self": href(format!("{base}/2.0/repositories/{full_name}/issues/{}/comments/{}", issue.number, comment.id)),
            "html": href(format!("{base}/{full_name}/issues/{}#comment-{}", issue.number, comment.id)),
        },
    })
}

pub fn membership(base: &str, account: &Account, workspace: Value) -> Value {
    let slug = workspace["slug"].as_str().unwrap_or_default().to_owned();
    json!({
        "type": "workspace_membership",
        "user": self::account(base, account),
        "workspace": workspace,
        "links": { "self": href(format!("{base}/2.0/workspaces/{slug}/members/{}", encode(&uuid(ACCOUNT, account.id)))) },
    })
}
