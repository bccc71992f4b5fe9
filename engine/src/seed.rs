//! Synthetic contributions for load tests: a query over many people whose
//! cache is already full, so measuring it touches no forge.

use chrono::{Duration, NaiveDate, NaiveTime};
use model::contribution::{Contribution, ContributionKind, Status};
use model::forge::Forge;
use model::query::{AccountSpec, PersonSpec, QuerySpec};

use crate::error::Result;
use crate::store::Store;
use crate::store::contributions::IdentityState;

/// What to make up.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    pub people: usize,
    /// In all, shared evenly between the people.
    pub contributions: usize,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// The `n`th made-up item of a person: spread over the days, kinds and 40
/// repositories by fixed strides, so the same plan gives the same data.
fn item(username: &str, person: usize, n: usize, plan: &Plan) -> Contribution {
    let kind = ContributionKind::ALL[(n * 31 + person) % ContributionKind::ALL.len()];
    let seconds = (plan.to - plan.from + Duration::days(1))
        .num_seconds()
        .max(1) as u64;
    let offset = (n as u64 * 7_919 + person as u64 * 104_729) % seconds;
    let mut item = Contribution::new(Forge::GitHub, "github.com", kind, username);
    item.id = format!("seed-{person}-{n}");
    item.repository = format!("seed/repo-{}", (n * 13 + person) % 40);
    item.title = format!("Made-up {} number {n}", kind.label().to_lowercase());
    item.url = format!("https://github.com/{}/pull/{n}", item.repository);
    item.status = match kind {
        ContributionKind::Commit | ContributionKind::Review | ContributionKind::IssueComment => {
            None
        }
        _ => Some(Status::ALL[n % Status::ALL.len()]),
    };
    item.occurred_at =
        plan.from.and_time(NaiveTime::MIN).and_utc() + Duration::seconds(offset as i64);
    item
}

/// Stores the plan's people (GitHub accounts `seed-person-N`) with their
/// days marked fetched, and saves the query over all of them; returns its hash.
pub async fn seed(store: &Store, plan: &Plan) -> Result<String> {
    let each = plan.contributions / plan.people.max(1);
    let mut people = Vec::new();
    for person in 0..plan.people {
        let username = format!("seed-person-{person}");
        let account = AccountSpec {
            forge: Forge::GitHub,
            instance: None,
            username: username.clone(),
        };
        let id = store.identity(&account).await?;
        let items: Vec<_> = (0..each)
            .map(|n| item(&username, person, n, plan))
            .collect();
        store.replace_days(id, plan.from, plan.to, &items).await?;
        store
            .set_identity_state(id, IdentityState::Ok, None)
            .await?;
        people.push(PersonSpec {
            name: Some(format!("Person {person}")),
            accounts: vec![account],
        });
    }
    let spec = QuerySpec {
        people,
        from: plan.from,
        to: plan.to,
        kinds: Vec::new(),
        statuses: Vec::new(),
        include_repos: Vec::new(),
        exclude_repos: Vec::new(),
    };
    store.save_query(&spec).await
}
