//! Server functions: the browser's calls into the server. Each takes what it
//! needs from context and stays thin; the work lives in `engine`.

use leptos::prelude::*;
use model::instance::InstanceInfo;

use crate::error::AppError;

/// Whether this installation shows demo data, and which forges it reads.
#[server]
pub async fn get_instance_info() -> Result<InstanceInfo, AppError> {
    use_context::<InstanceInfo>().ok_or(AppError::Unavailable)
}
