//! Which organisation an address names: the page of a GitHub organisation
//! or user (`https://github.com/rust-lang`), a GitLab group
//! (`https://gitlab.com/gitlab-org`, subgroups too), a Bitbucket workspace
//! (`https://bitbucket.org/atlassian`), or `forge:name` (`github:rust-lang`).
//!
//! This is the guard against making the server fetch what a visitor
//! chooses: an address is only ever turned into a name on one of the
//! configured forges, and requests go to that forge's API address, never to
//! the address given. A host that is not a configured forge's web host is
//! refused before anything is fetched.

use model::forge::Forge;
use reqwest::Url;

use super::checks;
use crate::error::{Error, Result};
use crate::forge::directory::Directory;
use crate::forge::{Endpoint, instance_of};
use crate::tracker::locate::web_root;

/// An organisation on a configured forge, not yet looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgAddress {
    pub forge: Forge,
    /// The forge's host, as [`instance_of`] names it.
    pub instance: String,
    /// The name on the forge (`rust-lang`, `gitlab-org/charts`).
    pub login: String,
    /// The address as given, for `missing`.
    pub given: String,
}

impl OrgAddress {
    /// What makes two addresses the same organisation: forge, host and
    /// the name in lower case (every one of these forges ignores its case).
    pub fn key(&self) -> (Forge, String, String) {
        (
            self.forge,
            self.instance.to_lowercase(),
            self.login.to_lowercase(),
        )
    }
}

