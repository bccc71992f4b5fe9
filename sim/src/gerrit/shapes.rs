//! Gerrit's JSON entities (`ChangeInfo`, `AccountInfo`, `ProjectInfo`) with
//! the field names of `rest-api-changes.txt` and `rest-api-accounts.txt`.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use crate::server::paging::encode;
use crate::world::{Account, ChangeRequest, Id, Repo, ReviewState, Status, World};

/// Gerrit's timestamps: UTC, a space, nine fraction digits, no zone.
pub fn time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S%.9f").to_string()
}

pub fn account_number(id: Id) -> u64 {
    1_000_000 + u64::from(id)
}

/// Which optional parts of an entity a request asked for with `o=`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    pub detailed_accounts: bool,
    pub labels: bool,
    pub detailed_labels: bool,
    pub messages: bool,
    pub current_revision: bool,
}

/// The `o=` values Gerrit knows; the simulator renders the first five.
const KNOWN_OPTIONS: [&str; 22] = [
    "DETAILED_ACCOUNTS",
    "LABELS",
    "DETAILED_LABELS",
    "MESSAGES",
    "CURRENT_REVISION",
    "ALL_REVISIONS",
    "CURRENT_COMMIT",
    "ALL_COMMITS",
    "CURRENT_FILES",
    "ALL_FILES",
    "SKIP_DIFFSTAT",
    "SUBMITTABLE",
    "REVIEWER_UPDATES",
    "WEB_LINKS",
    "CHECK",
    "COMMIT_FOOTERS",
    "CHANGE_ACTIONS",
    "CURRENT_ACTIONS",
    "TRACKING_IDS",
    "REVIEWED",
    "SUBMIT_REQUIREMENTS",
    "STAR",
];

impl Options {
    /// Reads every `o` value; an unknown one is Gerrit's 400 message.
    pub fn parse<'a>(values: impl Iterator<Item = &'a str>) -> Result<Self, String> {
        let mut options = Self::default();
        for value in values {
            if !KNOWN_OPTIONS.contains(&value) {
                return Err(format!("\"{value}\" is not a valid value for \"-o\""));
            }
            match value {
                "DETAILED_ACCOUNTS" => options.detailed_accounts = true,
                "LABELS" => options.labels = true,
                "DETAILED_LABELS" => options.detailed_labels = true,
                "MESSAGES" => options.messages = true,
                "CURRENT_REVISION" | "ALL_REVISIONS" => options.current_revision = true,
                _ => {}
            }
        }
        Ok(options)
    }
}

/// An `AccountInfo`: only the id unless details were asked for.
pub fn account(account: &Account, detailed: bool) -> Value {
    let mut info = Map::new();
    info.insert("_account_id".into(), json!(account_number(account.id)));
    if detailed {
        info.insert("name".into(), json!(account.display_name));
        info.insert("email".into(), json!(account.email));
        info.insert("username".into(), json!(account.username));
    }
    if account.deleted {
        info.insert("inactive".into(), json!(true));
    }
    Value::Object(info)
}

/// `GET /accounts/{id}` and `/detail`: all fields, plus `registered_on` for details.
pub fn account_page(account: &Account, with_registration: bool) -> Value {
    let mut info = self::account(account, true);
    if with_registration && let Value::Object(map) = &mut info {
        map.insert("registered_on".into(), json!(time(account.created_at)));
    }
    info
}

/// A stable pseudo-hash of `seed`, `len` hex digits (change ids, revisions).
fn hex(seed: u64, len: usize) -> String {
    let mut out = String::with_capacity(len);
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.push_str(&format!("{x:016x}"));
    }
    out.truncate(len);
    out
}

fn status(status: Status) -> &'static str {
    match status {
        Status::Open => "NEW",
        Status::Merged => "MERGED",
        Status::Abandoned | Status::Closed => "ABANDONED",
    }
}

