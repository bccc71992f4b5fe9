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

/// Two first sign-ins of one forge account at the same moment (two tabs,
/// two processes) both succeed and link the same account.
#[tokio::test]
async fn an_account_linked_twice_at_once_is_one_account() {
    use engine::store::accounts::SealedAccount;
    use model::forge::Forge;
    let db = TestDb::new().await;
    // Warm the pool, so the attempts below start together rather than
    // one per new connection.
    let warm = (0..8).map(|_| sqlx::query("SELECT pg_sleep(0.05)").execute(db.store.pool()));
    futures_util::future::join_all(warm).await;
    for n in 0..20 {
        let account = SealedAccount {
            forge: Forge::GitHub,
            instance: "github.com".into(),
            forge_user_id: format!("58323{n}"),
            username: format!("octocat{n}"),
            display_name: None,
            access_token: vec![1, 2, 3],
            refresh_token: None,
            expires_at: None,
        };
        let attempts = (0..4).map(|_| {
            let store = db.store.clone();
            let account = account.clone();
            tokio::spawn(async move { store.link_account(None, &account).await })
        });
        let linked: Vec<_> = futures_util::future::join_all(attempts)
            .await
            .into_iter()
            .map(|joined| joined.unwrap().unwrap())
            .collect();
        assert!(linked.windows(2).all(|w| w[0] == w[1]), "{linked:?}");
    }
    let accounts: i64 = sqlx::query_scalar("SELECT count(*) FROM linked_accounts")
        .fetch_one(db.store.pool())
        .await
        .unwrap();
    assert_eq!(accounts, 20);
}
