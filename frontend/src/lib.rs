//! The browser half of Tally: makes the server-rendered HTML interactive.
// Leptos views nest deep types; the query page needs more room than the default 128.
#![recursion_limit = "256"]

use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
    mark_hydrated();
}

/// Tells tests and scripts that event handlers are attached from now on.
fn mark_hydrated() {
    let root = web_sys::window()
        .and_then(|window| window.document())
        .and_then(|document| document.document_element());
    if let Some(root) = root {
        let _ = root.set_attribute("data-hydrated", "true");
    }
}
