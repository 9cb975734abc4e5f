//! Loading CSV traffic logs into a [`Dataset`].
//!
//! Header-driven: the schema layer maps header names to roles; other columns are
//! kept (numbers or text, inferred from the first rows). Input may be a path, `-`
//! for stdin, or bytes in memory; gzip is recognised by its magic bytes. The input
//! is read in blocks, each split at record boundaries and parsed in parallel;
//! a malformed row is rejected with its line, column and reason and the rest
//! loads. Only an input that cannot be read at all is an [`IngestError`].
//! Progress (bytes read) and cancellation go through [`LoadProgress`].
//! This module never touches the terminal and never panics on input.

// Input is attacker-controlled: no panicking shortcut on a data-dependent value
// anywhere in ingest (the tests may index).
#![cfg_attr(
    not(test),
    deny(
        clippy::indexing_slicing,
        clippy::expect_used,
        clippy::panic,
        clippy::unreachable,
        clippy::todo
    )
)]

pub mod batch;
mod blocks;
pub mod builder;
pub mod chunk;
pub mod fields;
pub mod flowlog;
pub mod folder;
pub mod format;
mod header;
pub mod join;
pub mod order;
pub mod parquet;
mod split;
pub mod waf;
pub mod window;

use crate::dataset::{Dataset, Role, derived};
use blocks::Block;
use builder::Merger;
use rayon::prelude::*;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Bytes read per block.
const BLOCK_BYTES: usize = 16 * 1024 * 1024;
/// Bytes read before the first block is parsed: enough to type the columns and spread over the
/// cores, small enough that the cores start parsing soon after the input is opened.
const FIRST_BLOCK_BYTES: usize = 4 * 1024 * 1024;
/// The read-ahead buffers of each input (file bytes, and its decompressed text): under the
/// allocator's mapping threshold ([`crate::memory`]), so the files of a folder reuse heap
/// memory instead of mapping and faulting in fresh buffers each. Also the most of a first line
/// that is seen when telling WAF JSON and Logs Insights exports from CSV.
const READ_AHEAD_BYTES: usize = 192 * 1024;
/// Room reserved per read until the input has given a whole block (then [`BLOCK_BYTES`]).
const SMALL_BLOCK_BYTES: usize = 1024 * 1024;
/// Target size of one parallel chunk within a block.
const CHUNK_BYTES: usize = 1024 * 1024;
/// Rows sampled to decide whether an unknown column holds numbers.
const INFER_ROWS: usize = 1000;

/// Why an input could not be loaded at all.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("{path}: no such file (check the path)")]
    NotFound { path: String },
    #[error("{path}: is a directory, not a CSV file")]
    IsDirectory { path: String },
    #[error("{path}: cannot read: {cause}")]
    Unreadable { path: String, cause: String },
    #[error("{path}: the file is empty (expected a CSV header line and data rows)")]
    Empty { path: String },
    #[error("{path}: has a header but no data rows")]
    HeaderOnly { path: String },
    #[error("{path}: does not look like CSV text ({reason})")]
    NotCsv { path: String, reason: String },
    #[error(
        "{path}: no usable column: none of the known columns (bytes_in, bytes_out, src_ip, …) and no numeric column in the header {header}"
    )]
    NoUsableColumn { path: String, header: String },
    #[error(
        "{path}: no row could be loaded: all {rejected} data rows were rejected (first: {first})"
    )]
    AllRejected {
        path: String,
        rejected: u64,
        first: String,
    },
    #[error(
        "{path}: no flow records: every record is NODATA or SKIPDATA ({statuses}); there was no traffic to load"
    )]
    NoFlows { path: String, statuses: String },
    #[error(
        "{path}: no log file in this folder (looked for .log, .log.gz, .gz, .csv, .jsonl and .parquet files beneath it)"
    )]
    NoLogFiles { path: String },
    #[error("{path}: none of the log files could be loaded ({files} failed; first: {first})")]
    NothingLoaded {
        path: String,
        files: usize,
        first: String,
    },
    #[error(
        "{path}: is not {format} as --format says: {reason} (leave out --format to detect the kind)"
    )]
    WrongFormat {
        path: String,
        format: String,
        reason: String,
    },
    #[error("{path}: no row falls inside the time window {window}")]
    OutsideWindow { path: String, window: String },
    #[error(transparent)]
    GeoIp(#[from] crate::geoip::GeoIpError),
    #[error("{path}: loading cancelled")]
    Cancelled { path: String },
}

