//! A query's graphs: a calendar heatmap per year, weekly bars and where the
//! work went, each with a table that says the same in numbers. The server
//! renders the cards; the browser draws the graphs with ECharts once the
//! page is live, and redraws them in place as the filters change.

#[cfg(feature = "hydrate")]
mod echarts;
pub mod health_check;
mod network;
mod options;
pub mod reports;
mod tables;

pub use network::network as network_option;

use leptos::prelude::*;
use model::activity::Activity;
use model::period::Period;
use model::query::Summary;

use options::{CELL, WeeklyBy};

use crate::error::AppError;
use crate::server_fns::query_activity;

/// ECharts 5.5.1 (the version charming 0.6 targets) with just the parts the
/// graphs use, bundled from npm into `public/vendor` by `scripts/bootstrap`.
pub const ECHARTS_SCRIPT: &str = "/vendor/echarts-5.5.1-tally.min.js";

/// A click on a graph's item: its index in the series, and for a calendar
/// the day it stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphClick {
    pub data_index: usize,
    pub day: Option<String>,
}

/// One graph: a box the server renders empty, labelled for screen readers,
/// that the browser draws `option` into, in place, whenever it changes.
/// `link` turns a click into the address to open, if any.
#[component]
pub fn Graph(
    #[prop(into)] label: String,
    /// Names the graph's box for links and tests.
    #[prop(optional)]
    id: Option<&'static str>,
    option: Memo<Option<serde_json::Value>>,
    #[prop(into)] style: Signal<String>,
    #[prop(optional)] link: Option<Callback<GraphClick, Option<String>>>,
) -> impl IntoView {
    let node = NodeRef::<leptos::html::Div>::new();
    let failure = RwSignal::new(None::<String>);
    #[cfg(feature = "hydrate")]
    draw(node, option, link, failure);
    #[cfg(not(feature = "hydrate"))]
    let _ = (option, link);
    view! {
        <div class="graph" id=id node_ref=node role="img" aria-label=label style=style data-drawn="0"></div>
        {move || failure.get().map(|problem| view! { <p class="error" role="alert">{problem}</p> })}
    }
}

/// Draws into `node` once ECharts is loaded, then again whenever `option`
/// changes; the chart and its handlers are released with the component.
#[cfg(feature = "hydrate")]
fn draw(
    node: NodeRef<leptos::html::Div>,
    option: Memo<Option<serde_json::Value>>,
    link: Option<Callback<GraphClick, Option<String>>>,
    failure: RwSignal<Option<String>>,
) {
    use std::cell::RefCell;
    use std::rc::Rc;

    use send_wrapper::SendWrapper;
    use wasm_bindgen::JsCast;

    let drawn: Rc<RefCell<Option<echarts::Drawn>>> = Rc::default();
    let draws = Rc::new(std::cell::Cell::new(0u32));
    let navigate = leptos_router::hooks::use_navigate();
    let release = SendWrapper::new(drawn.clone());
    on_cleanup(move || {
        release.borrow_mut().take();
    });
    Effect::new(move |_| {
        let (Some(element), Some(option)) = (node.get(), option.get()) else {
            return;
        };
        let (drawn, draws, navigate) = (drawn.clone(), draws.clone(), navigate.clone());
        leptos::task::spawn_local(async move {
            if let Err(problem) = echarts::load().await {
                failure.set(Some(problem));
                return;
            }
            let mut drawn = drawn.borrow_mut();
            let chart = drawn.get_or_insert_with(|| {
                let on_click = link.map(|link| {
                    Box::new(move |clicked: echarts::Clicked| {
                        let day = js_sys::Array::from(&clicked.value)
                            .get(0)
                            .as_string()
                            .filter(|_| clicked.value.is_array());
                        let click = GraphClick {
                            data_index: clicked.data_index,
                            day,
                        };
                        if let Some(href) = link.run(click) {
                            navigate(&href, Default::default());
                        }
                    }) as Box<dyn Fn(echarts::Clicked)>
                });
                echarts::Drawn::new(element.unchecked_ref(), on_click)
            });
            chart.draw(&option);
            draws.set(draws.get() + 1);
            if let Some(performance) = web_sys::window().and_then(|w| w.performance()) {
                // What `scripts/bench` times: navigation to a drawn graph.
                let _ = performance.mark("tally:graph-drawn");
            }
            // Tells tests (and anyone curious) that a drawing landed.
            let _ = element.set_attribute("data-drawn", &draws.get().to_string());
        });
    });
}

