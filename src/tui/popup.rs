//! The popups over the tabs (help, rejected rows, a record's drill-down, the
//! features panel) and how a navigation key scrolls them. Types and pure helpers:
//! what a popup shows is drawn by `render` from caches the app fills (the drill-down
//! arrives from the worker), and the features panel lives in [`super::features`].

use super::action::Action;

/// A popup over the tabs.
#[derive(Debug, Clone, PartialEq)]
pub enum Popup {
    Help {
        scroll: usize,
    },
    Rejects {
        scroll: usize,
    },
    Detail {
        row: usize,
        scroll: usize,
    },
    Features {
        cursor: usize,
    },
    /// One entity's drill-down (an index into the entity run).
    Entity {
        entity: usize,
        scroll: usize,
    },
    /// Both detectors against the label column.
    Evaluation {
        scroll: usize,
    },
}

impl Popup {
    /// The popup after a navigation key (scroll positions move; the rest stays).
    pub fn scrolled(self, a: &Action, page: usize) -> Popup {
        let s = |pos| super::tabs::scrolled(pos, a, page);
        match self {
            Popup::Help { scroll } => Popup::Help { scroll: s(scroll) },
            Popup::Rejects { scroll } => Popup::Rejects { scroll: s(scroll) },
            Popup::Detail { row, scroll } => Popup::Detail {
                row,
                scroll: s(scroll),
            },
            Popup::Entity { entity, scroll } => Popup::Entity {
                entity,
                scroll: s(scroll),
            },
            Popup::Evaluation { scroll } => Popup::Evaluation { scroll: s(scroll) },
            p @ Popup::Features { .. } => p,
        }
    }
}
