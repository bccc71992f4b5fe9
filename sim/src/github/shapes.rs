//! GitHub's JSON objects, field for field as api.github.com sends them
//! (checked against the recorded responses in shared/fixtures/github).

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use crate::world::{
    Account, ChangeRequest, Comment, Commit, Id, Issue, Org, Owner, Repo, Review, ReviewState,
    Status, World,
};

/// Timestamps as GitHub writes them: UTC, seconds, `Z`.
pub fn time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn node_id(kind: &str, id: u64) -> String {
    // Real node ids are opaque base64; a readable stand-in of the same type.
    format!("{kind}_{id:08}")
}

/// Numeric ids shared by users and organisations must not collide.
pub fn account_number(id: Id) -> u64 {
    1_000 + u64::from(id)
}

pub fn org_number(id: Id) -> u64 {
    5_000_000 + u64::from(id)
}

/// The `simple-user` object (also used for organisations as repository owners).
pub fn simple_user(api: &str, login: &str, id: u64, kind: &str) -> Value {
    let user = format!("{api}/users/{login}");
    json!({
        "login": login,
        "id": id,
        "node_id": node_id(if kind == "User" { "U" } else { "O" }, id),
        "avatar_url": format!("{api}/avatars/u/{id}?v=4"),
        "gravatar_id": "",
        "url": user,
        "html_url": format!("{}/{login}", html_root(api)),
        "followers_url": format!("{user}/followers"),
        "following_url": format!("{user}/following{{/other_user}}"),
        "gists_url": format!("{user}/gists{{/gist_id}}"),
        "starred_url": format!("{user}/starred{{/owner}}{{/repo}}"),
        "subscriptions_url": format!("{user}/subscriptions"),
        "organizations_url": format!("{user}/orgs"),
        "repos_url": format!("{user}/repos"),
        "events_url": format!("{user}/events{{/privacy}}"),
        "received_events_url": format!("{user}/received_events"),
        "type": kind,
        "site_admin": false,
    })
}

/// Where the forge's web pages live. The simulator serves both from one origin.
pub fn html_root(api: &str) -> &str {
    api
}

pub fn account_user(api: &str, account: &Account) -> Value {
    simple_user(api, &account.username, account_number(account.id), "User")
}

pub fn owner(api: &str, world: &World, owner: Owner) -> Value {
    match owner {
        Owner::Account(id) => account_user(api, world.account(id)),
        Owner::Org(id) => {
            let org = &world.orgs[id as usize];
            simple_user(api, &org.login, org_number(org.id), "Organization")
        }
    }
}

/// `GET /users/{username}`: the public profile.
pub fn public_user(api: &str, world: &World, account: &Account) -> Value {
    let mut user = account_user(api, account);
    let public_repos = world
        .repos
        .iter()
        .filter(|r| r.owner == Owner::Account(account.id) && !r.deleted)
        .count();
    extend(
        &mut user,
        json!({
            "name": account.display_name,
            "company": null,
            "blog": "",
            "location": null,
            "email": null,
            "hireable": null,
            "bio": null,
            "twitter_username": null,
            "public_repos": public_repos,
            "public_gists": 0,
            "followers": account.followers.len(),
            "following": account.following.len(),
            "created_at": time(account.created_at),
            "updated_at": time(account.created_at),
        }),
    );
    user
}

