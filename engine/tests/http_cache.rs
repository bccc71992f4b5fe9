//! ETags kept in Postgres outlive the client that stored them: a new client
//! (a restarted server) asks conditionally and unchanged data costs nothing.
#![allow(
    clippy::unwrap_used,
    reason = "a test or benchmark stops loudly on what it did not expect"
)]

mod common;

use std::sync::Arc;

use common::{day, people, world};
use engine::forge::Client;
use engine::forge::cache::ResponseCache;
use engine::forge::governor::Governor;
use engine::forge::http::{Limits, Stats};
use engine::store::testing::TestDb;
use model::forge::Forge;
use sim::server::{SimConfig, Simulator};

#[tokio::test]
async fn a_new_client_is_answered_from_etags_stored_in_postgres() {
    let db = TestDb::new().await;
    let simulator = Simulator::start(world(1), SimConfig::default())
        .await
        .unwrap();
    let endpoint = common::endpoint(&simulator, Forge::GitHub, Some("sim_cache_test".into()));
    let cache = Arc::new(ResponseCache::Postgres(db.store.clone()));
    let client = || {
        let limits = Limits {
            cache: cache.clone(),
            ..Limits::new(Arc::new(Governor::default()))
        };
        Client::with_limits(&endpoint, limits).unwrap()
    };
    let login = people(&simulator.world, Forge::GitHub, 1).remove(0);
    let (from, to) = (day("2026-01-01"), day("2026-03-31"));
    let first = client().contributions(&login, from, to).await.unwrap();
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM http_cache")
        .fetch_one(db.store.pool())
        .await
        .unwrap();
    assert!(stored > 0, "answers with ETags were stored");

    let again = client();
    let second = again.contributions(&login, from, to).await.unwrap();
    assert_eq!(first, second);
    assert!(Stats::get(&again.http().stats.not_modified) > 0);
    simulator.stop().await;
}