/// Reads one address. The message of a refusal names the address and what
/// is wrong with it.
pub fn parse(directory: &Directory, input: &str) -> Result<OrgAddress> {
    let given = input.trim();
    let refuse = |why: &str| Error::Invalid(format!("{given:?}: {why}"));
    if given.is_empty() {
        return Err(refuse("an address is empty"));
    }
    if !given.contains("://")
        && let Some((forge, name)) = given.split_once(':')
        && let Some(forge) = Forge::from_key(&forge.to_lowercase())
    {
        let (_, endpoint) = directory
            .endpoint(forge, None)
            .map_err(|_| refuse(&format!("{} is not configured here", forge.name())))?;
        return named(endpoint, given, name);
    }
    let url = Url::parse(given).map_err(|e| refuse(&format!("not an address ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(refuse("only http and https addresses are read"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(refuse(
            "an address with a user name or password is not read",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(refuse("give the organisation's page without ? or #"));
    }
    let endpoint = directory
        .endpoints()
        .iter()
        .filter(|e| checks(e.forge))
        .find(|e| same_site(&url, e))
        .ok_or_else(|| {
            let served: Vec<String> = directory
                .endpoints()
                .iter()
                .filter(|e| checks(e.forge))
                .map(web_root)
                .collect();
            refuse(&format!(
                "{} is not a forge Tally reads; it reads {}",
                url.host_str().unwrap_or("the host"),
                served.join(", ")
            ))
        })?;
    let root = web_root(endpoint);
    let prefix = Url::parse(&root).map(|r| r.path().trim_end_matches('/').to_owned());
    let path = url.path();
    let rest = prefix
        .ok()
        .and_then(|prefix| path.strip_prefix(&prefix).map(str::to_owned))
        .unwrap_or_else(|| path.to_owned());
    named(endpoint, given, &model::url::decode_component(&rest))
}

/// Whether `url` is on `endpoint`'s web host: the same host and port, with
/// `http` and `https` taken alike (the forges redirect one to the other).
fn same_site(url: &Url, endpoint: &Endpoint) -> bool {
    let Ok(root) = Url::parse(&web_root(endpoint)) else {
        return false;
    };
    let default_port = |u: &Url| u.port().is_none();
    root.host_str().is_some()
        && root.host_str() == url.host_str()
        && (if default_port(&root) {
            default_port(url)
        } else {
            root.port() == url.port()
        })
}

/// The organisation named by `rest`, the address's path on the forge.
fn named(endpoint: &Endpoint, given: &str, rest: &str) -> Result<OrgAddress> {
    let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    let forge = endpoint.forge;
    let login = match (forge, segments.as_slice()) {
        // github.com/orgs/<org> is an organisation's page too.
        (Forge::GitHub, ["orgs", name, ..] | [name]) => Some((*name).to_owned()),
        (Forge::Bitbucket, [name]) => Some((*name).to_owned()),
        // GitLab: the group's path; `groups/<path>` and `/-/…` pages too.
        (Forge::GitLab, segments) => {
            let segments = match segments {
                ["groups", rest @ ..] => rest,
                other => other,
            };
            let path: Vec<&str> = segments
                .iter()
                .take_while(|s| **s != "-")
                .copied()
                .collect();
            (!path.is_empty()).then(|| path.join("/"))
        }
        _ => None,
    };
    let example = match forge {
        Forge::GitHub => "https://github.com/<organisation or user>",
        Forge::GitLab => "https://gitlab.com/<group>",
        _ => "https://bitbucket.org/<workspace>",
    };
    let login = login.filter(|l| valid_name(l)).ok_or_else(|| {
        Error::Invalid(format!(
            "{given:?} does not name one {} organisation (write {example})",
            forge.name()
        ))
    })?;
    Ok(OrgAddress {
        forge,
        instance: instance_of(&endpoint.api_url),
        login,
        given: given.to_owned(),
    })
}

/// Names the forges allow: letters, digits, `-`, `_`, `.`, and `/` between
/// GitLab's subgroups; nothing that could change the API path it goes in.
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && !name
            .split('/')
            .any(|part| part.is_empty() || part == "." || part == "..")
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
}

/// Reads every address, each organisation once (the first address naming
/// it is kept). The first bad address refuses them all.
pub fn parse_all(directory: &Directory, inputs: &[String], most: usize) -> Result<Vec<OrgAddress>> {
    let given: Vec<&String> = inputs.iter().filter(|i| !i.trim().is_empty()).collect();
    if given.is_empty() {
        return Err(Error::Invalid(
            "give at least one organisation's address".into(),
        ));
    }
    if given.len() > most {
        return Err(Error::Invalid(format!(
            "{} addresses given; at most {most} are read at once",
            given.len()
        )));
    }
    let mut seen = std::collections::HashSet::new();
    let mut addresses = Vec::new();
    for input in given {
        let address = parse(directory, input)?;
        if seen.insert(address.key()) {
            addresses.push(address);
        }
    }
    Ok(addresses)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An organisation's name on a forge, and the ways to write it.
    fn organisation() -> impl proptest::strategy::Strategy<Value = (Forge, String, Vec<String>)> {
        use proptest::prelude::*;
        let name = "[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}"
            .prop_filter("a name", |n| n != "orgs" && n != "groups");
        prop_oneof![
            name.clone().prop_map(|n| (
                Forge::GitHub,
                n.clone(),
                vec![
                    format!("github:{n}"),
                    format!("https://github.com/{n}"),
                    format!("https://github.com/orgs/{n}/")
                ]
            )),
            proptest::collection::vec(name.clone(), 1..4).prop_map(|parts| {
                let n = parts.join("/");
                (
                    Forge::GitLab,
                    n.clone(),
                    vec![
                        format!("gitlab:{n}"),
                        format!("https://gitlab.com/{n}"),
                        format!("https://gitlab.com/groups/{n}/-/issues"),
                    ],
                )
            }),
            name.prop_map(|n| (
                Forge::Bitbucket,
                n.clone(),
                vec![
                    format!("bitbucket:{n}"),
                    format!("https://bitbucket.org/{n}/")
                ]
            )),
        ]
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(1000))]

        #[test]
        fn every_way_of_writing_an_organisation_names_it((forge, login, written) in organisation()) {
            for text in written {
                let found = parse(&directory(), &text).unwrap();
                proptest::prop_assert_eq!((found.forge, &found.login), (forge, &login), "{}", text);
            }
        }

        #[test]
        fn whatever_is_read_is_a_name_the_api_path_can_hold(
            input in "\\PC{0,40}|(github|gitlab|bitbucket):[ -~]{0,30}|https?://(github\\.com|gitlab\\.com)/[ -~]{0,30}",
        ) {
            if let Ok(found) = parse(&directory(), &input) {
                proptest::prop_assert!(valid_name(&found.login), "{:?}", found);
            }
        }
    }

    fn directory() -> Directory {
        let endpoint = |forge, api_url: &str| Endpoint {
            forge,
            api_url: api_url.to_owned(),
            token: None,
            scope: Vec::new(),
        };
        Directory::new(vec![
            endpoint(Forge::GitHub, "https://api.github.com"),
            endpoint(Forge::GitLab, "https://gitlab.com/api/v4"),
            endpoint(Forge::Bitbucket, "https://api.bitbucket.org/2.0"),
            endpoint(Forge::Gerrit, "https://review.example.org"),
            endpoint(Forge::GitHub, "http://127.0.0.1:9001"),
        ])
    }

    fn login(input: &str) -> (Forge, String, String) {
        let a = parse(&directory(), input).unwrap_or_else(|e| panic!("{input}: {e}"));
        (a.forge, a.instance, a.login)
    }

    fn refusal(input: &str) -> String {
        match parse(&directory(), input) {
            Ok(a) => panic!("{input} was read as {a:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn organisations_are_read_from_their_pages_and_short_forms() {
        let github = |l: &str| (Forge::GitHub, "github.com".to_owned(), l.to_owned());
        assert_eq!(login("https://github.com/rust-lang"), github("rust-lang"));
        assert_eq!(login("http://github.com/rust-lang/"), github("rust-lang"));
        assert_eq!(
            login("https://GitHub.com/orgs/rust-lang"),
            github("rust-lang")
        );
        assert_eq!(login("github:rust-lang"), github("rust-lang"));
        assert_eq!(
            login("https://gitlab.com/gitlab-org/charts/-/issues"),
            (
                Forge::GitLab,
                "gitlab.com".into(),
                "gitlab-org/charts".into()
            )
        );
        assert_eq!(
            login("https://gitlab.com/groups/gitlab-org"),
            (Forge::GitLab, "gitlab.com".into(), "gitlab-org".into())
        );
        assert_eq!(
            login("https://bitbucket.org/atlassian"),
            (Forge::Bitbucket, "bitbucket.org".into(), "atlassian".into())
        );
        assert_eq!(
            login("http://127.0.0.1:9001/octo-org"),
            (Forge::GitHub, "127.0.0.1:9001".into(), "octo-org".into())
        );
    }

    #[test]
    fn other_hosts_schemes_and_tricks_are_refused_naming_the_address() {
        for (input, why) in [
            ("http://127.0.0.1:5432/", "not a forge"),
            ("http://169.254.169.254/latest/meta-data", "not a forge"),
            ("file:///etc/passwd", "only http and https"),
            ("gopher://github.com/rust-lang", "only http and https"),
            ("https://gіthub.com/rust-lang", "not a forge"),
            ("https://github.com.evil.example/rust-lang", "not a forge"),
            ("https://github.com@evil.example/rust-lang", "user name"),
            ("https://evil.example@github.com/rust-lang", "user name"),
            ("https://github.com:8443/rust-lang", "not a forge"),
            ("https://review.example.org/some-project", "not a forge"),
            ("https://github.com/rust-lang/rust", "does not name one"),
            ("https://github.com/", "does not name one"),
            ("https://github.com/..%2F..%2Fadmin", "does not name one"),
            (
                "https://github.com/rust-lang?tab=repositories",
                "without ? or #",
            ),
            ("not an address", "not an address"),
        ] {
            let message = refusal(input);
            assert!(message.contains(input.trim()), "{input}: {message}");
            assert!(message.contains(why), "{input}: {message}");
        }
    }

    #[test]
    fn equivalent_addresses_count_once_and_too_many_are_refused() {
        let inputs: Vec<String> = [
            "https://github.com/rust-lang",
            "http://github.com/Rust-Lang/",
            "github:rust-lang",
            "https://bitbucket.org/atlassian",
            "",
        ]
        .map(String::from)
        .into();
        let read = parse_all(&directory(), &inputs, 50).unwrap();
        assert_eq!(read.len(), 2);
        assert_eq!(read[0].given, "https://github.com/rust-lang");
        let many: Vec<String> = (0..51).map(|n| format!("github:org{n}")).collect();
        let message = parse_all(&directory(), &many, 50).unwrap_err().to_string();
        assert!(message.contains("51 addresses") && message.contains("at most 50"));
        assert!(parse_all(&directory(), &[" ".into()], 50).is_err());
    }
}
