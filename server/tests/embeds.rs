//! A query's pictures for other sites, through the running server: the
//! calendar (`/q/<hash>/calendar.svg`) and the badge (`/q/<hash>/badge.svg`)
//! are well-formed SVG with the page's numbers, day by day equal to the
//! simulator's truth, that run and load nothing, with validators and
//! clear refusals of bad parameters.
#![allow(
    clippy::unwrap_used,
    reason = "a test or benchmark stops loudly on what it did not expect"
)]

mod common;

use chrono::NaiveDate;

use common::{client, filled, post_query};

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

/// Checks an SVG has nothing that could run or load: no script, no
/// event handler, no link, no foreign object.
fn assert_inert(doc: &roxmltree::Document) {
    for node in doc.descendants().filter(roxmltree::Node::is_element) {
        let name = node.tag_name().name();
        assert!(
            !["script", "foreignObject", "a", "image", "use", "style"].contains(&name),
            "a <{name}> element"
        );
        for attribute in node.attributes() {
            let attribute = attribute.name();
            assert!(
                !attribute.starts_with("on") && attribute != "href",
                "a {attribute} attribute on <{name}>"
            );
        }
    }
}

#[tokio::test]
async fn the_calendar_and_badge_show_the_pages_numbers_and_run_nothing() {
    let simulator = common::simulator(77, 40).await;
    let world = &simulator.world;
    let account = common::busiest_on_github(world);
    let (_db, server) = common::on_simulated_github(&simulator).await;
    let (from, to) = ("2026-01-01", "2026-06-30");
    let location = post_query(
        &server.url,
        &[
            (
                "people",
                format!("<script>alert(1)</script> = github:{}", account.username),
            ),
            ("from", from.into()),
            ("to", to.into()),
        ],
    )
    .await;
    let page_url = format!("{}{location}", server.url);
    let total = common::number(&filled(&page_url).await, "total");
    let truth = sim::truth::truth(world, account.id, day(from), day(to));
    assert_eq!(total, truth.total);

    let calendar = client()
        .get(format!("{page_url}/calendar.svg"))
        .send()
        .await
        .unwrap();
    assert_eq!(calendar.status(), 200);
    let header = |name: &str| calendar.headers()[name].to_str().unwrap().to_owned();
    assert!(header("content-type").starts_with("image/svg+xml"));
    assert_eq!(header("content-security-policy"), "default-src 'none'");
    assert_eq!(header("cache-control"), "public, max-age=300");
    let etag = header("etag");
    let svg = calendar.text().await.unwrap();
    assert!(!svg.contains("<script"), "the name is text, not markup");
    let doc = roxmltree::Document::parse(&svg).unwrap();
    assert_inert(&doc);
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(
        root.attribute("data-total"),
        Some(total.to_string().as_str())
    );
    assert!(
        root.attribute("aria-label")
            .unwrap()
            .contains("<script>alert(1)</script>")
    );

    // One square per day of the range, each with the truth's count.
    let days: Vec<(NaiveDate, u64)> = doc
        .descendants()
        .filter_map(|n| {
            Some((
                day(n.attribute("data-date")?),
                n.attribute("data-count")?.parse().unwrap(),
            ))
        })
        .collect();
    assert_eq!(days.len(), 181);
    assert_eq!(days.first().unwrap().0, day(from));
    assert_eq!(days.last().unwrap().0, day(to));
    for (date, count) in &days {
        assert_eq!(
            *count,
            truth.by_day.get(date).copied().unwrap_or(0),
            "{date}"
        );
    }
    assert_eq!(days.iter().map(|(_, n)| n).sum::<u64>(), total);

    // Unchanged numbers: 304 to a conditional request.
    let again = client()
        .get(format!("{page_url}/calendar.svg"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert!(again.text().await.unwrap().is_empty());

    // Dark, and a set width (the drawing keeps its proportions).
    let (status, dark) =
        common::get(&format!("{page_url}/calendar.svg?theme=dark&width=400")).await;
    assert_eq!(status, 200);
    let dark_doc = roxmltree::Document::parse(&dark).unwrap();
    assert_eq!(dark_doc.root_element().attribute("width"), Some("400"));
    assert!(dark.contains("#0d1117") && !svg.contains("#0d1117"));

    for (query, field) in [
        ("width=10", "width"),
        ("width=wide", "width"),
        ("theme=pink", "theme"),
        ("colour=red", "colour"),
    ] {
        let (status, body) = common::get(&format!("{page_url}/calendar.svg?{query}")).await;
        assert_eq!(status, 400, "{query}: {body}");
        let body: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body["error"]["field"], field, "{query}");
    }

    let (status, badge) = common::get(&format!("{page_url}/badge.svg")).await;
    assert_eq!(status, 200);
    let badge_doc = roxmltree::Document::parse(&badge).unwrap();
    assert_inert(&badge_doc);
    assert_eq!(
        badge_doc.root_element().attribute("data-total"),
        Some(total.to_string().as_str())
    );
    let shown: String = badge_doc
        .descendants()
        .filter(|n| n.tag_name().name() == "text")
        .filter_map(|n| n.text())
        .collect::<Vec<_>>()
        .join(" ");
    let grouped = app::grouped(total);
    assert!(
        shown.contains(&format!("contributions {grouped}")),
        "{shown}"
    );

    for missing in ["/q/AAAAAAAAAAA/calendar.svg", "/q/not-a-hash/badge.svg"] {
        let (status, _) = common::get(&format!("{}{missing}", server.url)).await;
        assert_eq!(status, 404, "{missing}");
    }
    simulator.stop().await;
}
