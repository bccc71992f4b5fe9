//! The part of GitHub's GraphQL schema Tally reads: `user`, `viewer`,
//! `rateLimit`, a user's `contributionsCollection` down to the issues,
//! pull requests, reviews and repositories behind each contribution, and
//! `repositoryOwner { repositories }` with the figures a health check sums.

use std::rc::Rc;

use base64::Engine;
use chrono::{DateTime, Months, NaiveDate, Utc};
use serde_json::{Value, json};

use super::contributions::{Calendar, Contributions, Day, LEVELS, Week};
use super::execute::{Args, Context, Failure, Out};
use crate::github::shapes;
use crate::world::{
    Account, ChangeRequest, Forge, Issue, Org, Owner, Repo, Review, ReviewState, Status,
};

/// Which `…ContributionsByRepository` list an item belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Commit,
    Issue,
    PullRequest,
    Review,
}

#[derive(Clone)]
pub enum Node<'w> {
    Query,
    User(&'w Account),
    Organization(&'w Org),
    Repository(&'w Repo),
    Collection(Rc<Contributions<'w>>),
    Calendar(Rc<Calendar>),
    Week(Week),
    Day(Day),
    ByRepository(Rc<Contributions<'w>>, Kind, &'w Repo),
    CommitContribution(&'w Repo, NaiveDate, u32, Id),
    IssueContribution(&'w Issue),
    PullRequestContribution(&'w ChangeRequest),
    ReviewContribution(&'w ChangeRequest, &'w Review),
    RepositoryContribution(&'w Repo),
    Issue(&'w Issue),
    PullRequest(&'w ChangeRequest),
    Review(&'w ChangeRequest, &'w Review),
    Label(&'static str),
    Language(&'static str),
    /// A language with its bytes in one repository (an edge of `languages`).
    RepositoryLanguage(&'static str, u64),
    Topic(&'static str),
    Connection(Rc<Page<'w>>),
    Edge(Box<Node<'w>>, String),
    PageInfo(Rc<Page<'w>>),
    RateLimit(Value),
}

type Id = crate::world::Id;

impl Node<'_> {
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::Query => "Query",
            Self::User(_) => "User",
            Self::Organization(_) => "Organization",
            Self::Repository(_) => "Repository",
            Self::Collection(_) => "ContributionsCollection",
            Self::Calendar(_) => "ContributionCalendar",
            Self::Week(_) => "ContributionCalendarWeek",
            Self::Day(_) => "ContributionCalendarDay",
            Self::ByRepository(_, Kind::Commit, _) => "CommitContributionsByRepository",
            Self::ByRepository(_, Kind::Issue, _) => "IssueContributionsByRepository",
            Self::ByRepository(_, Kind::PullRequest, _) => "PullRequestContributionsByRepository",
            Self::ByRepository(_, Kind::Review, _) => "PullRequestReviewContributionsByRepository",
            Self::CommitContribution(..) => "CreatedCommitContribution",
            Self::IssueContribution(_) => "CreatedIssueContribution",
            Self::PullRequestContribution(_) => "CreatedPullRequestContribution",
            Self::ReviewContribution(..) => "CreatedPullRequestReviewContribution",
            Self::RepositoryContribution(_) => "CreatedRepositoryContribution",
            Self::Issue(_) => "Issue",
            Self::PullRequest(_) => "PullRequest",
            Self::Review(..) => "PullRequestReview",
            Self::Label(_) => "Label",
            Self::Language(_) | Self::RepositoryLanguage(..) => "Language",
            Self::Topic(_) => "RepositoryTopic",
            Self::Connection(_) => "Connection",
            Self::Edge(..) => "Edge",
            Self::PageInfo(_) => "PageInfo",
            Self::RateLimit(_) => "RateLimit",
        }
    }
}

/// Whether an object of `type_name` matches a fragment on `condition`
/// (the type itself or an interface it implements).
pub fn is_a(type_name: &str, condition: &str) -> bool {
    type_name == condition
        || match condition {
            "Node" => true,
            "Actor" | "RepositoryOwner" => matches!(type_name, "User" | "Organization"),
            "Contribution" => type_name.starts_with("Created"),
            "UniformResourceLocatable" => {
                matches!(
                    type_name,
                    "User"
                        | "Organization"
                        | "Repository"
                        | "Issue"
                        | "PullRequest"
                        | "PullRequestReview"
                )
            }
            _ => false,
        }
}

/// One page of a connection, with what `pageInfo` and `totalCount` report.
pub struct Page<'w> {
    items: Vec<Node<'w>>,
    start: usize,
    total: usize,
}

fn cursor(index: usize) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("cursor:v2:{index}"))
}

fn decode_cursor(text: &str) -> Option<usize> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .ok()?;
    String::from_utf8(bytes)
        .ok()?
        .strip_prefix("cursor:v2:")?
        .parse()
        .ok()
}

/// Pages `items` by `first`/`last`/`after`/`before`, with GitHub's checks:
/// a bound is required and at most 100.
fn connection<'w>(items: Vec<Node<'w>>, args: &Args, name: &str) -> Result<Out<'w>, Failure> {
    let first = args.int("first");
    let last = args.int("last");
    if first.is_none() && last.is_none() {
        return Err(Failure::typed(
            "MISSING_PAGINATION_BOUNDARIES",
            format!(
                "You must provide a `first` or `last` value to properly paginate the `{name}` connection."
            ),
        ));
    }
    for (bound, value) in [("first", first), ("last", last)] {
        if let Some(n) = value.filter(|n| !(0..=100).contains(n)) {
            return Err(Failure::typed(
                "EXCESSIVE_PAGINATION",
                format!(
                    "Requesting {n} records on the `{name}` connection exceeds the `{bound}` limit of 100 records."
                ),
            ));
        }
    }
    let bad_cursor = |c: &str| {
        Failure::typed(
            "INVALID_CURSOR_ARGUMENTS",
            format!("`{c}` does not appear to be a valid cursor."),
        )
    };
    let total = items.len();
    let mut start = 0;
    let mut end = total;
    if let Some(after) = args.str("after") {
        start = decode_cursor(after).ok_or_else(|| bad_cursor(after))? + 1;
    }
    if let Some(before) = args.str("before") {
        end = decode_cursor(before).ok_or_else(|| bad_cursor(before))?;
    }
    let start = start.min(total);
    let end = end.clamp(start, total);
    let (start, end) = match (first, last) {
        // Validation kept `first` and `last` within 0..=100.
        (Some(n), _) => (start, (start + usize::try_from(n).unwrap_or(0)).min(end)),
        (None, Some(n)) => (
            end.saturating_sub(usize::try_from(n).unwrap_or(0))
                .max(start),
            end,
        ),
        (None, None) => (start, end),
    };
    let items = items.into_iter().skip(start).take(end - start).collect();
    Ok(Out::Object(Node::Connection(Rc::new(Page {
        items,
        start,
        total,
    }))))
}

fn scalar<'w>(value: impl Into<Value>) -> Result<Out<'w>, Failure> {
    Ok(Out::Scalar(value.into()))
}

fn object(node: Node<'_>) -> Result<Out<'_>, Failure> {
    Ok(Out::Object(node))
}

fn time(at: DateTime<Utc>) -> Value {
    json!(shapes::time(at))
}

fn day_start(day: NaiveDate) -> Value {
    json!(format!("{day}T00:00:00Z"))
}

pub fn field<'w>(
    ctx: &mut Context<'_, 'w>,
    node: &Node<'w>,
    name: &str,
    args: &Args,
) -> Result<Out<'w>, Failure> {
    let world = &ctx.state.world;
    let base = ctx.state.base_url.as_str();
    let undefined = || Err(Failure::undefined_field(node.type_name(), name));
    match node {
        Node::Query => match name {
            "user" => {
                let login = args.str("login").unwrap_or_default();
                match world.find_account(Forge::GitHub, login) {
                    Some(account) => object(Node::User(account)),
                    None => Err(Failure::typed(
                        "NOT_FOUND",
                        format!("Could not resolve to a User with the login of '{login}'."),
                    )),
                }
            }
            // GitHub answers null, not an error, for an owner it does not know.
            "repositoryOwner" => {
                let login = args.str("login").unwrap_or_default();
                Ok(match world.find_account(Forge::GitHub, login) {
                    Some(account) => Out::Object(Node::User(account)),
                    None => find_org(world, login)
                        .map_or(Out::Null, |org| Out::Object(Node::Organization(org))),
                })
            }
            "viewer" => ctx
                .viewer
                .map(|a| Out::Object(Node::User(a)))
                .ok_or_else(|| Failure::typed("NOT_FOUND", "No viewer")),
            "rateLimit" => Ok(ctx
                .rate_limit
                .clone()
                .map_or(Out::Null, |v| Out::Object(Node::RateLimit(v)))),
            _ => undefined(),
        },
        Node::RateLimit(values) => match values.get(name) {
            Some(value) => scalar(value.clone()),
            None => undefined(),
        },
        Node::User(account) => match name {
            "login" => scalar(account.username.clone()),
            "name" => scalar(account.display_name.clone()),
            "email" => scalar(""),
            "id" => scalar(format!("U_{:08}", shapes::account_number(account.id))),
            "databaseId" => scalar(shapes::account_number(account.id)),
            "url" => scalar(format!("{base}/{}", account.username)),
            "avatarUrl" => scalar(format!(
                "{base}/avatars/u/{}?v=4",
                shapes::account_number(account.id)
            )),
            "createdAt" => Ok(Out::Scalar(time(account.created_at))),
            "company" | "location" | "bio" | "websiteUrl" => Ok(Out::Null),
            "contributionsCollection" => contributions_collection(world, account, args),
            "repositories" => repositories(ctx, Owner::Account(account.id), args),
            _ => undefined(),
        },
        Node::Organization(org) => match name {
            "login" => scalar(org.login.clone()),
            "name" => scalar(org.name.clone()),
            "url" => scalar(format!("{base}/{}", org.login)),
            "id" => scalar(format!("O_{:08}", shapes::org_number(org.id))),
            "databaseId" => scalar(shapes::org_number(org.id)),
            "repositories" => repositories(ctx, Owner::Org(org.id), args),
            _ => undefined(),
        },
        Node::Repository(repo) => repository_field(ctx, repo, name, args),
        Node::Collection(c) => collection_field(ctx, c, name, args),
        Node::Calendar(calendar) => match name {
            "totalContributions" => scalar(calendar.total),
            "isHalloween" => scalar(false),
            "colors" => scalar(LEVELS[1..].iter().map(|(_, c)| *c).collect::<Vec<_>>()),
            "weeks" => Ok(Out::List(
                calendar
                    .weeks
                    .iter()
                    .cloned()
                    .map(|w| Out::Object(Node::Week(w)))
                    .collect(),
            )),
            "months" => scalar(months(calendar)),
            _ => undefined(),
        },
        Node::Week(week) => match name {
            "firstDay" => scalar(week.first_day.to_string()),
            "contributionDays" => Ok(Out::List(
                week.days
                    .iter()
                    .map(|d| Out::Object(Node::Day(*d)))
                    .collect(),
            )),
            _ => undefined(),
        },
        Node::Day(day) => match name {
            "date" => scalar(day.date.to_string()),
            "contributionCount" => scalar(day.count),
            "contributionLevel" => scalar(LEVELS[usize::from(day.level)].0),
            "color" => scalar(LEVELS[usize::from(day.level)].1),
            "weekday" => scalar(day.weekday),
            _ => undefined(),
        },
        Node::ByRepository(c, kind, repo) => match name {
            "repository" => object(Node::Repository(repo)),
            "url" => scalar(format!("{base}/{}", world.full_name(repo))),
            "resourcePath" => scalar(format!("/{}", world.full_name(repo))),
            "contributions" => {
                let mut items = by_repository_items(c, *kind, repo);
                order(&mut items, args, |n| occurred_at(n));
                connection(items, args, "contributions")
            }
            _ => undefined(),
        },
        Node::CommitContribution(repo, day, count, user) => match name {
            "occurredAt" => Ok(Out::Scalar(day_start(*day))),
            "commitCount" => scalar(*count),
            "repository" => object(Node::Repository(repo)),
            "user" => object(Node::User(world.account(*user))),
            "isRestricted" => scalar(false),
            "url" => scalar(format!(
                "{base}/{}/commits?author={}&since={day}&until={day}",
                world.full_name(repo),
                world.account(*user).username
            )),
            "resourcePath" => scalar(format!("/{}/commits", world.full_name(repo))),
            _ => undefined(),
        },
        Node::IssueContribution(issue) => contribution_field(name, issue.created_at)
            .unwrap_or_else(|| match name {
                "issue" => object(Node::Issue(issue)),
                _ => undefined(),
            }),
        Node::PullRequestContribution(change) => contribution_field(name, change.created_at)
            .unwrap_or_else(|| match name {
                "pullRequest" => object(Node::PullRequest(change)),
                _ => undefined(),
            }),
        Node::ReviewContribution(change, review) => contribution_field(name, review.submitted_at)
            .unwrap_or_else(|| match name {
                "pullRequest" => object(Node::PullRequest(change)),
                "pullRequestReview" => object(Node::Review(change, review)),
                "repository" => object(Node::Repository(world.repo(change.repo))),
                _ => undefined(),
            }),
        Node::RepositoryContribution(repo) => contribution_field(name, repo.created_at)
            .unwrap_or_else(|| match name {
                "repository" => object(Node::Repository(repo)),
                _ => undefined(),
            }),
        Node::Issue(issue) => issue_field(ctx, issue, name, args),
        Node::PullRequest(change) => pull_request_field(ctx, change, name),
        Node::Review(change, review) => match name {
            "state" => scalar(match review.state {
                ReviewState::Approved => "APPROVED",
                ReviewState::ChangesRequested => "CHANGES_REQUESTED",
                ReviewState::Commented => "COMMENTED",
            }),
            "submittedAt" | "createdAt" | "publishedAt" => {
                Ok(Out::Scalar(time(review.submitted_at)))
            }
            "databaseId" => scalar(review.id),
            "id" => scalar(format!("PRR_{:08}", review.id)),
            "url" => scalar(format!(
                "{base}/{}/pull/{}#pullrequestreview-{}",
                world.full_name(world.repo(change.repo)),
                change.number,
                review.id
            )),
            "author" => Ok(actor(world.account(review.reviewer))),
            "pullRequest" => object(Node::PullRequest(change)),
            "body" => scalar(""),
            _ => undefined(),
        },
        Node::Label(label) => match name {
            "name" => scalar(*label),
            "color" => scalar("d73a4a"),
            _ => undefined(),
        },
        Node::Language(language) | Node::RepositoryLanguage(language, _) => match name {
            "name" => scalar(*language),
            "color" => scalar("#dea584"),
            _ => undefined(),
        },
        Node::Topic(topic) => match name {
            "topic" => object(Node::Topic(topic)),
            "name" => scalar(*topic),
            _ => undefined(),
        },
        Node::Connection(page) => match name {
            "totalCount" => scalar(page.total),
            "nodes" => Ok(Out::List(
                page.items.iter().cloned().map(Out::Object).collect(),
            )),
            "edges" => Ok(Out::List(
                page.items
                    .iter()
                    .enumerate()
                    .map(|(i, n)| {
                        Out::Object(Node::Edge(Box::new(n.clone()), cursor(page.start + i)))
                    })
                    .collect(),
            )),
            "pageInfo" => object(Node::PageInfo(page.clone())),
            _ => undefined(),
        },
        Node::Edge(inner, cursor) => match (name, &**inner) {
            ("cursor", _) => scalar(cursor.clone()),
            ("node", inner) => object(inner.clone()),
            ("size", Node::RepositoryLanguage(_, bytes)) => scalar(*bytes),
            _ => undefined(),
        },
        Node::PageInfo(page) => {
            let end = page.start + page.items.len();
            match name {
                "hasNextPage" => scalar(end < page.total),
                "hasPreviousPage" => scalar(page.start > 0),
                "startCursor" => Ok(if page.items.is_empty() {
                    Out::Null
                } else {
                    Out::Scalar(json!(cursor(page.start)))
                }),
                "endCursor" => Ok(if page.items.is_empty() {
                    Out::Null
                } else {
                    Out::Scalar(json!(cursor(end - 1)))
                }),
                _ => undefined(),
            }
        }
    }
}

/// Fields every `Created…Contribution` has; `None` for the type's own fields.
fn contribution_field<'w>(name: &str, at: DateTime<Utc>) -> Option<Result<Out<'w>, Failure>> {
    match name {
        "occurredAt" => Some(Ok(Out::Scalar(time(at)))),
        "isRestricted" => Some(scalar(false)),
        _ => None,
    }
}

fn actor(account: &Account) -> Out<'_> {
    if account.deleted {
        // Deleted users show as null authors in GraphQL.
        Out::Null
    } else {
        Out::Object(Node::User(account))
    }
}

/// `contributionsCollection(from:, to:)`: at most one year apart.
fn contributions_collection<'w>(
    world: &'w crate::world::World,
    account: &'w Account,
    args: &Args,
) -> Result<Out<'w>, Failure> {
    let parse = |key: &str| -> Result<Option<DateTime<Utc>>, Failure> {
        args.str(key)
            .map(|text| {
                DateTime::parse_from_rfc3339(text)
                    .map(|t| t.with_timezone(&Utc))
                    .map_err(|_| Failure::typed("INVALID_ARGUMENT", format!("Argument '{key}' on Field 'contributionsCollection' has an invalid value ({text}). Expected type 'DateTime'.")))
            })
            .transpose()
    };
    let year = Months::new(12);
    let (from, to) = match (parse("from")?, parse("to")?) {
        (Some(from), Some(to)) => (from, to),
        (Some(from), None) => (from, from.checked_add_months(year).unwrap_or(from)),
        (None, Some(to)) => (to.checked_sub_months(year).unwrap_or(to), to),
        (None, None) => {
            let to = Utc::now();
            (to.checked_sub_months(year).unwrap_or(to), to)
        }
    };
    if from
        .checked_add_months(year)
        .is_some_and(|limit| to > limit)
    {
        return Err(Failure::typed(
            "VALIDATION",
            "The total time spanned by 'from' and 'to' must not exceed 1 year",
        ));
    }
    if from > to {
        return Err(Failure::typed(
            "VALIDATION",
            "The 'from' time must be before the 'to' time",
        ));
    }
    Ok(Out::Object(Node::Collection(Rc::new(
        Contributions::collect(world, account.id, from, to),
    ))))
}

fn collection_field<'w>(
    ctx: &mut Context<'_, 'w>,
    c: &Rc<Contributions<'w>>,
    name: &str,
    args: &Args,
) -> Result<Out<'w>, Failure> {
    let world = &ctx.state.world;
    let repos_with = |kind: Kind| by_repository(c, kind).len();
    match name {
        "startedAt" => Ok(Out::Scalar(time(c.from))),
        "endedAt" => Ok(Out::Scalar(time(c.to))),
        "totalCommitContributions" => scalar(c.commit_total()),
        "totalIssueContributions" => scalar(c.issues.len()),
        "totalPullRequestContributions" => scalar(c.pulls.len()),
        "totalPullRequestReviewContributions" => scalar(c.reviews.len()),
        "totalRepositoryContributions" => scalar(c.repositories.len()),
        "totalRepositoriesWithContributedCommits" => scalar(repos_with(Kind::Commit)),
        "totalRepositoriesWithContributedIssues" => scalar(repos_with(Kind::Issue)),
        "totalRepositoriesWithContributedPullRequests" => scalar(repos_with(Kind::PullRequest)),
        "totalRepositoriesWithContributedPullRequestReviews" => scalar(repos_with(Kind::Review)),
        "restrictedContributionsCount" => scalar(0),
        "hasAnyRestrictedContributions" => scalar(false),
        "hasAnyContributions" => scalar(
            c.commit_total() > 0
                || !c.issues.is_empty()
                || !c.pulls.is_empty()
                || !c.reviews.is_empty(),
        ),
        "contributionYears" => scalar(contribution_years(world, c.account)),
        "user" => object(Node::User(world.account(c.account))),
        "contributionCalendar" => object(Node::Calendar(Rc::new(c.calendar()))),
        "commitContributionsByRepository" => by_repository_list(c, Kind::Commit, args),
        "issueContributionsByRepository" => by_repository_list(c, Kind::Issue, args),
        "pullRequestContributionsByRepository" => by_repository_list(c, Kind::PullRequest, args),
        "pullRequestReviewContributionsByRepository" => by_repository_list(c, Kind::Review, args),
        "issueContributions" => {
            let mut items: Vec<Node<'w>> = c
                .issues
                .iter()
                .map(|i| Node::IssueContribution(i))
                .collect();
            order(&mut items, args, occurred_at);
            connection(items, args, "issueContributions")
        }
        "pullRequestContributions" => {
            let mut items: Vec<Node<'w>> = c
                .pulls
                .iter()
                .map(|p| Node::PullRequestContribution(p))
                .collect();
            order(&mut items, args, occurred_at);
            connection(items, args, "pullRequestContributions")
        }
        "pullRequestReviewContributions" => {
            let mut items: Vec<Node<'w>> = c
                .reviews
                .iter()
                .map(|(p, r)| Node::ReviewContribution(p, r))
                .collect();
            order(&mut items, args, occurred_at);
            connection(items, args, "pullRequestReviewContributions")
        }
        "repositoryContributions" => {
            let mut items: Vec<Node<'w>> = c
                .repositories
                .iter()
                .map(|r| Node::RepositoryContribution(r))
                .collect();
            order(&mut items, args, occurred_at);
            connection(items, args, "repositoryContributions")
        }
        _ => Err(Failure::undefined_field("ContributionsCollection", name)),
    }
}

fn contribution_years(world: &crate::world::World, account: Id) -> Vec<i32> {
    use chrono::Datelike;
    let mut years: Vec<i32> = world
        .commits
        .iter()
        .filter(|c| c.author == account)
        .map(|c| c.authored_at.year())
        .chain(
            world
                .changes
                .iter()
                .filter(|c| c.author == account)
                .map(|c| c.created_at.year()),
        )
        .chain(
            world
                .issues
                .iter()
                .filter(|i| i.author == account)
                .map(|i| i.created_at.year()),
        )
        .collect();
    years.sort_unstable_by(|a, b| b.cmp(a));
    years.dedup();
    years
}

/// When a contribution happened, for ordering.
fn occurred_at(node: &Node<'_>) -> DateTime<Utc> {
    match node {
        Node::CommitContribution(_, day, _, _) => day.and_time(Default::default()).and_utc(),
        Node::IssueContribution(i) => i.created_at,
        Node::PullRequestContribution(p) => p.created_at,
        Node::ReviewContribution(_, r) => r.submitted_at,
        Node::RepositoryContribution(r) => r.created_at,
        _ => DateTime::<Utc>::MIN_UTC,
    }
}

/// `orderBy: {field: OCCURRED_AT, direction: ASC|DESC}`; newest first by default.
fn order<'w>(items: &mut [Node<'w>], args: &Args, key: impl Fn(&Node<'w>) -> DateTime<Utc>) {
    items.sort_by_key(|n| key(n));
    let ascending = args
        .get("orderBy")
        .and_then(|o| o.get("direction"))
        .and_then(Value::as_str)
        == Some("ASC");
    if !ascending {
        items.reverse();
    }
}

