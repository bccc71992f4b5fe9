//! Answers that are not good data: garbled or cut bodies, a forge that is
//! not there, and unchanged data answered with 304.
#![allow(
    clippy::unwrap_used,
    reason = "a test or benchmark stops loudly on what it did not expect"
)]

mod common;

use common::{day, people, world};
use engine::forge::http::Stats;
use engine::forge::{Client, Endpoint};
use model::forge::Forge;
use sim::server::faults::Faults;
use sim::server::{SimConfig, Simulator};

/// A client for `forge` at `api_url` that gives up quickly.
fn impatient(forge: Forge, api_url: &str) -> Client {
    let endpoint = Endpoint {
        forge,
        api_url: api_url.to_owned(),
        token: Some(sim::server::demo_token(forge).into()),
        scope: Vec::new(),
    };
    Client::with_limits(&endpoint, common::impatient()).unwrap()
}

#[tokio::test]
async fn garbled_and_cut_bodies_are_errors_naming_the_url_never_partial_results() {
    for faults in [
        Faults {
            malformed_rate: 1.0,
            ..Faults::default()
        },
        Faults {
            truncate_rate: 1.0,
            ..Faults::default()
        },
    ] {
        for forge in [Forge::GitHub, Forge::GitLab, Forge::Gerrit] {
            let config = common::with_faults(SimConfig::default(), forge, faults.clone());
            let simulator = Simulator::start(world(1), config).await.unwrap();
            let url = simulator.url(forge).unwrap().to_owned();
            let login = people(&simulator.world, forge, 1).remove(0);
            let error = impatient(forge, &url)
                .contributions(&login, day("2026-01-01"), day("2026-03-31"))
                .await
                .unwrap_err();
            assert!(
                matches!(&error, engine::Error::Malformed { url: failed, .. } if failed.starts_with(&url)),
                "{forge:?} {faults:?}: {error}"
            );
            simulator.stop().await;
        }
    }
}

#[tokio::test]
async fn a_forge_that_is_not_there_is_named() {
    let error = impatient(Forge::GitLab, "http://127.0.0.1:9")
        .contributions("someone", day("2026-01-01"), day("2026-01-31"))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, engine::Error::Unreachable { url, .. } if url.starts_with("http://127.0.0.1:9/")),
        "{error}"
    );
}

#[tokio::test]
async fn asking_again_is_answered_from_etags() {
    let simulator = Simulator::start(world(1), SimConfig::default())
        .await
        .unwrap();
    let client = common::client(&simulator, Forge::GitHub);
    let login = people(&simulator.world, Forge::GitHub, 1).remove(0);
    let first = client
        .contributions(&login, day("2026-01-01"), day("2026-06-30"))
        .await
        .unwrap();
    let stats = &client.http().stats;
    assert_eq!(Stats::get(&stats.not_modified), 0);
    let requests = Stats::get(&stats.requests);
    let second = client
        .contributions(&login, day("2026-01-01"), day("2026-06-30"))
        .await
        .unwrap();
    assert_eq!(first, second);
    let rest_calls = Stats::get(&stats.not_modified);
    assert!(rest_calls > 0, "unchanged REST lists came back as 304");
    assert_eq!(Stats::get(&stats.requests), 2 * requests);
    simulator.stop().await;
}

/// A server on a free port answering every request with `answer`, counting
/// the requests it gets.
async fn serve(
    answer: impl Fn() -> axum::response::Response + Clone + Send + Sync + 'static,
) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = hits.clone();
    let app = axum::Router::new().fallback(move || {
        counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let answer = answer.clone();
        async move { answer() }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, hits)
}

/// Another host a forge's answer points at; the tests check it is never asked.
async fn another_host() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use axum::response::IntoResponse;
    serve(|| "[]".into_response()).await
}

/// The forge was asked, the other host never, and the error says `why`.
fn asked_only_the_forge(
    (asked, reached): (
        &std::sync::atomic::AtomicUsize,
        &std::sync::atomic::AtomicUsize,
    ),
    error: &engine::Error,
    why: &str,
) {
    assert!(asked.load(std::sync::atomic::Ordering::SeqCst) > 0);
    assert_eq!(
        reached.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "the other host was never asked: {error}"
    );
    assert!(error.to_string().contains(why), "{error}");
}

#[tokio::test]
async fn a_redirect_to_another_host_is_never_followed() {
    use axum::response::IntoResponse;
    let (elsewhere, reached) = another_host().await;
    let target = format!("{elsewhere}/users/someone");
    let (forge, asked) =
        serve(move || axum::response::Redirect::temporary(&target).into_response()).await;
    let error = impatient(Forge::GitHub, &forge)
        .contributions("someone", day("2026-01-01"), day("2026-01-31"))
        .await
        .unwrap_err();
    asked_only_the_forge((&asked, &reached), &error, "307");
}

