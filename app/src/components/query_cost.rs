//! What a query will cost, shown on the form before it is submitted: per
//! forge, the pieces of days not cached, the requests they are expected to
//! take against the budget the forge last reported, and whether the
//! installation would refuse the query (and how to narrow it).

use leptos::prelude::*;
use model::query::{FetchCost, QueryCost};

use super::grouped;
use crate::server_fns::query_cost;

/// How long typing must pause before the cost is asked again.
const SETTLE_MS: u64 = 400;

/// The cost line for the people and dates in the signals.
#[component]
pub fn QueryCostView(
    people: RwSignal<String>,
    from: RwSignal<String>,
    to: RwSignal<String>,
) -> impl IntoView {
    // Asked once typing settles, not on every key.
    let settled = RwSignal::new((
        people.get_untracked(),
        from.get_untracked(),
        to.get_untracked(),
    ));
    let typed = RwSignal::new(0_u64);
    Effect::new(move |_| {
        let now = (people.get(), from.get(), to.get());
        let turn = typed.get_untracked() + 1;
        typed.set(turn);
        // The form may be gone by then (submitted, or another page).
        set_timeout(
            move || {
                if typed.try_get_untracked() == Some(turn) {
                    settled.try_set(now);
                }
            },
            std::time::Duration::from_millis(SETTLE_MS),
        );
    });
    let cost = Resource::new(
        move || settled.get(),
        |(people, from, to)| async move {
            if people.trim().is_empty() {
                return None;
            }
            query_cost(people, from, to).await.ok()
        },
    );
    view! {
        <Transition fallback=|| ()>
            {move || {
                cost.get()
                    .flatten()
                    .map(|cost| {
                        view! {
                            <div class="cost" data-testid="cost" aria-live="polite">
                                <ul class="cost__forges">
                                    {lines(&cost).into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}
                                </ul>
                                {cost.refusal.map(|why| view! { <p class="error" role="alert">{why}</p> })}
                            </div>
                        }
                    })
            }}
        </Transition>
    }
}

/// One line per forge, or one saying nothing needs fetching.
fn lines(cost: &QueryCost) -> Vec<String> {
    if cost.forges.iter().all(|f| f.pieces == 0) {
        return vec!["Every day this asks for is cached: nothing to fetch.".to_owned()];
    }
    cost.forges
        .iter()
        .filter(|f| f.pieces > 0)
        .map(line)
        .collect()
}

fn line(cost: &FetchCost) -> String {
    let pieces = format!(
        "{}: {} {} of up to 92 days to fetch",
        cost.forge_name(),
        grouped(cost.pieces),
        if cost.pieces == 1 { "piece" } else { "pieces" }
    );
    let Some(requests) = cost.requests else {
        return format!("{pieces} (no price yet: nothing was fetched from it here).");
    };
    let mut text = format!("{pieces}, about {} requests", grouped(requests));
    if let Some(budget) = &cost.budget {
        text.push_str(&format!(
            "; {} of {} left until {} UTC",
            grouped(budget.remaining),
            grouped(budget.limit),
            budget.resets_at.format("%H:%M")
        ));
        if requests > budget.remaining && budget.limit > 0 {
            let windows = (requests - budget.remaining).div_ceil(budget.limit);
            text.push_str(&format!(
                ", so it waits for the rate limit about {} more {}",
                grouped(windows),
                if windows == 1 { "time" } else { "times" }
            ));
        }
    }
    text.push('.');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::forge::Forge;
    use model::query::BudgetLeft;

    fn cost(pieces: u64, requests: Option<u64>, budget: Option<BudgetLeft>) -> FetchCost {
        FetchCost {
            forge: Forge::GitHub,
            instance: None,
            pieces,
            requests,
            budget,
        }
    }

    #[test]
    fn a_cost_reads_as_pieces_requests_and_the_wait() {
        let budget = BudgetLeft {
            remaining: 100,
            limit: 5000,
            resets_at: "2026-12-07T23:40:00Z".parse().unwrap(),
        };
        assert_eq!(
            line(&cost(3, Some(6200), Some(budget))),
            "GitHub: 3 pieces of up to 92 days to fetch, about 6,200 requests; 100 of 5,000 left until 23:40 UTC, so it waits for the rate limit about 2 more times."
        );
        assert_eq!(
            line(&cost(1, None, None)),
            "GitHub: 1 piece of up to 92 days to fetch (no price yet: nothing was fetched from it here)."
        );
        let cached = QueryCost {
            forges: vec![cost(0, Some(0), None)],
            most_requests: 2000,
            refusal: None,
        };
        assert_eq!(
            lines(&cached),
            vec!["Every day this asks for is cached: nothing to fetch."]
        );
    }
}
