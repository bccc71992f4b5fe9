//! `GET /search/issues`: the qualifiers Tally uses, GitHub's result envelope,
//! its search budget, and its cap of 1,000 reachable results per query.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Value, json};

use super::reply::{Answer, GitHubError};
use super::shapes;
use crate::server::SimState;
use crate::server::paging::PageRequest;
use crate::world::{Forge, Status};

#[derive(Debug, Default)]
struct Query {
    pull_requests: Option<bool>,
    author: Option<String>,
    repo: Option<String>,
    open: Option<bool>,
    merged: bool,
    created: Option<(NaiveDate, NaiveDate)>,
    updated: Option<(NaiveDate, NaiveDate)>,
    merged_in: Option<(NaiveDate, NaiveDate)>,
    commenter: Option<String>,
    reviewed_by: Option<String>,
    author_date: Option<(NaiveDate, NaiveDate)>,
}

/// One hit: an issue or a pull request, with the fields filters need.
struct Hit<'a> {
    created_at: DateTime<Utc>,
    render: Box<dyn Fn() -> Value + 'a>,
}

pub fn search_issues(
    state: &SimState,
    params: &BTreeMap<String, String>,
) -> Result<Answer, GitHubError> {
    let q = params.get("q").ok_or(GitHubError::invalid("q"))?;
    let query = parse(q)?;
    let page = search_page(state, params)?;
    let mut hits = matching(state, &query);
    hits.sort_by_key(|h| std::cmp::Reverse(h.created_at));
    Ok(search_answer(
        state,
        params,
        "/search/issues",
        &page,
        &hits,
        |hit| (hit.render)(),
    ))
}

/// `GET /search/commits`: `author:`, `author-date:` and `repo:`, newest
/// author date first, with the same cap as issue search.
pub fn search_commits(
    state: &SimState,
    params: &BTreeMap<String, String>,
) -> Result<Answer, GitHubError> {
    let q = params.get("q").ok_or(GitHubError::invalid("q"))?;
    let mut query = Query::default();
    for term in q.split_whitespace() {
        match term.split_once(':') {
            Some(("author", login)) => query.author = Some(login.to_owned()),
            Some(("author-date", range)) => query.author_date = Some(date_range(range)?),
            Some(("repo", name)) => query.repo = Some(name.to_owned()),
            _ => return Err(GitHubError::invalid("q")),
        }
    }
    let page = search_page(state, params)?;
    let world = &state.world;
    let api = state.base_url.as_str();
    let mut hits: Vec<&crate::world::Commit> = world
        .commits
        .iter()
        .filter(|c| {
            let repo = world.repo(c.repo);
            let author = world.account(c.author);
            repo.forge == Forge::GitHub
                && !repo.deleted
                && !author.deleted
                && query
                    .repo
                    .as_deref()
                    .is_none_or(|r| world.full_name(repo).eq_ignore_ascii_case(r))
                && query
                    .author
                    .as_deref()
                    .is_none_or(|a| author.username.eq_ignore_ascii_case(a))
                && query
                    .author_date
                    .is_none_or(|(from, to)| (from..=to).contains(&c.authored_at.date_naive()))
        })
        .collect();
    hits.sort_by_key(|c| std::cmp::Reverse(c.authored_at));
    Ok(search_answer(
        state,
        params,
        "/search/commits",
        &page,
        &hits,
        |c| {
            let mut item = shapes::commit(api, world, c);
            if let Value::Object(map) = &mut item {
                let repo = world.repo(c.repo);
                map.insert("repository".into(), shapes::repository(api, world, repo));
            }
            item
        },
    ))
}

/// The page asked for, refused as GitHub refuses pages past the result cap.
fn search_page(
    state: &SimState,
    params: &BTreeMap<String, String>,
) -> Result<PageRequest, GitHubError> {
    let page = PageRequest::from_query(params, 30, 100);
    if (page.page - 1) * page.per_page >= state.config.github.search_result_cap {
        return Err(GitHubError::Unprocessable(
            "Only the first 1000 search results are available",
        ));
    }
    Ok(page)
}

