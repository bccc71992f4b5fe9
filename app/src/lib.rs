//! Tally's user interface: the page shell, the routes and their components.
//!
//! Compiled twice: with `ssr` into the server, which renders every page to
//! HTML, and with `hydrate` into the browser bundle, which makes that HTML live.

// Leptos views are nested types; the graph cards' are deeper than the
// compiler's default query depth allows in a release build.
#![recursion_limit = "256"]

mod components;
pub mod error;
#[cfg(feature = "ssr")]
pub mod lists;
mod pages;
#[cfg(feature = "ssr")]
pub mod security;
pub mod server_fns;
#[cfg(feature = "ssr")]
pub mod visitor;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{SsrMode, path};

use components::{DemoBanner, Footer, Header, THEME_BOOTSTRAP_SCRIPT};
pub use components::{ECHARTS_SCRIPT, grouped};
use pages::{
    DeveloperPage, DiscoverPage, DiscoverRepositoriesPage, HealthPage, Home, IssuesPage, NotFound,
    PeriodPage, QueryPage, ReportItemsPage, ReportsPage, SettingsPage, SignInPage,
    SubscriptionsPage,
};

/// The HTML document around every page. Only the server renders it.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    security::send_policy();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                // Runs before first paint so a stored dark theme never flashes light.
                <script nonce=use_nonce()>{THEME_BOOTSTRAP_SCRIPT}</script>
                <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    server_fns::provide_instance_info();
    server_fns::provide_viewer();
    view! {
        <Stylesheet id="leptos" href="/pkg/tally.css" />
        <Title formatter=|page: String| {
            if page.is_empty() { "Tally".to_owned() } else { format!("{page} · Tally") }
        } />
        <Router>
            <div class="app">
                <DemoBanner />
                <Header />
                <main id="main" class="main">
                    <Routes fallback=NotFound>
                        <Route path=path!("/") view=Home />
                        // Rendered whole before sending: the tallies read without
                        // JavaScript, and an unknown hash can still answer 404.
                        <Route path=path!("/q/:hash") view=QueryPage ssr=SsrMode::Async />
                        <Route
                            path=path!("/q/:hash/day/:day")
                            view=PeriodPage
                            ssr=SsrMode::Async
                        />
                        <Route
                            path=path!("/q/:hash/week/:week")
                            view=PeriodPage
                            ssr=SsrMode::Async
                        />
                        <Route path=path!("/sign-in") view=SignInPage ssr=SsrMode::Async />
                        // A person's own pages, rendered whole for them.
                        <Route path=path!("/issues") view=IssuesPage ssr=SsrMode::Async />
                        <Route
                            path=path!("/subscriptions")
                            view=SubscriptionsPage
                            ssr=SsrMode::Async
                        />
                        <Route path=path!("/settings") view=SettingsPage ssr=SsrMode::Async />
                        <Route path=path!("/discover") view=DiscoverPage ssr=SsrMode::Async />
                        <Route path=path!("/health") view=HealthPage ssr=SsrMode::Async />
                        <Route path=path!("/reports") view=ReportsPage ssr=SsrMode::Async />
                        <Route
                            path=path!("/reports/items")
                            view=ReportItemsPage
                            ssr=SsrMode::Async
                        />
                        <Route
                            path=path!("/reports/:forge/*path")
                            view=ReportsPage
                            ssr=SsrMode::Async
                        />
                        <Route
                            path=path!("/discover/repositories")
                            view=DiscoverRepositoriesPage
                            ssr=SsrMode::Async
                        />
                        <Route
                            path=path!("/discover/developers/:id")
                            view=DeveloperPage
                            ssr=SsrMode::Async
                        />
                    </Routes>
                </main>
                <Footer />
            </div>
        </Router>
    }
}