/// Repositories with contributions of `kind`, each with its count.
fn by_repository<'w>(c: &Contributions<'w>, kind: Kind) -> Vec<(Id, usize)> {
    let mut counts: std::collections::BTreeMap<Id, usize> = std::collections::BTreeMap::new();
    match kind {
        Kind::Commit => {
            for (repo, days) in &c.commits {
                counts.insert(*repo, days.values().map(|n| *n as usize).sum());
            }
        }
        Kind::Issue => c
            .issues
            .iter()
            .for_each(|i| *counts.entry(i.repo).or_default() += 1),
        Kind::PullRequest => c
            .pulls
            .iter()
            .for_each(|p| *counts.entry(p.repo).or_default() += 1),
        Kind::Review => c
            .reviews
            .iter()
            .for_each(|(p, _)| *counts.entry(p.repo).or_default() += 1),
    }
    let mut list: Vec<(Id, usize)> = counts.into_iter().collect();
    list.sort_by_key(|(repo, n)| (std::cmp::Reverse(*n), *repo));
    list
}

/// `…ContributionsByRepository(maxRepositories: Int = 25)`: a plain list,
/// most contributions first, cut at `maxRepositories`.
fn by_repository_list<'w>(
    c: &Rc<Contributions<'w>>,
    kind: Kind,
    args: &Args,
) -> Result<Out<'w>, Failure> {
    let max = args.int("maxRepositories").unwrap_or(25);
    if !(1..=100).contains(&max) {
        return Err(Failure::typed(
            "INVALID_ARGUMENT",
            format!("maxRepositories must be between 1 and 100, got {max}"),
        ));
    }
    Ok(Out::List(
        by_repository(c, kind)
            .into_iter()
            .take(usize::try_from(max).unwrap_or(0))
            .filter_map(|(id, _)| c.repo_ref(id))
            .map(|repo| Out::Object(Node::ByRepository(c.clone(), kind, repo)))
            .collect(),
    ))
}