/// `GET /orgs/{org}`.
pub fn organization(api: &str, world: &World, org: &Org) -> Value {
    let url = format!("{api}/orgs/{}", org.login);
    let public_repos = world
        .repos
        .iter()
        .filter(|r| r.owner == Owner::Org(org.id) && !r.deleted)
        .count();
    json!({
        "login": org.login,
        "id": org_number(org.id),
        "node_id": node_id("O", org_number(org.id)),
        "url": url,
        "repos_url": format!("{url}/repos"),
        "events_url": format!("{url}/events"),
        "hooks_url": format!("{url}/hooks"),
        "issues_url": format!("{url}/issues"),
        "members_url": format!("{url}/members{{/member}}"),
        "public_members_url": format!("{url}/public_members{{/member}}"),
        "avatar_url": format!("{api}/avatars/u/{}?v=4", org_number(org.id)),
        "description": null,
        "name": org.name,
        "is_verified": false,
        "has_organization_projects": true,
        "has_repository_projects": true,
        "public_repos": public_repos,
        "public_gists": 0,
        "followers": org.followers.iter().filter(|a| !world.account(**a).deleted).count(),
        "following": 0,
        "html_url": format!("{}/{}", html_root(api), org.login),
        "created_at": time(org.created_at),
        "updated_at": time(org.created_at),
        "type": "Organization",
    })
}

/// The full repository object of `GET /repos/{owner}/{repo}`.
pub fn repository(api: &str, world: &World, repo: &Repo) -> Value {
    let full_name = world.full_name(repo);
    let url = format!("{api}/repos/{full_name}");
    let html = format!("{}/{full_name}", html_root(api));
    let forks = world.forks_of(repo.id).count();
    let open_issues = world
        .issues_in(repo.id)
        .filter(|i| i.closed_at.is_none())
        .count()
        + world
            .changes_in(repo.id)
            .filter(|c| c.status == Status::Open)
            .count();
    let pushed_at = pushed_at(world, repo);
    let mut object = json!({
        "id": repo_number(repo.id),
        "node_id": node_id("R", repo_number(repo.id)),
        "name": repo.name,
        "full_name": full_name,
        "private": false,
        "owner": owner(api, world, repo.owner),
        "html_url": html,
        "description": repo.description,
        "fork": repo.fork_of.is_some(),
        "url": url,
    });
    let templated = [
        ("forks_url", "/forks"),
        ("keys_url", "/keys{/key_id}"),
        ("collaborators_url", "/collaborators{/collaborator}"),
        ("teams_url", "/teams"),
        ("hooks_url", "/hooks"),
        ("issue_events_url", "/issues/events{/number}"),
        ("events_url", "/events"),
        ("assignees_url", "/assignees{/user}"),
        ("branches_url", "/branches{/branch}"),
        ("tags_url", "/tags"),
        ("blobs_url", "/git/blobs{/sha}"),
        ("git_tags_url", "/git/tags{/sha}"),
        ("git_refs_url", "/git/refs{/sha}"),
        ("trees_url", "/git/trees{/sha}"),
        ("statuses_url", "/statuses/{sha}"),
        ("languages_url", "/languages"),
        ("stargazers_url", "/stargazers"),
        ("contributors_url", "/contributors"),
        ("subscribers_url", "/subscribers"),
        ("subscription_url", "/subscription"),
        ("commits_url", "/commits{/sha}"),
        ("git_commits_url", "/git/commits{/sha}"),
        ("comments_url", "/comments{/number}"),
        ("issue_comment_url", "/issues/comments{/number}"),
        ("contents_url", "/contents/{+path}"),
        ("compare_url", "/compare/{base}...{head}"),
        ("merges_url", "/merges"),
        ("archive_url", "/{archive_format}{/ref}"),
        ("downloads_url", "/downloads"),
        ("issues_url", "/issues{/number}"),
        ("pulls_url", "/pulls{/number}"),
        ("milestones_url", "/milestones{/number}"),
        (
            "notifications_url",
            "/notifications{?since,all,participating}",
        ),
        ("labels_url", "/labels{/name}"),
        ("releases_url", "/releases{/id}"),
        ("deployments_url", "/deployments"),
    ];
    if let Value::Object(map) = &mut object {
        for (key, suffix) in templated {
            map.insert(key.into(), Value::String(format!("{url}{suffix}")));
        }
    }
    let host = api
        .trim_start_matches("http://")
        .trim_start_matches("https://");
    extend(
        &mut object,
        json!({
            "created_at": time(repo.created_at),
            "updated_at": time(pushed_at),
            "pushed_at": time(pushed_at),
            "git_url": format!("git://{host}/{full_name}.git"),
            "ssh_url": format!("git@{host}:{full_name}.git"),
            "clone_url": format!("{html}.git"),
            "svn_url": html,
            "homepage": null,
            "size": repo.languages.iter().map(|(_, bytes)| bytes).sum::<u64>() / 1024,
            "stargazers_count": repo.stargazers.len(),
            "watchers_count": repo.stargazers.len(),
            "language": repo.language,
            "has_issues": true,
            "has_projects": true,
            "has_downloads": true,
            "has_wiki": true,
            "has_pages": false,
            "forks_count": forks,
            "mirror_url": null,
            "archived": false,
            "disabled": false,
            "open_issues_count": open_issues,
            "license": null,
            "allow_forking": true,
            "is_template": false,
            "web_commit_signoff_required": false,
            "topics": repo.topics,
            "visibility": "public",
            "forks": forks,
            "open_issues": open_issues,
            "watchers": repo.stargazers.len(),
            "default_branch": "main",
            "network_count": forks,
            "subscribers_count": repo.watchers.len(),
        }),
    );
    if let Owner::Org(_) = repo.owner
        && let Value::Object(map) = &mut object
    {
        map.insert("organization".into(), owner(api, world, repo.owner));
    }
    object
}

