//! Who sent a request, as the server's session middleware found them. Only
//! the server makes it (from the session cookie); server functions and
//! pages read it from the request.

/// The signed-in person (if any) and the token their forms must send back
/// with every change (against cross-site request forgery).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Visitor {
    pub user: Option<model::ids::UserId>,
    pub csrf: Option<String>,
}

/// A response header by which a server function asks the session
/// middleware to end the session (the person it was for is gone); the
/// middleware removes it before the answer leaves.
pub const END_SESSION_HEADER: &str = "x-tally-end-session";
