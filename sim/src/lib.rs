//! The forge simulator: a generated [`world`] that tests, benchmarks and the
//! offline demo query through the real wire formats of GitHub, GitLab,
//! Bitbucket, Gerrit and Phabricator, and the [`truth`] about it that tests
//! compare Tally's numbers with.

pub mod admin;
pub mod bitbucket;
pub mod gerrit;
pub mod github;
pub mod gitlab;
pub mod oauth;
pub mod phabricator;
pub mod server;
pub mod truth;
pub mod world;