/// When the repository last changed: its newest commit, else its creation.
pub fn pushed_at(world: &World, repo: &Repo) -> DateTime<Utc> {
    world
        .commits_in(repo.id)
        .map(|c| c.committed_at)
        .max()
        .unwrap_or(repo.created_at)
}

pub fn repo_number(id: Id) -> u64 {
    10_000 + u64::from(id)
}

/// An item of `GET /repos/{owner}/{repo}/commits`.
pub fn commit(api: &str, world: &World, commit: &Commit) -> Value {
    let full_name = world.full_name(world.repo(commit.repo));
    let url = format!("{api}/repos/{full_name}/commits/{}", commit.sha);
    let author = world.account(commit.author);
    let committer = world.account(commit.committer);
    let mut message = commit.message.clone();
    for co_author in &commit.co_authors {
        let co = world.account(*co_author);
        message.push_str(&format!(
            "\n\nCo-authored-by: {} <{}>",
            co.display_name, co.email
        ));
    }
    json!({
        "sha": commit.sha,
        "node_id": node_id("C", u64::from_str_radix(&commit.sha[..12], 16).unwrap_or(0)),
        "commit": {
            // Git keeps the author's offset; the REST API reports UTC.
            "author": { "name": author.display_name, "email": author.email, "date": time(commit.authored_at) },
            "committer": { "name": committer.display_name, "email": committer.email, "date": time(commit.committed_at) },
            "message": message,
            "tree": { "sha": commit.sha, "url": format!("{api}/repos/{full_name}/git/trees/{}", commit.sha) },
            "url": format!("{api}/repos/{full_name}/git/commits/{}", commit.sha),
            "comment_count": 0,
            "verification": { "verified": false, "reason": "unsigned", "signature": null, "payload": null, "verified_at": null },
        },
        "url": url,
        "html_url": format!("{}/{full_name}/commit/{}", html_root(api), commit.sha),
        "comments_url": format!("{url}/comments"),
        "author": if author.deleted { Value::Null } else { account_user(api, author) },
        "committer": if committer.deleted { Value::Null } else { account_user(api, committer) },
        "parents": [],
    })
}

pub fn label(api: &str, full_name: &str, name: &str) -> Value {
    let id = name
        .bytes()
        .fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)))
        % 1_000_000_000;
    json!({
        "id": id,
        "node_id": node_id("L", id),
        "url": format!("{api}/repos/{full_name}/labels/{}", crate::server::paging::encode(name)),
        "name": name,
        "color": "d73a4a",
        "default": name == "bug",
        "description": null,
    })
}

