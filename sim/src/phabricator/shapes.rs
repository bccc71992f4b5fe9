//! Conduit result objects, field for field as `getFieldValuesForConduit()`
//! builds them in `PhabricatorUser.php`, `ManiphestTask.php`,
//! `DifferentialRevision.php` and `PhabricatorRepository.php`.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::world::{Account, ChangeRequest, Id, Issue, Repo, ReviewState, Status, World};

/// A PHID: `PHID-<TYPE>-` and 20 lowercase letters and digits.
pub fn phid(kind: &str, id: u64) -> String {
    let mut x = id.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ kind.len() as u64;
    let alphabet = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut out = format!("PHID-{kind}-");
    for _ in 0..20 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.push(char::from(alphabet[(x % 36) as usize]));
    }
    out
}

pub fn user_phid(id: Id) -> String {
    phid("USER", u64::from(id))
}

pub fn task_phid(issue: &Issue) -> String {
    phid("TASK", u64::from(issue.id))
}

pub fn revision_phid(change: &ChangeRequest) -> String {
    phid("DREV", u64::from(change.id))
}

pub fn repository_phid(id: Id) -> String {
    phid("REPO", u64::from(id))
}

/// Projects (tags) stand for labels, and one per repository carries the
/// repository's name: tasks are filed against projects, not repositories.
#[derive(Debug, Clone, Copy)]
pub enum Project<'w> {
    Label(usize, &'static str),
    Repository(&'w Repo),
}

impl Project<'_> {
    pub fn id(self) -> u64 {
        match self {
            Self::Label(index, _) => index as u64 + 1,
            Self::Repository(repo) => 1_000 + u64::from(repo.id),
        }
    }

    pub fn phid(self) -> String {
        phid("PROJ", self.id())
    }

    pub fn name(self) -> String {
        match self {
            Self::Label(_, name) => name.to_owned(),
            Self::Repository(repo) => repo.name.clone(),
        }
    }
}

pub fn epoch(at: DateTime<Utc>) -> i64 {
    at.timestamp()
}

fn policy() -> Value {
    json!({ "view": "public", "interact": "users", "edit": "users" })
}

/// One item of a `*.search` result.
fn item(kind: &str, id: u64, phid: String, fields: Value, attachments: Value) -> Value {
    json!({ "id": id, "type": kind, "phid": phid, "fields": fields, "attachments": attachments })
}

pub fn user(account: &Account) -> Value {
    let mut roles = vec!["verified", "approved", "activated"];
    if account.deleted {
        roles = vec!["disabled"];
    }
    item(
        "USER",
        u64::from(account.id),
        user_phid(account.id),
        json!({
            "username": account.username,
            "realName": account.display_name,
            "roles": roles,
            "dateCreated": epoch(account.created_at),
            "dateModified": epoch(account.created_at),
            "policy": { "view": "public", "edit": "no-one" },
        }),
        json!({}),
    )
}

/// `user.whoami` answers in the older flat shape.
pub fn whoami(base: &str, account: &Account) -> Value {
    json!({
        "phid": user_phid(account.id),
        "userName": account.username,
        "realName": account.display_name,
        "image": format!("{base}/file/data/avatar/{}.png", account.username),
        "uri": format!("{base}/p/{}/", account.username),
        "roles": ["verified", "approved", "activated"],
        "primaryEmail": account.email,
    })
}

pub fn project(project: Project<'_>) -> Value {
    let name = project.name();
    item(
        "PROJ",
        project.id(),
        project.phid(),
        json!({
            "name": name,
            "slug": name.to_lowercase().replace([' ', '/', ':'], "_"),
            "subtype": "default",
            "milestone": null,
            "depth": 0,
            "parent": null,
            "icon": { "key": "project", "name": "Project", "icon": "fa-briefcase" },
            "color": { "key": "blue", "name": "Blue" },
            "description": "",
            "dateCreated": 1_500_000_000,
            "dateModified": 1_500_000_000,
            "policy": policy(),
        }),
        json!({}),
    )
}

/// Maniphest's default priorities: (value, name, colour) from lowest.
const PRIORITIES: [(i64, &str, &str); 5] = [
    (0, "Wishlist", "sky"),
    (25, "Low", "yellow"),
    (50, "Normal", "orange"),
    (80, "High", "red"),
    (100, "Unbreak Now!", "pink"),
];

pub fn task_status(issue: &Issue) -> &'static str {
    if issue.closed_at.is_some() {
        "resolved"
    } else {
        "open"
    }
}

/// The projects a task is tagged with: its repository's and its labels'.
pub fn task_projects<'w>(world: &'w World, issue: &Issue) -> Vec<Project<'w>> {
    let mut projects = vec![Project::Repository(world.repo(issue.repo))];
    for (index, label) in crate::world::all_labels().enumerate() {
        if issue.labels.contains(&label) {
            projects.push(Project::Label(index, label));
        }
    }
    projects
}

