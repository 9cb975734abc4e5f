//! Tab 7, Flows: the source → destination interaction graph — unique IPs, edges,
//! top pairs by sessions with bytes and ports, fan-out per source and fan-in per
//! destination, and a node-link sketch of the top pairs. Enter filters to the pair;
//! `s` orders the fan-out list by fan-out, sessions or bytes (each the top of the whole
//! list, computed with the view).

use super::{Ctx, Effect, moved};
use crate::analysis::flows::FanOrder;
use crate::tui::action::Action;
use crate::tui::widgets::labels::Labels;
use crate::tui::widgets::{cell, compact, pad};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Color;
use ratatui::text::{Line, Span};
use ratatui::widgets::canvas::{Canvas, Line as CLine};
use ratatui::widgets::{Block, Paragraph, Widget};

const LISTS: [&str; 3] = ["top pairs", "fan-out per source", "fan-in per destination"];

/// The Flows tab's state.
#[derive(Debug, Clone, Default)]
pub struct FlowsState {
    pub cursor: usize,
    /// 0 pairs, 1 fan-out, 2 fan-in.
    pub list: usize,
    /// The fan-out list's order (`s` cycles it).
    pub fan_sort: FanOrder,
}

impl FlowsState {
    fn list_len(&self, ctx: &Ctx<'_>) -> usize {
        let Some(f) = ctx.view.flows.as_ref() else {
            return 0;
        };
        match self.list {
            0 => f.pairs.len(),
            1 => f.fan_out_by(self.fan_sort).len(),
            _ => f.fan_in.len(),
        }
    }

    /// Handles a Flows action.
    pub fn update(&mut self, action: Action, ctx: &Ctx<'_>) -> Vec<Effect> {
        match action {
            Action::NextDimension => {
                self.list = (self.list + 1) % LISTS.len();
                self.cursor = 0;
            }
            Action::PrevDimension => {
                self.list = (self.list + LISTS.len() - 1) % LISTS.len();
                self.cursor = 0;
            }
            Action::NextFanSort => {
                self.fan_sort = self.fan_sort.next();
                self.list = 1;
                self.cursor = 0;
                return vec![Effect::Status(format!(
                    "fan-out per source sorted by {}",
                    self.fan_sort.label()
                ))];
            }
            Action::Copy => {
                let Some(f) = ctx.view.flows.as_ref() else {
                    return Vec::new();
                };
                let text = match self.list {
                    0 => f
                        .pairs
                        .get(self.cursor)
                        .map(|p| format!("{} -> {}", p.src, p.dst)),
                    1 => f
                        .fan_out_by(self.fan_sort)
                        .get(self.cursor)
                        .map(|n| n.ip.clone()),
                    _ => f.fan_in.get(self.cursor).map(|n| n.ip.clone()),
                };
                return text.map(Effect::Copy).into_iter().collect();
            }
            Action::Enter => {
                let Some(f) = ctx.view.flows.as_ref() else {
                    return Vec::new();
                };
                use crate::filter::clause::{all, equals};
                let clause = match self.list {
                    0 => f
                        .pairs
                        .get(self.cursor)
                        .and_then(|p| all(&[equals("src_ip", &p.src), equals("dst_ip", &p.dst)])),
                    1 => f
                        .fan_out_by(self.fan_sort)
                        .get(self.cursor)
                        .map(|n| equals("src_ip", &n.ip)),
                    _ => f.fan_in.get(self.cursor).map(|n| equals("dst_ip", &n.ip)),
                };
                return clause.map(Effect::Narrow).into_iter().collect();
            }
            a => {
                let n = self.list_len(ctx);
                self.cursor = moved(self.cursor, &a, n, ctx.page);
            }
        }
        Vec::new()
    }

