//! The REST API over HTTP, on what discovery stored from the simulated
//! GitHub: paging gives every row once (forward and back), each filter
//! selects exactly what the same condition selects in SQL, bad input is a
//! 400 naming the parameter, and the OpenAPI document covers every route.
#![allow(
    clippy::unwrap_used,
    reason = "a test or benchmark stops loudly on what it did not expect"
)]

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;

use common::{Server, start};
use engine::discovery::{Discovery, DiscoverySettings};
use engine::forge::Endpoint;
use engine::forge::directory::Directory;
use engine::store::testing::TestDb;
use model::discovery::{Developer, Page, Repository};
use model::error::ErrorBody;
use model::forge::Forge;
use model::tasks::TaskRequest;
use serde::de::DeserializeOwned;

/// A database holding a crawl: a seed's network and five more profiles.
async fn crawled() -> (TestDb, sim::server::Simulator) {
    let simulator = common::simulator(31, 60).await;
    let db = TestDb::new().await;
    let directory = Arc::new(Directory::new(vec![Endpoint {
        forge: Forge::GitHub,
        api_url: simulator.url(Forge::GitHub).unwrap().to_owned(),
        token: Some("sim_api_test".into()),
        scope: Vec::new(),
    }]));
    let discovery = Discovery::new(db.store.clone(), directory, DiscoverySettings::default());
    let seed = common::busiest_on_github(&simulator.world).username.clone();
    let profile = TaskRequest::FullProfileSync {
        forge: Forge::GitHub,
        username: seed,
    };
    discovery.run_now(&profile, "test").await.unwrap();
    let scraper = TaskRequest::DiscoveryScraper {
        forge: Forge::GitHub,
        count: 5,
    };
    discovery.run_now(&scraper, "test").await.unwrap();
    (db, simulator)
}

async fn get<T: DeserializeOwned>(server: &Server, path: &str) -> (u16, T) {
    let answer = reqwest::get(format!("{}{path}", server.url)).await.unwrap();
    let status = answer.status().as_u16();
    (status, answer.json().await.unwrap())
}

/// Every row of a list from `path`, following `next` from the first page,
/// then following `previous` back from the last; and the list's count.
async fn walk<T: DeserializeOwned + Clone>(server: &Server, path: &str) -> (Vec<T>, Vec<T>, u64) {
    let (status, mut page): (u16, Page<T>) = get(server, path).await;
    assert_eq!(status, 200, "{path}");
    assert!(page.previous.is_none(), "the first page has no previous");
    let count = page.count;
    let mut forward = page.results.clone();
    while let Some(next) = page.next.clone() {
        page = get(server, &next).await.1;
        assert_eq!(page.count, count, "the count stays");
        forward.extend(page.results.clone());
    }
    let mut backward: Vec<T> = page.results.iter().rev().cloned().collect();
    while let Some(previous) = page.previous.clone() {
        page = get(server, &previous).await.1;
        backward.extend(page.results.iter().rev().cloned());
    }
    backward.reverse();
    (forward, backward, count)
}

#[tokio::test]
async fn every_row_comes_once_whichever_way_the_pages_are_walked() {
    let (db, simulator) = crawled().await;
    let server = start(&db.url, None);
    let all: i64 = sqlx::query_scalar("SELECT count(*) FROM developers")
        .fetch_one(db.store.pool())
        .await
        .unwrap();
    assert!(all > 20, "enough developers for several pages: {all}");
    for ordering in ["id", "-followers", "login", "-created_at"] {
        let path = format!("/api/v1/developers?page_size=7&ordering={ordering}");
        let (forward, backward, count) = walk::<Developer>(&server, &path).await;
        assert_eq!(count, u64::try_from(all).unwrap(), "{ordering}");
        let ids: Vec<i64> = forward.iter().map(|d| d.id.0).collect();
        let unique: BTreeSet<i64> = ids.iter().copied().collect();
        assert_eq!(ids.len(), unique.len(), "{ordering}: a row came twice");
        assert_eq!(unique.len(), forward.len());
        assert_eq!(
            u64::try_from(ids.len()).unwrap(),
            count,
            "{ordering}: a row went missing"
        );
        assert_eq!(
            backward.iter().map(|d| d.id.0).collect::<Vec<_>>(),
            ids,
            "{ordering}: back along previous gives the same rows"
        );
    }
    let (forward, _, count) =
        walk::<Repository>(&server, "/api/v1/repositories?page_size=9&ordering=-stars").await;
    assert_eq!(u64::try_from(forward.len()).unwrap(), count);
    assert!(
        forward.windows(2).all(|w| w[0].stars >= w[1].stars),
        "ordered by stars, descending"
    );
    simulator.stop().await;
}

