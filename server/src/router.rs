//! Every route the server answers, in one place; the REST API's own routes
//! are listed in `api::routes`, next to their OpenAPI document.

use axum::Router;
use axum::routing::get;
use http::header::{REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS};
use leptos_axum::{LeptosRoutes, generate_route_list};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use tower_sessions::SessionManagerLayer;
use tower_sessions_sqlx_store::PostgresStore;

use crate::api;
use crate::auth;
use crate::embeds;
use crate::exports;
use crate::limits;
use crate::page_cache::{self, PageCache};
use crate::probes;
use crate::state::AppState;

pub fn build(
    state: AppState,
    sessions: SessionManagerLayer<PostgresStore>,
    spending: std::sync::Arc<limits::Spending>,
) -> Router {
    let pages = generate_route_list(app::App);
    let instance = model::instance::InstanceInfo {
        public_url: state.auth.public_url.clone(),
        ..state.forges.info()
    };
    let queries = state.queries.clone();
    let tracker = state.tracker.clone();
    let sign_in = state.auth.options();
    let store = state.store.clone();
    let discovery = state.discovery.clone();
    let health = state.health.clone();
    let reports = state.reports.clone();
    // What pages and server functions may take from context (the visitor
    // comes with each request, from its session).
    let context = move || {
        leptos::context::provide_context(instance.clone());
        leptos::context::provide_context(queries.clone());
        leptos::context::provide_context(tracker.clone());
        leptos::context::provide_context(sign_in.clone());
        leptos::context::provide_context(store.clone());
        leptos::context::provide_context(discovery.clone());
        leptos::context::provide_context(health.clone());
        leptos::context::provide_context(reports.clone());
    };
    Router::new()
        .route("/healthz", get(probes::live))
        .route("/readyz", get(probes::ready))
        .merge(auth::routes())
        .merge(api::routes(&state))
        .merge(embeds::routes())
        .merge(exports::routes())
        .leptos_routes_with_context(&state, pages, context, {
            let options = state.leptos_options.clone();
            move || app::shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(
            app::shell,
        ))
        .layer(axum::middleware::from_fn_with_state(
            std::sync::Arc::new(PageCache::new(state.store.clone())),
            page_cache::serve,
        ))
        .layer(axum::middleware::from_fn(auth::signed_in_pages))
        .layer(axum::middleware::from_fn(auth::session::visitor))
        .layer(sessions)
        .layer(axum::middleware::from_fn_with_state(
            std::sync::Arc::<str>::from(state.auth.public_url.as_str()),
            auth::csrf::same_origin,
        ))
        .layer(axum::middleware::from_fn(limits::body))
        .layer(axum::middleware::from_fn_with_state(
            spending,
            limits::spending,
        ))
        .layer(axum::middleware::from_fn_with_state(
            limits::MOST_TIME,
            limits::time,
        ))
        .merge(static_files(&state.leptos_options))
        .layer(CompressionLayer::new())
        .layer(header(X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(header(X_FRAME_OPTIONS, "DENY"))
        // Links out to forges do not carry a private page's address.
        .layer(header(REFERRER_POLICY, "same-origin"))
        .layer(CatchPanicLayer::custom(panicked))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Sets a header on every response that does not set it itself (pages add
/// their Content-Security-Policy in `app::security`).
fn header(
    name: http::HeaderName,
    value: &'static str,
) -> SetResponseHeaderLayer<http::HeaderValue> {
    SetResponseHeaderLayer::if_not_present(name, http::HeaderValue::from_static(value))
}

/// A handler that panicked answers 500 at once (instead of dropping the
/// connection), and the panic is logged.
fn panicked(panic: Box<dyn std::any::Any + Send + 'static>) -> axum::response::Response {
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("a panic without a message");
    tracing::error!(panic = message, "a request handler panicked");
    axum::response::IntoResponse::into_response(app::error::AppError::Failed)
}

/// The site's files, the same for every visitor: merged after the session
/// layers, so a signed-in browser fetching them costs no session read.
/// Anything else under the site root is still served by the fallback.
fn static_files(options: &leptos::config::LeptosOptions) -> Router<AppState> {
    let files = leptos_axum::site_pkg_dir_service(options);
    Router::new()
        .route_service(
            &leptos_axum::site_pkg_dir_service_route_path(options),
            files.clone(),
        )
        .route_service("/vendor/{*path}", files.clone())
        .route_service("/favicon.svg", files)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower::ServiceExt;

    #[tokio::test]
    async fn a_panicking_handler_answers_500_at_once() {
        let router: Router = Router::new()
            .route(
                "/boom",
                get(|| async {
                    let panics: fn() -> String = || panic!("a date past chrono's range");
                    panics()
                }),
            )
            .layer(CatchPanicLayer::custom(panicked));
        let request = http::Request::get("/boom")
            .body(axum::body::Body::empty())
            .unwrap();
        let answer = router.oneshot(request).await.unwrap();
        assert_eq!(answer.status(), 500);
        let body = axum::body::to_bytes(answer.into_body(), 10_000)
            .await
            .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["error"]["code"], "failed");
    }
}
