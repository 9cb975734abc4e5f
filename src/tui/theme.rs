//! Colours: readable on dark and light terminals, and none at all under NO_COLOR.
//!
//! Only the terminal's own palette is used (named ANSI colours plus bold/reverse),
//! so the user's scheme decides the exact shades. Pure data.

use ratatui::style::{Color, Modifier, Style};

/// The styles the explorer draws with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Theme {
    pub color: bool,
}

impl Default for Theme {
    fn default() -> Self {
        Theme { color: true }
    }
}

impl Theme {
    /// Honours NO_COLOR (any non-empty value) and the config's `theme = "mono"`.
    pub fn detect(config_theme: Option<&str>) -> Theme {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Theme {
            color: !no_color && config_theme != Some("mono"),
        }
    }
    fn fg(&self, c: Color) -> Style {
        if self.color {
            Style::new().fg(c)
        } else {
            Style::new()
        }
    }
    pub fn base(&self) -> Style {
        Style::new()
    }
    pub fn dim(&self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new().add_modifier(Modifier::DIM)
        }
    }
    pub fn title(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }
    pub fn header(&self) -> Style {
        Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
    }
    pub fn selected(&self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }
    pub fn key(&self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }
    /// Flagged rows and anomaly markers.
    pub fn alert(&self) -> Style {
        if self.color {
            Style::new().fg(Color::Red).add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::BOLD)
        }
    }
    pub fn warn(&self) -> Style {
        self.fg(Color::Yellow)
    }
    pub fn ok(&self) -> Style {
        self.fg(Color::Green)
    }
    pub fn accent(&self) -> Style {
        self.fg(Color::Blue)
    }
    pub fn stale(&self) -> Style {
        self.fg(Color::Magenta).add_modifier(Modifier::ITALIC)
    }
    /// Heatmap cell for a correlation in [-1, 1].
    pub fn heat(&self, r: f64) -> Style {
        if !self.color {
            return if r.abs() >= 0.7 {
                Style::new().add_modifier(Modifier::BOLD)
            } else {
                Style::new()
            };
        }
        let c = match r {
            r if r >= 0.7 => Color::Red,
            r if r >= 0.3 => Color::LightRed,
            r if r > -0.3 => Color::Reset,
            r if r > -0.7 => Color::LightBlue,
            _ => Color::Blue,
        };
        Style::new().fg(c)
    }
}
