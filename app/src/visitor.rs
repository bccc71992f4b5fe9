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