/// GitHub's search envelope for `hits` (already in order): the full count,
/// one page of the reachable ones (each with a `score`), and links that
/// stop at the cap.
fn search_answer<T>(
    state: &SimState,
    params: &BTreeMap<String, String>,
    path: &str,
    page: &PageRequest,
    hits: &[T],
    render: impl Fn(&T) -> Value,
) -> Answer {
    let total = hits.len();
    let reachable = &hits[..total.min(state.config.github.search_result_cap)];
    let items: Vec<Value> = page
        .slice(reachable)
        .iter()
        .map(|hit| {
            let mut item = render(hit);
            if let Value::Object(map) = &mut item {
                map.insert("score".into(), json!(1.0));
            }
            item
        })
        .collect();
    let mut rest = params.clone();
    rest.remove("page");
    rest.remove("per_page");
    Answer {
        body: json!({ "total_count": total, "incomplete_results": false, "items": items }),
        link: page.link_header(&state.base_url, path, &rest, reachable.len()),
        last_modified: None,
    }
}

fn matching<'a>(state: &'a SimState, query: &Query) -> Vec<Hit<'a>> {
    let world = &state.world;
    let api = state.base_url.as_str();
    let in_repo = |repo: u32| {
        let repo = world.repo(repo);
        repo.forge == Forge::GitHub
            && !repo.deleted
            && query
                .repo
                .as_deref()
                .is_none_or(|wanted| world.full_name(repo).eq_ignore_ascii_case(wanted))
    };
    let by_author = |author: u32| {
        query
            .author
            .as_deref()
            .is_none_or(|wanted| world.account(author).username.eq_ignore_ascii_case(wanted))
    };
    let within = |at: DateTime<Utc>, range: Option<(NaiveDate, NaiveDate)>| {
        range.is_none_or(|(from, to)| (from..=to).contains(&at.date_naive()))
    };
    let mut hits: Vec<Hit> = Vec::new();
    let only_pulls = query.merged || query.merged_in.is_some() || query.reviewed_by.is_some();
    if query.pull_requests != Some(true) && !only_pulls {
        hits.extend(
            world
                .issues
                .iter()
                .filter(|i| {
                    in_repo(i.repo)
                        && by_author(i.author)
                        && within(i.created_at, query.created)
                        && within(i.updated_at, query.updated)
                })
                .filter(|i| {
                    query.commenter.as_deref().is_none_or(|wanted| {
                        i.comments.iter().any(|c| {
                            world
                                .account(c.author)
                                .username
                                .eq_ignore_ascii_case(wanted)
                        })
                    })
                })
                .filter(|i| query.open.is_none_or(|open| open == i.closed_at.is_none()))
                .map(|i| Hit {
                    created_at: i.created_at,
                    render: Box::new(move || shapes::issue(api, world, i)),
                }),
        );
    }
    // Pull requests in this world carry reviews, not comments.
    if query.pull_requests != Some(false) && query.commenter.is_none() {
        hits.extend(
            world
                .changes
                .iter()
                .filter(|c| {
                    in_repo(c.repo)
                        && by_author(c.author)
                        && within(c.created_at, query.created)
                        && within(c.updated_at, query.updated)
                })
                .filter(|c| {
                    query
                        .open
                        .is_none_or(|open| open == (c.status == Status::Open))
                })
                .filter(|c| !query.merged || c.status == Status::Merged)
                .filter(|c| {
                    query.reviewed_by.as_deref().is_none_or(|wanted| {
                        c.reviews.iter().any(|r| {
                            world
                                .account(r.reviewer)
                                .username
                                .eq_ignore_ascii_case(wanted)
                        })
                    })
                })
                .filter(|c| {
                    query.merged_in.is_none()
                        || c.merged_at.is_some_and(|at| within(at, query.merged_in))
                })
                .map(|c| Hit {
                    created_at: c.created_at,
                    render: Box::new(move || shapes::pull_as_issue(api, world, c)),
                }),
        );
    }
    hits
}

