use leptos::prelude::*;

#[component]
pub fn Footer() -> impl IntoView {
    view! {
        <footer class="footer">
            <div class="footer__inner">
                <span>"Tally " {env!("CARGO_PKG_VERSION")}</span>
                <span class="footer__sep" aria-hidden="true">"·"</span>
                <span>"Self-hosted contribution counts across code forges"</span>
                <span class="footer__sep" aria-hidden="true">"·"</span>
                <a href="/healthz" rel="external">"Status"</a>
            </div>
        </footer>
    }
}
