//! One file per tab: each has its own small state handling (called from
//! `App::update`) and a pure `render(&App, Rect, &mut Buffer)`.

pub mod anomalies;
pub mod flows;
pub mod geo;
pub mod rankings;
pub mod records;
pub mod summary;
pub mod timeline;