/// Shared progress of a load: bytes read so far, total if known, and a cancel flag.
#[derive(Debug, Default)]
pub struct LoadProgress {
    pub bytes_read: AtomicU64,
    /// Total input bytes (on disk), 0 when unknown.
    pub total_bytes: AtomicU64,
    /// Rows parsed so far, over every file of a folder.
    pub rows: AtomicU64,
    pub cancel: AtomicBool,
}

impl LoadProgress {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }
    /// Fraction done, when the total is known.
    pub fn fraction(&self) -> Option<f64> {
        let total = self.total_bytes.load(Ordering::Relaxed);
        (total > 0).then(|| self.bytes_read.load(Ordering::Relaxed) as f64 / total as f64)
    }
}

/// Counts bytes as they are read from the underlying (possibly compressed) source.
struct Counting<R> {
    inner: R,
    progress: Arc<LoadProgress>,
    /// This input's bytes alone (the progress may be a whole folder's).
    own: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress
            .bytes_read
            .fetch_add(n as u64, Ordering::Relaxed);
        self.own.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// How to load: the time window rows must fall in (files outside it are skipped unopened).
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    pub window: window::TimeWindow,
    /// The flow-log format of Logs Insights `@message` lines (default: version 2).
    pub flow_format: Option<String>,
    /// A MaxMind database for `src_country`/`dst_country` (else `THREATLENS_GEOIP`, if set).
    pub geoip: Option<std::path::PathBuf>,
    /// The input kind, instead of detecting it from the content (`--format`).
    pub format: Option<format::InputFormat>,
}

/// Loads a file or a folder of log files (`-` is stdin). Gzip is detected by content.
pub fn load_path(path: &str, progress: Arc<LoadProgress>) -> Result<Dataset, IngestError> {
    load_path_with(path, progress, &LoadOptions::default())
}

/// [`load_path`] with options: a folder is read whole ([`folder`]); then rows outside the
/// time window are dropped.
pub fn load_path_with(
    path: &str,
    progress: Arc<LoadProgress>,
    opts: &LoadOptions,
) -> Result<Dataset, IngestError> {
    let loaded = if path != "-" && Path::new(path).is_dir() {
        folder::load_dir(Path::new(path), progress, opts).and_then(require_rows)
    } else {
        load_one(path, progress, opts)
    };
    // The read buffers the load's threads kept for their next file are not needed any more.
    blocks::release_all();
    let mut ds = loaded?;
    let geoip = opts.geoip.clone().or_else(|| {
        std::env::var_os(crate::geoip::ENV)
            .filter(|v| !v.is_empty())
            .map(Into::into)
    });
    match geoip {
        Some(db) => crate::geoip::CountryDb::open(&db)?.add_countries(&mut ds),
        None if ds.role(Role::Country).is_none()
            && ds.mode() == crate::dataset::SchemaMode::FlowLog =>
        {
            ds.notes.push(crate::geoip::HOW_TO_GET.into());
        }
        None => {}
    }
    keep_window(ds, &opts.window).map(order::flow_first)
}

/// A dataset with no rows, only counted non-flow records (NODATA/SKIPDATA), is an error for
/// a whole input; inside a folder it still contributes its counts.
/// Also adds the notes on those records (once for a whole folder).
fn require_rows(mut ds: Dataset) -> Result<Dataset, IngestError> {
    if ds.rows > 0 {
        ds.notes.extend(flowlog::status_notes(&ds.facts));
        return Ok(ds);
    }
    Err(IngestError::NoFlows {
        statuses: ds
            .facts
            .log_status
            .iter()
            .map(|(k, v)| format!("{} {}", v.records, crate::sanitize::inert(k)))
            .collect::<Vec<_>>()
            .join(", "),
        path: ds.source,
    })
}

/// Drops the rows whose time is outside the window (rows without a time stay out too).
fn keep_window(ds: Dataset, w: &window::TimeWindow) -> Result<Dataset, IngestError> {
    if w.is_open() {
        return Ok(ds);
    }
    let rows: Vec<usize> = (0..ds.rows)
        .filter(|&r| ds.start_time(r).is_some_and(|t| w.contains(t)))
        .collect();
    if rows.len() == ds.rows {
        return Ok(ds);
    }
    let window = w.describe();
    if rows.is_empty() {
        return Err(IngestError::OutsideWindow {
            path: ds.source,
            window,
        });
    }
    let mut kept = ds.select_rows(&rows);
    kept.notes.push(format!(
        "{} of {} rows fall in the time window {window}",
        rows.len(),
        ds.rows
    ));
    Ok(kept)
}

