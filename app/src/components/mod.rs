mod demo_banner;
mod footer;
mod header;
mod theme_toggle;

pub use demo_banner::DemoBanner;
pub use footer::Footer;
pub use header::Header;
pub use theme_toggle::{THEME_BOOTSTRAP_SCRIPT, ThemeToggle};
