use leptos::prelude::*;

use crate::server_fns::instance_info;

/// Says plainly when the forges are simulated, on every page.
#[component]
pub fn DemoBanner() -> impl IntoView {
    let info = instance_info();
    view! {
        <Suspense fallback=|| ()>
            {move || {
                info.get()
                    .and_then(Result::ok)
                    .filter(|info| info.demo)
                    .map(|_| {
                        view! {
                            <p class="demo-banner" role="note">
                                <strong>"Demo data. "</strong>
                                "The forges here are simulated and every number is made up. "
                                "Configure a forge to see real contributions."
                            </p>
                        }
                    })
            }}
        </Suspense>
    }
}
