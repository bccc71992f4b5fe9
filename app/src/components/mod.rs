mod charts;
mod demo_banner;
mod footer;
mod header;
mod infinite_scroll;
mod problem;
mod query_editor;
mod readable;
mod theme_toggle;

pub use charts::{ActivityGraphs, ECHARTS_SCRIPT, Graph, network_option};
pub use demo_banner::DemoBanner;
pub use footer::Footer;
pub use header::Header;
pub use infinite_scroll::paged;
pub use problem::Problem;
pub use query_editor::QueryEditor;
pub use readable::{age, grouped};
pub use theme_toggle::{THEME_BOOTSTRAP_SCRIPT, ThemeToggle};
