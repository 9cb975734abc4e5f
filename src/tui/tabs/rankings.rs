//! Tab 4, Rankings: countries, source IPs, destination ports, rules, observation
//! and detection types — sessions, bytes in and out, (for source IPs) distinct
//! destination ports and addresses, flagged sessions and max score, sortable, with bar gauges and a mini sparkline of each entity's activity.
//! Enter filters every tab to the entity under the cursor.

use super::{Ctx, Effect, moved};
use crate::source::view::{RankedEntity, ViewData, dimensions};
use crate::tui::action::Action;
use crate::tui::widgets::{bar, cell, compact, pad, rpad, spark};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

/// What a ranking is sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RankSort {
    #[default]
    Sessions,
    BytesIn,
    BytesOut,
    Flagged,
    MaxScore,
    /// Distinct destination ports (source-IP rankings).
    DstPorts,
    /// Distinct destination addresses (source-IP rankings).
    DstAddrs,
}

impl RankSort {
    /// The next sort key; the reach keys only where the ranking has them.
    fn next(self, reach: bool) -> RankSort {
        match self {
            RankSort::Sessions => RankSort::BytesIn,
            RankSort::BytesIn => RankSort::BytesOut,
            RankSort::BytesOut => RankSort::Flagged,
            RankSort::Flagged => RankSort::MaxScore,
            RankSort::MaxScore if reach => RankSort::DstPorts,
            RankSort::DstPorts if reach => RankSort::DstAddrs,
            _ => RankSort::Sessions,
        }
    }
    fn label(self) -> &'static str {
        match self {
            RankSort::Sessions => "sessions",
            RankSort::BytesIn => "bytes in",
            RankSort::BytesOut => "bytes out",
            RankSort::Flagged => "flagged",
            RankSort::MaxScore => "max score",
            RankSort::DstPorts => "dst ports",
            RankSort::DstAddrs => "dst addrs",
        }
    }
}

/// The Rankings tab's state.
#[derive(Debug, Clone, Default)]
pub struct RankingsState {
    pub dim: usize,
    pub sort: RankSort,
    pub cursor: usize,
    /// Display order of the current dimension's entities, and what it was sorted from.
    order: Vec<u32>,
    order_for: Option<(usize, usize, RankSort)>,
}

impl RankingsState {
    /// Re-sorts the ranking shown when the view, the dimension or the sort changed
    /// (the app calls it after every message, so drawing never sorts).
    pub fn sync(&mut self, view: &std::sync::Arc<ViewData>) {
        let key = (std::sync::Arc::as_ptr(view) as usize, self.dim, self.sort);
        if self.order_for == Some(key) {
            return;
        }
        self.order = view
            .rankings
            .get(self.dim)
            .map_or_else(Vec::new, |rank| sort_order(&rank.rows, self.sort));
        self.order_for = Some(key);
    }

    /// The entities of the current dimension in display order, from the order
    /// [`sort_order`] computed when the view, the dimension or the sort last changed.
    pub fn sorted<'v>(&self, view: &'v ViewData) -> Vec<&'v RankedEntity> {
        let Some(r) = view.rankings.get(self.dim) else {
            return Vec::new();
        };
        self.order
            .iter()
            .filter_map(|&i| r.rows.get(i as usize))
            .collect()
    }

    /// Whether the ranking shown counts destination ports and addresses (source IPs).
    fn has_reach(&self, view: &ViewData) -> bool {
        view.rankings
            .get(self.dim)
            .is_some_and(|r| r.rows.iter().any(|e| e.reach.is_some()))
    }

    /// Handles a Rankings action.
    pub fn update(&mut self, action: Action, ctx: &Ctx<'_>) -> Vec<Effect> {
        let ndims = ctx.view.rankings.len().max(1);
        match action {
            Action::NextDimension => {
                self.dim = (self.dim + 1) % ndims;
                self.cursor = 0;
                if !self.has_reach(ctx.view) {
                    self.sort = match self.sort {
                        RankSort::DstPorts | RankSort::DstAddrs => RankSort::Sessions,
                        s => s,
                    };
                }
            }
            Action::Left | Action::PrevDimension => {
                self.dim = (self.dim + ndims - 1) % ndims;
                self.cursor = 0;
                if !self.has_reach(ctx.view) {
                    self.sort = match self.sort {
                        RankSort::DstPorts | RankSort::DstAddrs => RankSort::Sessions,
                        s => s,
                    };
                }
            }
            Action::NextSortKey => {
                self.sort = self.sort.next(self.has_reach(ctx.view));
                self.cursor = 0;
            }
            Action::Copy => {
                let key = self
                    .sorted(ctx.view)
                    .get(self.cursor)
                    .map(|e| e.row.key.clone());
                return key.map(Effect::Copy).into_iter().collect();
            }
            Action::Enter => {
                let ds = ctx.ds;
                let entity = self
                    .sorted(ctx.view)
                    .get(self.cursor)
                    .map(|e| e.row.key.clone());
                let col = dimensions(ds).get(self.dim).map(|d| d.1);
                if let (Some(key), Some(col)) = (entity, col) {
                    let name = ds
                        .columns
                        .get(col)
                        .map_or(String::new(), |c| c.name.clone());
                    return vec![Effect::Narrow(crate::filter::clause::equals(&name, &key))];
                }
            }
            a => {
                let n = self.sorted(ctx.view).len();
                self.cursor = moved(self.cursor, &a, n, ctx.page);
            }
        }
        Vec::new()
    }
}

