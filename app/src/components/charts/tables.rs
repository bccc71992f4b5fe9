//! The graphs' numbers as tables: the same data for screen readers, for
//! copying, and for anyone who would rather read than look.

use leptos::prelude::*;
use model::activity::Activity;
use model::period::Period;

use super::options::{TOP_REPOSITORIES, WeeklyBy};

fn head(columns: Vec<String>) -> impl IntoView {
    view! {
        <thead>
            <tr>
                {columns
                    .into_iter()
                    .enumerate()
                    .map(|(i, c)| {
                        let class = if i == 0 { "" } else { "num" };
                        view! { <th scope="col" class=class>{c}</th> }
                    })
                    .collect_view()}
            </tr>
        </thead>
    }
}

fn cells(counts: Vec<u64>) -> impl IntoView {
    counts
        .into_iter()
        .map(|n| view! { <td class="num">{n}</td> })
        .collect_view()
}

/// A row headed by a link to the day or week it counts.
fn linked_row(href: String, label: String, counts: Vec<u64>) -> impl IntoView {
    view! {
        <tr>
            <th scope="row"><a href=href>{label}</a></th>
            {cells(counts)}
        </tr>
    }
}

/// Every day with contributions, newest first, per person and in all.
pub fn days(activity: &Activity, hash: &str) -> impl IntoView + use<> {
    let everyone = activity.day_totals(None);
    let people: Vec<_> = (0..activity.people.len())
        .map(|p| activity.day_totals(Some(p)))
        .collect();
    let mut columns = vec!["Day".to_owned()];
    columns.extend(activity.people.iter().cloned());
    columns.push("Everyone".to_owned());
    let rows = everyone
        .iter()
        .rev()
        .map(|(day, total)| {
            let mut counts: Vec<u64> = people
                .iter()
                .map(|p| p.get(day).copied().unwrap_or(0))
                .collect();
            counts.push(*total);
            let period = Period::Day(*day);
            linked_row(period.href(hash), period.to_string(), counts)
        })
        .collect_view();
    view! {
        <table class="data-table" data-testid="days-table">
            <caption>"Contributions per day (UTC), days without any left out"</caption>
            {head(columns)}
            <tbody>{rows}</tbody>
        </table>
    }
}

/// Every week of the range, by kind or by person, with its total.
pub fn weeks(activity: &Activity, by: WeeklyBy, hash: &str) -> impl IntoView + use<> {
    let series: Vec<(String, Vec<u64>)> = match by {
        WeeklyBy::Kind => activity
            .weekly_by_kind()
            .into_iter()
            .map(|(kind, counts)| (kind.label().to_owned(), counts))
            .collect(),
        WeeklyBy::Person => activity.weekly_by_person(),
    };
    let mut columns = vec!["Week of".to_owned()];
    columns.extend(series.iter().map(|(name, _)| name.clone()));
    columns.push("Total".to_owned());
    // Only when some are: a week's total is then at least its number.
    let unfetched = (!activity.complete()).then(|| activity.unfetched_by_week(None));
    if unfetched.is_some() {
        columns.push("Days not fetched".to_owned());
    }
    let rows = activity
        .weeks()
        .into_iter()
        .enumerate()
        .map(|(i, monday)| {
            let mut counts: Vec<u64> = series.iter().map(|(_, c)| c[i]).collect();
            counts.push(counts.iter().sum());
            if let Some(unfetched) = &unfetched {
                counts.push(u64::from(unfetched[i]));
            }
            linked_row(
                Period::week_of(monday).href(hash),
                monday.to_string(),
                counts,
            )
        })
        .collect_view();
    view! {
        <table class="data-table" data-testid="weeks-table">
            <caption>"Contributions per ISO week (Monday to Sunday, UTC)"</caption>
            {head(columns)}
            <tbody>{rows}</tbody>
        </table>
    }
}

/// How many spans of days not fetched are named per person.
const SPANS_NAMED: usize = 8;

/// The days whose counts miss an account, per person, in words: what the
/// graphs mark, for screen readers and for anyone who reads.
pub fn unfetched(activity: &Activity) -> Option<impl IntoView + use<>> {
    if activity.complete() {
        return None;
    }
    let people = activity
        .people
        .iter()
        .enumerate()
        .filter_map(|(person, name)| {
            let runs = activity.unfetched_runs(Some(person));
            (!runs.is_empty()).then(|| {
                let days: i64 = runs.iter().map(|(a, b)| (*b - *a).num_days() + 1).sum();
                let mut spans = runs
                    .iter()
                    .take(SPANS_NAMED)
                    .map(|(a, b)| if a == b { a.to_string() } else { format!("{a} to {b}") })
                    .collect::<Vec<_>>()
                    .join(", ");
                if runs.len() > SPANS_NAMED {
                    spans.push_str(&format!(" and {} more spans", runs.len() - SPANS_NAMED));
                }
                view! { <li><strong>{name.clone()}</strong>{format!(": {days} days ({spans})")}</li> }
            })
        })
        .collect_view();
    Some(view! {
        <div class="failure unfetched" role="status" data-testid="unfetched">
            <p>"Not fetched yet, or the forge failed, on these days: their counts are missing, not zero, and the graphs mark them."</p>
            <ul>{people}</ul>
        </div>
    })
}

/// The top repositories, the rest in one row, and the forges.
pub fn places(activity: &Activity) -> impl IntoView + use<> {
    let (top, others) = activity.top_repositories(TOP_REPOSITORIES);
    let repositories = top
        .iter()
        .map(|r| {
            view! {
                <tr>
                    <th scope="row">{r.repository.clone()}</th>
                    <td>{r.forge.name()}</td>
                    <td class="num">{r.count}</td>
                </tr>
            }
        })
        .collect_view();
    let rest = (others.repositories > 0).then(|| {
        view! {
            <tr>
                <th scope="row">{format!("{} other repositories", others.repositories)}</th>
                <td></td>
                <td class="num">{others.items}</td>
            </tr>
        }
    });
    let forges = activity
        .by_forge()
        .into_iter()
        .map(|(forge, n)| {
            view! {
                <tr>
                    <th scope="row">{forge.name()}</th>
                    <td class="num">{n}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="data-table" data-testid="repositories-table">
            <caption>"Contributions per repository, most first"</caption>
            {head(vec!["Repository".into(), "Forge".into(), "Contributions".into()])}
            <tbody>{repositories}{rest}</tbody>
        </table>
        <table class="data-table" data-testid="forges-table">
            <caption>"Contributions per forge"</caption>
            {head(vec!["Forge".into(), "Contributions".into()])}
            <tbody>{forges}</tbody>
        </table>
    }
}