fn issue_common(
    api: &str,
    world: &World,
    repo: Id,
    number: u32,
    id: u64,
    author: Id,
) -> (String, Value) {
    let full_name = world.full_name(world.repo(repo));
    let url = format!("{api}/repos/{full_name}/issues/{number}");
    let object = json!({
        "url": url,
        "repository_url": format!("{api}/repos/{full_name}"),
        "labels_url": format!("{url}/labels{{/name}}"),
        "comments_url": format!("{url}/comments"),
        "events_url": format!("{url}/events"),
        "html_url": format!("{}/{full_name}/issues/{number}", html_root(api)),
        "id": id,
        "node_id": node_id("I", id),
        "number": number,
        "user": user_or_ghost(api, world, author),
        "reactions": {
            "url": format!("{url}/reactions"),
            "total_count": 0, "+1": 0, "-1": 0, "laugh": 0, "hooray": 0,
            "confused": 0, "heart": 0, "rocket": 0, "eyes": 0,
        },
        "timeline_url": format!("{url}/timeline"),
        "performed_via_github_app": null,
    });
    (full_name, object)
}

/// A deleted account shows as GitHub's `ghost` user.
fn user_or_ghost(api: &str, world: &World, account: Id) -> Value {
    let account = world.account(account);
    if account.deleted {
        simple_user(api, "ghost", 10137, "User")
    } else {
        account_user(api, account)
    }
}

/// An issue as `GET /repos/{owner}/{repo}/issues` and search return it.
pub fn issue(api: &str, world: &World, issue: &Issue) -> Value {
    let (full_name, mut object) = issue_common(
        api,
        world,
        issue.repo,
        issue.number,
        100_000 + u64::from(issue.id),
        issue.author,
    );
    let assignees: Vec<Value> = issue
        .assignees
        .iter()
        .map(|a| user_or_ghost(api, world, *a))
        .collect();
    extend(
        &mut object,
        json!({
            "title": issue.title,
            "labels": issue.labels.iter().map(|l| label(api, &full_name, l)).collect::<Vec<_>>(),
            "state": if issue.closed_at.is_some() { "closed" } else { "open" },
            "locked": false,
            "assignee": assignees.first().cloned().unwrap_or(Value::Null),
            "assignees": assignees,
            "milestone": null,
            "comments": issue.comments.len(),
            "created_at": time(issue.created_at),
            "updated_at": time(issue.updated_at),
            "closed_at": issue.closed_at.map(time),
            "author_association": "CONTRIBUTOR",
            "active_lock_reason": null,
            "body": issue.body,
            "state_reason": issue.closed_at.map(|_| "completed"),
        }),
    );
    object
}

/// A pull request in the issues list and search: issue fields plus `pull_request`.
pub fn pull_as_issue(api: &str, world: &World, change: &ChangeRequest) -> Value {
    let (full_name, mut object) = issue_common(
        api,
        world,
        change.repo,
        change.number,
        500_000 + u64::from(change.id),
        change.author,
    );
    let pull_url = format!("{api}/repos/{full_name}/pulls/{}", change.number);
    extend(
        &mut object,
        json!({
            "title": change.title,
            "labels": [],
            "state": if change.status == Status::Open { "open" } else { "closed" },
            "locked": false,
            "assignee": null,
            "assignees": [],
            "milestone": null,
            "comments": 0,
            "created_at": time(change.created_at),
            "updated_at": time(change.updated_at),
            "closed_at": change.closed_at.map(time),
            "author_association": "CONTRIBUTOR",
            "active_lock_reason": null,
            "body": null,
            "state_reason": null,
            "draft": false,
            "pull_request": {
                "url": pull_url,
                "html_url": format!("{}/{full_name}/pull/{}", html_root(api), change.number),
                "diff_url": format!("{}/{full_name}/pull/{}.diff", html_root(api), change.number),
                "patch_url": format!("{}/{full_name}/pull/{}.patch", html_root(api), change.number),
                "merged_at": change.merged_at.map(time),
            },
        }),
    );
    object
}

