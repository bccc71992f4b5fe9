//! `/reports/<forge>/<path>` and `/reports?r=…&r=…`: a repository report.
//! The form is a GET, so a report's address (range and patterns included)
//! can be shared and works without JavaScript. Per person: commits, pull
//! requests, reviews, issues and comments; the KPIs, each with how it is
//! computed; graphs, each with a table saying the same.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::{use_location, use_params_map};
use model::report::{
    AccountTally, AgeCount, DEFAULT_BOT_PATTERNS, DEFAULT_BUG_PATTERNS,
    DEFAULT_PERFORMANCE_PATTERNS, Durations, ItemFilter, PersonTally, Report, ReportParams, Share,
    TallyKind, items_href,
};

use crate::components::{Graph, Problem, grouped, report_charts, span};
use crate::error::AppError;
use crate::server_fns::reports::{get_report, reportable_repositories};

#[component]
pub fn ReportsPage() -> impl IntoView {
    let params = use_params_map();
    let location = use_location();
    // `/reports/<forge>/<path>` names one repository in the path.
    let repository = Memo::new(move |_| {
        let params = params.read();
        let forge = params.get("forge")?;
        let path = params.get("path")?;
        Some(format!("{forge}:{path}"))
    });
    let query = Memo::new(move |_| location.search.get());
    let asked = Memo::new(move |_| {
        let mut asked = ReportParams::from_query(&query.get(), &[]).unwrap_or_default();
        if let Some(repository) = repository.get() {
            asked.repositories.insert(0, repository);
        }
        asked
    });
    let answer = Resource::new(
        move || (query.get(), repository.get()),
        |(query, repository)| async move {
            let empty = repository.is_none()
                && ReportParams::from_query(&query, &[]).is_ok_and(|p| p.repositories.is_empty());
            if empty {
                return Ok(None);
            }
            get_report(query, repository).await.map(Some)
        },
    );
    view! {
        <Title text="Repository report" />
        <div class="discover report">
            <h1 class="query-title">"Repository report"</h1>
            <p class="lead">
                "Who did what in repositories Tally keeps, and how their issues fare: commits, pull requests, reviews, issues and comments per person, and the KPIs behind them."
            </p>
            {move || view! { <ReportForm asked=asked.get() /> }}
            <Suspense fallback=|| view! { <p class="muted" role="status">"Counting…"</p> }>
                {move || {
                    answer
                        .get()
                        .map(|result| match result {
                            Ok(None) => view! { <Reportable /> }.into_any(),
                            Ok(Some(report)) => {
                                view! { <ReportView report asked=asked.get_untracked() /> }.into_any()
                            }
                            Err(error) => {
                                let reading = matches!(error, AppError::Busy { .. });
                                // A repository being read: ask again until it is.
                                #[cfg(feature = "hydrate")]
                                if reading {
                                    set_timeout(
                                        move || answer.refetch(),
                                        std::time::Duration::from_secs(5),
                                    );
                                }
                                view! {
                                    <Problem error />
                                    {reading.then(|| view! {
                                        <p class="muted" role="status" data-testid="report-reading">
                                            "Tally is reading it from its forge now; this page shows the report when that ends."
                                        </p>
                                    })}
                                }
                                    .into_any()
                            }
                        })
                }}
            </Suspense>
        </div>
    }
}

fn lines(list: Option<&Vec<String>>, defaults: &[&str]) -> String {
    match list {
        Some(list) => list.join("\n"),
        None => defaults.join("\n"),
    }
}

