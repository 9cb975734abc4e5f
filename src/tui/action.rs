//! The messages `App::update` consumes: [`Msg`], and the user's intents, [`Action`].
//!
//! Key presses and mouse events become actions through the keymap; terminal resizes,
//! timer ticks and results from the worker thread are messages of their own, so a
//! worker result never travels as an action. `App::update` is the only function that
//! consumes them. This module holds types only.

use super::worker::JobResult;

/// Everything that reaches `App::update`.
#[derive(Debug)]
pub enum Msg {
    /// Something the user asked for (a key, a click, a scroll).
    Key(Action),
    /// A finished background job.
    Worker(JobResult),
    /// The spinner's timer, while work is under way.
    Tick,
    /// The terminal's new size (columns, rows).
    Resize(u16, u16),
}

/// The tabs, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tab {
    #[default]
    Records,
    Summary,
    Timeline,
    Rankings,
    Anomalies,
    Geo,
    Flows,
}

impl Tab {
    pub const ALL: [Tab; 7] = [
        Tab::Records,
        Tab::Summary,
        Tab::Timeline,
        Tab::Rankings,
        Tab::Anomalies,
        Tab::Geo,
        Tab::Flows,
    ];
    pub fn title(self) -> &'static str {
        match self {
            Tab::Records => "Records",
            Tab::Summary => "Summary",
            Tab::Timeline => "Timeline",
            Tab::Rankings => "Rankings",
            Tab::Anomalies => "Anomalies",
            Tab::Geo => "Geo",
            Tab::Flows => "Flows",
        }
    }
    pub fn index(self) -> usize {
        Tab::ALL.iter().position(|t| *t == self).unwrap_or(0)
    }
}

/// Something that changes state.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Quit,
    NextTab,
    PrevTab,
    GoTab(Tab),
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Left,
    Right,
    Enter,
    Close,
    Help,
    ShowRejects,
    OpenFilter,
    OpenSearch,
    SearchNext,
    SearchPrev,
    Sort,
    SortReverse,
    ToggleLog,
    NextColumn,
    PrevColumn,
    /// Records: hide the column under the cursor.
    HideColumn,
    /// Records: show every hidden column again.
    ShowColumns,
    WiderBuckets,
    NarrowerBuckets,
    ZoomIn,
    ZoomOut,
    /// Timeline: move the cursor to the busiest bucket.
    JumpBusiest,
    MarkRange,
    NextDimension,
    /// The previous ranking (Rankings) or list (Flows).
    PrevDimension,
    /// Flows: cycle the fan-out list's order (sessions / bytes / fan-out).
    NextFanSort,
    NextSortKey,
    ContaminationStep(i32),
    TypeContamination,
    TopK,
    FeaturesPanel,
    Toggle,
    NextView,
    /// Anomalies: rows or entities (per source IP).
    ToggleEntities,
    /// Anomalies: the evaluation panel (both detectors against the label column).
    Evaluation,
    FilterToSelection,
    /// Copy the selected value (or the drill-down's row) to the clipboard.
    Copy,
    /// Export the current table (CSV or JSON by file name).
    Export,
    /// Write the findings report of the current view.
    ExportReport,
    /// Save the detection parameters to the config file.
    SaveConfig,
    /// Pause or resume following (`--follow`).
    FollowPause,
    /// Refit the forest on the rows so far.
    Refit,
    /// Open the `:` command line.
    CommandLine,
    /// Text typed into the active input line.
    Input(InputEdit),
    /// A click on a tab title.
    ClickTab(Tab),
    ScrollUp,
    ScrollDown,
}

/// Editing the input line (filter, search, numbers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputEdit {
    Char(char),
    Backspace,
    Delete,
    Left,
    Right,
    Home,
    End,
    /// Ctrl-U: delete everything before the cursor.
    KillToStart,
    /// Ctrl-W: delete the word before the cursor.
    KillWord,
    HistoryUp,
    HistoryDown,
    /// Tab: complete the word (the command line).
    Complete,
    Submit,
    Cancel,
}