fn by_repository_items<'w>(c: &Contributions<'w>, kind: Kind, repo: &'w Repo) -> Vec<Node<'w>> {
    match kind {
        Kind::Commit => c
            .commits
            .get(&repo.id)
            .map(|days| {
                days.iter()
                    .map(|(day, n)| Node::CommitContribution(repo, *day, *n, c.account))
                    .collect()
            })
            .unwrap_or_default(),
        Kind::Issue => c
            .issues
            .iter()
            .filter(|i| i.repo == repo.id)
            .map(|i| Node::IssueContribution(i))
            .collect(),
        Kind::PullRequest => c
            .pulls
            .iter()
            .filter(|p| p.repo == repo.id)
            .map(|p| Node::PullRequestContribution(p))
            .collect(),
        Kind::Review => c
            .reviews
            .iter()
            .filter(|(p, _)| p.repo == repo.id)
            .map(|(p, r)| Node::ReviewContribution(p, r))
            .collect(),
    }
}

fn months(calendar: &Calendar) -> Value {
    use chrono::Datelike;
    let mut months: Vec<Value> = Vec::new();
    let mut current: Option<(i32, u32, NaiveDate, u32)> = None;
    for week in &calendar.weeks {
        let key = (week.first_day.year(), week.first_day.month());
        match &mut current {
            Some((y, m, _, weeks)) if (*y, *m) == key => *weeks += 1,
            _ => {
                if let Some(done) = current.take() {
                    months.push(month_json(done));
                }
                current = Some((key.0, key.1, week.first_day, 1));
            }
        }
    }
    if let Some(done) = current {
        months.push(month_json(done));
    }
    Value::Array(months)
}

