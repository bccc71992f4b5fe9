//! `POST /graphql`: GitHub's GraphQL API for the fields Tally reads, with
//! its point budget, its errors in a 200, and the one-year limit of
//! `contributionsCollection`.

mod contributions;
mod execute;
mod schema;

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::DateTime;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::reply::{self, Caller, Resource};
use crate::server::SimState;
use crate::server::budget::Principal;
use crate::world::Forge;
use execute::Context;

#[derive(Debug, Deserialize)]
pub struct Request {
    query: String,
    #[serde(default)]
    variables: Option<Map<String, Value>>,
    #[serde(default, rename = "operationName")]
    operation_name: Option<String>,
}

pub async fn graphql(
    State(state): State<Arc<SimState>>,
    caller: Caller,
    request: Result<Json<Request>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let limit = reply::limit_for(&state, caller.principal(), Resource::GraphQl);
    if caller.has_bad_credentials() {
        return reply::bad_credentials(&state, Resource::GraphQl);
    }
    let now = state.now();
    let standing = state
        .budgets
        .peek(caller.principal(), "graphql", limit, now);
    let answer = |status: StatusCode, body: Value, standing| {
        reply::json_response(status, &body, standing, Resource::GraphQl)
    };
    let Principal::Token(token) = caller.principal() else {
        return answer(
            StatusCode::UNAUTHORIZED,
            json!({ "message": "This endpoint requires you to be authenticated.",
                "documentation_url": "https://docs.github.com/graphql/guides/forming-calls-with-graphql#authenticating-with-graphql" }),
            standing,
        );
    };
    let Ok(Json(request)) = request else {
        return answer(
            StatusCode::BAD_REQUEST,
            json!({ "message": "Problems parsing JSON", "documentation_url": "https://docs.github.com/graphql" }),
            standing,
        );
    };
    let document = match graphql_parser::parse_query::<String>(&request.query) {
        Ok(document) => document,
        Err(error) => {
            let message = error.to_string();
            return answer(
                StatusCode::OK,
                json!({ "errors": [{ "message": message.trim() }] }),
                standing,
            );
        }
    };
    let root = match execute::operation(&document, request.operation_name.as_deref()) {
        Ok(root) => root,
        Err(message) => {
            return answer(
                StatusCode::OK,
                json!({ "errors": [{ "message": message }] }),
                standing,
            );
        }
    };
    let variables = request.variables.unwrap_or_default();
    let (cost, node_count) = execute::estimate(&document, root, &variables);
    let viewer = state
        .token_owner(token)
        .map(|id| state.world.account(id))
        .or_else(|| {
            state
                .world
                .accounts
                .iter()
                .find(|a| a.forge == Forge::GitHub && !a.deleted)
        });
    let standing = match state
        .budgets
        .charge(caller.principal(), "graphql", limit, cost, now)
    {
        Ok(standing) => standing,
        Err(standing) => {
            let user_id = viewer.map_or(0, |a| super::shapes::account_number(a.id));
            let message = format!("API rate limit exceeded for user ID {user_id}.");
            return answer(
                StatusCode::OK,
                json!({ "errors": [{ "type": "RATE_LIMITED", "message": message }] }),
                standing,
            );
        }
    };
    let mut context = Context::new(&state, &document, variables);
    context.viewer = viewer;
    let reset_at = DateTime::from_timestamp(standing.reset, 0).map(super::shapes::time);
    context.rate_limit = Some(json!({
        "cost": cost,
        "limit": standing.limit,
        "remaining": standing.remaining,
        "used": standing.used,
        "resetAt": reset_at,
        "nodeCount": node_count,
    }));
    answer(StatusCode::OK, context.run(root), standing)
}