/// Who follows a task: its author, its owner and everyone who commented
/// (Phabricator subscribes people when they act on a task).
pub fn subscribers(issue: &Issue) -> Vec<Id> {
    let mut ids: Vec<Id> = std::iter::once(issue.author)
        .chain(issue.assignees.iter().copied())
        .chain(issue.comments.iter().map(|c| c.author))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

pub fn task(world: &World, issue: &Issue, with_projects: bool) -> Value {
    let (value, name, color) = PRIORITIES[usize::from(issue.priority.min(4))];
    let status = task_status(issue);
    let attachments = if with_projects {
        let phids: Vec<String> = task_projects(world, issue)
            .iter()
            .map(|p| p.phid())
            .collect();
        json!({ "projects": { "projectPHIDs": phids } })
    } else {
        json!({})
    };
    item(
        "TASK",
        u64::from(issue.id),
        task_phid(issue),
        json!({
            "name": issue.title,
            "description": { "raw": issue.body },
            "authorPHID": user_phid(issue.author),
            "ownerPHID": issue.assignees.first().map(|a| user_phid(*a)),
            "status": { "value": status, "name": if status == "open" { "Open" } else { "Resolved" }, "color": null },
            "priority": { "value": value, "name": name, "color": color },
            "points": null,
            "subtype": "default",
            "closerPHID": issue.closed_at.map(|_| user_phid(issue.author)),
            "dateClosed": issue.closed_at.map(epoch),
            "spacePHID": null,
            "dateCreated": epoch(issue.created_at),
            "dateModified": epoch(issue.updated_at),
            "policy": policy(),
        }),
        attachments,
    )
}

/// (value, name, closed, ANSI colour) of a revision's status.
pub fn revision_status(change: &ChangeRequest) -> (&'static str, &'static str, bool, &'static str) {
    match change.status {
        Status::Merged => ("published", "Closed", true, "cyan"),
        Status::Abandoned | Status::Closed => ("abandoned", "Abandoned", true, "default"),
        Status::Open
            if change
                .reviews
                .iter()
                .any(|r| r.state == ReviewState::ChangesRequested) =>
        {
            ("needs-revision", "Needs Revision", false, "red")
        }
        Status::Open
            if change
                .reviews
                .iter()
                .any(|r| r.state == ReviewState::Approved) =>
        {
            ("accepted", "Accepted", false, "green")
        }
        Status::Open => ("needs-review", "Needs Review", false, "magenta"),
    }
}

pub fn revision(base: &str, change: &ChangeRequest, with_reviewers: bool) -> Value {
    let (value, name, closed, ansi) = revision_status(change);
    let attachments = if with_reviewers {
        let reviewers: Vec<Value> = change
            .reviews
            .iter()
            .map(|r| {
                let status = match r.state {
                    ReviewState::Approved => "accepted",
                    ReviewState::ChangesRequested => "rejected",
                    ReviewState::Commented => "added",
                };
                json!({ "reviewerPHID": user_phid(r.reviewer), "status": status, "isBlocking": false,
                    "actorPHID": user_phid(r.reviewer) })
            })
            .collect();
        json!({ "reviewers": { "reviewers": reviewers } })
    } else {
        json!({})
    };
    item(
        "DREV",
        u64::from(change.id),
        revision_phid(change),
        json!({
            "title": change.title,
            "uri": format!("{base}/D{}", change.id),
            "authorPHID": user_phid(change.author),
            "status": { "value": value, "name": name, "closed": closed, "color.ansi": ansi },
            "repositoryPHID": repository_phid(change.repo),
            "diffPHID": phid("DIFF", u64::from(change.id)),
            "summary": "",
            "testPlan": "",
            "isDraft": false,
            "holdAsDraft": false,
            "dateCreated": epoch(change.created_at),
            "dateModified": epoch(change.updated_at),
            "policy": policy(),
        }),
        attachments,
    )
}

pub fn repository(base: &str, repo: &Repo) -> Value {
    let callsign: String = repo
        .name
        .chars()
        .filter(char::is_ascii_alphabetic)
        .take(4)
        .collect::<String>()
        .to_uppercase();
    item(
        "REPO",
        u64::from(repo.id),
        repository_phid(repo.id),
        json!({
            "name": repo.name,
            "vcs": "git",
            "callsign": format!("{callsign}{}", repo.id),
            "shortName": repo.name,
            "status": "active",
            "isImporting": false,
            "almanacServicePHID": null,
            "refRules": { "fetchRules": [], "trackRules": [], "permanentRefRules": [] },
            "spacePHID": null,
            "dateCreated": epoch(repo.created_at),
            "dateModified": epoch(repo.created_at),
            "policy": policy(),
            "description": { "raw": repo.description },
        }),
        json!({ "uris": { "uris": [{ "fields": { "uri": { "display": format!("{base}/source/{}.git", repo.name) } } }] } }),
    )
}

/// One transaction of `transaction.search`, with its comment if it has one.
pub struct Transaction {
    pub id: u64,
    pub kind: &'static str,
    pub author: Id,
    pub object: String,
    pub at: DateTime<Utc>,
    pub comment: Option<String>,
}

pub fn transaction(tx: &Transaction) -> Value {
    let comments: Vec<Value> = tx
        .comment
        .iter()
        .map(|text| {
            json!({ "id": tx.id, "phid": phid("XCMT", tx.id), "version": 1, "authorPHID": user_phid(tx.author),
                "dateCreated": epoch(tx.at), "dateModified": epoch(tx.at), "removed": false,
                "content": { "raw": text } })
        })
        .collect();
    json!({
        "id": tx.id,
        "phid": phid("XACT", tx.id),
        "type": tx.kind,
        "authorPHID": user_phid(tx.author),
        "objectPHID": tx.object,
        "dateCreated": epoch(tx.at),
        "dateModified": epoch(tx.at),
        "groupID": format!("{:032x}", tx.id),
        "comments": comments,
        "fields": {},
    })
}