fn month_json((year, month, first_day, weeks): (i32, u32, NaiveDate, u32)) -> Value {
    let name = first_day.format("%b").to_string();
    json!({ "name": name, "year": year, "firstDay": first_day.to_string(), "totalWeeks": weeks, "month": month })
}

fn repository_field<'w>(
    ctx: &mut Context<'_, 'w>,
    repo: &'w Repo,
    name: &str,
    args: &Args,
) -> Result<Out<'w>, Failure> {
    let world = &ctx.state.world;
    let base = ctx.state.base_url.as_str();
    let full_name = world.full_name(repo);
    match name {
        "name" => scalar(repo.name.clone()),
        "nameWithOwner" => scalar(full_name),
        "url" => scalar(format!("{base}/{full_name}")),
        "resourcePath" => scalar(format!("/{full_name}")),
        "id" => scalar(format!("R_{:08}", shapes::repo_number(repo.id))),
        "databaseId" => scalar(shapes::repo_number(repo.id)),
        "description" => scalar(repo.description.clone()),
        "isPrivate" | "isArchived" => scalar(false),
        "isFork" => scalar(repo.fork_of.is_some()),
        "stargazerCount" => scalar(repo.stargazers.len()),
        "forkCount" => scalar(world.forks_of(repo.id).count()),
        "watchers" => {
            let items = repo
                .watchers
                .iter()
                .map(|id| world.account(*id))
                .filter(|a| !a.deleted)
                .map(Node::User)
                .collect();
            connection(items, args, "watchers")
        }
        "repositoryTopics" => {
            let items = repo.topics.iter().map(|t| Node::Topic(t)).collect();
            connection(items, args, "repositoryTopics")
        }
        "createdAt" => Ok(Out::Scalar(time(repo.created_at))),
        "primaryLanguage" => object(Node::Language(repo.language)),
        "owner" => object(match repo.owner {
            Owner::Account(id) => Node::User(world.account(id)),
            Owner::Org(id) => Node::Organization(&world.orgs[id as usize]),
        }),
        "languages" => {
            // Largest first, GitHub's order with `orderBy: {field: SIZE, direction: DESC}`.
            let items = repo
                .languages
                .iter()
                .map(|(l, bytes)| Node::RepositoryLanguage(l, *bytes))
                .collect();
            connection(items, args, "languages")
        }
        _ => Err(Failure::undefined_field("Repository", name)),
    }
}