/// A card's button that shows or hides its table.
#[component]
fn TableToggle(shown: RwSignal<bool>, controls: &'static str) -> impl IntoView {
    view! {
        <button
            type="button"
            class="button button--small table-toggle"
            aria-expanded=move || shown.get().to_string()
            aria-controls=controls
            on:click=move |_| shown.update(|s| *s = !*s)
        >
            {move || if shown.get() { "Hide table" } else { "Show as table" }}
        </button>
    }
}

/// The graphs of the query whose summary is shown. Their counts are fetched
/// by the browser once the page is live (the server sends the numbers
/// first), and again whenever the summary changes, so they always belong
/// to the numbers above them.
#[component]
pub fn ActivityGraphs(summary: Resource<Result<Summary, AppError>>) -> impl IntoView {
    let shown = Memo::new(move |_| {
        summary
            .get()
            .and_then(Result::ok)
            .map(|s| (s.hash.to_string(), s.total, s.fetching))
    });
    let activity = LocalResource::new(move || {
        let shown = shown.get();
        async move {
            let (hash, ..) = shown?;
            Some(query_activity(hash).await.map_err(|e| e.to_string()))
        }
    });
    let hash = Signal::derive(move || {
        shown
            .with(|s| s.as_ref().map(|s| s.0.clone()))
            .unwrap_or_default()
    });
    // The browser fetches the counts after hydration; the server renders
    // the cards empty. It must not even read the browser-only resource: a
    // local resource read inside a transition makes the server give up on
    // it and send the fallback, which is no cards at all.
    let activity = Signal::derive(move || {
        if cfg!(feature = "ssr") {
            None
        } else {
            activity.get().flatten()
        }
    });
    // The last counts stay up while the next ones load, so a filter change
    // redraws the graphs instead of emptying and re-creating them.
    let data = Memo::new(move |last: Option<&Option<Activity>>| {
        activity
            .get()
            .and_then(Result::ok)
            .or_else(|| last.cloned().flatten())
    });
    let problem = move || activity.get().and_then(Result::err);
    // Only this flips the cards in or out; new summaries just redraw them.
    let has_summary = Memo::new(move |_| shown.with(Option::is_some));
    // Read inside a transition, so the server waits for the summary.
    let cards = move || {
        // The memos above read the summary outside this transition (the
        // activity's source runs first), so the server would not wait for
        // it and could render no cards; an untracked read registers it with
        // the transition. Only on the server: in the browser the
        // transition would then re-create the cards (and their ECharts
        // instances) each time a new summary loads, instead of redrawing.
        #[cfg(feature = "ssr")]
        summary.with_untracked(|_| ());
        has_summary.get().then(|| {
            view! {
                <section class="graphs" aria-label="Graphs">
                    {move || {
                        problem()
                            .map(|problem| {
                                view! {
                                    <p class="error" role="alert">
                                        "The graphs could not be loaded: "{problem}
                                    </p>
                                }
                            })
                    }}
                    <CalendarCard hash data />
                    <WeeklyCard hash data />
                    <WhereCard data />
                </section>
            }
        })
    };
    view! { <Transition fallback=|| ()>{cards}</Transition> }
}

/// Whose days the calendar shows: everyone, or one person.
fn person_choice(value: &str) -> Option<usize> {
    value.parse().ok()
}

#[component]
fn CalendarCard(hash: Signal<String>, data: Memo<Option<Activity>>) -> impl IntoView {
    let person = RwSignal::new(None::<usize>);
    let table = RwSignal::new(false);
    let people = move || data.with(|a| a.as_ref().map(|a| a.people.clone()).unwrap_or_default());
    let years = move || {
        data.with(|a| {
            a.as_ref()
                .map(options::years_newest_first)
                .unwrap_or_default()
        })
    };
    let link = Callback::new(move |click: GraphClick| {
        let day = click.day?.parse().ok()?;
        Some(Period::Day(day).href(&hash.get_untracked()))
    });
    view! {
        <article class="card graph-card" aria-labelledby="calendar-title">
            <header class="graph-card__head">
                <h2 id="calendar-title">"Every day"</h2>
                <label class="graph-card__control">
                    "Whose "
                    <select on:change=move |event| person.set(person_choice(&event_target_value(&event)))>
                        <option value="all">"Everyone"</option>
                        {move || {
                            people()
                                .into_iter()
                                .enumerate()
                                .map(|(i, name)| view! { <option value=i.to_string()>{name}</option> })
                                .collect_view()
                        }}
                    </select>
                </label>
                <TableToggle shown=table controls="calendar-table" />
            </header>
            <p class="muted graph-card__hint">"Pick a day to see its contributions."</p>
            {move || data.with(|a| a.as_ref().and_then(tables::unfetched))}
            {move || data.with(Option::is_none).then(|| view! { <div class="graph graph--pending calendar-box" aria-hidden="true"></div> })}
            <For each=years key=|year| *year let:year>
                <div class="graph-scroll">
                    <h3 class="graph-year">{year}</h3>
                    <Graph
                        label=format!("Contributions per day in {year}")
                        option=Memo::new(move |_| data.with(|a| a.as_ref().map(|a| options::calendar(a, person.get(), year))))
                        style=move || calendar_style(data, year)
                        link
                    />
                </div>
            </For>
            <div id="calendar-table">
                {move || table.get().then(|| data.with(|a| a.as_ref().map(|a| tables::days(a, &hash.get()))))}
            </div>
        </article>
    }
}

