//! Gerrit: changes a person owns, and the review messages they left on
//! others' changes, from the change query API. Answers start with the
//! `)]}'` guard line; pages end when the last change lacks `_more_changes`.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use model::contribution::{Contribution, ContributionKind, Status};
use model::forge::Forge;
use serde::Deserialize;
use serde::de::DeserializeOwned;

mod activity;
mod tracker;

use super::http::{Auth, Call, Http, Limits};
use super::{Days, Endpoint, instance_of};
use crate::error::{Error, Result};

/// Changes asked for per page (Gerrit's default cap is 500).
const PAGE: usize = 100;

pub struct Gerrit {
    /// The base URL, with `/a` when authenticated.
    api: String,
    web: String,
    instance: String,
    http: Http,
}

/// Gerrit's timestamps: `2013-02-21 11:16:36.775000000`, always UTC.
fn time<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> std::result::Result<DateTime<Utc>, D::Error> {
    let text = String::deserialize(deserializer)?;
    NaiveDateTime::parse_from_str(&text, "%Y-%m-%d %H:%M:%S%.f")
        .map(|t| t.and_utc())
        .map_err(serde::de::Error::custom)
}

#[derive(Debug, Deserialize)]
struct Account {
    username: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Change {
    project: String,
    subject: String,
    status: String,
    #[serde(deserialize_with = "time")]
    created: DateTime<Utc>,
    #[serde(rename = "_number")]
    number: u64,
    owner: Account,
    #[serde(default)]
    messages: Vec<Message>,
}

/// A change as a page of a query gives it: `_more_changes` on the last one
/// says another page follows.
#[derive(Debug, Deserialize)]
struct Paged<T> {
    #[serde(flatten)]
    change: T,
    #[serde(rename = "_more_changes", default)]
    more: bool,
}

#[derive(Debug, Deserialize)]
struct Message {
    id: String,
    author: Option<Account>,
    #[serde(deserialize_with = "time")]
    date: DateTime<Utc>,
    message: Option<String>,
}

/// Decodes a JSON answer behind the `)]}'` line, which must be there.
fn decode<T: DeserializeOwned>(body: &[u8]) -> std::result::Result<T, String> {
    let json = body
        .strip_prefix(b")]}'")
        .ok_or("the answer lacks Gerrit's )]}' line")?;
    serde_json::from_slice(json).map_err(|e| e.to_string())
}

impl Gerrit {
    /// A token `user:http-password` authenticates (under `/a/`); without
    /// one, Gerrit is read anonymously.
    pub fn new(endpoint: &Endpoint, limits: &Limits) -> Result<Self> {
        let web = endpoint.api_url.trim_end_matches('/').to_owned();
        let credentials = endpoint
            .token
            .as_deref()
            .and_then(|t| t.split_once(':'))
            .map(|(user, password)| (user.to_owned(), password.to_owned()));
        let (auth, api) = match credentials {
            Some((user, password)) => (Auth::Basic(user, password), format!("{web}/a")),
            None => (Auth::None, web.clone()),
        };
        Ok(Self {
            instance: instance_of(&web),
            http: Http::new(auth, limits)?.only_to(&api),
            api,
            web,
        })
    }

    pub fn http(&self) -> &Http {
        &self.http
    }

    /// Every change a query matches, page by page, and the forge's clock
    /// at the first answer.
    async fn query<T: DeserializeOwned>(
        &self,
        q: &str,
        options: &[&str],
    ) -> Result<(Vec<T>, Option<DateTime<Utc>>)> {
        let mut changes: Vec<T> = Vec::new();
        let mut started = None;
        loop {
            let mut call = Call::get(format!("{}/changes/", self.api), "api")
                .query("q", q)
                .query("n", PAGE)
                .query("S", changes.len());
            for option in options {
                call = call.query("o", option);
            }
            let fetched = self.http.fetch(&call, decode::<Vec<Paged<T>>>).await?;
            if started.is_none() {
                started = super::forge_clock(&fetched.headers);
            }
            let more = fetched.value.last().is_some_and(|c| c.more);
            changes.extend(fetched.value.into_iter().map(|p| p.change));
            if !more {
                return Ok((changes, started));
            }
        }
    }