/// Loads one file of a folder (shared progress: its total is the folder's).
fn load_file(
    path: &Path,
    progress: Arc<LoadProgress>,
    opts: &LoadOptions,
) -> Result<Dataset, IngestError> {
    let name = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|e| IngestError::Unreadable {
        path: name.clone(),
        cause: io_cause(&e),
    })?;
    let size = file.metadata().map_or(0, |m| m.len());
    read_input(&name, Box::new(file), progress, opts, size)
}

/// Loads one file (`-` is stdin).
fn load_one(
    path: &str,
    progress: Arc<LoadProgress>,
    opts: &LoadOptions,
) -> Result<Dataset, IngestError> {
    if path == "-" {
        return require_rows(read_input(
            "<stdin>",
            Box::new(std::io::stdin()),
            progress,
            opts,
            0,
        )?);
    }
    let p = Path::new(path);
    let meta = std::fs::metadata(p).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => IngestError::NotFound { path: path.into() },
        _ => IngestError::Unreadable {
            path: path.into(),
            cause: io_cause(&e),
        },
    })?;
    if meta.is_dir() {
        return Err(IngestError::IsDirectory { path: path.into() });
    }
    let file = std::fs::File::open(p).map_err(|e| IngestError::Unreadable {
        path: path.into(),
        cause: io_cause(&e),
    })?;
    if meta.is_file() {
        progress.total_bytes.store(meta.len(), Ordering::Relaxed);
    }
    require_rows(read_input(
        path,
        Box::new(file),
        progress,
        opts,
        meta.len(),
    )?)
}

/// Loads CSV bytes held in memory (e.g. the embedded demo data).
pub fn load_bytes(name: &str, bytes: &[u8]) -> Result<Dataset, IngestError> {
    let progress = LoadProgress::new();
    progress
        .total_bytes
        .store(bytes.len() as u64, Ordering::Relaxed);
    load_reader(
        name,
        Box::new(std::io::Cursor::new(bytes.to_vec())),
        progress,
    )
}

/// A person's description of an I/O error.
pub fn io_cause(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::UnexpectedEof => "the data ends early (truncated file?)".into(),
        std::io::ErrorKind::InvalidData | std::io::ErrorKind::InvalidInput => {
            format!("corrupt data: {e}")
        }
        _ => e.to_string(),
    }
}

/// Loads from any reader.
pub fn load_reader(
    name: &str,
    reader: Box<dyn Read + Send + '_>,
    progress: Arc<LoadProgress>,
) -> Result<Dataset, IngestError> {
    require_rows(read_input(
        name,
        reader,
        progress,
        &LoadOptions::default(),
        0,
    )?)
}

/// [`load_reader`], but a flow log holding only NODATA/SKIPDATA records loads with no rows.
/// `size` is the input's size on disk (0 when unknown: the progress total is used).
fn read_input(
    name: &str,
    reader: Box<dyn Read + Send + '_>,
    progress: Arc<LoadProgress>,
    opts: &LoadOptions,
    size: u64,
) -> Result<Dataset, IngestError> {
    let sizing = InputSize {
        on_disk: if size > 0 {
            size
        } else {
            progress.total_bytes.load(Ordering::Relaxed)
        },
        read: Arc::new(AtomicU64::new(0)),
    };
    let counting = Counting {
        inner: reader,
        progress: progress.clone(),
        own: sizing.read.clone(),
    };
    let mut source = std::io::BufReader::with_capacity(READ_AHEAD_BYTES, counting);
    let is_gzip = {
        use std::io::BufRead;
        let head = source.fill_buf().map_err(|e| IngestError::Unreadable {
            path: name.into(),
            cause: io_cause(&e),
        })?;
        head.starts_with(&[0x1f, 0x8b])
    };
    let input: Box<dyn Read + Send + '_> = if is_gzip {
        Box::new(flate2::read::MultiGzDecoder::new(source))
    } else {
        Box::new(source)
    };
    let mut input = std::io::BufReader::with_capacity(READ_AHEAD_BYTES, input);
    let (is_parquet, kind) = {
        use std::io::BufRead;
        match input.fill_buf() {
            Ok(head) => (parquet::is_parquet(head), waf::sniff(head)),
            // The loader reports it with the same words as any read error.
            Err(_) => (false, waf::Sniffed::Other),
        }
    };
    use format::InputFormat as F;
    match opts.format {
        Some(F::Parquet) if !is_parquet => Err(IngestError::WrongFormat {
            path: name.into(),
            format: "parquet".into(),
            reason: "a Parquet file starts with the bytes PAR1".into(),
        }),
        Some(F::Parquet) => read_parquet(name, input, &progress),
        Some(F::Waf) => convert(name, input, progress, waf::Sniffed::Waf, opts),
        Some(F::Insights) => convert(name, input, progress, waf::Sniffed::Insights, opts),
        Some(F::Csv) => Loader::new(name, Box::new(input), progress)
            .sized(sizing)
            .run(),
        Some(F::CloudWatch) => require_cloudwatch(
            Loader::new(name, Box::new(input), progress)
                .sized(sizing)
                .run()?,
        ),
        Some(F::VpcFlow) => {
            let input = format::with_flow_header(input, opts.flow_format.as_deref());
            Loader::new(name, input, progress).sized(sizing).run()
        }
        None if is_parquet => read_parquet(name, input, &progress),
        None => match kind {
            waf::Sniffed::Other => Loader::new(name, Box::new(input), progress)
                .sized(sizing)
                .run(),
            kind => convert(name, input, progress, kind, opts),
        },
    }
}