fn issue_field<'w>(
    ctx: &mut Context<'_, 'w>,
    issue: &'w Issue,
    name: &str,
    args: &Args,
) -> Result<Out<'w>, Failure> {
    let world = &ctx.state.world;
    let repo = world.repo(issue.repo);
    match name {
        "number" => scalar(issue.number),
        "title" => scalar(issue.title.clone()),
        "body" => scalar(issue.body.clone()),
        "url" => scalar(format!(
            "{}/{}/issues/{}",
            ctx.state.base_url,
            world.full_name(repo),
            issue.number
        )),
        "state" => scalar(if issue.closed_at.is_some() {
            "CLOSED"
        } else {
            "OPEN"
        }),
        "createdAt" => Ok(Out::Scalar(time(issue.created_at))),
        "updatedAt" => Ok(Out::Scalar(time(issue.updated_at))),
        "closedAt" => Ok(issue.closed_at.map_or(Out::Null, |t| Out::Scalar(time(t)))),
        "databaseId" => scalar(issue.id),
        "id" => scalar(format!("I_{:08}", issue.id)),
        "author" => Ok(actor(world.account(issue.author))),
        "repository" => object(Node::Repository(repo)),
        "labels" => {
            let items = issue.labels.iter().map(|l| Node::Label(l)).collect();
            connection(items, args, "labels")
        }
        _ => Err(Failure::undefined_field("Issue", name)),
    }
}

