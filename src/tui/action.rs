//! The one `Action` enum: everything that can change the explorer's state.
//!
//! Key presses become actions through the keymap; mouse events, terminal resizes,
//! timer ticks and results from the worker thread are actions too. `App::update`
//! is the only function that consumes them.

use super::worker::JobResult;

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
    WiderBuckets,
    NarrowerBuckets,
    ZoomIn,
    ZoomOut,
    MarkRange,
    NextDimension,
    NextSortKey,
    ContaminationStep(i32),
    TypeContamination,
    TopK,
    FeaturesPanel,
    Toggle,
    NextView,
    FilterToSelection,
    /// Export the current table (CSV or JSON by file name).
    Export,
    /// Write the findings report of the current view.
    ExportReport,
    /// Save the detection parameters to the config file.
    SaveConfig,
    /// Text typed into the active input line.
    Input(InputEdit),
    /// A click on a tab title.
    ClickTab(Tab),
    ScrollUp,
    ScrollDown,
    Resize(u16, u16),
    Tick,
    Worker(Box<JobResult>),
    CancelLoad,
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
    HistoryUp,
    HistoryDown,
    Submit,
    Cancel,
}