/// Reads a whole Parquet input, then decodes it ([`parquet`]).
fn read_parquet(
    name: &str,
    mut input: impl Read,
    progress: &LoadProgress,
) -> Result<Dataset, IngestError> {
    let mut all = Vec::new();
    input
        .read_to_end(&mut all)
        .map_err(|e| IngestError::Unreadable {
            path: name.into(),
            cause: io_cause(&e),
        })?;
    parquet::load(name, all, progress)
}

/// `--format cloudwatch`: the input must have the CloudWatch columns.
fn require_cloudwatch(ds: Dataset) -> Result<Dataset, IngestError> {
    if ds.mode() == crate::dataset::SchemaMode::CloudWatch {
        return Ok(ds);
    }
    Err(IngestError::WrongFormat {
        format: "the CloudWatch traffic CSV".into(),
        reason: format!(
            "it has none of the CloudWatch columns (bytes_in, bytes_out, src_ip, dst_ip, …){}",
            if ds.mode() == crate::dataset::SchemaMode::FlowLog {
                "; it reads as a flow log"
            } else {
                ""
            }
        ),
        path: ds.source,
    })
}

/// Loads a WAF log or a Logs Insights export through its conversion to CSV ([`waf`]); the
/// conversion's rejects (with the input's line numbers) come first.
fn convert(
    name: &str,
    mut input: impl Read,
    progress: Arc<LoadProgress>,
    kind: waf::Sniffed,
    opts: &LoadOptions,
) -> Result<Dataset, IngestError> {
    let mut all = Vec::new();
    let mut notes = Vec::new();
    if let Err(e) = input.read_to_end(&mut all) {
        notes.push(format!(
            "the input ended early after {} bytes: {}; the records before that point were loaded",
            all.len(),
            io_cause(&e)
        ));
        // The cut-off last line is not a record.
        let keep = memchr::memrchr(b'\n', &all).map_or(0, |i| i + 1);
        all.truncate(keep);
    }
    // Insights exports are CSV already: their line numbers are the converted CSV's.
    let (csv, rejects, map, what) = match kind {
        waf::Sniffed::Waf => {
            let (c, r, m) = waf::waf_to_csv(&all);
            (c, r, Some(m), "read as AWS WAF logs (JSON lines)")
        }
        _ => {
            let (c, r) = waf::insights_to_csv(&all, opts.flow_format.as_deref());
            (
                c,
                r,
                None,
                "read as a CloudWatch Logs Insights export of flow logs",
            )
        }
    };
    let input_bytes = all.len() as u64;
    drop(all);
    // The converted text is in memory: its size is known exactly.
    let size = InputSize {
        on_disk: csv.len() as u64,
        read: Arc::new(AtomicU64::new(csv.len() as u64)),
    };
    let loaded = Loader::new(name, Box::new(std::io::Cursor::new(csv)), progress)
        .sized(size)
        .run();
    let mut ds = match loaded {
        Ok(ds) => ds,
        Err(IngestError::HeaderOnly { .. } | IngestError::Empty { .. }) if rejects.total > 0 => {
            return Err(IngestError::AllRejected {
                path: name.into(),
                rejected: rejects.total,
                first: rejects
                    .details
                    .first()
                    .map(describe_reject)
                    .unwrap_or_default(),
            });
        }
        Err(e) => return Err(e),
    };
    let mut all_rejects = rejects;
    let mut loaded_rejects = std::mem::take(&mut ds.rejects);
    if let Some(map) = &map {
        for r in &mut loaded_rejects.details {
            r.line = waf::input_line(map, r.line);
        }
        ds.facts.lines = ds.facts.lines.remap(|l| waf::input_line(map, l));
    } else {
        // The converted CSV's lines are not the export's.
        ds.facts.lines = Default::default();
    }
    all_rejects.merge(loaded_rejects);
    all_rejects.details.sort_by_key(|r| r.line);
    ds.rejects = all_rejects;
    ds.input_bytes = input_bytes;
    ds.notes
        .retain(|n| !n.starts_with("read as AWS VPC flow logs"));
    ds.notes.insert(0, what.into());
    ds.notes.extend(notes);
    Ok(ds)
}

