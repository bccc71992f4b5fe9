//! The signed-in person's settings: personal API tokens. A token is shown
//! once, in the answer that makes it; afterwards only its name and dates.

use leptos::prelude::*;
use model::ids::ApiTokenId;
use model::tokens::{ApiTokenList, NewApiToken};

use crate::error::AppError;

#[cfg(feature = "ssr")]
use super::context::{store, user, user_sending};

/// The person's tokens that still work, newest first.
#[server(endpoint = "api_tokens")]
pub async fn api_tokens() -> Result<ApiTokenList, AppError> {
    Ok(ApiTokenList {
        as_of: chrono::Utc::now(),
        tokens: store()?.api_tokens(user()?).await?,
    })
}

/// Makes a token named `name`; the answer is the only time it is shown.
#[server(endpoint = "create_api_token")]
pub async fn create_api_token(csrf: String, name: String) -> Result<NewApiToken, AppError> {
    let user = user_sending(&csrf)?;
    store()?
        .create_api_token(user, &name)
        .await
        .map_err(|error| match error {
            engine::Error::Invalid(message) => AppError::invalid("name", message),
            error => error.into(),
        })
}

/// Revokes one of the person's tokens: it stops working at once.
#[server(endpoint = "revoke_api_token")]
pub async fn revoke_api_token(csrf: String, token: ApiTokenId) -> Result<(), AppError> {
    let user = user_sending(&csrf)?;
    Ok(store()?.revoke_api_token(user, token).await?)
}
