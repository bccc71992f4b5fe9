use leptos::prelude::*;

use crate::error::AppError;

/// A request's failure, shown where its answer would have been. On the
/// server it also gives the page the error's status, so a page that could
/// not be read does not answer 200.
#[component]
pub fn Problem(error: AppError) -> impl IntoView {
    #[cfg(feature = "ssr")]
    error.set_response_status();
    view! { <p class="error" role="alert">{error.to_string()}</p> }
}