/// The display order of a ranking's entities (indices into `rows`): run once per
/// change of its input, never while drawing.
pub fn sort_order(rows: &[RankedEntity], sort: RankSort) -> Vec<u32> {
    let key = |e: &RankedEntity| -> f64 {
        match sort {
            RankSort::Sessions => e.row.sessions as f64,
            RankSort::BytesIn => e.row.bytes_in.sum as f64,
            RankSort::BytesOut => e.row.bytes_out.sum as f64,
            RankSort::Flagged => e.flagged as f64,
            RankSort::MaxScore => e.max_score.unwrap_or(0.0),
            RankSort::DstPorts => e.reach.and_then(|r| r.dst_ports).unwrap_or(0) as f64,
            RankSort::DstAddrs => e.reach.and_then(|r| r.dst_addrs).unwrap_or(0) as f64,
        }
    };
    let mut order: Vec<u32> = (0..rows.len() as u32).collect();
    let entity = |i: u32| rows.get(i as usize);
    order.sort_by(|&a, &b| match (entity(a), entity(b)) {
        (Some(a), Some(b)) => key(b)
            .total_cmp(&key(a))
            .then_with(|| a.row.key.cmp(&b.row.key)),
        _ => a.cmp(&b),
    });
    order
}

impl RankingsState {
    /// Draws the Rankings tab.
    pub fn draw(&self, ctx: &Ctx<'_>, area: Rect, buf: &mut Buffer) {
        let view = ctx.view;
        let t = ctx.theme;
        let mut lines = Vec::new();
        let dims: Vec<Span<'_>> = view
            .rankings
            .iter()
            .enumerate()
            .flat_map(|(i, r)| {
                let style = if i == self.dim { t.selected() } else { t.dim() };
                [
                    Span::styled(format!(" {} ", r.dimension), style),
                    Span::raw(" "),
                ]
            })
            .collect();
        lines.push(Line::from(dims));
        if ctx.ds.role(crate::dataset::Role::Country).is_none()
            && ctx.ds.mode() == crate::dataset::SchemaMode::FlowLog
        {
            lines.push(Line::styled(
                "countries: no country database; open with --geoip PATH (GeoLite2-Country or DB-IP lite .mmdb; see the Geo tab)",
                t.dim(),
            ));
        }
        let rows = self.sorted(view);
        let Some(first) = rows.first() else {
            lines.push(Line::styled("nothing to rank in this view", t.warn()));
            Paragraph::new(lines).render(area, buf);
            return;
        };
        let _ = first;
        let max_sessions = rows.iter().map(|e| e.row.sessions).max().unwrap_or(1) as f64;
        let key_w = rows
            .iter()
            .map(|e| crate::sanitize::display_width(&cell(&e.row.key, 28)))
            .max()
            .unwrap_or(4)
            .clamp(8, 28);
        let bar_w = 12;
        let reach = rows.iter().any(|e| e.reach.is_some());
        let reach_head = if reach {
            format!(" {:>9} {:>9}", "dst ports", "dst addrs")
        } else {
            String::new()
        };
        lines.push(Line::styled(
            format!(
                "{} {:>8} {} {:>9} {:>9}{reach_head} {:>7} {:>6}  activity   (sorted by {})",
                pad("entity", key_w),
                "sessions",
                pad("", bar_w),
                "bytes in",
                "bytes out",
                "flagged",
                "max",
                self.sort.label()
            ),
            t.header(),
        ));
        let height = usize::from(area.height.saturating_sub(2));
        let offset = self.cursor.saturating_sub(height.saturating_sub(1));
        for (i, e) in rows.iter().enumerate().skip(offset).take(height) {
            let key = if e.row.key.is_empty() {
                "(none)".to_string()
            } else {
                cell(&e.row.key, key_w)
            };
            let style = if i == self.cursor {
                t.selected()
            } else {
                t.base()
            };
            let flag_style = if e.flagged > 0 { t.alert() } else { t.dim() };
            lines.push(Line::from(vec![
                Span::styled(pad(&key, key_w), style),
                Span::raw(format!(" {:>8} ", e.row.sessions)),
                Span::styled(
                    pad(&bar(e.row.sessions as f64, max_sessions, bar_w), bar_w),
                    t.accent(),
                ),
                Span::raw(format!(
                    " {:>9} {:>9} ",
                    bytes(&e.row.bytes_in),
                    bytes(&e.row.bytes_out)
                )),
                Span::raw(if reach {
                    let n = |x: Option<u64>| x.map_or("—".to_string(), |x| x.to_string());
                    let r = e.reach.unwrap_or_default();
                    format!("{:>9} {:>9} ", n(r.dst_ports), n(r.dst_addrs))
                } else {
                    String::new()
                }),
                Span::styled(format!("{:>7}", e.flagged), flag_style),
                Span::raw(format!(
                    " {:>6}  ",
                    e.max_score.map_or("—".into(), |s| format!("{s:.3}"))
                )),
                Span::styled(rpad(&spark(&e.activity), 24), t.ok()),
            ]));
        }
        Paragraph::new(lines).render(area, buf);
    }
}

/// A byte sum, compact, or a dash when no session has the column (a flow log has no bytes out).
fn bytes(b: &crate::analysis::rankings::ByteAgg) -> String {
    b.total()
        .map_or_else(|| "—".to_string(), |s| compact(s as f64))
}