/// An input's size on disk and the bytes read from it so far (compressed, for gzip): with the
/// text they gave, they estimate the rows to reserve room for.
#[derive(Debug, Clone, Default)]
struct InputSize {
    on_disk: u64,
    read: Arc<AtomicU64>,
}

impl InputSize {
    /// Rows to reserve for, from the first `text` bytes read holding `records` line ends.
    /// An input read whole needs no estimate; otherwise its size on disk times the text
    /// read per byte so far (about 1 plain, about 10 for gzip), over the bytes per record.
    fn rows_for(&self, text: usize, records: usize, whole: bool) -> usize {
        let read = self.read.load(Ordering::Relaxed);
        if whole || records == 0 || self.on_disk == 0 || read == 0 || text == 0 {
            return records + 16;
        }
        let per_byte = (text as f64 / read as f64).max(1.0);
        let per_record = text as f64 / records as f64;
        let rows = (self.on_disk as f64 * per_byte / per_record * 1.02) as usize + 16;
        rows.max(records + 16).min(200_000_000)
    }
}

struct Loader<'a> {
    name: String,
    input: Box<dyn Read + Send + 'a>,
    progress: Arc<LoadProgress>,
    size: InputSize,
    /// Read buffers come from (and go back to) the thread's [`blocks`], so the files a
    /// thread loads one after another reuse the same memory.
    buf: Block,
    eof: bool,
    /// The input ended with a read error (e.g. truncated gzip), not cleanly.
    truncated: bool,
    input_bytes: u64,
    notes: Vec<String>,
    /// The input is an AWS VPC flow log (its header says so).
    flow: bool,
}

impl<'a> Loader<'a> {
    fn new(name: &str, input: Box<dyn Read + Send + 'a>, progress: Arc<LoadProgress>) -> Self {
        Loader {
            name: name.to_string(),
            input,
            progress,
            size: InputSize::default(),
            buf: Block::take(),
            eof: false,
            truncated: false,
            input_bytes: 0,
            notes: Vec::new(),
            flow: false,
        }
    }

    /// The input's size on disk and its read counter, to size the columns from.
    fn sized(mut self, size: InputSize) -> Self {
        self.size = size;
        self
    }

    /// Drops the first `n` bytes of the buffer (all of it if `n` is past the end).
    fn consume(&mut self, n: usize) {
        let n = n.min(self.buf.len());
        self.buf.drain(..n);
    }

    fn cancelled(&self) -> bool {
        self.progress.cancel.load(Ordering::Relaxed)
    }

