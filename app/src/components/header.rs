use leptos::prelude::*;
use leptos_router::components::A;

use super::ThemeToggle;

#[component]
pub fn Header() -> impl IntoView {
    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <header class="header">
            <div class="header__inner">
                <A href="/" attr:class="brand">
                    <span class="brand__mark" aria-hidden="true">"▮▮▮"</span>
                    <span class="brand__name">"Tally"</span>
                </A>
                <nav class="nav" aria-label="Main">
                    <A href="/" exact=true>"Home"</A>
                </nav>
                <ThemeToggle />
            </div>
        </header>
    }
}
