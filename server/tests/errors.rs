//! Every failure answers with the status its kind says, and outside the
//! pages' own calls with the API's one error shape.
#![allow(
    clippy::unwrap_used,
    reason = "a test or benchmark stops loudly on what it did not expect"
)]

mod common;

use common::start;
use engine::store::testing::TestDb;
use model::error::ErrorBody;

#[tokio::test]
async fn unknown_api_addresses_answer_404_in_the_api_error_shape() {
    let db = TestDb::new().await;
    let server = start(&db.url, None);
    let http = reqwest::Client::new();
    for path in ["/api/v1", "/api/v1/", "/api/v1/no-such-resource/7"] {
        let answer = http
            .get(format!("{}{path}", server.url))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 404, "{path}");
        assert_eq!(
            answer.headers()["content-type"],
            "application/json",
            "{path}"
        );
        let body: ErrorBody = answer.json().await.unwrap();
        assert_eq!(body.error.code, "not_found", "{path}");
        assert!(body.error.message.contains("/api/v1"), "{path}: {body:?}");
        assert_eq!(body.error.field, None);
    }
}

#[tokio::test]
async fn server_functions_answer_the_status_of_their_error() {
    let db = TestDb::new().await;
    let server = start(&db.url, None);
    let http = reqwest::Client::new();
    let call = |endpoint: &'static str, form: Vec<(&'static str, &'static str)>| {
        let http = http.clone();
        let url = format!("{}/api/{endpoint}", server.url);
        async move {
            let answer = http
                .post(url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(serde_urlencoded::to_string(&form).unwrap())
                .send()
                .await
                .unwrap();
            let status = answer.status().as_u16();
            (status, answer.json::<serde_json::Value>().await.unwrap())
        }
    };
    // An address that cannot be a query is not found, like an unknown one.
    let (status, body) = call("query_summary", vec![("hash", "../etc")]).await;
    assert_eq!(status, 404, "{body}");
    assert!(
        body["NotFound"]["what"]
            .as_str()
            .unwrap()
            .contains("../etc")
    );
    let (status, _) = call("query_summary", vec![("hash", "AAAAAAAAAAA")]).await;
    assert_eq!(status, 404);
    // A period that is not a day or a week is invalid input, naming it.
    let (status, body) = call(
        "query_period",
        vec![("hash", "AAAAAAAAAAA"), ("period", "yesterday")],
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["Invalid"]["field"], "period");
    // Fields the function cannot read are the request's fault, named.
    let (status, body) = call(
        "create_query",
        vec![
            ("form[people]", "github:octocat"),
            ("form[from]", "2026-01-01"),
        ],
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["BadRequest"]["field"], "people");
    // Who is signed in: nobody, which is not an error.
    let (status, body) = call("viewer", vec![]).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.is_null());
    // The tracker's calls need a session.
    let (status, _) = call("subscriptions", vec![]).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn a_body_larger_than_the_server_takes_answers_413_before_it_is_read() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let db = TestDb::new().await;
    let server = start(&db.url, None);
    let address = server.url.trim_start_matches("http://").to_owned();
    for path in ["/api/create_query", "/api/v1/health-check"] {
        // Only the head is sent: the answer must come without the 20 MB.
        let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n",
            20 * 1024 * 1024
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        let mut answer = String::new();
        tokio::time::timeout(
            std::time::Duration::from_secs(10),
            stream.read_to_string(&mut answer),
        )
        .await
        .expect("answered without the body")
        .unwrap();
        assert!(answer.starts_with("HTTP/1.1 413"), "{path}: {answer}");
        let body = answer.split("\r\n\r\n").nth(1).unwrap_or_default();
        let body: ErrorBody = serde_json::from_str(body).unwrap();
        assert_eq!(body.error.code, "too_large", "{path}");
        assert!(
            body.error.message.contains("262144 bytes"),
            "{path}: {body:?}"
        );
    }
    // A body of ordinary size still gets through.
    let answer = reqwest::Client::new()
        .post(format!("{}/api/v1/health-check", server.url))
        .json(&serde_json::json!({ "urls": ["github:nobody"] }))
        .send()
        .await
        .unwrap();
    assert_ne!(answer.status(), 413);
}

#[tokio::test]
async fn a_client_creating_queries_past_its_allowance_is_told_to_wait() {
    let db = TestDb::new().await;
    let server = common::start_with(&db.url, &[("TALLY_SPEND_PER_MINUTE", "3".into())]);
    let client = reqwest::Client::new();
    let create = || {
        client
            .post(format!("{}/api/create_query", server.url))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("people=github%3Aoctocat&from=2026-01-01&to=2026-01-31")
            .send()
    };
    for _ in 0..3 {
        assert_eq!(create().await.unwrap().status(), 200);
    }
    let refused = create().await.unwrap();
    assert_eq!(refused.status(), 429);
    assert!(refused.headers().contains_key("retry-after"));
    let body: ErrorBody = refused.json().await.unwrap();
    assert_eq!(body.error.code, "rate_limited");
    // Reading goes on.
    let page = client.get(format!("{}/", server.url)).send().await.unwrap();
    assert_eq!(page.status(), 200);
}