/// A year's calendar box: as wide as its weeks (scrolling inside its card
/// on a phone), seven days high.
fn calendar_style(data: Memo<Option<Activity>>, year: i32) -> String {
    let weeks = data.with(|a| a.as_ref().map_or(53, |a| options::calendar_weeks(a, year)));
    let width = weeks * (CELL + 1) + 48;
    let height = 7 * CELL + 72;
    format!("min-width: {width}px; height: {height}px")
}

#[component]
fn WeeklyCard(hash: Signal<String>, data: Memo<Option<Activity>>) -> impl IntoView {
    let by = RwSignal::new(WeeklyBy::Kind);
    let table = RwSignal::new(false);
    let option =
        Memo::new(move |_| data.with(|a| a.as_ref().map(|a| options::weekly(a, by.get()))));
    let link = Callback::new(move |click: GraphClick| {
        let monday = data.with_untracked(|a| a.as_ref()?.weeks().get(click.data_index).copied())?;
        Some(Period::week_of(monday).href(&hash.get_untracked()))
    });
    let choice = move |value: WeeklyBy, label: &'static str| {
        view! {
            <label>
                <input
                    type="radio"
                    name="weekly-by"
                    checked=move || by.get() == value
                    on:change=move |_| by.set(value)
                />
                {label}
            </label>
        }
    };
    view! {
        <article class="card graph-card" aria-labelledby="weekly-title">
            <header class="graph-card__head">
                <h2 id="weekly-title">"Week by week"</h2>
                <fieldset class="graph-card__control">
                    <legend class="visually-hidden">"Bars"</legend>
                    {choice(WeeklyBy::Kind, "By kind")}
                    {choice(WeeklyBy::Person, "By person")}
                </fieldset>
                <TableToggle shown=table controls="weekly-table" />
            </header>
            <p class="muted graph-card__hint">"Pick a week to see its contributions; pick a name in the legend to hide it."</p>
            <Graph label="Contributions per week" id="weekly-graph" option style="height: 320px" link />
            <div id="weekly-table">
                {move || table.get().then(|| data.with(|a| a.as_ref().map(|a| tables::weeks(a, by.get(), &hash.get()))))}
            </div>
        </article>
    }
}

#[component]
fn WhereCard(data: Memo<Option<Activity>>) -> impl IntoView {
    let table = RwSignal::new(false);
    let repositories = Memo::new(move |_| data.with(|a| a.as_ref().map(options::repositories)));
    let forges = Memo::new(move |_| data.with(|a| a.as_ref().map(options::forges)));
    let bars = move || {
        data.with(|a| {
            a.as_ref()
                .map_or(0, |a| a.top_repositories(options::TOP_REPOSITORIES).0.len())
        })
    };
    let others = move || {
        data.with(|a| {
            let (_, others) = a.as_ref()?.top_repositories(options::TOP_REPOSITORIES);
            (others.repositories > 0).then(|| {
                format!(
                    "and {} more repositories with {} contributions",
                    others.repositories, others.items
                )
            })
        })
    };
    view! {
        <article class="card graph-card" aria-labelledby="where-title">
            <header class="graph-card__head">
                <h2 id="where-title">"Where it went"</h2>
                <TableToggle shown=table controls="where-table" />
            </header>
            <div class="graph-pair">
                <div>
                    <h3 class="graph-year">"Repositories"</h3>
                    <Graph
                        label="Contributions per repository, most first"
                        option=repositories
                        style=move || format!("height: {}px", 40 + 30 * bars().max(1))
                    />
                    {move || others().map(|text| view! { <p class="muted">{text}</p> })}
                </div>
                <div>
                    <h3 class="graph-year">"Forges"</h3>
                    <Graph label="Contributions per forge" option=forges style="height: 280px" />
                </div>
            </div>
            <div id="where-table">
                {move || table.get().then(|| data.with(|a| a.as_ref().map(tables::places)))}
            </div>
        </article>
    }
}
