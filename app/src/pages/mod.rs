mod home;
mod not_found;
mod query;

pub use home::Home;
pub use not_found::NotFound;
pub use query::{PeriodPage, QueryPage};
