mod charts;
mod demo_banner;
mod footer;
mod header;
mod query_editor;
mod theme_toggle;

pub use charts::{ActivityGraphs, ECHARTS_SCRIPT};
pub use demo_banner::DemoBanner;
pub use footer::Footer;
pub use header::Header;
pub use query_editor::QueryEditor;
pub use theme_toggle::{THEME_BOOTSTRAP_SCRIPT, ThemeToggle};
