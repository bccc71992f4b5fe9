//! Infinite scroll: the next page loads as the end of a list comes into
//! view. Lists render a "More" link there too, which is the next page's
//! address without JavaScript.

use leptos::prelude::*;

/// Calls `load` whenever the element scrolls into view.
pub fn when_visible(element: NodeRef<leptos::html::A>, load: impl Fn() + Clone + 'static) {
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
