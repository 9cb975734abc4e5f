//! The features panel (`F` on the Anomalies tab): which features the isolation
//! forest uses, their log1p, and the number of trees, the sample size and the seed.
//! A popup, not a tab: it edits the app's detection parameters (handed to
//! [`update`]) and asks for a refit through an [`Effect`]; the refit runs on the
//! worker while the old results stay on screen as stale. Limits come from
//! [`crate::detect::defaults`].

use super::action::Action;
use super::popup::Popup;
use super::tabs::{Ctx, Effect, moved};
use super::widgets::{cell, pad};
use crate::dataset::Dataset;
use crate::detect::defaults;
use crate::detect::pipeline::{DetectParams, available_features};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Widget};

/// Items of the features panel: features, then trees, sample size, seed.
fn panel_len(ds: &Dataset) -> usize {
    available_features(ds).len() + 3
}

/// Handles an action while the features panel is open: changes `params` and says
/// what follows (the panel's new cursor or its closing, a refit, a status line).
pub fn update(
    cursor: usize,
    action: Action,
    ds: &Dataset,
    params: &mut DetectParams,
) -> Vec<Effect> {
    let feats = available_features(ds);
    let n = feats.len();
    let mut refit = false;
    match action {
        Action::Close | Action::Enter | Action::FeaturesPanel => return vec![Effect::Close],
        Action::Toggle if cursor < n => {
            if let Some(f) = feats.get(cursor) {
                if let Some(i) = params.features.iter().position(|x| x == f) {
                    if params.features.len() > 1 {
                        params.features.remove(i);
                        refit = true;
                    } else {
                        return vec![Effect::Status("at least one feature is needed".into())];
                    }
                } else {
                    params.features.push(f.clone());
                    refit = true;
                }
            }
        }
        Action::ToggleLog if cursor < n => {
            if let Some(f) = feats.get(cursor) {
                match params.log1p.iter().position(|x| x == f) {
                    Some(i) => {
                        params.log1p.remove(i);
                    }
                    None => params.log1p.push(f.clone()),
                }
                refit = params.features.contains(f);
            }
        }
        Action::Left | Action::Right => {
            let up = action == Action::Right;
            let p = &mut *params;
            match cursor.checked_sub(n) {
                Some(0) => {
                    let (step, range) = (defaults::TREES_STEP, defaults::TREES_RANGE);
                    p.trees = if up {
                        (p.trees + step).min(*range.end())
                    } else {
                        p.trees.saturating_sub(step).max(*range.start())
                    }
                }
                Some(1) => {
                    let (auto, min) = (defaults::SAMPLE, defaults::SAMPLE_MIN);
                    let cur = p.sample.unwrap_or(auto);
                    p.sample = Some(if up {
                        (cur * 2).min(ds.rows.max(min))
                    } else {
                        (cur / 2).max(min)
                    });
                }
                Some(2) => {
                    p.seed = if up {
                        p.seed + 1
                    } else {
                        p.seed.saturating_sub(1)
                    }
                }
                _ => return Vec::new(),
            }
            refit = true;
        }
        a => {
            return vec![Effect::Open(Popup::Features {
                cursor: moved(cursor, &a, panel_len(ds), 10),
            })];
        }
    }
    let mut effects = vec![Effect::Open(Popup::Features { cursor })];
    if refit {
        effects.push(Effect::Refit);
    }
    effects
}

/// Draws the features panel (inside a popup area).
pub fn draw(cursor: usize, ctx: &Ctx<'_>, area: Rect, buf: &mut Buffer) {
    let ds = ctx.ds;
    let t = ctx.theme;
    let feats = available_features(ds);
    let mut lines = vec![Line::styled(
        "Space toggles a feature, L its log1p, ←/→ change numbers; changes refit in the background",
        t.dim(),
    )];
    for (i, f) in feats.iter().enumerate() {
        let on = ctx.params.features.contains(f);
        let log = ctx.params.log1p.contains(f);
        let style = if i == cursor { t.selected() } else { t.base() };
        lines.push(Line::styled(
            format!(
                "[{}] {}{}",
                if on { "x" } else { " " },
                pad(&cell(f, 24), 24),
                if log { " log1p" } else { "" }
            ),
            style,
        ));
    }
    let p = &ctx.params;
    let n = feats.len();
    let items = [
        format!("trees        ← {} →", p.trees),
        format!(
            "sample size  ← {} →",
            p.sample
                .map_or("auto (min(256, rows))".into(), |s| s.to_string())
        ),
        format!("seed         ← {} →", p.seed),
    ];
    for (k, text) in items.iter().enumerate() {
        let style = if cursor == n + k {
            t.selected()
        } else {
            t.base()
        };
        lines.push(Line::styled(text.clone(), style));
    }
    if ctx.det_stale {
        lines.push(Line::styled(
            format!(
                "refitting… {}",
                ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"][ctx.tick % 10]
            ),
            t.stale(),
        ));
    }
    Paragraph::new(lines).render(area, buf);
}