fn parse(q: &str) -> Result<Query, GitHubError> {
    let mut query = Query::default();
    for term in q.split_whitespace() {
        let Some((key, value)) = term.split_once(':') else {
            return Err(GitHubError::invalid("q"));
        };
        match (key, value) {
            ("is" | "type", "pr") => query.pull_requests = Some(true),
            ("is" | "type", "issue") => query.pull_requests = Some(false),
            ("is" | "state", "open") => query.open = Some(true),
            ("is" | "state", "closed") => query.open = Some(false),
            ("is", "merged") => query.merged = true,
            ("author", login) => query.author = Some(login.to_owned()),
            ("repo", name) => query.repo = Some(name.to_owned()),
            ("created", range) => query.created = Some(date_range(range)?),
            ("updated", range) => query.updated = Some(date_range(range)?),
            ("commenter", login) => query.commenter = Some(login.to_owned()),
            ("reviewed-by", login) => query.reviewed_by = Some(login.to_owned()),
            ("merged", range) => query.merged_in = Some(date_range(range)?),
            _ => return Err(GitHubError::invalid("q")),
        }
    }
    Ok(query)
}

/// `2024-01-01..2024-12-31`, `>=2024-01-01` or a single day.
fn date_range(text: &str) -> Result<(NaiveDate, NaiveDate), GitHubError> {
    let day =
        |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| GitHubError::invalid("q"));
    if let Some((from, to)) = text.split_once("..") {
        return Ok((day(from)?, day(to)?));
    }
    if let Some(from) = text.strip_prefix(">=") {
        return Ok((day(from)?, NaiveDate::MAX));
    }
    if let Some(to) = text.strip_prefix("<=") {
        return Ok((NaiveDate::MIN, day(to)?));
    }
    let single = day(text)?;
    Ok((single, single))
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(1000))]

        #[test]
        fn the_qualifiers_read_as_written(
            author in "[A-Za-z0-9-]{1,12}",
            repo in "[a-z0-9_.-]{1,8}/[a-z0-9_.-]{1,8}",
            from in 0u32..20_000,
            days in 0u32..400,
            pulls in proptest::bool::ANY,
        ) {
            let first = NaiveDate::from_ymd_opt(1990, 1, 1).unwrap() + chrono::Duration::days(from.into());
            let last = first + chrono::Duration::days(days.into());
            let kind = if pulls { "pr" } else { "issue" };
            let query = parse(&format!("is:{kind} author:{author} repo:{repo} created:{first}..{last}")).unwrap();
            proptest::prop_assert_eq!(query.pull_requests, Some(pulls));
            proptest::prop_assert_eq!(query.author, Some(author));
            proptest::prop_assert_eq!(query.repo, Some(repo));
            proptest::prop_assert_eq!(query.created, Some((first, last)));
        }

        #[test]
        fn no_query_makes_the_parser_panic(q in "\\PC{0,60}|([a-z-]{1,10}:[<>=.0-9a-z-]{0,22} ?){0,4}") {
            let _ = parse(&q);
        }
    }

    #[test]
    fn the_qualifiers_tally_sends_are_understood() {
        let query = parse("is:pr author:Octocat created:2024-01-01..2024-12-31 is:merged").unwrap();
        assert_eq!(query.pull_requests, Some(true));
        assert_eq!(query.author.as_deref(), Some("Octocat"));
        assert!(query.merged);
        let (from, to) = query.created.unwrap();
        assert_eq!(
            (from.to_string(), to.to_string()),
            ("2024-01-01".into(), "2024-12-31".into())
        );
    }

    #[test]
    fn unknown_qualifiers_and_bad_dates_are_rejected() {
        assert!(parse("label:bug").is_err());
        assert!(parse("created:2024-13-01..2024-12-31").is_err());
        assert!(parse("just words").is_err());
    }
}
