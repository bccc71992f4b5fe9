//! Which repository a person means: the address of its page on one of the
//! configured forges (`https://github.com/owner/name/issues`,
//! `https://gitlab.example.com/group/sub/project/-/issues`, a Gerrit
//! `…/admin/repos/<project>`, a Phabricator `…/tag/<project>/`), or
//! `forge:path` (`github:owner/name`, `gerrit:project`).

use model::forge::Forge;
use reqwest::Url;

use crate::error::{Error, Result};
use crate::forge::directory::Directory;
use crate::forge::{Endpoint, instance_of};

/// A repository on a configured forge, not yet looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    pub forge: Forge,
    pub instance: String,
    pub path: String,
}

/// Where the forge's pages are, for an API base URL: github.com for
/// api.github.com, the host of a GitHub Enterprise `/api/v3`, bitbucket.org
/// for api.bitbucket.org; other forges serve pages and API from one root.
pub fn web_root(endpoint: &Endpoint) -> String {
    let api = endpoint.api_url.trim_end_matches('/');
    let root = match endpoint.forge {
        Forge::GitHub => api
            .replace("://api.github.com", "://github.com")
            .trim_end_matches("/api/v3")
            .to_owned(),
        Forge::GitLab => api.trim_end_matches("/api/v4").to_owned(),
        Forge::Bitbucket => api
            .replace("://api.bitbucket.org", "://bitbucket.org")
            .trim_end_matches("/2.0")
            .to_owned(),
        Forge::Gerrit | Forge::Phabricator => api.to_owned(),
    };
    root.trim_end_matches('/').to_owned()
}

pub fn locate(directory: &Directory, input: &str) -> Result<Located> {
    let input = input.trim();
    if input.is_empty() {
        return Err(Error::Invalid(
            "give the address of a repository's page, or forge:path".into(),
        ));
    }
    if !input.contains("://")
        && let Some((forge, path)) = input.split_once(':')
        && let Some(forge) = Forge::from_key(&forge.to_lowercase())
    {
        let (_, endpoint) = directory.endpoint(forge, None)?;
        // A Gerrit project is named as written: its words are not a page's
        // (a project may be called `c` or `q`).
        if forge == Forge::Gerrit && !path.trim_matches('/').is_empty() {
            return found(endpoint, path.trim_matches('/').to_owned());
        }
        return located(endpoint, path);
    }
    let url = Url::parse(input).map_err(|e| {
        Error::Invalid(format!(
            "{input:?} is not an address ({e}); give the address of a repository's page, or forge:path"
        ))
    })?;
    for endpoint in directory.endpoints() {
        let Ok(root) = Url::parse(&web_root(endpoint)) else {
            continue;
        };
        let same_site = root.scheme() == url.scheme()
            && root.host_str() == url.host_str()
            && root.port_or_known_default() == url.port_or_known_default();
        let prefix = root.path().trim_end_matches('/');
        if same_site && let Some(rest) = url.path().strip_prefix(prefix) {
            let rest = model::url::decode_component(rest);
            return located(endpoint, &rest);
        }
    }
    let served: Vec<String> = directory.endpoints().iter().map(web_root).collect();
    Err(Error::Invalid(format!(
        "no configured forge serves {}; Tally reads {}",
        url.host_str().unwrap_or(input),
        served.join(", ")
    )))
}

/// The repository's path on `endpoint`'s forge from the rest of an address.
fn located(endpoint: &Endpoint, rest: &str) -> Result<Located> {
    let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    let forge = endpoint.forge;
    let strip_git = |s: &str| s.trim_end_matches(".git").to_owned();
    let path = match forge {
        Forge::GitHub | Forge::Bitbucket => match segments.as_slice() {
            [owner, name, ..] => Some(format!("{owner}/{}", strip_git(name))),
            _ => None,
        },
        Forge::GitLab => {
            let parts: Vec<&str> = segments
                .iter()
                .take_while(|s| **s != "-")
                .copied()
                .collect();
            (parts.len() >= 2).then(|| {
                let (last, groups) = parts.split_last().unwrap_or((&"", &[]));
                format!("{}/{}", groups.join("/"), strip_git(last))
            })
        }
        Forge::Gerrit => gerrit_project(&segments),
        Forge::Phabricator => match segments.as_slice() {
            ["tag", name, ..] => Some((*name).to_owned()),
            [name] if !name.contains('.') => Some((*name).to_owned()),
            _ => None,
        },
    };
    let example = match forge {
        Forge::GitHub | Forge::Bitbucket => "owner/name",
        Forge::GitLab => "group/project",
        Forge::Gerrit => "…/admin/repos/<project>",
        Forge::Phabricator => "…/tag/<project>/",
    };
    let path = path.filter(|p| !p.is_empty()).ok_or_else(|| {
        Error::Invalid(format!(
            "{rest:?} does not name a {} repository ({example})",
            forge.name()
        ))
    })?;
    found(endpoint, path)
}