pub fn change(world: &World, change: &ChangeRequest, options: Options) -> Value {
    let repo = world.repo(change.repo);
    let change_id = format!("I{}", hex(u64::from(change.id), 40));
    let owner = world.account(change.author);
    let mut info = json!({
        "id": format!("{}~{}", encode(&repo.name), change.number),
        "triplet_id": format!("{}~main~{change_id}", encode(&repo.name)),
        "project": repo.name,
        "branch": "main",
        "hashtags": [],
        "change_id": change_id,
        "subject": change.title,
        "status": status(change.status),
        "created": time(change.created_at),
        "updated": time(change.updated_at),
        "insertions": 1 + change.id % 400,
        "deletions": change.id % 97,
        "total_comment_count": change.reviews.len(),
        "unresolved_comment_count": 0,
        "has_review_started": true,
        "meta_rev_id": hex(u64::from(change.id) + 7, 40),
        "_number": change.number,
        "virtual_id_number": change.number,
        "owner": account(owner, options.detailed_accounts),
        "current_revision_number": 1,
        "requirements": [],
    });
    let map = info.as_object_mut();
    let Some(map) = map else { return info };
    if let Some(merged_at) = change.merged_at {
        map.insert("submitted".into(), json!(time(merged_at)));
        map.insert(
            "submitter".into(),
            account(owner, options.detailed_accounts),
        );
    }
    if options.labels || options.detailed_labels {
        map.insert("labels".into(), labels(world, change, options));
    }
    if options.messages {
        map.insert("messages".into(), messages(world, change, options));
    }
    if options.current_revision {
        let revision = hex(u64::from(change.id) + 13, 40);
        map.insert("current_revision".into(), json!(revision));
        map.insert(
            "revisions".into(),
            json!({ revision: { "kind": "REWORK", "_number": 1, "created": time(change.created_at),
                "uploader": account(owner, options.detailed_accounts), "ref": format!("refs/changes/{:02}/{}/1", change.number % 100, change.number) } }),
        );
    }
    info
}

/// `Code-Review` with the latest vote of each reviewer.
fn labels(world: &World, change: &ChangeRequest, options: Options) -> Value {
    let mut label = Map::new();
    let best = change.reviews.iter().max_by_key(|r| r.vote);
    let worst = change.reviews.iter().min_by_key(|r| r.vote);
    let detailed = options.detailed_accounts;
    if let Some(r) = best.filter(|r| r.vote == 2) {
        label.insert(
            "approved".into(),
            account(world.account(r.reviewer), detailed),
        );
    }
    if let Some(r) = worst.filter(|r| r.vote == -2) {
        label.insert(
            "rejected".into(),
            account(world.account(r.reviewer), detailed),
        );
    }
    if let Some(r) = worst.filter(|r| r.vote == -1) {
        label.insert(
            "disliked".into(),
            account(world.account(r.reviewer), detailed),
        );
    }
    if options.detailed_labels {
        let all: Vec<Value> = change
            .reviews
            .iter()
            .map(|r| {
                let mut vote = account(world.account(r.reviewer), detailed);
                if let Value::Object(map) = &mut vote {
                    map.insert("value".into(), json!(r.vote));
                    map.insert("date".into(), json!(time(r.submitted_at)));
                }
                vote
            })
            .collect();
        label.insert("all".into(), Value::Array(all));
        label.insert(
            "values".into(),
            json!({ "-2": "This shall not be submitted", "-1": "I would prefer this is not submitted as is",
                " 0": "No score", "+1": "Looks good to me, but someone else must approve", "+2": "Looks good to me, approved" }),
        );
        label.insert("default_value".into(), json!(0));
    }
    json!({ "Code-Review": label })
}

/// One `ChangeMessageInfo` per review, in time order.
fn messages(world: &World, change: &ChangeRequest, options: Options) -> Value {
    let mut reviews: Vec<_> = change.reviews.iter().collect();
    reviews.sort_by_key(|r| r.submitted_at);
    let messages: Vec<Value> = reviews
        .iter()
        .map(|r| {
            let text = match r.state {
                ReviewState::Approved => "Patch Set 1: Code-Review+2",
                ReviewState::ChangesRequested => "Patch Set 1: Code-Review-1",
                ReviewState::Commented => "Patch Set 1:\n\n(1 comment)",
            };
            json!({
                "id": hex(u64::from(change.id) * 31 + u64::from(r.id), 40),
                "author": account(world.account(r.reviewer), options.detailed_accounts),
                "real_author": account(world.account(r.reviewer), options.detailed_accounts),
                "date": time(r.submitted_at),
                "message": text,
                "_revision_number": 1,
            })
        })
        .collect();
    Value::Array(messages)
}

/// A `ProjectInfo` as in the map `GET /projects/` returns.
pub fn project(base: &str, repo: &Repo, with_description: bool) -> Value {
    let mut info = json!({
        "id": encode(&repo.name),
        "state": "ACTIVE",
        "web_links": [{ "name": "browse", "url": format!("{base}/plugins/gitiles/{}", repo.name), "target": "_blank" }],
    });
    if with_description && let Value::Object(map) = &mut info {
        map.insert("description".into(), json!(repo.description));
    }
    info
}