    /// Draws the Flows tab.
    pub fn draw(&self, ctx: &Ctx<'_>, area: Rect, buf: &mut Buffer) {
        let t = ctx.theme;
        let Some(f) = ctx.view.flows.as_ref() else {
            Paragraph::new(Line::styled(
                "the flows graph needs src_ip and dst_ip columns",
                t.warn(),
            ))
            .render(area, buf);
            return;
        };
        let [head, body] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
        let tabs: Vec<Span<'_>> = LISTS
            .iter()
            .enumerate()
            .flat_map(|(i, l)| {
                let l = if i == 1 {
                    format!("{l} (by {}, s)", self.fan_sort.label())
                } else {
                    l.to_string()
                };
                [
                    Span::styled(
                        format!(" {l} "),
                        if i == self.list {
                            t.selected()
                        } else {
                            t.dim()
                        },
                    ),
                    Span::raw(" "),
                ]
            })
            .chain([Span::raw(format!(
                "   sources {} · destinations {} · edges {}",
                f.unique_src, f.unique_dst, f.edges
            ))])
            .collect();
        Paragraph::new(Line::from(tabs)).render(head, buf);
        let [list_area, sketch] =
            Layout::horizontal([Constraint::Percentage(58), Constraint::Percentage(42)])
                .areas(body);
        let height = usize::from(list_area.height.saturating_sub(1));
        let offset = self.cursor.saturating_sub(height.saturating_sub(1));
        let mut lines = Vec::new();
        match self.list {
            0 => {
                lines.push(Line::styled(
                    format!(
                        "{} {:>8} {:>9} {:>7}  ports",
                        pad("source → destination", 36),
                        "sessions",
                        "bytes in",
                        "flagged"
                    ),
                    t.header(),
                ));
                for (i, p) in f.pairs.iter().enumerate().skip(offset).take(height) {
                    let style = if i == self.cursor {
                        t.selected()
                    } else {
                        t.base()
                    };
                    let ports: Vec<String> = p.ports.iter().map(u32::to_string).collect();
                    let more = if p.port_count > p.ports.len() {
                        format!(" +{}", p.port_count - p.ports.len())
                    } else {
                        String::new()
                    };
                    lines.push(Line::from(vec![
                        Span::styled(
                            pad(&format!("{} → {}", cell(&p.src, 17), cell(&p.dst, 16)), 36),
                            style,
                        ),
                        Span::raw(format!(
                            " {:>8} {:>9} ",
                            p.sessions,
                            compact(p.bytes_in as f64)
                        )),
                        Span::styled(
                            format!("{:>7}", p.flagged),
                            if p.flagged > 0 { t.alert() } else { t.dim() },
                        ),
                        Span::styled(format!("  {}{more}", ports.join(",")), t.dim()),
                    ]));
                }
            }
            k => {
                let (nodes, peer) = if k == 1 {
                    (f.fan_out_by(self.fan_sort), "destinations")
                } else {
                    (f.fan_in.as_slice(), "sources")
                };
                lines.push(Line::styled(
                    format!(
                        "{} {:>12} {:>6} {:>8} {:>9}",
                        pad("ip", 36),
                        peer,
                        "ports",
                        "sessions",
                        "bytes"
                    ),
                    t.header(),
                ));
                for (i, n) in nodes.iter().enumerate().skip(offset).take(height) {
                    let style = if i == self.cursor {
                        t.selected()
                    } else {
                        t.base()
                    };
                    lines.push(Line::styled(
                        format!(
                            "{} {:>12} {:>6} {:>8} {:>9}",
                            pad(&cell(&n.ip, 36), 36),
                            n.peers,
                            n.ports,
                            n.sessions,
                            compact(n.bytes as f64)
                        ),
                        style,
                    ));
                }
            }
        }
        Paragraph::new(lines).render(list_area, buf);

        // Node-link sketch of the top pairs: sources left, destinations right.
        let top: Vec<_> = f.pairs.iter().take(10).collect();
        let mut srcs: Vec<&str> = Vec::new();
        let mut dsts: Vec<&str> = Vec::new();
        for p in &top {
            if !srcs.contains(&p.src.as_str()) {
                srcs.push(&p.src);
            }
            if !dsts.contains(&p.dst.as_str()) {
                dsts.push(&p.dst);
            }
        }
        let y = |i: usize, n: usize| 100.0 - (i as f64 + 0.5) * 100.0 / n.max(1) as f64;
        let (hot, cold) = if t.color {
            (Color::Red, Color::Blue)
        } else {
            (Color::Reset, Color::Reset)
        };
        Canvas::default()
            .block(Block::bordered().title(Span::styled(
                " top pairs: sources → destinations (red: flagged) ",
                t.title(),
            )))
            .x_bounds([0.0, 100.0])
            .y_bounds([0.0, 100.0])
            .paint(|ctx| {
                for p in &top {
                    let (Some(si), Some(di)) = (
                        srcs.iter().position(|s| *s == p.src),
                        dsts.iter().position(|d| *d == p.dst),
                    ) else {
                        continue;
                    };
                    let color = if p.flagged > 0 { hot } else { cold };
                    ctx.draw(&CLine {
                        x1: 34.0,
                        y1: y(si, srcs.len()),
                        x2: 66.0,
                        y2: y(di, dsts.len()),
                        color,
                    });
                }
            })
            .render(sketch, buf);
        // Labels after the lines, in cells no other label holds: cut or left out, never overlapped.
        let mut labels = Labels::new(Block::bordered().inner(sketch));
        let b = [0.0, 100.0];
        for (x, names) in [(0.0, &srcs), (67.0, &dsts)] {
            for (i, name) in names.iter().enumerate() {
                if let Some((cx, cy)) = labels.cell_of(b, b, x, y(i, names.len())) {
                    labels.place(buf, cx, cy, name, t.base());
                }
            }
        }
    }
}
