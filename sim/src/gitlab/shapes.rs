//! GitLab's JSON objects, as docs.gitlab.com's API pages show them.

use chrono::{DateTime, FixedOffset, Offset, Utc};
use serde_json::{Value, json};

use crate::world::{
    Account, ChangeRequest, Comment, Commit, Id, Issue, Org, Owner, Repo, Status, World,
};

/// GitLab writes UTC times with milliseconds: `2016-01-04T15:31:51.081Z`.
fn time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// Commit dates keep the author's offset: `2012-09-20T11:50:22.000+03:00`.
fn local_time(at: DateTime<Utc>, offset_minutes: i32) -> String {
    let offset = FixedOffset::east_opt(offset_minutes * 60).unwrap_or_else(|| Utc.fix());
    at.with_timezone(&offset)
        .format("%Y-%m-%dT%H:%M:%S%.3f%:z")
        .to_string()
}

pub fn user_id(id: Id) -> u64 {
    100 + u64::from(id)
}

pub fn group_id(id: Id) -> u64 {
    9_000 + u64::from(id)
}

pub fn project_id(id: Id) -> u64 {
    20_000 + u64::from(id)
}

pub fn user(base: &str, account: &Account) -> Value {
    json!({
        "id": user_id(account.id),
        "username": account.username,
        "name": account.display_name,
        "state": "active",
        "locked": false,
        "avatar_url": format!("{base}/uploads/-/system/user/avatar/{}/avatar.png", user_id(account.id)),
        "web_url": format!("{base}/{}", account.username),
    })
}

/// A deleted user's items show GitLab's "Ghost User".
fn user_or_ghost(base: &str, world: &World, id: Id) -> Value {
    let account = world.account(id);
    if account.deleted {
        json!({
            "id": 1, "username": "ghost", "name": "Ghost User", "state": "active", "locked": false,
            "avatar_url": null, "web_url": format!("{base}/ghost"),
        })
    } else {
        user(base, account)
    }
}

pub fn group(base: &str, org: &Org) -> Value {
    json!({
        "id": group_id(org.id),
        "name": org.name,
        "path": org.login,
        "full_name": org.name,
        "full_path": org.login,
        "description": "",
        "visibility": "public",
        "web_url": format!("{base}/groups/{}", org.login),
        "parent_id": null,
        "created_at": time(org.created_at),
    })
}

pub fn project(base: &str, world: &World, repo: &Repo) -> Value {
    let full_path = world.full_name(repo);
    let namespace = match repo.owner {
        Owner::Org(id) => {
            let org = &world.orgs[id as usize];
            json!({ "id": group_id(org.id), "name": org.name, "path": org.login, "kind": "group", "full_path": org.login })
        }
        Owner::Account(id) => {
            let account = world.account(id);
            json!({ "id": user_id(account.id), "name": account.display_name, "path": account.username, "kind": "user", "full_path": account.username })
        }
    };
    let last_activity = world
        .commits_in(repo.id)
        .map(|c| c.committed_at)
        .max()
        .unwrap_or(repo.created_at);
    let mut body = json!({
        "id": project_id(repo.id),
        "description": repo.description,
        "name": repo.name,
        "name_with_namespace": full_path.replace('/', " / "),
        "path": repo.name,
        "path_with_namespace": full_path,
        "created_at": time(repo.created_at),
        "default_branch": "main",
        "topics": repo.topics,
        "ssh_url_to_repo": format!("git@{}:{full_path}.git", base.trim_start_matches("http://")),
        "http_url_to_repo": format!("{base}/{full_path}.git"),
        "web_url": format!("{base}/{full_path}"),
        "star_count": repo.stargazers.len(),
        "forks_count": world.forks_of(repo.id).count(),
        "last_activity_at": time(last_activity),
        "namespace": namespace,
        "visibility": "public",
        "open_issues_count": world.issues_in(repo.id).filter(|i| i.closed_at.is_none()).count(),
    });
    // Only a fork has the field, holding what it was forked from.
    if let Some(parent) = repo.fork_of.map(|id| world.repo(id)) {
        let parent_path = world.full_name(parent);
        body["forked_from_project"] = json!({
            "id": project_id(parent.id),
            "name": parent.name,
            "path": parent.name,
            "path_with_namespace": parent_path,
            "web_url": format!("{base}/{parent_path}"),
        });
    }
    body
}