/// An item of `GET /repos/{owner}/{repo}/pulls` (pull-request-simple).
pub fn pull(api: &str, world: &World, change: &ChangeRequest) -> Value {
    let full_name = world.full_name(world.repo(change.repo));
    let url = format!("{api}/repos/{full_name}/pulls/{}", change.number);
    let id = 500_000 + u64::from(change.id);
    json!({
        "url": url,
        "id": id,
        "node_id": node_id("PR", id),
        "html_url": format!("{}/{full_name}/pull/{}", html_root(api), change.number),
        "diff_url": format!("{}/{full_name}/pull/{}.diff", html_root(api), change.number),
        "patch_url": format!("{}/{full_name}/pull/{}.patch", html_root(api), change.number),
        "issue_url": format!("{api}/repos/{full_name}/issues/{}", change.number),
        "commits_url": format!("{url}/commits"),
        "review_comments_url": format!("{url}/comments"),
        "review_comment_url": format!("{api}/repos/{full_name}/pulls/comments{{/number}}"),
        "comments_url": format!("{api}/repos/{full_name}/issues/{}/comments", change.number),
        "statuses_url": format!("{api}/repos/{full_name}/statuses/{}", change.id),
        "number": change.number,
        "state": if change.status == Status::Open { "open" } else { "closed" },
        "locked": false,
        "title": change.title,
        "user": user_or_ghost(api, world, change.author),
        "body": null,
        "labels": [],
        "milestone": null,
        "active_lock_reason": null,
        "created_at": time(change.created_at),
        "updated_at": time(change.updated_at),
        "closed_at": change.closed_at.map(time),
        "merged_at": change.merged_at.map(time),
        "merge_commit_sha": null,
        "assignee": null,
        "assignees": [],
        "requested_reviewers": [],
        "requested_teams": [],
        "draft": false,
        "author_association": "CONTRIBUTOR",
        "auto_merge": null,
    })
}

pub fn review(api: &str, world: &World, change: &ChangeRequest, review: &Review) -> Value {
    let full_name = world.full_name(world.repo(change.repo));
    let id = 900_000 + u64::from(review.id);
    json!({
        "id": id,
        "node_id": node_id("PRR", id),
        "user": user_or_ghost(api, world, review.reviewer),
        "body": "",
        "state": match review.state {
            ReviewState::Approved => "APPROVED",
            ReviewState::ChangesRequested => "CHANGES_REQUESTED",
            ReviewState::Commented => "COMMENTED",
        },
        "html_url": format!("{}/{full_name}/pull/{}#pullrequestreview-{id}", html_root(api), change.number),
        "pull_request_url": format!("{api}/repos/{full_name}/pulls/{}", change.number),
        "author_association": "CONTRIBUTOR",
        "submitted_at": time(review.submitted_at),
        "commit_id": null,
    })
}

pub fn comment(api: &str, world: &World, issue: &Issue, comment: &Comment) -> Value {
    let full_name = world.full_name(world.repo(issue.repo));
    let id = 2_000_000 + u64::from(comment.id);
    json!({
        "url": format!("{api}/repos/{full_name}/issues/comments/{id}"),
        "html_url": format!("{}/{full_name}/issues/{}#issuecomment-{id}", html_root(api), issue.number),
        "issue_url": format!("{api}/repos/{full_name}/issues/{}", issue.number),
        "id": id,
        "node_id": node_id("IC", id),
        "user": user_or_ghost(api, world, comment.author),
        "created_at": time(comment.created_at),
        "updated_at": time(comment.created_at),
        "author_association": "CONTRIBUTOR",
        "body": comment.body,
    })
}

fn extend(object: &mut Value, more: Value) {
    if let (Value::Object(target), Value::Object(source)) = (object, more) {
        let source: Map<String, Value> = source;
        target.extend(source);
    }
}