    /// Reads until the buffer holds `want` bytes or the input ends. A read error
    /// mid-stream (e.g. truncated gzip) ends the input with a note.
    ///
    /// The bytes are appended with `read_to_end` on a bounded reader: the buffer's spare room
    /// is zeroed at most once per read call instead of a whole block per `read` (resizing
    /// a 16 MiB block for each 1 MiB the decoder gives cost more than the decompression).
    /// Room for a whole block is reserved only once the input has given a block: a small
    /// file's buffer grows to its size instead of reserving 16 MiB.
    fn fill(&mut self, want: usize) -> Result<(), IngestError> {
        while !self.eof && self.buf.len() < want {
            if self.cancelled() {
                return Err(IngestError::Cancelled {
                    path: self.name.clone(),
                });
            }
            let start = self.buf.len();
            let target = want.min(start + BLOCK_BYTES).max(start + 64 * 1024);
            let room = if self.input_bytes >= BLOCK_BYTES as u64 {
                target - start
            } else {
                (target - start).min(SMALL_BLOCK_BYTES)
            };
            self.buf.reserve(room);
            let limit = (target - start) as u64;
            let read = (&mut self.input).take(limit).read_to_end(&mut self.buf);
            let got = self.buf.len() - start;
            self.input_bytes += got as u64;
            match read {
                // Fewer bytes than asked for: the input has ended.
                Ok(n) if (n as u64) < limit => self.eof = true,
                Ok(_) => {}
                Err(e) => {
                    self.eof = true;
                    self.truncated = true;
                    if self.input_bytes == 0 {
                        return Err(IngestError::Unreadable {
                            path: self.name.clone(),
                            cause: io_cause(&e),
                        });
                    }
                    self.notes.push(format!(
                        "the input ended early after {} bytes: {}; the rows before that point were loaded",
                        self.input_bytes,
                        io_cause(&e)
                    ));
                }
            }
        }
        Ok(())
    }

    /// Loads the input on the thread pool: blocks are parsed there, and the reading between
    /// them is done by one of its threads, so the other cores pick up the next block's chunks
    /// without waiting for a thread outside the pool to hand them over.
    fn run(self) -> Result<Dataset, IngestError> {
        rayon::scope(|_| self.run_in_pool())
    }

    fn run_in_pool(mut self) -> Result<Dataset, IngestError> {
        let (headers, delimiter, first_data_line) = self.header()?;
        let path = self.name.clone();

        // Sample rows to type the columns without a role.
        self.fill(FIRST_BLOCK_BYTES)?;
        let plan = self.plan(&headers, delimiter)?;
        if self.flow {
            self.notes.push(
                "read as AWS VPC flow logs: '-' is a missing value, protocol numbers are shown as names, tcp-flags decoded".into(),
            );
        } else if delimiter != b',' {
            let shown = match delimiter {
                b'\t' => "tab".to_string(),
                d => format!("'{}'", char::from(d)),
            };
            self.notes.push(format!("fields are separated by {shown}"));
        }

        // Reserve from the first block's density and this input's size.
        let records = memchr::memchr_iter(b'\n', &self.buf).count();
        let capacity = self.size.rows_for(self.buf.len(), records, self.eof);
        let mut merger = Merger::new(plan.clone(), capacity);
        let mut line = first_data_line;
        // Parsed chunks of the previous block, merged while the next block is parsed; the
        // buffer of the block being parsed, and the one to read the next block into.
        let mut pending: Vec<builder::ChunkOut> = Vec::new();
        let mut spare = Block::take();
        // Rows already added to the progress count (shared by every file of a folder).
        let mut reported = 0;
        // The split points of the buffer (and its length then), found while the previous block
        // was parsed.
        let mut known: Option<(usize, Vec<usize>)> = None;
        loop {
            // The first block is what the header and the column sample read; every later one
            // was read while its predecessor was parsed.
            self.fill(FIRST_BLOCK_BYTES)?;
            if self.eof {
                // Nothing to overlap any more; and rejects must stay in input order.
                merge_all(&mut merger, &mut pending);
            }
            if self.buf.is_empty() {
                break;
            }
            let mut points = match known.take() {
                Some((len, points)) if len == self.buf.len() => points,
                _ => chunk::split_points(&self.buf, delimiter, CHUNK_BYTES, false),
            };
            if self.eof {
                // The unterminated last record: loaded, unless it is cut off or unclosed.
                let start = points.last().copied().unwrap_or(0);
                let rest = self.buf.get(start..).unwrap_or(&[]);
                let from = start + leading_line_ends(rest);
                let tail = self.buf.get(from..).unwrap_or(&[]);
                match tail_problem(tail, delimiter, self.truncated) {
                    _ if rest.is_empty() => {}
                    // Also when only line ends are left: they parse to nothing.
                    None => points.push(self.buf.len()),
                    Some((kind, message)) => {
                        merger.rejects.push(crate::dataset::Reject {
                            line: line + count_lf(self.buf.get(..from).unwrap_or(&[])),
                            column: None,
                            kind: kind.into(),
                            message,
                        });
                        self.buf.truncate(start);
                    }
                }
            }
            let Some(&consumed) = points.last() else {
                merge_all(&mut merger, &mut pending);
                // No complete record in the buffer: read more, or skip an overlong one.
                if self.eof {
                    break;
                } else if self.buf.len() > builder::MAX_RECORD_BYTES {
                    line = self.skip_overlong(delimiter, line, &mut merger)?;
                } else {
                    let want = self.buf.len() + BLOCK_BYTES;
                    self.fill(want)?;
                }
                continue;
            };
            // The complete records become this block; the rest starts the next buffer.
            spare.clear();
            spare.extend_from_slice(self.buf.get(consumed..).unwrap_or_default());
            std::mem::swap(&mut self.buf, &mut spare);
            let mut block = std::mem::take(&mut spare);
            block.truncate(consumed);
            let mut chunks = Vec::with_capacity(points.len());
            let mut start = 0;
            for &end in &points {
                chunks.push(block.get(start..end).unwrap_or(&[]));
                start = end;
            }
            // Parse this block on all cores while one of them merges the previous block, reads
            // the next and finds its split points. Chunks count their lines from 0 (so no pass
            // counts them first); their rejects are moved to the input's line numbers once the
            // counts are known.
            let (mut outs, filled) = rayon::join(
                || {
                    chunks
                        .par_iter()
                        .map(|c| builder::parse_chunk(c, delimiter, &plan, 0))
                        .collect::<Vec<_>>()
                },
                || {
                    merge_all(&mut merger, &mut pending);
                    report_rows(&self.progress, &mut reported, merger.rows);
                    self.fill(BLOCK_BYTES)?;
                    let points = chunk::split_points(&self.buf, delimiter, CHUNK_BYTES, false);
                    Ok::<_, IngestError>((self.buf.len(), points))
                },
            );
            for out in &mut outs {
                out.shift_lines(line);
                line += out.newlines;
            }
            pending = outs;
            drop(chunks);
            spare = block;
            known = Some(filled?);
            if self.cancelled() {
                return Err(IngestError::Cancelled { path });
            }
        }
        merge_all(&mut merger, &mut pending);
        report_rows(&self.progress, &mut reported, merger.rows);
        self.finish(merger, headers)
    }