#[tokio::test]
async fn a_next_page_on_another_host_is_never_asked() {
    use axum::response::IntoResponse;
    let (elsewhere, reached) = another_host().await;
    let next = format!("<{elsewhere}/repos/o/r/issues?page=2>; rel=\"next\"");
    // A short page that links its next one on another host.
    let (forge, asked) =
        serve(move || ([(axum::http::header::LINK, next.clone())], "[]").into_response()).await;
    let error = impatient(Forge::GitHub, &forge)
        .commits("o/r", None)
        .await
        .unwrap_err();
    asked_only_the_forge((&asked, &reached), &error, "another site");
}

#[tokio::test]
async fn an_answer_larger_than_the_cap_is_refused_not_read() {
    use axum::response::IntoResponse;
    let size = engine::forge::http::MOST_BODY_BYTES + 1;
    // Said by its length, and sent without one (chunked): both refused.
    let (declared, _) = serve(move || vec![b' '; size].into_response()).await;
    let (streamed, _) = serve(move || {
        let chunks = futures_util::stream::iter(
            (0..size.div_ceil(1 << 16)).map(|_| Ok::<_, std::io::Error>(vec![b' '; 1 << 16])),
        );
        axum::body::Body::from_stream(chunks).into_response()
    })
    .await;
    for forge in [declared, streamed] {
        let error = impatient(Forge::GitHub, &forge)
            .issues("o/r", None)
            .await
            .unwrap_err();
        assert!(error.to_string().contains("larger than"), "{error}");
    }
}

#[tokio::test]
async fn a_body_that_is_not_utf8_is_an_error_naming_the_url() {
    use axum::response::IntoResponse;
    // JSON whose string holds bytes no UTF-8 text has.
    let body = b"[{\"number\": 1, \"title\": \"\xff\xfe broken\"}]".to_vec();
    let (forge, asked) = serve(move || {
        (
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            body.clone(),
        )
            .into_response()
    })
    .await;
    let error = impatient(Forge::GitHub, &forge)
        .issues("o/r", None)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, engine::Error::Malformed { url, .. } if url.starts_with(&forge)),
        "{error}"
    );
    // Given up at once (the same bytes would come again): no partial list.
    assert_eq!(asked.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_body_dripped_slowly_is_cut_off_at_the_timeout() {
    use axum::response::IntoResponse;
    // A valid answer, one byte every 100 ms: 20 s for the whole of it.
    let (forge, asked) = serve(|| {
        let bytes = b"[]                                                                                                                                                                                                      ".to_vec();
        let drip = futures_util::stream::unfold(bytes.into_iter(), |mut rest| async move {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            let byte = rest.next()?;
            Some((Ok::<_, std::io::Error>(vec![byte]), rest))
        });
        axum::body::Body::from_stream(drip).into_response()
    })
    .await;
    let mut limits = common::impatient();
    limits.policy.timeout = std::time::Duration::from_secs(1);
    let endpoint = Endpoint {
        forge: Forge::GitHub,
        api_url: forge.clone(),
        token: None,
        scope: Vec::new(),
    };
    let started = std::time::Instant::now();
    let error = Client::with_limits(&endpoint, limits)
        .unwrap()
        .issues("o/r", None)
        .await
        .unwrap_err();
    let took = started.elapsed();
    assert!(error.to_string().contains(&forge), "{error}");
    // Three attempts of a second each, not the drip's 20 s.
    assert_eq!(asked.load(std::sync::atomic::Ordering::SeqCst), 3);
    assert!(took < std::time::Duration::from_secs(10), "{took:?}");
    eprintln!("a dripping forge gave up after {took:?}: {error}");
}

#[tokio::test]
async fn pages_linked_without_end_stop_at_the_cap() {
    use axum::response::IntoResponse;
    use std::sync::atomic::{AtomicUsize, Ordering};
    // Each page links one more, on the same host, for ever.
    let page = std::sync::Arc::new(AtomicUsize::new(0));
    let base = std::sync::Arc::new(std::sync::OnceLock::<String>::new());
    let (forge, asked) = {
        let (page, base) = (page.clone(), base.clone());
        serve(move || {
            let next = page.fetch_add(1, Ordering::SeqCst) + 2;
            let link = format!(
                "<{}/repos/o/r/commits?page={next}>; rel=\"next\"",
                base.get().unwrap()
            );
            ([(axum::http::header::LINK, link)], "[]").into_response()
        })
        .await
    };
    base.set(forge.clone()).unwrap();
    let started = std::time::Instant::now();
    let error = impatient(Forge::GitHub, &forge)
        .commits("o/r", None)
        .await
        .unwrap_err();
    let asked = asked.load(Ordering::SeqCst);
    assert!(error.to_string().contains("more than"), "{error}");
    assert_eq!(
        asked,
        usize::try_from(engine::forge::paging::MOST_PAGES).unwrap()
    );
    eprintln!(
        "an endless list stopped after {asked} pages in {:?}",
        started.elapsed()
    );
}