fn pull_request_field<'w>(
    ctx: &mut Context<'_, 'w>,
    change: &'w ChangeRequest,
    name: &str,
) -> Result<Out<'w>, Failure> {
    let world = &ctx.state.world;
    let repo = world.repo(change.repo);
    match name {
        "number" => scalar(change.number),
        "title" => scalar(change.title.clone()),
        "url" => scalar(format!(
            "{}/{}/pull/{}",
            ctx.state.base_url,
            world.full_name(repo),
            change.number
        )),
        "state" => scalar(match change.status {
            Status::Open => "OPEN",
            Status::Merged => "MERGED",
            Status::Closed | Status::Abandoned => "CLOSED",
        }),
        "merged" => scalar(change.merged_at.is_some()),
        "createdAt" => Ok(Out::Scalar(time(change.created_at))),
        "updatedAt" => Ok(Out::Scalar(time(change.updated_at))),
        "mergedAt" => Ok(change.merged_at.map_or(Out::Null, |t| Out::Scalar(time(t)))),
        "closedAt" => Ok(change.closed_at.map_or(Out::Null, |t| Out::Scalar(time(t)))),
        "databaseId" => scalar(change.id),
        "id" => scalar(format!("PR_{:08}", change.id)),
        "author" => Ok(actor(world.account(change.author))),
        "repository" => object(Node::Repository(repo)),
        _ => Err(Failure::undefined_field("PullRequest", name)),
    }
}

