//! `/reports/items?…`: the items behind one count of a report (a person's
//! commits, a week's reviews…), newest first, each linking to its forge
//! page. The address carries the report's parameters and the count's
//! (`kind`, `forge`, `instance`, `account`, `week`), so the list's length
//! is the number that was clicked.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_location;
use model::discovery::Page;
use model::report::{ItemFilter, ReportItem, ReportParams};

use crate::components::{Problem, grouped};
use crate::server_fns::reports::{ITEM_PARAMS, get_report_items};

#[component]
pub fn ReportItemsPage() -> impl IntoView {
    let location = use_location();
    let query = Memo::new(move |_| location.search.get());
    let page = Resource::new(move || query.get(), get_report_items);
    view! {
        <Title text="Items of a report" />
        <div class="discover report">
            {move || heading(&query.get())}
            <Suspense fallback=|| view! { <p class="muted" role="status">"Reading…"</p> }>
                {move || {
                    page.get()
                        .map(|result| match result {
                            Ok(page) => view! { <Items page /> }.into_any(),
                            Err(error) => view! { <Problem error /> }.into_any(),
                        })
                }}
            </Suspense>
        </div>
    }
}

/// What the list is of, and the way back to its report.
fn heading(query: &str) -> impl IntoView + use<> {
    let params = ReportParams::from_query(query, &ITEM_PARAMS).unwrap_or_default();
    let filter = ItemFilter::from_query(query).ok();
    let what = filter.as_ref().map_or_else(
        || "Items".to_owned(),
        |f| {
            let mut what = f.kind.label().to_owned();
            let by: Vec<String> = f
                .accounts
                .iter()
                .map(|a| format!("{} ({})", a.account, a.forge.name()))
                .collect();
            if !by.is_empty() {
                what.push_str(&format!(" by {}", by.join(", ")));
            }
            if let Some(week) = f.week {
                what.push_str(&format!(" in the week of {week}"));
            }
            what
        },
    );
    let (from, to) = (params.from, params.to);
    let range = match (from, to) {
        (Some(from), Some(to)) => format!("{from} to {to}"),
        _ => "the year up to today".to_owned(),
    };
    let back = format!("/reports?{}", params.to_query());
    view! {
        <h1 class="query-title" data-testid="items-heading">{what}</h1>
        <p class="lead">
            {format!("In {}, {range}. ", params.repositories.join(", "))}
            <a href=back>"Back to the report"</a>
        </p>
    }
}

#[component]
fn Items(page: Page<ReportItem>) -> impl IntoView {
    let count = page.count;
    view! {
        <p data-testid="items-count">
            {format!("{} item{}", grouped(count), if count == 1 { "" } else { "s" })}
        </p>
        {if page.results.is_empty() {
            view! { <p class="muted">"Nothing in the range."</p> }.into_any()
        } else {
            view! {
                <div class="table-scroll">
                    <table class="data-table" data-testid="items-table">
                        <thead>
                            <tr>
                                <th scope="col">"When (UTC)"</th>
                                <th scope="col">"Repository"</th>
                                <th scope="col">"Item"</th>
                                <th scope="col">"Account"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {page.results.into_iter().map(|item| view! {
                                <tr>
                                    <td>{item.at.format("%Y-%m-%d %H:%M").to_string()}</td>
                                    <td>{item.repository}</td>
                                    <td><a href=model::url::web_link(&item.url) rel="noopener noreferrer">{item.title}</a></td>
                                    <td>{item.account}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            }
                .into_any()
        }}
        <nav class="pager" aria-label="Pages">
            {page.previous.map(|href| view! { <a href=href rel="prev">"Newer"</a> })}
            {page.next.map(|href| view! { <a href=href rel="next">"Older"</a> })}
        </nav>
    }
}
