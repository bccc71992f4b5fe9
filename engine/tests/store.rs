#![allow(
    clippy::unwrap_used,
    reason = "a test or benchmark stops loudly on what it did not expect"
)]

use engine::store::testing::TestDb;

#[tokio::test]
async fn readiness_reports_unmigrated_database_as_not_ready() {
    let db = TestDb::empty().await;
    let readiness = db.store.readiness().await;
    assert!(!readiness.ready);
    assert_eq!(readiness.database, model::readiness::Check::Ok);
    assert_eq!(readiness.migrations.applied, 0);
    assert!(readiness.migrations.expected >= 1);
}

#[tokio::test]
async fn migrating_makes_the_database_ready_and_is_idempotent() {
    let db = TestDb::empty().await;
    db.store.migrate().await.unwrap();
    db.store.migrate().await.unwrap();
    let readiness = db.store.readiness().await;
    assert!(readiness.ready, "{readiness:?}");
    assert_eq!(readiness.migrations.applied, readiness.migrations.expected);

    let instances: i64 = sqlx::query_scalar("SELECT count(*) FROM instance")
        .fetch_one(db.store.pool())
        .await
        .unwrap();
    assert_eq!(
        instances, 1,
        "exactly one instance row after repeated migrations"
    );
}

#[tokio::test]
async fn readiness_reports_a_lost_database_as_a_failure() {
    let db = TestDb::new().await;
    db.store.pool().close().await;
    let readiness = db.store.readiness().await;
    assert!(!readiness.ready);
    assert!(matches!(
        readiness.database,
        model::readiness::Check::Failed { .. }
    ));
}
