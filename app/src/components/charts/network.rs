//! A developer's network as an ECharts force graph: the developer in the
//! middle, followers and followed around, each edge pointing the way the
//! follow goes. Someone who both follows and is followed appears once, with
//! both edges.

use std::collections::BTreeMap;

use charming::Chart;
use charming::element::{Tooltip, Trigger};
use charming::series::{Graph, GraphCategory, GraphData, GraphLayout, GraphLink, GraphNode};
use model::discovery::DeveloperNetwork;
use serde_json::{Value, json};

use super::options::TEXT;

/// The categories, in the order their colours are given.
const CATEGORIES: [(&str, &str); 4] = [
    ("This developer", "#2f81f7"),
    ("Follows them", "#8957e5"),
    ("Followed by them", "#1a7f37"),
    ("Both", "#d29922"),
];

/// Which side of the network each login is on: 1 follower, 2 followed,
/// 3 both (indices into [`CATEGORIES`]).
fn sides(network: &DeveloperNetwork) -> BTreeMap<&str, u8> {
    let mut sides: BTreeMap<&str, u8> = BTreeMap::new();
    for follower in &network.followers {
        *sides.entry(follower.login.as_str()).or_default() |= 1;
    }
    for followed in &network.following {
        *sides.entry(followed.login.as_str()).or_default() |= 2;
    }
    sides
}

/// Node size: grows with followers, within bounds a tap can hit.
#[allow(
    clippy::cast_precision_loss,
    reason = "follower counts far below 2^52 are exact as f64"
)]
fn size(followers: Option<u64>) -> f64 {
    (8.0 + (followers.unwrap_or(0) as f64).sqrt() * 2.0).min(40.0)
}

pub fn network(network: &DeveloperNetwork) -> Value {
    let me = &network.developer;
    let sides = sides(network);
    let followers = |login: &str| {
        network
            .followers
            .iter()
            .chain(&network.following)
            .find(|d| d.login == login)
            .and_then(|d| d.followers)
    };
    let mut nodes = vec![GraphNode {
        id: me.login.clone(),
        name: me.login.clone(),
        x: 0.0,
        y: 0.0,
        value: 0.0,
        category: 0,
        symbol_size: 44.0,
        label: None,
    }];
    let mut links = Vec::new();
    for (login, side) in &sides {
        nodes.push(GraphNode {
            id: (*login).to_owned(),
            name: (*login).to_owned(),
            x: 0.0,
            y: 0.0,
            value: 0.0,
            category: u64::from(*side),
            symbol_size: size(followers(login)),
            label: None,
        });
        if side & 1 != 0 {
            links.push(GraphLink {
                source: (*login).to_owned(),
                target: me.login.clone(),
                value: None,
            });
        }
        if side & 2 != 0 {
            links.push(GraphLink {
                source: me.login.clone(),
                target: (*login).to_owned(),
                value: None,
            });
        }
    }
    let categories = CATEGORIES
        .iter()
        .map(|(name, _)| GraphCategory {
            name: (*name).to_owned(),
        })
        .collect();
    let chart = Chart::new()
        .tooltip(Tooltip::new().trigger(Trigger::Item))
        .series(
            Graph::new()
                .name("Network")
                .layout(GraphLayout::Force)
                .roam(true)
                .data(GraphData {
                    nodes,
                    links,
                    categories,
                }),
        );
    let mut option = serde_json::to_value(&chart).unwrap_or(Value::Null);
    option["color"] = json!(CATEGORIES.iter().map(|(_, c)| *c).collect::<Vec<_>>());
    option["legend"] = json!({
        "data": CATEGORIES.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
        "bottom": 0,
        "textStyle": { "color": TEXT },
    });
    let series = &mut option["series"][0];
    // Charming writes every node at (0, 0); without positions the force
    // layout places them itself.
    if let Some(nodes) = series["data"].as_array_mut() {
        for node in nodes.iter_mut().filter_map(Value::as_object_mut) {
            for key in ["x", "y", "value"] {
                node.remove(key);
            }
        }
    }
    series["force"] = json!({ "repulsion": 120, "edgeLength": 80 });
    series["edgeSymbol"] = json!(["none", "arrow"]);
    series["edgeSymbolSize"] = json!(6);
    series["label"] = json!({ "show": true, "position": "right", "color": TEXT, "fontSize": 11 });
    series["lineStyle"] = json!({ "opacity": 0.5 });
    option
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::discovery::{Developer, DeveloperLinks};

    fn developer(login: &str) -> Developer {
        Developer {
            id: model::ids::DeveloperId(1),
            forge: model::forge::Forge::GitHub,
            instance: "github.com".into(),
            forge_id: login.into(),
            login: login.into(),
            name: None,
            location: None,
            company: None,
            bio: None,
            email: None,
            created_at: None,
            updated_at: None,
            followers: Some(4),
            following: None,
            public_repos: None,
            public_gists: None,
            distance: None,
            synced_at: None,
            links: DeveloperLinks {
                this: String::new(),
                followers: String::new(),
                following: String::new(),
                starred: String::new(),
                repositories: String::new(),
            },
        }
    }

    #[test]
    fn each_person_is_one_node_and_each_follow_one_edge_its_way() {
        let network = DeveloperNetwork {
            developer: developer("me"),
            followers: vec![developer("a"), developer("both")],
            followers_total: 2,
            following: vec![developer("both"), developer("c")],
            following_total: 2,
        };
        let option = super::network(&network);
        let nodes = option["series"][0]["data"].as_array().unwrap();
        let names: Vec<&str> = nodes.iter().map(|n| n["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["me", "a", "both", "c"]);
        let categories: Vec<u64> = nodes
            .iter()
            .map(|n| n["category"].as_u64().unwrap())
            .collect();
        assert_eq!(categories, [0, 1, 3, 2]);
        let edges: Vec<(String, String)> = option["series"][0]["links"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                (
                    l["source"].as_str().unwrap().to_owned(),
                    l["target"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let edge = |a: &str, b: &str| (a.to_owned(), b.to_owned());
        assert_eq!(
            edges,
            [
                edge("a", "me"),
                edge("both", "me"),
                edge("me", "both"),
                edge("me", "c")
            ]
        );
    }
}
