//! The browser half of Tally: makes the server-rendered HTML interactive.

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
