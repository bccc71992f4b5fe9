use leptos::prelude::*;
use leptos_router::components::A;

use super::ThemeToggle;
use crate::server_fns::viewer;

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
                    <A href="/issues">"Issues"</A>
                    <A href="/reports">"Reports"</A>
                    <A href="/discover">"Discover"</A>
                    <A href="/health">"Health"</A>
                </nav>
                <Account />
                <ThemeToggle />
            </div>
        </header>
    }
}

/// "Sign in", or who is signed in and a way out (a plain form: it works
/// without JavaScript and carries the session's CSRF token).
#[component]
fn Account() -> impl IntoView {
    let viewer = viewer();
    view! {
        <div class="account-menu">
            <Suspense fallback=|| ()>
                {move || {
                    viewer
                        .get()
                        .map(|result| match result.ok().flatten() {
                            Some(v) => {
                                view! {
                                    <A href="/subscriptions" attr:class="account-menu__name" attr:data-testid="viewer">{v.name}</A>
                                    <A href="/settings" attr:class="account-menu__settings">"Settings"</A>
                                    <form method="post" action="/auth/sign-out" class="account-menu__out">
                                        <input type="hidden" name="csrf" value=v.csrf />
                                        <button type="submit" class="link-button">"Sign out"</button>
                                    </form>
                                }
                                    .into_any()
                            }
                            None => view! { <a href="/sign-in" class="account-menu__in">"Sign in"</a> }.into_any(),
                        })
                }}
            </Suspense>
        </div>
    }
}
