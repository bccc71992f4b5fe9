//! Repository reports over real HTTP: `/api/v1/reports` by path and by
//! `r` answer the same report, whose tallies are the simulator's truth and
//! which fits its documented schema; the CSV holds the same table; bad
//! input is refused naming the field; the page shows the numbers.
#![allow(
    clippy::unwrap_used,
    reason = "a test stops loudly on what it did not expect"
)]

mod common;

use std::sync::Arc;

use chrono::{NaiveDate, TimeZone, Utc};
use engine::accounts::Accounts;
use engine::forge::directory::Directory;
use engine::forge::{Endpoint, RepoInfo, instance_of};
use engine::secrets::Cipher;
use engine::store::testing::TestDb;
use engine::tracker::sync::{RepoSyncer, SyncSettings};
use model::forge::Forge;
use model::report::{Report, TallyKind};
use sim::server::{SimConfig, Simulator};
use sim::world::{WorldConfig, generate};

/// The simulator, and the busiest GitHub repository kept and synced.
async fn kept(db: &TestDb) -> (Simulator, sim::world::Id, String) {
    let world = generate(WorldConfig {
        seed: 23,
        people: 30,
        repos: 15,
        years: 1,
        until: Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap(),
    });
    let simulator = Simulator::start(Arc::new(world), SimConfig::default())
        .await
        .unwrap();
    let api = simulator.url(Forge::GitHub).unwrap().to_owned();
    let directory = Arc::new(Directory::new(vec![Endpoint {
        forge: Forge::GitHub,
        api_url: api.clone(),
        token: Some("sim_instance".into()),
        scope: Vec::new(),
    }]));
    let repo = simulator.world.repos_by_issues(Forge::GitHub)[0].id;
    let path = simulator.world.full_name(simulator.world.repo(repo));
    let info = RepoInfo {
        path: path.clone(),
        url: String::new(),
        private: false,
        description: None,
    };
    let id = db
        .store
        .track_repository(Forge::GitHub, &instance_of(&api), &info)
        .await
        .unwrap();
    let accounts = Arc::new(Accounts::new(db.store.clone(), Cipher::new([7; 32]), None));
    RepoSyncer::new(
        db.store.clone(),
        directory,
        accounts,
        SyncSettings::default(),
    )
    .sync(id)
    .await
    .unwrap();
    (simulator, repo, path)
}

async fn get(server: &common::Server, path_and_query: &str) -> reqwest::Response {
    reqwest::get(format!("{}{path_and_query}", server.url))
        .await
        .unwrap()
}