/// `path` on `endpoint`'s forge, once it is known to be a safe one.
fn found(endpoint: &Endpoint, path: String) -> Result<Located> {
    check_path(&path)?;
    Ok(Located {
        forge: endpoint.forge,
        instance: instance_of(&endpoint.api_url),
        path,
    })
}

/// Refuses a repository path that would change the address it is put in:
/// an empty, `.` or `..` segment (a request would climb out of the
/// repository's URLs), or a character a URL gives meaning to or that no
/// forge allows in a name (`?`, `#`, `%`, `\`, spaces, control characters).
/// Paths come from visitors and from forges' answers (renames); both pass
/// here before they reach a request.
pub fn check_path(path: &str) -> Result<()> {
    let bad = |why: &str| {
        Err(Error::Invalid(format!(
            "{path:?} is not a repository path: {why}"
        )))
    };
    for segment in path.split('/') {
        if segment.is_empty() || segment == "." || segment == ".." {
            return bad("every part between slashes must be a name");
        }
        if let Some(c) = segment
            .chars()
            .find(|c| c.is_control() || c.is_whitespace() || "?#%\\".contains(*c))
        {
            return bad(&format!("{c:?} has no place in one"));
        }
    }
    Ok(())
}

fn gerrit_project(segments: &[&str]) -> Option<String> {
    match segments {
        ["admin", "repos", rest @ ..] if !rest.is_empty() => {
            let project = rest.join("/");
            Some(project.split(',').next().unwrap_or_default().to_owned())
        }
        ["q", query] => query.strip_prefix("project:").map(str::to_owned),
        ["c", rest @ ..] => {
            let project: Vec<&str> = rest.iter().take_while(|s| **s != "+").copied().collect();
            (!project.is_empty()).then(|| project.join("/"))
        }
        [] => None,
        all => Some(all.join("/")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A name forges allow in a path, not one `located` reads as a
    /// page's part (`-`, `.git`).
    fn name() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        prop_oneof![
            4 => "[A-Za-z0-9_][A-Za-z0-9_.-]{0,12}".prop_filter("not a suffix", |n| !n.ends_with(".git")),
            // Names that are also words of pages' addresses.
            1 => proptest::sample::select(vec!["c", "q", "admin", "repos", "tag", "issues", "src", "a.b"])
                .prop_map(str::to_owned),
        ]
    }

    /// A repository path of `forge`, and the address of one of its pages.
    fn repository(forge: Forge) -> impl proptest::strategy::Strategy<Value = (String, String)> {
        use proptest::prelude::*;
        let nested = proptest::collection::vec(name(), 2..4).prop_map(|parts| parts.join("/"));
        match forge {
            Forge::GitHub => (name(), name())
                .prop_map(|(o, n)| {
                    (
                        format!("{o}/{n}"),
                        format!("https://github.com/{o}/{n}/issues"),
                    )
                })
                .boxed(),
            Forge::Bitbucket => (name(), name())
                .prop_map(|(o, n)| {
                    (
                        format!("{o}/{n}"),
                        format!("https://bitbucket.org/{o}/{n}/src/main/"),
                    )
                })
                .boxed(),
            Forge::GitLab => nested
                .prop_map(|p| {
                    (
                        p.clone(),
                        format!("https://gitlab.example.com/{p}/-/issues"),
                    )
                })
                .boxed(),
            Forge::Gerrit => nested
                .prop_map(|p| {
                    (
                        p.clone(),
                        format!("https://review.example.org/r/admin/repos/{p},general"),
                    )
                })
                .boxed(),
            Forge::Phabricator => "[a-z0-9_-]{1,16}"
                .prop_map(|p| (p.clone(), format!("http://127.0.0.1:4004/tag/{p}/")))
                .boxed(),
        }
    }

    fn forge_and_repository() -> impl proptest::strategy::Strategy<Value = (Forge, (String, String))>
    {
        use proptest::strategy::{Just, Strategy};
        proptest::sample::select(Forge::ALL.to_vec())
            .prop_flat_map(|forge| (Just(forge), repository(forge)))
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(1000))]

        #[test]
        fn a_repository_is_found_by_its_page_and_by_forge_and_path(
            (forge, (path, page)) in forge_and_repository(),
        ) {
            use proptest::prop_assert_eq;
            let by_page = locate(&directory(), &page).unwrap();
            prop_assert_eq!((by_page.forge, &by_page.path), (forge, &path));
            let by_path = locate(&directory(), &format!("{}:{path}", forge.key())).unwrap();
            prop_assert_eq!(by_path, by_page);
        }

        #[test]
        fn whatever_is_found_is_a_safe_path(input in "\\PC{0,40}|(github|gitlab|gerrit|bitbucket|phabricator):[ -~]{0,30}|https://github\\.com/[ -~]{0,30}") {
            if let Ok(found) = locate(&directory(), &input) {
                proptest::prop_assert!(check_path(&found.path).is_ok(), "{:?}", found);
            }
        }
    }

    fn endpoint(forge: Forge, api_url: &str) -> Endpoint {
        Endpoint {
            forge,
            api_url: api_url.into(),
            token: None,
            scope: Vec::new(),
        }
    }

    fn directory() -> Directory {
        Directory::new(vec![
            endpoint(Forge::GitHub, "https://api.github.com"),
            endpoint(Forge::GitLab, "https://gitlab.example.com"),
            endpoint(Forge::Bitbucket, "https://api.bitbucket.org"),
            endpoint(Forge::Gerrit, "https://review.example.org/r"),
            endpoint(Forge::Phabricator, "http://127.0.0.1:4004"),
        ])
    }

    fn path(input: &str) -> (Forge, String, String) {
        let found = locate(&directory(), input).unwrap();
        (found.forge, found.instance, found.path)
    }

    #[test]
    fn pages_on_each_forge_name_their_repository() {
        assert_eq!(
            path("https://github.com/rust-lang/rust/issues/1"),
            (Forge::GitHub, "github.com".into(), "rust-lang/rust".into())
        );
        assert_eq!(path("https://github.com/o/r.git").2, "o/r");
        assert_eq!(
            path("https://gitlab.example.com/group/sub/project/-/issues").2,
            "group/sub/project"
        );
        assert_eq!(
            path("https://bitbucket.org/team/repo/src/main/").2,
            "team/repo"
        );
        assert_eq!(
            path("https://review.example.org/r/admin/repos/platform/build,general").2,
            "platform/build"
        );
        assert_eq!(
            path("https://review.example.org/r/c/tools/+/1234").2,
            "tools"
        );
        assert_eq!(
            path("https://review.example.org/r/q/project:infra").2,
            "infra"
        );
        assert_eq!(
            path("http://127.0.0.1:4004/tag/cinder-docs/").2,
            "cinder-docs"
        );
        assert_eq!(path("github:octo/cat").2, "octo/cat");
        assert_eq!(path("gerrit:infra/core").1, "review.example.org");
        assert_eq!(path("https://github.com/o/na%2Dme").2, "o/na-me");
    }

    #[test]
    fn paths_that_would_change_the_address_are_refused() {
        for (input, why) in [
            ("github:../../user", "name"),
            ("github:owner/.", "name"),
            ("github:a/b?per_page=1", "'?'"),
            ("github:a/b#x", "'#'"),
            ("gitlab:g/%2e%2e/p", "'%'"),
            ("github:a/b c", "' '"),
        ] {
            let error = locate(&directory(), input).unwrap_err().to_string();
            assert!(error.contains(why), "{input}: {error}");
        }
        assert!(check_path("group/sub.group/my-project_2").is_ok());
    }

    #[test]
    fn what_names_no_repository_is_refused_naming_why() {
        for (input, says) in [
            ("", "address"),
            ("not a url", "not an address"),
            (
                "https://sourceforge.net/p/x",
                "no configured forge serves sourceforge.net",
            ),
            (
                "https://github.com/only-owner",
                "does not name a GitHub repository",
            ),
            ("https://gitlab.example.com/solo", "group/project"),
            ("http://127.0.0.1:4004/project/view/3/", "tag"),
        ] {
            let error = locate(&directory(), input).unwrap_err().to_string();
            assert!(error.contains(says), "{input:?}: {error}");
        }
    }

    #[test]
    fn web_roots_of_hosted_and_self_hosted_forges() {
        assert_eq!(
            web_root(&endpoint(Forge::GitHub, "https://api.github.com")),
            "https://github.com"
        );
        assert_eq!(
            web_root(&endpoint(Forge::GitHub, "https://ghe.example.com/api/v3/")),
            "https://ghe.example.com"
        );
        assert_eq!(
            web_root(&endpoint(Forge::Bitbucket, "https://api.bitbucket.org/2.0")),
            "https://bitbucket.org"
        );
        assert_eq!(
            web_root(&endpoint(Forge::GitLab, "https://gl.example/api/v4")),
            "https://gl.example"
        );
    }
}