/// `GET /projects/:id/languages`: the share of each language in percent,
/// two decimals, as GitLab gives them (not bytes).
pub fn languages(repo: &Repo) -> Value {
    let total: u64 = repo.languages.iter().map(|(_, bytes)| bytes).sum();
    let map: serde_json::Map<String, Value> = repo
        .languages
        .iter()
        .map(|(language, bytes)| {
            #[allow(clippy::cast_precision_loss, reason = "a share to two decimals")]
            let percent = (*bytes as f64 * 10_000.0 / total.max(1) as f64).round() / 100.0;
            ((*language).to_owned(), json!(percent))
        })
        .collect();
    Value::Object(map)
}

pub fn commit(base: &str, world: &World, commit: &Commit) -> Value {
    let author = world.account(commit.author);
    let committer = world.account(commit.committer);
    let full_path = world.full_name(world.repo(commit.repo));
    let title = commit.message.lines().next().unwrap_or_default();
    json!({
        "id": commit.sha,
        "short_id": &commit.sha[..8],
        "created_at": local_time(commit.committed_at, commit.utc_offset_minutes),
        "parent_ids": [],
        "title": title,
        "message": commit.message,
        "author_name": author.display_name,
        "author_email": author.email,
        "authored_date": local_time(commit.authored_at, commit.utc_offset_minutes),
        "committer_name": committer.display_name,
        "committer_email": committer.email,
        "committed_date": local_time(commit.committed_at, commit.utc_offset_minutes),
        "trailers": {},
        "web_url": format!("{base}/{full_path}/-/commit/{}", commit.sha),
    })
}

fn mr_state(status: Status) -> &'static str {
    match status {
        Status::Open => "opened",
        Status::Merged => "merged",
        Status::Closed | Status::Abandoned => "closed",
    }
}

pub fn merge_request(base: &str, world: &World, change: &ChangeRequest) -> Value {
    let full_path = world.full_name(world.repo(change.repo));
    json!({
        "id": 300_000 + u64::from(change.id),
        "iid": change.number,
        "project_id": project_id(change.repo),
        "title": change.title,
        "description": "",
        "state": mr_state(change.status),
        "created_at": time(change.created_at),
        "updated_at": time(change.updated_at),
        "merged_at": change.merged_at.map(time),
        "closed_at": if change.status == Status::Merged { None } else { change.closed_at.map(time) },
        "merge_user": change.merged_at.map(|_| user_or_ghost(base, world, change.author)),
        "author": user_or_ghost(base, world, change.author),
        "reviewers": change.reviews.iter().map(|r| user_or_ghost(base, world, r.reviewer)).collect::<Vec<_>>(),
        "target_branch": "main",
        "source_branch": format!("change-{}", change.number),
        "labels": [],
        "draft": false,
        "web_url": format!("{base}/{full_path}/-/merge_requests/{}", change.number),
    })
}

pub fn issue(base: &str, world: &World, issue: &Issue) -> Value {
    let full_path = world.full_name(world.repo(issue.repo));
    json!({
        "id": 700_000 + u64::from(issue.id),
        "iid": issue.number,
        "project_id": project_id(issue.repo),
        "title": issue.title,
        "description": issue.body,
        "state": if issue.closed_at.is_some() { "closed" } else { "opened" },
        "created_at": time(issue.created_at),
        "updated_at": time(issue.updated_at),
        "closed_at": issue.closed_at.map(time),
        "labels": issue.labels,
        "assignees": issue.assignees.iter().map(|a| user_or_ghost(base, world, *a)).collect::<Vec<_>>(),
        "author": user_or_ghost(base, world, issue.author),
        "user_notes_count": issue.comments.len(),
        "web_url": format!("{base}/{full_path}/-/issues/{}", issue.number),
    })
}

pub fn note(base: &str, world: &World, issue: &Issue, comment: &Comment) -> Value {
    json!({
        "id": 800_000 + u64::from(comment.id),
        "body": comment.body,
        "author": user_or_ghost(base, world, comment.author),
        "created_at": time(comment.created_at),
        "updated_at": time(comment.created_at),
        "system": false,
        "noteable_id": 700_000 + u64::from(issue.id),
        "noteable_type": "Issue",
        "noteable_iid": issue.number,
    })
}