#[component]
fn ReportForm(asked: ReportParams) -> impl IntoView {
    let repositories = asked.repositories.join("\n");
    let from = asked.from.map(|d| d.to_string()).unwrap_or_default();
    let to = asked.to.map(|d| d.to_string()).unwrap_or_default();
    let bug = lines(asked.bug.as_ref(), DEFAULT_BUG_PATTERNS);
    let performance = lines(asked.performance.as_ref(), DEFAULT_PERFORMANCE_PATTERNS);
    let bots = lines(asked.bots.as_ref(), DEFAULT_BOT_PATTERNS);
    let people = asked
        .people
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n");
    let joined = !asked.people.is_empty();
    view! {
        <Form method="GET" action="/reports" attr:class="panel report-form">
            <label class="field" for="report-repositories">
                <span class="field__label">"Repositories, one per line (an address, or forge:path)"</span>
                <textarea id="report-repositories" name="r" rows="3" placeholder="github:owner/name" prop:value=repositories.clone()>
                    {repositories.clone()}
                </textarea>
            </label>
            <div class="field-row">
                <label class="field" for="report-from">
                    <span class="field__label">"From"</span>
                    <input id="report-from" type="date" name="from" value=from.clone() prop:value=from />
                </label>
                <label class="field" for="report-to">
                    <span class="field__label">"To"</span>
                    <input id="report-to" type="date" name="to" value=to.clone() prop:value=to />
                </label>
            </div>
            <p class="muted">"Days in UTC; without them, the year up to today."</p>
            <details>
                <summary>"Patterns (regular expressions, one per line, any case)"</summary>
                <label class="field" for="report-bug">
                    <span class="field__label">"Bug labels"</span>
                    <textarea id="report-bug" name="bug" rows="2" prop:value=bug.clone()>{bug.clone()}</textarea>
                </label>
                <label class="field" for="report-performance">
                    <span class="field__label">"Performance labels"</span>
                    <textarea id="report-performance" name="performance" rows="2" prop:value=performance.clone()>{performance.clone()}</textarea>
                </label>
                <label class="field" for="report-bot">
                    <span class="field__label">"Bot accounts (not a first response)"</span>
                    <textarea id="report-bot" name="bot" rows="2" prop:value=bots.clone()>{bots.clone()}</textarea>
                </label>
            </details>
            <details open=joined>
                <summary>"Join accounts into people"</summary>
                <label class="field" for="report-person">
                    <span class="field__label">"One person per line: a name, “=”, then their accounts as forge:username"</span>
                    <textarea id="report-person" name="person" rows="2" placeholder="Ada = github:ada gitlab:ada-l" prop:value=people.clone()>{people.clone()}</textarea>
                </label>
            </details>
            <button type="submit" class="button">"Report"</button>
        </Form>
    }
}

/// Before a report is asked for: the public repositories anyone can open.
#[component]
fn Reportable() -> impl IntoView {
    let kept = Resource::new(|| (), |_| reportable_repositories());
    view! {
        <Transition>
            {move || {
                kept.get()
                    .map(|result| match result {
                        Ok(list) if list.is_empty() => view! {
                            <p class="muted">
                                "No repository is kept yet: subscribe to one (Issues → Subscriptions) and its report opens here once it is read."
                            </p>
                        }
                            .into_any(),
                        Ok(list) => view! {
                            <section class="panel" aria-labelledby="reportable-title">
                                <h2 id="reportable-title" class="section-title">"Repositories kept here"</h2>
                                <ul class="link-list" data-testid="reportable">
                                    {list
                                        .into_iter()
                                        .map(|address| {
                                            let href = report_href(&address);
                                            view! { <li><a href=href>{address}</a></li> }
                                        })
                                        .collect_view()}
                                </ul>
                            </section>
                        }
                            .into_any(),
                        Err(error) => view! { <Problem error /> }.into_any(),
                    })
            }}
        </Transition>
    }
}

/// `forge:path` as its report's page.
fn report_href(address: &str) -> String {
    match address.split_once(':') {
        Some((forge, path)) => format!("/reports/{forge}/{path}"),
        None => format!("/reports?r={}", model::url::encode_component(address)),
    }
}

fn share_text(share: Share, what: &str) -> String {
    match share.percent() {
        Some(percent) => format!(
            "{percent:.1}% ({} of {} {what})",
            grouped(share.matching),
            grouped(share.of)
        ),
        None => format!("no {what} in range"),
    }
}

fn durations_text(d: &Durations, what: &str) -> String {
    match (d.median_seconds, d.p90_seconds) {
        (Some(median), Some(p90)) => format!(
            "median {}, 90th percentile {} (of {} {what})",
            span(median),
            span(p90),
            grouped(d.count)
        ),
        _ => format!("no {what} in range"),
    }
}