/// The ids a list answers, all pages.
async fn listed(server: &Server, path: &str) -> BTreeSet<i64> {
    let separator = if path.contains('?') { '&' } else { '?' };
    let (forward, _, _) =
        walk::<serde_json::Value>(server, &format!("{path}{separator}page_size=100")).await;
    forward.iter().map(|v| v["id"].as_i64().unwrap()).collect()
}

async fn selected(db: &TestDb, sql: &str) -> BTreeSet<i64> {
    sqlx::query_scalar::<_, i64>(sql)
        .fetch_all(db.store.pool())
        .await
        .unwrap()
        .into_iter()
        .collect()
}

#[tokio::test]
async fn each_filter_selects_what_the_same_condition_selects_in_sql() {
    let (db, simulator) = crawled().await;
    let server = start(&db.url, None);
    let seed: i64 = sqlx::query_scalar("SELECT id FROM developers WHERE distance = 0")
        .fetch_one(db.store.pool())
        .await
        .unwrap();
    let language: String = sqlx::query_scalar(
        "SELECT language FROM repositories WHERE language IS NOT NULL
         GROUP BY language ORDER BY count(*) DESC LIMIT 1",
    )
    .fetch_one(db.store.pool())
    .await
    .unwrap();
    // The fewest followers a profiled developer has: a bound some meet.
    let fewest: i64 = sqlx::query_scalar("SELECT min(followers) FROM developers")
        .fetch_one(db.store.pool())
        .await
        .unwrap();
    let fewest_stars: i64 = sqlx::query_scalar("SELECT min(stars) FROM repositories")
        .fetch_one(db.store.pool())
        .await
        .unwrap();
    let owner: i64 = sqlx::query_scalar(
        "SELECT owner_id FROM repositories WHERE owner_id IS NOT NULL
         GROUP BY owner_id ORDER BY count(*) DESC LIMIT 1",
    )
    .fetch_one(db.store.pool())
    .await
    .unwrap();
    let cases = [
        (
            "/api/v1/developers?min_followers=2".to_owned(),
            "SELECT id FROM developers WHERE followers >= 2".to_owned(),
        ),
        (
            format!("/api/v1/developers?max_followers={fewest}&forge=github"),
            format!("SELECT id FROM developers WHERE followers <= {fewest} AND forge = 'github'"),
        ),
        (
            "/api/v1/developers?search=A".into(),
            "SELECT id FROM developers WHERE login ILIKE '%a%' OR name ILIKE '%a%'".into(),
        ),
        (
            "/api/v1/developers?created_after=2020-01-01".into(),
            "SELECT id FROM developers WHERE created_at >= '2020-01-01'".into(),
        ),
        (
            format!("/api/v1/developers/{seed}/followers"),
            format!("SELECT follower_id FROM follows WHERE followed_id = {seed}"),
        ),
        (
            format!("/api/v1/developers/{seed}/following"),
            format!("SELECT followed_id FROM follows WHERE follower_id = {seed}"),
        ),
        (
            format!("/api/v1/developers/{seed}/starred"),
            format!("SELECT repository_id FROM stars WHERE developer_id = {seed}"),
        ),
        (
            format!("/api/v1/developers/{owner}/repositories"),
            format!("SELECT id FROM repositories WHERE owner_id = {owner}"),
        ),
        (
            format!("/api/v1/repositories?language={}", language.to_uppercase()),
            format!("SELECT id FROM repositories WHERE language = '{language}'"),
        ),
        (
            "/api/v1/repositories?min_stars=2&fork=false".into(),
            "SELECT id FROM repositories WHERE stars >= 2 AND NOT fork".into(),
        ),
        (
            format!("/api/v1/repositories?archived=false&max_stars={fewest_stars}"),
            format!("SELECT id FROM repositories WHERE NOT archived AND stars <= {fewest_stars}"),
        ),
    ];
    for (path, sql) in cases {
        let expected = selected(&db, &sql).await;
        assert!(!expected.is_empty(), "{sql} selects something to compare");
        assert_eq!(listed(&server, &path).await, expected, "{path}");
    }
    simulator.stop().await;
}

