//! Infinite scroll: a list that grows a page at a time. The next page
//! loads as the end of the list comes into view; the link there ("More")
//! loads it on a click too, and without JavaScript it is the next page's
//! own address.

use std::future::Future;

use leptos::prelude::*;

use crate::error::AppError;

/// The items of a list that starts with `first` and grows by `fetch(next)`,
/// and the view that goes after them: the "More" link (to `href(next)`)
/// and what went wrong with the last page, if anything.
pub fn paged<T, F, Fut>(
    first: Vec<T>,
    next: Option<String>,
    fetch: F,
    href: impl Fn(&str) -> String + Send + Sync + 'static,
) -> (RwSignal<Vec<T>>, impl IntoView)
where
    T: Send + Sync + 'static,
    F: Fn(String) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<(Vec<T>, Option<String>), AppError>> + 'static,
{
    let items = RwSignal::new(first);
    let next = RwSignal::new(next);
    let loading = RwSignal::new(false);
    let failed = RwSignal::new(None::<String>);
    let load_more = move || {
        let Some(after) = next.get_untracked() else {
            return;
        };
        if loading.get_untracked() {
            return;
        }
        loading.set(true);
        let fetch = fetch.clone();
        leptos::task::spawn_local(async move {
            match fetch(after).await {
                Ok((more, following)) => {
                    items.update(|list| list.extend(more));
                    next.set(following);
                    failed.set(None);
                }
                Err(error) => failed.set(Some(error.to_string())),
            }
            loading.set(false);
        });
    };
    let end = NodeRef::<leptos::html::A>::new();
    #[cfg(feature = "hydrate")]
    when_visible(end, load_more.clone());
    let on_click = move |event: leptos::ev::MouseEvent| {
        event.prevent_default();
        load_more();
    };
    let more = view! {
        {move || {
            failed
                .get()
                .map(|e| view! { <p class="error" role="alert">"The next page could not be loaded: "{e}</p> })
        }}
        {move || {
            next.get()
                .map(|after| {
                    view! {
                        <a class="more" href=href(&after) node_ref=end on:click=on_click.clone() aria-busy=move || loading.get().to_string()>
                            {move || if loading.get() { "Loading…" } else { "More" }}
                        </a>
                    }
                })
        }}
    };
    (items, more)
}

/// Calls `load` whenever the element scrolls into view.
#[cfg(feature = "hydrate")]
fn when_visible(element: NodeRef<leptos::html::A>, load: impl Fn() + Clone + 'static) {
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    use web_sys::js_sys::Array;

    Effect::new(move |_| {
        let Some(target) = element.get() else { return };
        let load = load.clone();
        let callback = Closure::<dyn FnMut(Array)>::new(move |entries: Array| {
            let visible = entries.iter().any(|entry| {
                entry
                    .dyn_into::<web_sys::IntersectionObserverEntry>()
                    .is_ok_and(|e| e.is_intersecting())
            });
            if visible {
                load();
            }
        });
        if let Ok(observer) = web_sys::IntersectionObserver::new(callback.as_ref().unchecked_ref())
        {
            observer.observe(&target);
        }
        // The observer lives as long as the page; so does its callback.
        callback.forget();
    });
}