#[component]
fn ReportView(report: Report, asked: ReportParams) -> impl IntoView {
    let query = asked.to_query();
    let range = format!("{} to {}", report.from, report.to);
    let names: Vec<String> = report.repositories.iter().map(|r| r.path.clone()).collect();
    let failing: Vec<String> = report
        .repositories
        .iter()
        .filter_map(|r| {
            r.problem.as_ref().map(|p| {
                format!(
                    "{}: the last sync failed ({p}); its numbers are those read until {}",
                    r.path,
                    r.read_until.format("%Y-%m-%d %H:%M UTC")
                )
            })
        })
        .collect();
    let notes: Vec<String> = report
        .unavailable
        .iter()
        .chain(report.issues.unavailable.iter())
        .map(|(what, why)| format!("{}: {why}", what.replace('_', " ")))
        .collect();
    let m = report.issues.clone();
    let c = report.concentration;
    let json = format!("/api/v1/reports?{query}");
    let csv = format!("/api/v1/reports?{query}&format=csv");
    let close = m.time_to_close.map_or_else(
        || "not given by this forge".to_owned(),
        |d| durations_text(&d, "issues closed"),
    );
    let concentration = if c.authors == 0 {
        "no commits in range".to_owned()
    } else {
        format!(
            "{} of {} authors made half of the commits; the top one {}, the top five {}",
            c.half_of_commits,
            c.authors,
            share_text(c.top1, "commits"),
            share_text(c.top5, "commits")
        )
    };
    view! {
        <h2 class="section-title" data-testid="report-heading">{names.join(", ")} " · " {range}</h2>
        {(!failing.is_empty()).then(|| view! {
            <div class="error" role="alert" data-testid="report-failures">
                {failing.into_iter().map(|f| view! { <p>{f}</p> }).collect_view()}
            </div>
        })}
        {(!notes.is_empty()).then(|| view! {
            <ul class="muted notes" data-testid="report-unavailable">
                {notes.into_iter().map(|n| view! { <li>{n}</li> }).collect_view()}
            </ul>
        })}
        <section class="panel" aria-labelledby="report-kpis">
            <h2 id="report-kpis" class="section-title">"KPIs"</h2>
            <dl class="kpis" data-testid="report-kpis">
                <dt>"Bug share"</dt>
                <dd>{share_text(m.bug_share, "issues opened")}</dd>
                <dd class="muted">"Issues opened in the range with at least one label matching a bug pattern, each issue once."</dd>
                <dt>"Performance share"</dt>
                <dd>{share_text(m.performance_share, "issues opened")}</dd>
                <dd class="muted">"The same, with the performance patterns."</dd>
                <dt>"Time to close"</dt>
                <dd>{close}</dd>
                <dd class="muted">"For issues closed in the range, from opening to closing; a reopened issue counts with its last close."</dd>
                <dt>"First response"</dt>
                <dd>{durations_text(&m.first_response, "issues answered")}{format!("; {} not answered", grouped(m.unanswered))}</dd>
                <dd class="muted">"For issues opened in the range, until the first comment by someone other than the author, bots left out."</dd>
                <dt>"Contributor concentration"</dt>
                <dd>{concentration}</dd>
                <dd class="muted">"The fewest people whose commits in the range make at least half of them (the bus factor), and the share of the busiest."</dd>
            </dl>
        </section>
        <People report=report.clone() asked=asked.clone() json csv />
        <Weeks report=report.clone() asked />
        <Trend report=report.clone() />
        <section class="panel" aria-labelledby="report-months-title">
            <h2 id="report-months-title" class="section-title">"New and returning contributors"</h2>
            <p class="muted">"Per month, the people who did anything; new when it was their first month in these repositories."</p>
            {if report.contributors.is_empty() {
                view! { <p class="muted">"Nobody did anything in the range."</p> }.into_any()
            } else {
                let option = report_charts::contributors(&report.contributors);
                view! {
                    <Graph label="New and returning contributors per month" id="report-months" option=Memo::new(move |_| Some(option.clone())) style="height: 280px" />
                    <details>
                        <summary>"As a table"</summary>
                        <table class="data-table" data-testid="report-months-table">
                            <thead><tr><th scope="col">"Month"</th><th scope="col" class="num">"New"</th><th scope="col" class="num">"Returning"</th></tr></thead>
                            <tbody>
                                {report.contributors.iter().map(|m| view! {
                                    <tr><th scope="row">{m.month.clone()}</th><td class="num">{m.new}</td><td class="num">{m.returning}</td></tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </details>
                }
                    .into_any()
            }}
        </section>
        <OpenIssues report />
    }
}

#[component]
fn People(report: Report, asked: ReportParams, json: String, csv: String) -> impl IntoView {
    let option = report_charts::people(&report.people);
    view! {
        <section class="panel" aria-labelledby="report-people-title">
            <h2 id="report-people-title" class="section-title">"People"</h2>
            {if report.people.is_empty() {
                view! { <p class="muted">"Nobody did anything in the range."</p> }.into_any()
            } else {
                view! {
                    <Graph label=format!("What the {} busiest people did", report.people.len().min(report_charts::PEOPLE)) id="report-people" option=Memo::new(move |_| Some(option.clone())) style="height: 420px" />
                }
                    .into_any()
            }}
            <div class="table-scroll">
                <table class="data-table" data-testid="report-people-table">
                    <caption>
                        "Per person (a forge account, or the accounts joined under “Join accounts into people”), busiest first. "
                        <a href=json>"As JSON"</a>
                        " · "
                        <a href=csv download="">"As CSV"</a>
                    </caption>
                    <thead>
                        <tr>
                            <th scope="col">"Person"</th>
                            {TallyKind::ALL
                                .iter()
                                .map(|kind| view! { <th scope="col" class="num">{kind.label()}</th> })
                                .collect_view()}
                        </tr>
                    </thead>
                    <tbody>
                        {report
                            .people
                            .iter()
                            .map(|p| {
                                view! {
                                    <tr>
                                        <th scope="row">{person_cell(p)}</th>
                                        {TallyKind::ALL
                                            .iter()
                                            .map(|kind| count_cell(p.counts.get(*kind), &asked, &p.items(*kind)))
                                            .collect_view()}
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}

/// A person's name and accounts, or their one account, with the forge.
fn person_cell(person: &PersonTally) -> impl IntoView + use<> {
    let accounts = person
        .accounts
        .iter()
        .map(AccountTally::label)
        .collect::<Vec<_>>()
        .join(", ");
    match (&person.name, person.accounts.as_slice()) {
        (None, [one]) => view! {
            {one.account.clone()}
            <span class="muted">{format!(" {}", one.forge.name())}</span>
        }
        .into_any(),
        (name, _) => view! {
            {name.clone().unwrap_or_default()}
            <span class="muted person-accounts">{format!(" {accounts}")}</span>
        }
        .into_any(),
    }
}

#[component]
fn OpenIssues(report: Report) -> impl IntoView {
    let ages = report.issues.open_by_age.clone();
    let open: u64 = ages.iter().map(|a| a.issues).sum();
    let option = report_charts::ages(&ages, "Open issues", "#cf222e");
    let labels = report.issues.open_by_label.clone();
    view! {
        <section class="panel" aria-labelledby="report-open-title">
            <h2 id="report-open-title" class="section-title">{format!("Open issues: {}", grouped(open))}</h2>
            <p class="muted">{format!("Open at {}, by how long they have been open, and by label.", report.at.format("%Y-%m-%d %H:%M UTC"))}</p>
            <Graph label="Open issues by age" id="report-ages" option=Memo::new(move |_| Some(option.clone())) style="height: 240px" />
            <div class="graph-pair">
                {bucket_table(&ages, "Open for", "report-ages-table")}
                <table class="data-table" data-testid="report-labels-table">
                    <thead><tr><th scope="col">"Label"</th><th scope="col" class="num">"Open issues"</th></tr></thead>
                    <tbody>
                        {labels.iter().map(|l| view! {
                            <tr><th scope="row">{l.label.clone()}</th><td class="num">{grouped(l.issues)}</td></tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}

/// Issues per age bucket as a table.
fn bucket_table(
    buckets: &[AgeCount],
    heading: &'static str,
    id: &'static str,
) -> impl IntoView + use<> {
    view! {
        <table class="data-table" data-testid=id>
            <thead><tr><th scope="col">{heading}</th><th scope="col" class="num">"Issues"</th></tr></thead>
            <tbody>
                {buckets.iter().map(|a| view! {
                    <tr><th scope="row">{a.age.label()}</th><td class="num">{grouped(a.issues)}</td></tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn Weeks(report: Report, asked: ReportParams) -> impl IntoView {
    let option = report_charts::weeks(&report.weeks);
    view! {
        <section class="panel" aria-labelledby="report-weeks-title">
            <h2 id="report-weeks-title" class="section-title">"Activity per week"</h2>
            <Graph label="Everyone's acts per week, by kind" id="report-weeks" option=Memo::new(move |_| Some(option.clone())) style="height: 300px" />
            <details>
                <summary>"As a table"</summary>
                <div class="table-scroll">
                    <table class="data-table" data-testid="report-weeks-table">
                        <caption>"Weeks start on Monday (UTC); the first and last are cut by the range."</caption>
                        <thead>
                            <tr>
                                <th scope="col">"Week of"</th>
                                {TallyKind::ALL.iter().map(|k| view! { <th scope="col" class="num">{k.label()}</th> }).collect_view()}
                            </tr>
                        </thead>
                        <tbody>
                            {report.weeks.iter().map(|w| view! {
                                <tr>
                                    <th scope="row">{w.week.to_string()}</th>
                                    {TallyKind::ALL
                                        .iter()
                                        .map(|k| {
                                            let filter = ItemFilter { kind: *k, accounts: Vec::new(), week: Some(w.week) };
                                            count_cell(w.counts.get(*k), &asked, &filter)
                                        })
                                        .collect_view()}
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            </details>
        </section>
    }
}

/// A count in a table, linking to the items behind it when there are any.
fn count_cell(count: u64, asked: &ReportParams, filter: &ItemFilter) -> impl IntoView + use<> {
    let shown = grouped(count);
    view! {
        <td class="num">
            {if count == 0 {
                shown.into_any()
            } else {
                let href = items_href(asked, filter);
                view! { <a href=href>{shown}</a> }.into_any()
            }}
        </td>
    }
}

fn days_of(seconds: Option<i64>) -> String {
    seconds.map_or_else(|| "—".to_owned(), span)
}

#[component]
fn Trend(report: Report) -> impl IntoView {
    let option = report_charts::trend(&report.monthly);
    let closed = report.issues.closed_after.clone();
    let distribution = report_charts::ages(&closed, "Issues closed", "#1a7f37");
    view! {
        <section class="panel" aria-labelledby="report-trend-title">
            <h2 id="report-trend-title" class="section-title">"Issue KPIs per month"</h2>
            <Graph label="Median time to close, median first response and bug share per month" id="report-trend" option=Memo::new(move |_| Some(option.clone())) style="height: 280px" />
            <details>
                <summary>"As a table"</summary>
                <div class="table-scroll">
                    <table class="data-table" data-testid="report-trend-table">
                        <thead>
                            <tr>
                                <th scope="col">"Month"</th>
                                <th scope="col" class="num">"Opened"</th>
                                <th scope="col" class="num">"Bugs"</th>
                                <th scope="col" class="num">"Performance"</th>
                                <th scope="col" class="num">"Median to close"</th>
                                <th scope="col" class="num">"Median first response"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {report.monthly.iter().map(|m| view! {
                                <tr>
                                    <th scope="row">{m.month.clone()}</th>
                                    <td class="num">{grouped(m.opened)}</td>
                                    <td class="num">{grouped(m.bug_share.matching)}</td>
                                    <td class="num">{grouped(m.performance_share.matching)}</td>
                                    <td class="num">{days_of(m.time_to_close.and_then(|d| d.median_seconds))}</td>
                                    <td class="num">{days_of(m.first_response.median_seconds)}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            </details>
            {(!closed.is_empty()).then(|| view! {
                <h3 class="section-title">"Time to close"</h3>
                <Graph label="Issues closed in the range, by how long they took" id="report-closed" option=Memo::new(move |_| Some(distribution.clone())) style="height: 240px" />
                {bucket_table(&closed, "Closed after", "report-closed-table")}
            })}
        </section>
    }
}
