//! A query's items and tallies taken elsewhere, through the running
//! server: CSV and JSON exports that hold exactly the items the page
//! counts, an Atom feed of the newest with stable ids, and 200,000 items
//! streamed without the server holding them.
#![allow(
    clippy::unwrap_used,
    reason = "a test or benchmark stops loudly on what it did not expect"
)]

mod common;

use std::collections::{BTreeMap, HashSet};

use chrono::NaiveDate;
use engine::store::testing::TestDb;
use model::contribution::{Contribution, ContributionKind};
use model::forge::Forge;
use model::query::{AccountSpec, PersonSpec, QuerySpec};

use common::{client, filled, get, post_query};

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn csv_records(text: &str) -> Vec<csv::StringRecord> {
    csv::Reader::from_reader(text.as_bytes())
        .records()
        .map(Result::unwrap)
        .collect()
}

#[tokio::test]
async fn exports_and_the_feed_hold_exactly_the_pages_items() {
    let simulator = common::simulator(77, 40).await;
    let account = common::busiest_on_github(&simulator.world);
    let (_db, server) = common::on_simulated_github(&simulator).await;
    let location = post_query(
        &server.url,
        &[
            (
                "people",
                format!("@Busy \"quoted\" = github:{}", account.username),
            ),
            ("from", "2026-01-01".into()),
            ("to", "2026-06-30".into()),
        ],
    )
    .await;
    let page_url = format!("{}{location}", server.url);
    let total = common::number(&filled(&page_url).await, "total");
    assert!(
        total > 50,
        "enough items for a feed to be a selection: {total}"
    );

    let csv_answer = client()
        .get(format!("{page_url}/items.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(csv_answer.status(), 200);
    assert!(
        csv_answer.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert_eq!(csv_answer.headers()["tally-complete"], "true");
    let csv_text = csv_answer.text().await.unwrap();
    let rows = csv_records(&csv_text);
    assert_eq!(rows.len() as u64, total);
    // A name a spreadsheet would run as a formula is defused.
    assert!(
        rows.iter().all(|r| &r[0] == "'@Busy \"quoted\""),
        "{:?}",
        &rows[0]
    );

    // As browsers ask: compressed.
    for encoding in ["gzip", "br"] {
        let compressed = client()
            .get(format!("{page_url}/items.json"))
            .header("accept-encoding", encoding)
            .send()
            .await
            .unwrap();
        assert_eq!(compressed.status(), 200);
        assert!(!compressed.bytes().await.unwrap().is_empty(), "{encoding}");
    }
    let (status, json) = get(&format!("{page_url}/items.json")).await;
    assert_eq!(status, 200);
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["complete"], true);
    let items = json["items"].as_array().unwrap();
    assert_eq!(items.len() as u64, total);
    let keys: Vec<(String, String)> = items
        .iter()
        .map(|i| {
            (
                i["kind"].as_str().unwrap().to_owned(),
                i["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        keys.iter().collect::<HashSet<_>>().len(),
        keys.len(),
        "no item twice"
    );
    let csv_keys: Vec<(String, String)> = rows
        .iter()
        .map(|r| (r[3].to_owned(), r[6].to_owned()))
        .collect();
    assert_eq!(csv_keys, keys, "the same items in the same order");
    let times: Vec<&str> = items
        .iter()
        .map(|i| i["occurred_at"].as_str().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first");

    // The tallies equal the items counted by kind, and the page's total.
    let mut by_kind: BTreeMap<String, u64> = BTreeMap::new();
    for (kind, _) in &keys {
        *by_kind.entry(kind.clone()).or_default() += 1;
    }
    let (status, tallies) = get(&format!("{page_url}/tallies.json")).await;
    assert_eq!(status, 200);
    let tallies: serde_json::Value = serde_json::from_str(&tallies).unwrap();
    assert_eq!(tallies["total"], total);
    assert_eq!(tallies["complete"], true);
    let person = &tallies["people"][0];
    let tallied: BTreeMap<String, u64> = person["by_kind"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, n)| (k.clone(), n.as_u64().unwrap()))
        .collect();
    assert_eq!(tallied, by_kind);
    let (_, tallies_csv) = get(&format!("{page_url}/tallies.csv")).await;
    let tally_rows = csv_records(&tallies_csv);
    assert_eq!(
        tally_rows
            .iter()
            .map(|r| r[2].parse::<u64>().unwrap())
            .sum::<u64>(),
        total
    );

    // The feed: valid Atom, the 50 newest items, ids that do not change.
    let feed_answer = client()
        .get(format!("{page_url}/feed.atom"))
        .send()
        .await
        .unwrap();
    assert!(
        feed_answer.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/atom+xml")
    );
    let feed = feed_answer.text().await.unwrap();
    let ids = assert_atom(&feed, &format!("{page_url}/feed.atom"));
    assert_eq!(ids.len(), 50);
    for (id, (kind, item)) in ids.iter().zip(&keys) {
        assert!(id.starts_with(&format!("{page_url}#github:")), "{id}");
        assert!(
            id.contains(&format!(":{kind}:")),
            "{id} is the {kind} {item}"
        );
    }
    let (_, again) = get(&format!("{page_url}/feed.atom")).await;
    assert_eq!(assert_atom(&again, &format!("{page_url}/feed.atom")), ids);

    for missing in [
        "/q/AAAAAAAAAAA/items.csv",
        "/q/AAAAAAAAAAA/feed.atom",
        "/q/nope/tallies.json",
    ] {
        assert_eq!(
            get(&format!("{}{missing}", server.url)).await.0,
            404,
            "{missing}"
        );
    }
    simulator.stop().await;
}

/// Checks what RFC 4287 requires of a feed and its entries (ids that are
/// absolute IRIs and unique, titles, RFC 3339 times, an author for each
/// entry, a self link); answers the entries' ids in order.
fn assert_atom(text: &str, self_link: &str) -> Vec<String> {
    const ATOM: &str = "http://www.w3.org/2005/Atom";
    let doc = roxmltree::Document::parse(text).unwrap();
    let feed = doc.root_element();
    assert_eq!(
        (feed.tag_name().namespace(), feed.tag_name().name()),
        (Some(ATOM), "feed")
    );
    let one_text = |node: roxmltree::Node<'_, '_>, name: &str| {
        let found = child(node, name);
        assert_eq!(
            found.len(),
            1,
            "one atom:{name} in {}",
            node.tag_name().name()
        );
        found[0].text().unwrap_or("").to_owned()
    };
    let is_time = |t: &str| chrono::DateTime::parse_from_rfc3339(t).is_ok();
    assert!(one_text(feed, "id").starts_with("http"));
    assert!(!one_text(feed, "title").is_empty());
    assert!(is_time(&one_text(feed, "updated")));
    assert!(
        child(feed, "link")
            .iter()
            .any(|l| l.attribute("rel") == Some("self") && l.attribute("href") == Some(self_link))
    );
    let feed_has_author = !child(feed, "author").is_empty();
    let mut ids = Vec::new();
    for entry in child(feed, "entry") {
        let id = one_text(entry, "id");
        assert!(id.starts_with("http") && !id.contains(' '), "{id}");
        assert!(!one_text(entry, "title").is_empty());
        assert!(is_time(&one_text(entry, "updated")));
        assert!(feed_has_author || !child(entry, "author").is_empty());
        ids.push(id);
    }
    assert_eq!(
        ids.iter().collect::<HashSet<_>>().len(),
        ids.len(),
        "entry ids are unique"
    );
    ids
}

/// The Atom elements named `name` directly under `node`.
fn child<'a, 'i>(node: roxmltree::Node<'a, 'i>, name: &str) -> Vec<roxmltree::Node<'a, 'i>> {
    node.children()
        .filter(|c| {
            c.tag_name().namespace() == Some("http://www.w3.org/2005/Atom")
                && c.tag_name().name() == name
        })
        .collect()
}

/// What `pid`'s memory is now, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn two_hundred_thousand_items_stream_out_without_the_server_holding_them() {
    let db = TestDb::new().await;
    let account = AccountSpec {
        forge: Forge::Gerrit,
        instance: None,
        username: "prolific".into(),
    };
    let (from, to) = (day("2025-01-01"), day("2025-12-31"));
    let id = db.store.identity(&account).await.unwrap();
    let items: Vec<Contribution> = (0..200_000_u32)
        .map(|n| {
            let mut item = Contribution::new(
                Forge::Gerrit,
                "",
                ContributionKind::GerritChange,
                "prolific",
            );
            item.id = n.to_string();
            item.repository = "big/project".into();
            item.title = format!("Change number {n}, with a title of some length");
            item.url = format!("https://review.example.org/c/big/project/+/{n}");
            item.occurred_at = (from.and_hms_opt(0, 0, 0).unwrap()
                + chrono::Duration::seconds(i64::from(n) * 157))
            .and_utc();
            item
        })
        .collect();
    db.store.replace_days(id, from, to, &items).await.unwrap();
    drop(items);
    db.store
        .set_identity_state(id, model::query::AccountState::Ok, None)
        .await
        .unwrap();
    let spec = QuerySpec {
        people: vec![PersonSpec {
            name: Some("Prolific".into()),
            accounts: vec![account],
        }],
        from,
        to,
        kinds: Vec::new(),
        statuses: Vec::new(),
        include_repos: Vec::new(),
        exclude_repos: Vec::new(),
    };
    let hash = db.store.save_query(&spec).await.unwrap();
    let server = common::start(&db.url, None);

    // Twice: the second shows whether anything stayed behind.
    for run in 1..=2 {
        let before = rss_kib(server.pid());
        let mut answer = client()
            .get(format!("{}/q/{hash}/items.csv", server.url))
            .timeout(std::time::Duration::from_secs(600))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200);
        let (mut lines, mut bytes) = (0_u64, 0_u64);
        // The server's memory at each tenth of the items.
        let mut by_tenth = Vec::new();
        while let Some(chunk) = answer.chunk().await.unwrap() {
            lines += chunk.iter().filter(|b| **b == b'\n').count() as u64;
            bytes += chunk.len() as u64;
            if lines >= (by_tenth.len() as u64 + 1) * 20_000 {
                by_tenth.push(rss_kib(server.pid()));
            }
        }
        assert_eq!(lines, 200_001, "a header and every item");
        let after = rss_kib(server.pid());
        println!(
            "{{\"figure\":\"export_200k_csv\",\"run\":{run},\"bytes\":{bytes},\"server_rss_kib_before\":{before},\"server_rss_kib_each_tenth\":{by_tenth:?},\"server_rss_kib_after\":{after}}}"
        );
    }
}