/// One entry of `GET /users/:id/events`. Every variant names its action and
/// target the way GitLab's `Event` entity does.
pub enum Event<'w> {
    Pushed(&'w Commit),
    Opened(&'w ChangeRequest),
    Merged(&'w ChangeRequest),
    Approved(&'w ChangeRequest, &'w crate::world::Review),
    Reviewed(&'w ChangeRequest, &'w crate::world::Review),
    IssueOpened(&'w Issue),
    Commented(&'w Issue, &'w Comment),
}

impl Event<'_> {
    pub fn at(&self) -> DateTime<Utc> {
        match self {
            Self::Pushed(c) => c.committed_at,
            Self::Opened(c) => c.created_at,
            Self::Merged(c) => c.merged_at.unwrap_or(c.updated_at),
            Self::Approved(_, r) | Self::Reviewed(_, r) => r.submitted_at,
            Self::IssueOpened(i) => i.created_at,
            Self::Commented(_, c) => c.created_at,
        }
    }

    /// The `action` filter value this event answers to.
    pub fn action(&self) -> &'static str {
        match self {
            Self::Pushed(_) => "pushed",
            Self::Opened(_) | Self::IssueOpened(_) => "created",
            Self::Merged(_) => "merged",
            Self::Approved(..) => "approved",
            Self::Reviewed(..) | Self::Commented(..) => "commented",
        }
    }

    /// The `target_type` filter value, lowercase as the parameter takes it.
    pub fn target_kind(&self) -> Option<&'static str> {
        match self {
            Self::Pushed(_) => None,
            Self::Opened(_) | Self::Merged(_) | Self::Approved(..) => Some("merge_request"),
            Self::IssueOpened(_) => Some("issue"),
            Self::Reviewed(..) | Self::Commented(..) => Some("note"),
        }
    }

    fn id(&self) -> u64 {
        let (kind, n) = match self {
            Self::Pushed(c) => (1, u64::from_str_radix(&c.sha[..8], 16).unwrap_or(0)),
            Self::Opened(c) => (2, u64::from(c.id)),
            Self::Merged(c) => (3, u64::from(c.id)),
            Self::Approved(_, r) => (4, u64::from(r.id)),
            Self::Reviewed(_, r) => (5, u64::from(r.id)),
            Self::IssueOpened(i) => (6, u64::from(i.id)),
            Self::Commented(_, c) => (7, u64::from(c.id)),
        };
        kind * 10_000_000_000 + n
    }

    fn repo(&self) -> Id {
        match self {
            Self::Pushed(c) => c.repo,
            Self::Opened(c) | Self::Merged(c) | Self::Approved(c, _) | Self::Reviewed(c, _) => {
                c.repo
            }
            Self::IssueOpened(i) | Self::Commented(i, _) => i.repo,
        }
    }
}

pub fn event(base: &str, world: &World, author: Id, event: &Event<'_>) -> Value {
    let mut body = json!({
        "id": event.id(),
        "project_id": project_id(event.repo()),
        "author_id": user_id(author),
        "author": user_or_ghost(base, world, author),
        "author_username": world.account(author).username,
        "created_at": time(event.at()),
        "imported": false,
        "imported_from": "none",
    });
    let extra = match event {
        Event::Pushed(commit) => json!({
            "action_name": "pushed to", "target_id": null, "target_iid": null, "target_type": null, "target_title": null,
            "push_data": { "commit_count": 1, "action": "pushed", "ref_type": "branch", "commit_from": null,
                "commit_to": commit.sha, "ref": "main", "commit_title": commit.message, "ref_count": null },
        }),
        Event::Opened(c) | Event::Merged(c) | Event::Approved(c, _) => json!({
            "action_name": match event { Event::Opened(_) => "opened", Event::Merged(_) => "accepted", _ => "approved" },
            "target_id": 300_000 + u64::from(c.id), "target_iid": c.number, "target_type": "MergeRequest", "target_title": c.title,
        }),
        Event::IssueOpened(i) => json!({
            "action_name": "opened", "target_id": 700_000 + u64::from(i.id), "target_iid": i.number,
            "target_type": "Issue", "target_title": i.title,
        }),
        Event::Reviewed(c, r) => json!({
            "action_name": "commented on", "target_id": 900_000 + u64::from(r.id), "target_iid": 900_000 + u64::from(r.id),
            "target_type": "DiffNote", "target_title": c.title,
            "note": { "id": 900_000 + u64::from(r.id), "type": "DiffNote", "body": "Looks reasonable.", "system": false,
                "noteable_id": 300_000 + u64::from(c.id), "noteable_type": "MergeRequest", "noteable_iid": c.number,
                "created_at": time(r.submitted_at) },
        }),
        Event::Commented(i, c) => json!({
            "action_name": "commented on", "target_id": 800_000 + u64::from(c.id), "target_iid": 800_000 + u64::from(c.id),
            "target_type": "Note", "target_title": i.title,
            "note": note(base, world, i, c),
        }),
    };
    if let (Value::Object(map), Value::Object(more)) = (&mut body, extra) {
        map.extend(more);
    }
    body
}
