//! Tab 6, Geo: a world map with a marker per source country, sized by sessions
//! and coloured by the share of its sessions flagged, beside the country list.
//! Codes without a known centre are listed, not dropped. Enter filters to the
//! country under the cursor.

use super::{Ctx, Effect, moved};
use crate::analysis::geo::centroid;
use crate::dataset::Role;
use crate::source::view::{RankedEntity, ViewData};
use crate::tui::action::Action;
use crate::tui::widgets::labels::Labels;
use crate::tui::widgets::{cell, pad};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::canvas::{Canvas, Circle, Map, MapResolution};
use ratatui::widgets::{Block, Paragraph, Widget};

/// The Geo tab's state.
#[derive(Debug, Clone, Default)]
pub struct GeoState {
    pub cursor: usize,
}

/// The countries of the view, most sessions first.
pub fn countries(view: &ViewData) -> Vec<&RankedEntity> {
    view.rankings
        .iter()
        .find(|r| r.dimension == "countries")
        .map(|r| r.rows.iter().collect())
        .unwrap_or_default()
}

impl GeoState {
    /// Handles a Geo action.
    pub fn update(&mut self, action: Action, ctx: &Ctx<'_>) -> Vec<Effect> {
        match action {
            Action::Copy => {
                let key = countries(ctx.view)
                    .get(self.cursor)
                    .map(|e| e.row.key.clone());
                return key.map(Effect::Copy).into_iter().collect();
            }
            Action::Enter => {
                let key = countries(ctx.view)
                    .get(self.cursor)
                    .map(|e| e.row.key.clone());
                let col = ctx.ds.role(Role::Country).map(|c| c.name.clone());
                if let (Some(key), Some(col)) = (key, col) {
                    return vec![Effect::Narrow(crate::filter::clause::equals(&col, &key))];
                }
            }
            a => {
                let n = countries(ctx.view).len();
                self.cursor = moved(self.cursor, &a, n, ctx.page);
            }
        }
        Vec::new()
    }
}

fn share_color(share: f64, color: bool) -> Color {
    if !color {
        return Color::Reset;
    }
    match share {
        s if s >= 0.25 => Color::Red,
        s if s >= 0.05 => Color::Yellow,
        s if s > 0.0 => Color::LightYellow,
        _ => Color::Green,
    }
}

impl GeoState {
    /// Draws the Geo tab.
    pub fn draw(&self, ctx: &Ctx<'_>, area: Rect, buf: &mut Buffer) {
        let t = ctx.theme;
        let list = countries(ctx.view);
        if list.is_empty() {
            let addresses = ctx.ds.role(crate::dataset::Role::Country).is_none()
                && ctx.ds.role(crate::dataset::Role::SrcIp).is_some();
            let lines: Vec<Line<'_>> = if addresses {
                crate::geoip::HOW_TO_GET_LINES
                    .iter()
                    .enumerate()
                    .map(|(i, l)| Line::styled(*l, if i == 0 { t.warn() } else { t.base() }))
                    .collect()
            } else {
                vec![Line::styled(
                    "no country column (src_ip_country_code) in this data",
                    t.warn(),
                )]
            };
            Paragraph::new(lines).render(area, buf);
            return;
        }
        let [map_area, side] =
            Layout::horizontal([Constraint::Percentage(64), Constraint::Percentage(36)])
                .areas(area);
        let max = list
            .iter()
            .map(|e| e.row.sessions)
            .max()
            .unwrap_or(1)
            .max(1) as f64;
        let selected = list.get(self.cursor).map(|e| e.row.key.clone());
        let map_color = if t.color {
            Color::DarkGray
        } else {
            Color::Reset
        };
        Canvas::default()
        .block(Block::bordered().title(Span::styled(
            " sessions by source country (size) · share flagged (green none, yellow some, red ≥25%) ",
            t.title(),
        )))
        .x_bounds([-180.0, 180.0])
        .y_bounds([-90.0, 90.0])
        .paint(|ctx| {
            ctx.draw(&Map { resolution: MapResolution::High, color: map_color });
            ctx.layer();
            for e in &list {
                let Some(c) = centroid(&e.row.key) else { continue };
                let share = e.flagged as f64 / e.row.sessions.max(1) as f64;
                let radius = 2.0 + 10.0 * (e.row.sessions as f64 / max).sqrt();
                ctx.draw(&Circle { x: c.lon, y: c.lat, radius, color: share_color(share, t.color) });
            }
        })
        .render(map_area, buf);
        // Country codes in cells no other code holds (the selected one first, then by
        // sessions): a code that does not fit is left out, so none run together.
        let mut labels = Labels::new(Block::bordered().inner(map_area));
        let sel = list
            .iter()
            .filter(|e| Some(&e.row.key) == selected.as_ref());
        for e in sel.chain(
            list.iter()
                .filter(|e| Some(&e.row.key) != selected.as_ref()),
        ) {
            let Some(c) = centroid(&e.row.key) else {
                continue;
            };
            let Some((x, y)) = labels.cell_of([-180.0, 180.0], [-90.0, 90.0], c.lon, c.lat) else {
                continue;
            };
            let style = if Some(&e.row.key) == selected.as_ref() {
                t.selected()
            } else {
                let share = e.flagged as f64 / e.row.sessions.max(1) as f64;
                Style::new().fg(share_color(share, t.color))
            };
            labels.place(buf, x, y, &cell(&e.row.key, 3), style);
        }

        let mut lines = vec![Line::styled(
            format!(
                "{} {:>8} {:>7} {:>6}",
                pad("country", 18),
                "sessions",
                "flagged",
                "share"
            ),
            t.header(),
        )];
        let height = usize::from(side.height.saturating_sub(3));
        let offset = self.cursor.saturating_sub(height.saturating_sub(1));
        let mut unknown = Vec::new();
        for (i, e) in list.iter().enumerate() {
            let known = centroid(&e.row.key);
            if known.is_none() {
                unknown.push(format!(
                    "{} ({})",
                    if e.row.key.is_empty() {
                        "(none)".into()
                    } else {
                        cell(&e.row.key, 12)
                    },
                    e.row.sessions
                ));
            }
            if i < offset || i >= offset + height {
                continue;
            }
            let name = match known {
                Some(c) => format!("{} {}", cell(&e.row.key, 3), c.name),
                None => format!(
                    "{} (not on the map)",
                    if e.row.key.is_empty() {
                        "(none)".into()
                    } else {
                        cell(&e.row.key, 8)
                    }
                ),
            };
            let share = e.flagged as f64 / e.row.sessions.max(1) as f64;
            let style = if i == self.cursor {
                t.selected()
            } else {
                t.base()
            };
            lines.push(Line::from(vec![
                Span::styled(pad(&name, 18), style),
                Span::raw(format!(" {:>8} ", e.row.sessions)),
                Span::styled(
                    format!("{:>7}", e.flagged),
                    if e.flagged > 0 { t.alert() } else { t.dim() },
                ),
                Span::raw(format!(" {:>5.1}%", share * 100.0)),
            ]));
        }
        if !unknown.is_empty() {
            lines.push(Line::styled(
                format!("not on the map: {}", unknown.join(", ")),
                t.warn(),
            ));
        }
        Paragraph::new(lines)
            .block(Block::bordered().title(Span::styled(" countries (Enter filters) ", t.title())))
            .render(side, buf);
    }
}
