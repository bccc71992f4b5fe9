//! Who a report counts: forge accounts, joined into people where the
//! report's address says so (`person=Ada = github:ada gitlab:ada-l`, the
//! query form's people syntax), so one person's accounts make one row, one
//! contributor and one share of the commits.

use serde::{Deserialize, Serialize};

use super::{ItemFilter, ItemPerson, Tallies, TallyKind};
use crate::forge::Forge;
use crate::query::PersonSpec;

/// Most people one report's address joins.
pub const MOST_PEOPLE: usize = 50;

/// One forge account's part in a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountTally {
    pub forge: Forge,
    pub instance: String,
    /// The account as the forge shows it (for commits a forge links to no
    /// account, the author's name as git recorded it).
    pub account: String,
    #[serde(flatten)]
    pub counts: Tallies,
}

/// One person's part in a report: an account, or the accounts the address
/// joins under one person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PersonTally {
    /// The name the address gives the person, when it gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Their accounts that did anything in the range, busiest first, each
    /// with its own counts (one, unless the address joins several).
    pub accounts: Vec<AccountTally>,
    /// All their accounts' acts.
    #[serde(flatten)]
    pub counts: Tallies,
}

impl AccountTally {
    fn place(&self) -> ItemPerson {
        ItemPerson {
            forge: self.forge,
            instance: Some(self.instance.clone()),
            account: self.account.clone(),
        }
    }

    /// `account (Forge)`, as rows and graphs name it.
    pub fn label(&self) -> String {
        format!("{} ({})", self.account, self.forge.name())
    }
}

impl PersonTally {
    /// The name, or the accounts when there is none.
    pub fn label(&self) -> String {
        self.name.clone().unwrap_or_else(|| {
            self.accounts
                .iter()
                .map(|a| a.account.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        })
    }

    /// The filter of this person's acts of `kind`, on all their accounts.
    pub fn items(&self, kind: TallyKind) -> ItemFilter {
        ItemFilter {
            kind,
            accounts: self.accounts.iter().map(AccountTally::place).collect(),
            week: None,
        }
    }
}

/// The people an address joins, and which of them an account belongs to.
#[derive(Debug, Clone, Copy)]
pub struct PersonJoin<'a> {
    people: &'a [PersonSpec],
}

impl<'a> PersonJoin<'a> {
    pub fn new(people: &'a [PersonSpec]) -> Self {
        Self { people }
    }

    /// The first person with this account: same forge, the same instance
    /// unless the address leaves it out, the username in any case (forges
    /// compare usernames without case).
    pub fn person_of(&self, forge: Forge, instance: &str, account: &str) -> Option<usize> {
        self.people.iter().position(|person| {
            person.accounts.iter().any(|a| {
                a.forge == forge
                    && a.instance.as_deref().is_none_or(|i| i == instance)
                    && a.username.eq_ignore_ascii_case(account)
            })
        })
    }

    /// The accounts as people, busiest first: each account joined with the
    /// others of its person, or alone.
    pub fn join(&self, accounts: Vec<AccountTally>) -> Vec<PersonTally> {
        let mut joined: Vec<Option<PersonTally>> = vec![None; self.people.len()];
        let mut people = Vec::new();
        for account in accounts {
            let person = match self.person_of(account.forge, &account.instance, &account.account) {
                Some(n) => joined[n].get_or_insert_with(|| PersonTally {
                    name: self.people[n].name.clone(),
                    accounts: Vec::new(),
                    counts: Tallies::default(),
                }),
                None => {
                    people.push(PersonTally {
                        name: None,
                        accounts: Vec::new(),
                        counts: Tallies::default(),
                    });
                    people.last_mut().expect("just pushed")
                }
            };
            for kind in TallyKind::ALL {
                person.counts.add(kind, account.counts.get(kind));
            }
            person.accounts.push(account);
        }
        people.extend(joined.into_iter().flatten());
        for person in &mut people {
            person
                .accounts
                .sort_by_key(|a| std::cmp::Reverse(a.counts.total()));
        }
        people.sort_by(|a, b| {
            b.counts
                .total()
                .cmp(&a.counts.total())
                .then_with(|| a.label().to_lowercase().cmp(&b.label().to_lowercase()))
        });
        people
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::parse_people;

    fn account(forge: Forge, instance: &str, name: &str, commits: u64) -> AccountTally {
        AccountTally {
            forge,
            instance: instance.to_owned(),
            account: name.to_owned(),
            counts: Tallies {
                commits,
                ..Tallies::default()
            },
        }
    }

    #[test]
    fn joined_accounts_make_one_person_whose_counts_are_their_sum() {
        let people = parse_people("Ada = github:ada gitlab@gitlab.example:ADA-L").unwrap();
        let joined = PersonJoin::new(&people).join(vec![
            account(Forge::GitHub, "github.com", "Ada", 2),
            account(Forge::GitHub, "github.com", "bob", 4),
            account(Forge::GitLab, "gitlab.example", "ada-l", 3),
            account(Forge::GitLab, "gitlab.com", "ada-l", 1),
        ]);
        let labels: Vec<String> = joined.iter().map(PersonTally::label).collect();
        assert_eq!(labels, ["Ada", "bob", "ada-l"]);
        assert_eq!(joined[0].counts.commits, 5);
        assert_eq!(joined[0].accounts[0].account, "ada-l");
        assert_eq!(joined[0].items(TallyKind::Commits).accounts.len(), 2);
        // The instance the address names is the only one joined.
        assert_eq!(joined[2].accounts[0].instance, "gitlab.com");
    }

    #[test]
    fn a_person_without_acts_in_the_range_is_left_out() {
        let people = parse_people("Ada = github:ada").unwrap();
        let joined =
            PersonJoin::new(&people).join(vec![account(Forge::GitHub, "github.com", "bob", 1)]);
        assert_eq!(joined.len(), 1);
        assert_eq!(joined[0].name, None);
    }
}
