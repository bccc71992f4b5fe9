mod home;
mod issues;
mod not_found;
mod query;
mod sign_in;
mod subscriptions;

pub use home::Home;
pub use issues::IssuesPage;
pub use not_found::NotFound;
pub use query::{PeriodPage, QueryPage};
pub use sign_in::SignInPage;
pub use subscriptions::SubscriptionsPage;