    /// Whether the account exists: its page answers, else a typed not-found.
    async fn check_account(&self, username: &str) -> Result<()> {
        let call = Call::get(format!("{}/accounts/{username}", self.api), "api");
        self.http
            .fetch(&call, decode::<serde_json::Value>)
            .await
            .map(|_| ())
            .map_err(|e| match e {
                Error::NotFound { .. } => Error::NotFound {
                    what: format!("Gerrit account `{username}` on {}", self.instance),
                },
                other => other,
            })
    }

    fn contribution(&self, kind: ContributionKind, author: &str, change: &Change) -> Contribution {
        Contribution {
            forge: Forge::Gerrit,
            instance: self.instance.clone(),
            id: format!("{}~{}", change.project, change.number),
            kind,
            status: None,
            repository: change.project.clone(),
            title: change.subject.clone(),
            url: format!("{}/c/{}/+/{}", self.web, change.project, change.number),
            author: author.to_owned(),
            occurred_at: change.created,
            utc_offset_minutes: None,
        }
    }

    /// Changes `username` created on the UTC days `from..=to`, and reviews
    /// they left on others' changes in that time.
    pub async fn contributions(
        &self,
        username: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<Contribution>> {
        let range = Days::new(from, to)?;
        self.check_account(username).await?;
        // `after:` compares the last update, which is never before creation.
        let since = (range.start() - Duration::seconds(1)).format("%Y-%m-%d %H:%M:%S");
        let owned_query = format!("owner:{username} after:\"{since}\"");
        let reviewed_query = format!("reviewer:{username} after:\"{since}\"");
        let ((owned, _), (reviewed, _)) = tokio::try_join!(
            self.query::<Change>(&owned_query, &[]),
            self.query::<Change>(&reviewed_query, &["MESSAGES", "DETAILED_ACCOUNTS"]),
        )?;
        let mut found: Vec<Contribution> = owned
            .iter()
            .filter(|c| range.contains(c.created))
            .map(|c| Contribution {
                status: Some(match c.status.as_str() {
                    "MERGED" => Status::Merged,
                    "ABANDONED" => Status::Abandoned,
                    _ => Status::Open,
                }),
                ..self.contribution(ContributionKind::GerritChange, username, c)
            })
            .collect();
        for change in reviewed
            .iter()
            .filter(|c| c.owner.username.as_deref() != Some(username))
        {
            for message in &change.messages {
                let by_them =
                    message.author.as_ref().and_then(|a| a.username.as_deref()) == Some(username);
                if by_them && range.contains(message.date) {
                    found.push(Contribution {
                        id: message.id.clone(),
                        occurred_at: message.date,
                        url: format!(
                            "{}/c/{}/+/{}#message-{}",
                            self.web, change.project, change.number, message.id
                        ),
                        ..self.contribution(ContributionKind::Review, username, change)
                    });
                }
            }
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn a_guarded_answer_decodes_to_what_was_sent(value in crate::strategies::json()) {
            let body = format!(")]}}'\n{value}");
            proptest::prop_assert_eq!(decode::<serde_json::Value>(body.as_bytes()), Ok(value.clone()));
            // Without the guard it is refused, whatever it holds.
            proptest::prop_assert!(decode::<serde_json::Value>(value.to_string().as_bytes()).is_err());
        }

        #[test]
        fn no_bytes_make_decoding_panic(body in proptest::collection::vec(proptest::num::u8::ANY, 0..64)) {
            let mut guarded = b")]}'".to_vec();
            guarded.extend(&body);
            let _ = decode::<serde_json::Value>(&body);
            let _ = decode::<serde_json::Value>(&guarded);
        }
    }

    #[test]
    fn the_guard_line_is_required_and_stripped() {
        let change: serde_json::Value = decode(b")]}'\n{\"a\": 1}").unwrap();
        assert_eq!(change["a"], 1);
        assert!(decode::<serde_json::Value>(b"{\"a\": 1}").is_err());
        assert!(
            decode::<serde_json::Value>(b")]}'\n{\"a\": ").is_err(),
            "a truncated body"
        );
    }
}