#[tokio::test]
async fn bad_input_is_refused_naming_the_parameter() {
    let (db, simulator) = crawled().await;
    let server = start(&db.url, None);
    for (path, status, field) in [
        ("/api/v1/developers?colour=red", 400, Some("colour")),
        ("/api/v1/developers?page_size=500", 400, Some("page_size")),
        (
            "/api/v1/developers?ordering=password",
            400,
            Some("ordering"),
        ),
        ("/api/v1/developers?cursor=abc", 400, Some("cursor")),
        (
            "/api/v1/developers?min_followers=lots",
            400,
            Some("min_followers"),
        ),
        ("/api/v1/repositories?fork=perhaps", 400, Some("fork")),
        (
            "/api/v1/repositories?created_after=yesterday",
            400,
            Some("created_after"),
        ),
        ("/api/v1/developers/seven", 400, Some("id")),
        ("/api/v1/developers/999999", 404, None),
        ("/api/v1/repositories/999999/stargazers", 404, None),
    ] {
        let (got, body): (u16, ErrorBody) = get(&server, path).await;
        assert_eq!(got, status, "{path}: {body:?}");
        assert_eq!(body.error.field.as_deref(), field, "{path}");
    }
    simulator.stop().await;
}

#[tokio::test]
async fn the_openapi_document_covers_every_route_and_describes_the_answers() {
    let db = TestDb::new().await;
    let server = start(&db.url, None);
    let (status, doc): (u16, serde_json::Value) = get(&server, "/api/v1/openapi.json").await;
    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = doc["paths"].as_object().unwrap();
    for route in [
        "/api/v1/developers",
        "/api/v1/developers/{id}",
        "/api/v1/developers/{id}/followers",
        "/api/v1/developers/{id}/following",
        "/api/v1/developers/{id}/starred",
        "/api/v1/developers/{id}/repositories",
        "/api/v1/repositories",
        "/api/v1/repositories/{id}",
        "/api/v1/repositories/{id}/stargazers",
    ] {
        assert!(paths.contains_key(route), "{route} is not documented");
        // Each documented route answers (404 for an unknown id, not a
        // missing route's HTML).
        let concrete = route.replace("{id}", "1");
        let answer = reqwest::get(format!("{}{concrete}", server.url))
            .await
            .unwrap();
        assert!(
            answer.status() == 200 || answer.status() == 404,
            "{concrete}: {}",
            answer.status()
        );
        assert_eq!(answer.headers()["content-type"], "application/json");
    }
    // The documented parameters are exactly the ones the list takes.
    let documented: BTreeSet<&str> = paths["/api/v1/developers"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(documented.contains("min_followers") && documented.contains("cursor"));
    // Every field of an answer is in its schema.
    let schema = &doc["components"]["schemas"]["Developer"]["properties"];
    let developer = serde_json::to_value(sample_developer()).unwrap();
    for field in developer.as_object().unwrap().keys() {
        assert!(
            schema.get(field).is_some(),
            "Developer.{field} is not in the schema"
        );
    }
    let docs = reqwest::get(format!("{}/api/docs/", server.url))
        .await
        .unwrap();
    assert_eq!(docs.status(), 200);
    assert!(
        docs.text().await.unwrap().contains("swagger"),
        "Swagger UI is served"
    );
}

fn sample_developer() -> Developer {
    Developer {
        id: model::ids::DeveloperId(1),
        forge: Forge::GitHub,
        instance: "github.com".into(),
        forge_id: "1".into(),
        login: "octocat".into(),
        name: None,
        location: None,
        company: None,
        bio: None,
        email: None,
        created_at: None,
        updated_at: None,
        followers: None,
        following: None,
        public_repos: None,
        public_gists: None,
        distance: Some(0),
        synced_at: None,
        links: model::discovery::DeveloperLinks {
            this: String::new(),
            followers: String::new(),
            following: String::new(),
            starred: String::new(),
            repositories: String::new(),
        },
    }
}

#[test]
fn the_schema_checker_finds_what_breaks_a_schema() {
    use serde_json::json;
    let doc = json!({"components": {"schemas": {"A": {
        "type": "object",
        "required": ["id"],
        "properties": {
            "id": {"type": "integer", "minimum": 0},
            "name": {"type": ["string", "null"]},
            "kind": {"type": "string", "enum": ["x", "y"]},
            "tags": {"type": "array", "items": {"type": "string"}}
        }
    }}}});
    let schema = json!({"$ref": "#/components/schemas/A"});
    let fine = json!({"id": 1, "name": null, "tags": ["a"]});
    assert!(common::schema::problems(&doc, &schema, &fine).is_empty());
    for bad in [
        json!({"name": "n"}),
        json!({"id": -1}),
        json!({"id": "1"}),
        json!({"id": 1, "kind": "z"}),
        json!({"id": 1, "tags": [1]}),
        json!({"id": 1, "secret": true}),
    ] {
        assert!(
            !common::schema::problems(&doc, &schema, &bad).is_empty(),
            "{bad}"
        );
    }
}

/// The routes `api::routes` registers under `/api/v1`, read from its
/// source, so a route added there without documentation fails here.
fn registered_routes() -> BTreeSet<String> {
    let source = include_str!("../src/api/mod.rs");
    source
        .split('"')
        .skip(1)
        .step_by(2)
        .filter(|text| text.len() > "/api/v1/".len() && text.starts_with("/api/v1/"))
        .filter(|path| !path.ends_with("{*rest}") && !path.ends_with("openapi.json"))
        // A path that ends in the rest of the address is documented by name.
        .map(|path| path.replace("{*path}", "{path}"))
        .collect()
}

#[tokio::test]
async fn every_route_is_documented_and_every_answer_fits_its_schema() {
    let (db, simulator) = crawled().await;
    let server = start(&db.url, None);
    let (_, doc): (u16, serde_json::Value) = get(&server, "/api/v1/openapi.json").await;
    let paths = doc["paths"].as_object().unwrap();
    let routes = registered_routes();
    assert!(routes.len() >= 12, "{routes:?}");
    for route in &routes {
        assert!(
            paths.contains_key(route),
            "{route} is registered but not documented"
        );
    }
    for documented in paths.keys() {
        assert!(
            routes.contains(documented),
            "{documented} is documented but not served"
        );
    }
    // Real ids: a developer with followers, a starred repository, a run.
    let developer: i64 = sqlx::query_scalar(
        "SELECT followed_id FROM follows GROUP BY 1 ORDER BY count(*) DESC LIMIT 1",
    )
    .fetch_one(db.store.pool())
    .await
    .unwrap();
    let repository: i64 = sqlx::query_scalar(
        "SELECT repository_id FROM stars GROUP BY 1 ORDER BY count(*) DESC LIMIT 1",
    )
    .fetch_one(db.store.pool())
    .await
    .unwrap();
    let run: i64 = sqlx::query_scalar("SELECT max(id) FROM task_runs")
        .fetch_one(db.store.pool())
        .await
        .unwrap();
    let mut checked = 0;
    for (route, item) in paths {
        if item.get("get").is_none() {
            continue;
        }
        let id = if route.starts_with("/api/v1/developers") {
            developer
        } else if route.starts_with("/api/v1/repositories") {
            repository
        } else {
            run
        };
        // Each route as it answers: found, and (for ids) not found and malformed.
        let mut cases = vec![route.replace("{id}", &id.to_string())];
        if route.contains("{id}") {
            cases.push(route.replace("{id}", "999999999"));
            cases.push(route.replace("{id}", "x"));
        } else {
            cases.push(format!("{route}?nonsense=1"));
        }
        for concrete in cases {
            let answer = reqwest::get(format!("{}{concrete}", server.url))
                .await
                .unwrap();
            let status = answer.status().as_u16().to_string();
            let body: serde_json::Value = answer.json().await.unwrap();
            let schema =
                &item["get"]["responses"][&status]["content"]["application/json"]["schema"];
            assert!(
                !schema.is_null(),
                "{concrete} answered {status}, which {route} does not document"
            );
            let problems = common::schema::problems(&doc, schema, &body);
            assert!(problems.is_empty(), "{concrete} ({status}): {problems:#?}");
            checked += 1;
        }
    }
    assert!(checked >= 30, "{checked} answers checked");
    simulator.stop().await;
}