    /// Drops an overlong record (no terminator within the limit) up to its end,
    /// rejecting it; returns the next record's line number.
    fn skip_overlong(
        &mut self,
        delimiter: u8,
        line: u64,
        merger: &mut Merger,
    ) -> Result<u64, IngestError> {
        let mut state = chunk::ScanState::StartField;
        let mut skipped = 0usize;
        let mut lines = 0u64;
        loop {
            let mut end = None;
            state = chunk::scan(&self.buf, delimiter, state, |e| {
                end = Some(e);
                false
            });
            let upto = end.unwrap_or(self.buf.len());
            let part = self.buf.get(..upto).unwrap_or(&[]);
            lines += count_lf(part);
            skipped += upto;
            self.consume(upto);
            if end.is_some() || self.eof {
                break;
            }
            self.fill(BLOCK_BYTES)?;
            if self.buf.is_empty() {
                break;
            }
        }
        merger.rejects.push(crate::dataset::Reject {
            line,
            column: None,
            kind: "record too long".into(),
            message: format!(
                "record of at least {skipped} bytes is over the {} byte limit",
                builder::MAX_RECORD_BYTES
            ),
        });
        Ok(line + lines.max(1))
    }

    fn finish(self, merger: Merger, headers: Vec<String>) -> Result<Dataset, IngestError> {
        let rejects = merger.rejects.clone();
        let rows = merger.rows;
        let facts = crate::dataset::LoadFacts {
            log_status: merger.statuses.clone(),
            files: 1,
            lines: merger.lines.clone(),
        };
        let (mut columns, latin1) = merger.finish();
        flowlog::tidy_columns(&mut columns, self.flow);
        let mut notes = self.notes;
        // Only non-flow records: no rows, but their counts (see `require_rows`).
        if rows == 0 && rejects.total == 0 && !facts.log_status.is_empty() {
            return Ok(Dataset {
                source: self.name,
                columns,
                notes,
                facts,
                input_bytes: self.input_bytes,
                ..Dataset::default()
            });
        }
        if rows == 0 {
            if rejects.total == 0 {
                return Err(IngestError::HeaderOnly { path: self.name });
            }
            let first = rejects
                .details
                .first()
                .map(describe_reject)
                .unwrap_or_default();
            return Err(IngestError::AllRejected {
                path: self.name,
                rejected: rejects.total,
                first,
            });
        }
        if latin1 > 0 {
            notes.push(format!(
                "{latin1} distinct text values were not valid UTF-8 and were read as Latin-1"
            ));
        }
        let _ = headers;
        let mut ds = Dataset {
            source: self.name,
            columns,
            rows,
            rejects,
            notes,
            input_bytes: self.input_bytes,
            origin: None,
            facts,
        };
        let (zero, negative) = derived::non_positive_durations(&ds);
        if zero + negative > 0 {
            ds.notes.push(format!(
                "{zero} sessions with zero duration and {negative} ending before they start: their bytes_per_sec is undefined (shown as —)"
            ));
        }
        Ok(ds)
    }
}

