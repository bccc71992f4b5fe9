mod developer;
mod discover;
mod home;
mod issues;
mod not_found;
mod query;
mod settings;
mod sign_in;
mod subscriptions;

pub use developer::DeveloperPage;
pub use discover::{DiscoverPage, DiscoverRepositoriesPage};
pub use home::Home;
pub use issues::IssuesPage;
pub use not_found::NotFound;
pub use query::{PeriodPage, QueryPage};
pub use settings::SettingsPage;
pub use sign_in::SignInPage;
pub use subscriptions::SubscriptionsPage;