#[tokio::test]
async fn the_api_answers_the_truth_by_path_and_by_r_and_as_csv() {
    let db = TestDb::new().await;
    let (simulator, world_id, path) = kept(&db).await;
    let server = common::start_with(&db.url, &common::sim_forges(&simulator));
    let range = "from=2026-01-01&to=2026-06-30";
    let by_path = get(&server, &format!("/api/v1/reports/github/{path}?{range}")).await;
    assert_eq!(by_path.status(), 200);
    let body: serde_json::Value = by_path.json().await.unwrap();
    let report: Report = serde_json::from_value(body.clone()).unwrap();
    let r = model::url::encode_component(&format!("github:{path}"));
    let by_r: Report = get(&server, &format!("/api/v1/reports?r={r}&{range}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(by_r.people, report.people);
    assert_eq!(by_r.issues, report.issues);

    // The tallies are the world's.
    let from = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let to = NaiveDate::from_ymd_opt(2026, 6, 30).unwrap();
    let truth = sim::truth::report::report(&simulator.world, world_id, from, to, report.at);
    let total = |f: fn(&sim::truth::report::PersonTruth) -> u64| -> u64 {
        truth.people.values().map(f).sum()
    };
    let sum = |kind: TallyKind| -> u64 { report.people.iter().map(|p| p.counts.get(kind)).sum() };
    assert_eq!(sum(TallyKind::Commits), total(|p| p.commits));
    assert_eq!(sum(TallyKind::PullsOpened), total(|p| p.pulls_opened));
    assert_eq!(sum(TallyKind::PullsMerged), total(|p| p.pulls_merged));
    assert_eq!(sum(TallyKind::Reviews), total(|p| p.reviews));
    assert_eq!(sum(TallyKind::IssuesOpened), total(|p| p.issues_opened));
    assert_eq!(sum(TallyKind::IssueComments), total(|p| p.issue_comments));
    assert!(sum(TallyKind::Commits) > 0 && sum(TallyKind::Reviews) > 0);

    // The answer fits the schema its documentation gives.
    let doc: serde_json::Value = get(&server, "/api/v1/openapi.json")
        .await
        .json()
        .await
        .unwrap();
    let schema = &doc["paths"]["/api/v1/reports/{forge}/{path}"]["get"]["responses"]["200"]["content"]
        ["application/json"]["schema"];
    let problems = common::schema::problems(&doc, schema, &body);
    assert!(problems.is_empty(), "{problems:#?}");

    // Two accounts joined into one person by the address: one row whose
    // counts are theirs together.
    let mut authors: Vec<_> = report
        .accounts()
        .filter(|a| !a.account.contains(char::is_whitespace))
        .collect();
    authors.sort_by_key(|a| std::cmp::Reverse(a.counts.commits));
    let (a, b) = (authors[0], authors[1]);
    let person =
        model::url::encode_component(&format!("Pair = github:{} github:{}", a.account, b.account));
    let joined: Report = get(
        &server,
        &format!("/api/v1/reports?r={r}&{range}&person={person}"),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(joined.people.len(), report.people.len() - 1);
    let pair = joined
        .people
        .iter()
        .find(|p| p.name.as_deref() == Some("Pair"))
        .unwrap();
    assert_eq!(pair.counts.commits, a.counts.commits + b.counts.commits);

    // The items behind the pair's commits: as many as the count, theirs,
    // in pages that follow `next`, fitting their schema.
    let filter = pair.items(TallyKind::Commits);
    let mut address = format!(
        "/api/v1/reports/items?r={r}&{range}&{}&page_size=5",
        filter.to_query()
    );
    let mut listed = Vec::new();
    loop {
        let answer = get(&server, &address).await;
        assert_eq!(answer.status(), 200, "{address}");
        let page: serde_json::Value = answer.json().await.unwrap();
        let schema = &doc["paths"]["/api/v1/reports/items"]["get"]["responses"]["200"]["content"]["application/json"]
            ["schema"];
        let problems = common::schema::problems(&doc, schema, &page);
        assert!(problems.is_empty(), "{problems:#?}");
        assert_eq!(page["count"].as_u64(), Some(pair.counts.commits));
        for item in page["results"].as_array().unwrap() {
            let account = item["account"].as_str().unwrap();
            assert!(account == a.account || account == b.account, "{item}");
            assert_eq!(item["kind"].as_str(), Some("commits"));
            listed.push(item["url"].as_str().unwrap().to_owned());
        }
        match page["next"].as_str() {
            Some(next) => address = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(listed.len() as u64, pair.counts.commits);
    assert!(listed.len() > 5, "more than one page");

    // The CSV is the same table.
    let csv = get(
        &server,
        &format!("/api/v1/reports/github/{path}?{range}&format=csv"),
    )
    .await;
    assert_eq!(csv.status(), 200);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = csv.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), report.accounts().count() + 1);
    assert!(lines[0].starts_with("person,forge,instance,account,commits,"));
    let first = &report.people[0].accounts[0];
    assert!(
        lines[1].starts_with(&format!(
            ",github,{},{},{},",
            first.instance, first.account, first.counts.commits
        )),
        "{}",
        lines[1]
    );
    simulator.stop().await;
}

#[tokio::test]
async fn bad_input_is_refused_naming_the_field() {
    let db = TestDb::new().await;
    let (simulator, _, path) = kept(&db).await;
    let server = common::start_with(&db.url, &common::sim_forges(&simulator));
    let base = format!("/api/v1/reports/github/{path}");
    for (query, status, field) in [
        (format!("{base}?colour=red"), 400, Some("colour")),
        (format!("{base}?from=yesterday"), 400, Some("from")),
        (format!("{base}?bug=%5B"), 422, Some("bug")),
        (
            format!("{base}?from=2000-01-01&to=2026-01-01"),
            422,
            Some("to"),
        ),
        (format!("{base}?format=xml"), 422, Some("format")),
        (format!("{base}?person=Ada%20%3D"), 400, Some("person")),
        (format!("{base}?person=svn%3Aada"), 400, Some("person")),
        ("/api/v1/reports".to_owned(), 422, Some("r")),
        (
            "/api/v1/reports/github/nobody/nothing".to_owned(),
            404,
            None,
        ),
        ("/api/v1/reports/svn/x/y".to_owned(), 404, None),
        (
            format!("/api/v1/reports/items?r=github:{path}"),
            400,
            Some("kind"),
        ),
        (
            format!("/api/v1/reports/items?r=github:{path}&kind=commits&week=2026-03-03"),
            400,
            Some("week"),
        ),
        (
            format!("/api/v1/reports/items?r=github:{path}&kind=commits&page_size=500"),
            400,
            Some("page_size"),
        ),
        (
            format!("/api/v1/reports/items?r=github:{path}&kind=commits&forge=github"),
            400,
            Some("account"),
        ),
        (
            format!("/api/v1/reports/items?r=github:{path}&kind=commits&cursor=abc"),
            400,
            Some("cursor"),
        ),
        (
            "/api/v1/reports/items?r=github:nobody/nothing&kind=commits".to_owned(),
            404,
            None,
        ),
    ] {
        let answer = get(&server, &query).await;
        assert_eq!(answer.status().as_u16(), status, "{query}");
        let body: serde_json::Value = answer.json().await.unwrap();
        assert_eq!(body["error"]["field"].as_str(), field, "{query}: {body}");
    }
    // An empty range says so rather than 0 %.
    let empty: Report = get(&server, &format!("{base}?from=2020-01-01&to=2020-01-31"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(empty.issues.opened, 0);
    assert_eq!(empty.issues.bug_share.percent(), None);
    simulator.stop().await;
}
