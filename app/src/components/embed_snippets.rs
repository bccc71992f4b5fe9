//! What to paste into a README or a wiki to show a query there: its
//! calendar and badge (drawn by the server, `/q/<hash>/calendar.svg` and
//! `/q/<hash>/badge.svg`), linked back to the query's page; and where its
//! exports and feed are (`server/src/exports.rs`).

use leptos::prelude::*;
use leptos_meta::Link;

use crate::server_fns::instance_info;

/// The snippets for the query `hash`, each with a button that copies it,
/// and links to its exports and feed.
#[component]
pub fn EmbedSnippets(hash: String) -> impl IntoView {
    let info = instance_info();
    let preview = format!("/q/{hash}/calendar.svg");
    let file = |name: &str| format!("/q/{hash}/{name}");
    view! {
        <Link rel="alternate" type_="application/atom+xml" title="Newest contributions" href=file("feed.atom") />
        <p class="exports" data-testid="exports">
            "Take it elsewhere: items as "
            <a href=file("items.csv") download>"CSV"</a>
            " or "
            <a href=file("items.json")>"JSON"</a>
            ", tallies as "
            <a href=file("tallies.csv") download>"CSV"</a>
            " or "
            <a href=file("tallies.json")>"JSON"</a>
            ", the newest in a "
            <a href=file("feed.atom")>"feed"</a>
            "."
        </p>
        <details class="embed" data-testid="embed">
            <summary>"Show it on another site"</summary>
            <p class="field__hint">
                "The calendar and the badge are pictures with this page’s numbers, kept current; they link back here."
            </p>
            <img class="embed__preview" src=preview alt="The contribution calendar, as other sites show it" loading="lazy" />
            <Suspense fallback=|| ()>
                {move || {
                    info.get()
                        .and_then(Result::ok)
                        .map(|info| snippets(&format!("{}/q/{hash}", info.public_url)))
                }}
            </Suspense>
        </details>
    }
}

/// Markdown and HTML for the query page at `page` (an absolute address).
fn snippets(page: &str) -> impl IntoView + use<> {
    let calendar = format!("{page}/calendar.svg");
    let badge = format!("{page}/badge.svg");
    let rows = [
        (
            "Calendar in Markdown",
            format!("[![Contributions]({calendar})]({page})"),
        ),
        (
            "Calendar in HTML",
            format!(r#"<a href="{page}"><img src="{calendar}" alt="Contributions"></a>"#),
        ),
        (
            "Calendar, dark, 480 px wide, in Markdown",
            format!("[![Contributions]({calendar}?theme=dark&width=480)]({page})"),
        ),
        (
            "Badge in Markdown",
            format!("[![Contributions]({badge})]({page})"),
        ),
    ];
    rows.into_iter()
        .map(|(label, text)| {
            view! {
                <div class="snippet">
                    <label class="field">
                        <span class="field__label">{label}</span>
                        <input class="snippet__text" type="text" readonly value=text.clone() />
                    </label>
                    <CopyButton text />
                </div>
            }
        })
        .collect_view()
}

/// Copies `text` to the clipboard; says so once done.
#[component]
fn CopyButton(text: String) -> impl IntoView {
    let copied = RwSignal::new(false);
    let copy = move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(window) = web_sys::window() {
            let written = window.navigator().clipboard().write_text(&text);
            wasm_bindgen_futures::spawn_local(async move {
                // The page may have moved on meanwhile.
                if wasm_bindgen_futures::JsFuture::from(written).await.is_ok() {
                    copied.try_set(true);
                }
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = &text;
    };
    view! {
        <button type="button" class="button button--quiet" on:click=copy>
            {move || if copied.get() { "Copied" } else { "Copy" }}
        </button>
    }
}