fn find_org<'w>(world: &'w crate::world::World, login: &str) -> Option<&'w Org> {
    world
        .orgs
        .iter()
        .find(|o| o.forge == Forge::GitHub && o.login.eq_ignore_ascii_case(login))
}

/// `repositories(first:, after:, privacy:, ownerAffiliations:, isFork:,
/// orderBy:)` of a user or an organisation: the live repositories it owns
/// that the caller may see (`privacy: PUBLIC` leaves out the private ones
/// whoever asks), oldest first unless ordered by `NAME`.
fn repositories<'w>(ctx: &Context<'_, 'w>, owner: Owner, args: &Args) -> Result<Out<'w>, Failure> {
    let state = ctx.state;
    let public_only = match args.str("privacy") {
        None => false,
        Some("PUBLIC") => true,
        Some("PRIVATE") => {
            return Err(Failure::typed(
                "FORBIDDEN",
                "Tally's simulator serves public repositories only through privacy: PUBLIC",
            ));
        }
        Some(other) => {
            return Err(Failure::typed(
                "INVALID_ARGUMENT",
                format!("Argument 'privacy' has an invalid value ({other})."),
            ));
        }
    };
    let is_fork = args.get("isFork").and_then(Value::as_bool);
    let visible = |repo: &Repo| {
        if !state.is_private(repo.id) {
            return true;
        }
        !public_only
            && ctx
                .viewer
                .is_some_and(|v| state.world.is_member(v.id, repo))
    };
    let mut repos: Vec<&'w Repo> = state
        .world
        .repos
        .iter()
        .filter(|r| r.forge == Forge::GitHub && r.owner == owner && !r.deleted)
        .filter(|r| visible(r))
        .filter(|r| is_fork.is_none_or(|f| r.fork_of.is_some() == f))
        .collect();
    let order = args.get("orderBy");
    let field = order.and_then(|o| o.get("field")).and_then(Value::as_str);
    let descending = order
        .and_then(|o| o.get("direction"))
        .and_then(Value::as_str)
        == Some("DESC");
    match field {
        Some("NAME") => repos.sort_by_key(|r| r.name.to_lowercase()),
        Some("STARGAZERS") => repos.sort_by_key(|r| r.stargazers.len()),
        _ => repos.sort_by_key(|r| (r.created_at, r.id)),
    }
    if descending {
        repos.reverse();
    }
    connection(
        repos.into_iter().map(Node::Repository).collect(),
        args,
        "repositories",
    )
}