/// Adds the rows merged since the last report to the progress count.
fn report_rows(progress: &LoadProgress, reported: &mut usize, rows: usize) {
    let new = rows.saturating_sub(*reported);
    progress.rows.fetch_add(new as u64, Ordering::Relaxed);
    *reported = rows;
}

/// Merges parsed chunks in order, leaving `pending` empty.
fn merge_all(merger: &mut Merger, pending: &mut Vec<builder::ChunkOut>) {
    merger.push_all(pending);
}

/// Why the unterminated last record of the input must not be loaded, if it must not:
/// the input was cut off (a read error ended it), or a quoted field in it never closes
/// (it would swallow every later line into one field).
fn tail_problem(tail: &[u8], delimiter: u8, truncated: bool) -> Option<(&'static str, String)> {
    if tail.is_empty() {
        return None;
    }
    if truncated {
        return Some((
            "incomplete record",
            format!(
                "the input ends early in the middle of this record ({} bytes); it was not loaded",
                tail.len()
            ),
        ));
    }
    let state = chunk::scan(tail, delimiter, chunk::ScanState::StartField, |_| true);
    (state == chunk::ScanState::InQuoted).then(|| {
        (
            "unclosed quote",
            format!(
                "a quoted field in this record is never closed; the rest of the input ({} bytes, {} lines) was not loaded",
                tail.len(),
                count_lf(tail) + u64::from(!tail.ends_with(b"\n"))
            ),
        )
    })
}

/// `line N, column C: message`.
pub fn describe_reject(r: &crate::dataset::Reject) -> String {
    if r.line == 0 {
        // A whole file of a folder: the message names it.
        return r.message.clone();
    }
    match &r.column {
        Some(c) => format!(
            "line {}, column {}: {}",
            r.line,
            crate::sanitize::inert(c),
            r.message
        ),
        None => format!("line {}: {}", r.line, r.message),
    }
}

/// How many CR and LF bytes `buf` starts with (blank lines, or the LF of a CRLF).
pub(crate) fn leading_line_ends(buf: &[u8]) -> usize {
    buf.iter()
        .take_while(|b| matches!(b, b'\r' | b'\n'))
        .count()
}

/// Line feeds in `buf`: line numbers count LF, as editors do.
pub(crate) fn count_lf(buf: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', buf).count() as u64
}

#[cfg(test)]
mod progress_tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn progress_counts_every_input_byte_plain_and_compressed() {
        let mut csv = Vec::new();
        crate::demo::write_demo(&mut csv, 3000, 2).unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&csv).unwrap();
        let gz = gz.finish().unwrap();
        for (bytes, rows) in [(csv.clone(), 3000), (gz, 3000)] {
            let progress = LoadProgress::new();
            let len = bytes.len() as u64;
            let ds =
                load_reader("t", Box::new(std::io::Cursor::new(bytes)), progress.clone()).unwrap();
            assert_eq!(ds.rows, rows);
            assert_eq!(progress.bytes_read.load(Ordering::Relaxed), len);
            assert_eq!(progress.rows.load(Ordering::Relaxed), rows as u64);
        }
    }

    #[test]
    fn a_folder_counts_the_rows_of_every_file_as_they_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let mut csv = Vec::new();
        crate::demo::write_demo(&mut csv, 500, 3).unwrap();
        for i in 0..3 {
            std::fs::write(dir.path().join(format!("part{i}.csv")), &csv).unwrap();
        }
        let progress = LoadProgress::new();
        let ds = load_path(dir.path().to_str().unwrap(), progress.clone()).unwrap();
        assert_eq!(ds.rows, 1500);
        assert_eq!(progress.rows.load(Ordering::Relaxed), 1500);
    }
}
