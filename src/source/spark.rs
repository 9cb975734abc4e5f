//! The Spark Connect client (feature `spark`): runs the SQL that `source::remote` writes on a Spark
//! cluster and turns the Arrow batches that come back into [`Table`]s.
//!
//! **Client choice.** Spark Connect is gRPC with Arrow results, so any client must generate the
//! protocol's Rust types. Of the Rust clients, the Apache project's own `apache-spark-connect`
//! (4.2.0, library `spark_connect`, github.com/apache/spark-connect-rust) is maintained with Spark
//! itself, mirrors the PySpark API, speaks the current protocol (checked against PySpark 4.3's
//! Connect server), parses `sc://` URLs with PySpark's rules, refuses to send a token in clear text
//! to a non-loopback host, supports `interrupt_all`, and returns `arrow` `RecordBatch`es. The
//! community `spark-connect-rs` crate predates it and tracks older servers. The Apache crate needs
//! `protoc` at build time and is a heavy build, hence the feature: the default build stays lean.
//!
//! Owns the session, cancellation (a set flag interrupts every operation of the session on the
//! server) and the Arrow → [`Cell`] conversion (integers, floats, decimals as floats, booleans,
//! text; anything else — timestamps, dates — through Arrow's cast to text, ISO-8601). Every
//! message from the client passes through [`Endpoint::redact`] before it is kept: the token in the
//! URL never reaches an error, a log or the screen. Builds no SQL.

use super::engine::{Cell, Endpoint, EngineError, SqlEngine, Table};
use arrow::array::{Array, ArrayRef, AsArray};
use arrow::datatypes::{DataType as ArrowType, Float64Type, Int64Type, TimeUnit};
use spark_connect::{SparkError, SparkSession};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::RecvTimeoutError;
use std::time::{Duration, Instant};

/// How long the per-query check that the server's port still accepts may take.
const REACH_TIMEOUT: Duration = Duration::from_secs(5);

/// A connected Spark Connect session.
pub struct SparkEngine {
    session: SparkSession,
    endpoint: Endpoint,
}

impl SparkEngine {
    /// Opens a session at `endpoint` and checks it answers, with UTC as the session time zone
    /// (threatlens reads naive times as UTC), all within `timeout`.
    ///
    /// The client retries an unavailable server with backoff for minutes, and waits without end
    /// on a listener that never speaks gRPC, so the attempt runs on its own thread and is given
    /// up after `timeout` (the thread is left to end with the process). A refused TCP connection
    /// is reported at once, before the client starts retrying.
    pub fn connect(endpoint: Endpoint, timeout: Duration) -> Result<SparkEngine, EngineError> {
        let started = Instant::now();
        reach(&endpoint, timeout)?;
        let left = timeout.saturating_sub(started.elapsed());
        let (tx, rx) = std::sync::mpsc::channel();
        let attempt = endpoint.clone();
        std::thread::Builder::new()
            .name("spark-connect".into())
            .spawn(move || {
                let _ = tx.send(SparkEngine::open(attempt));
            })
            .map_err(|e| unreachable(&endpoint, format!("cannot start the client: {e}")))?;
        match rx.recv_timeout(left) {
            Ok(result) => result,
            Err(RecvTimeoutError::Timeout) => Err(unreachable(
                &endpoint,
                format!(
                    "no answer within {} (the port is open but no Spark Connect server replied: check the port, use_ssl=true for a TLS endpoint, or a proxy in between; --engine-timeout SECS waits longer)",
                    seconds(timeout)
                ),
            )),
            Err(RecvTimeoutError::Disconnected) => Err(unreachable(
                &endpoint,
                "the client stopped without an answer".into(),
            )),
        }
    }

    /// The session and its first query, however long they take.
    fn open(endpoint: Endpoint) -> Result<SparkEngine, EngineError> {
        let session = SparkSession::builder()
            .remote(endpoint.secret_url())
            .get_or_create()
            .map_err(|e| unreachable(&endpoint, endpoint.redact(&one_line(&e.to_string()))))?;
        let engine = SparkEngine { session, endpoint };
        let never = AtomicBool::new(false);
        engine
            .query("SET spark.sql.session.timeZone=UTC", &never)
            .map_err(|e| match e {
                EngineError::Query { at, cause } => EngineError::Unreachable { at, cause },
                other => other,
            })?;
        Ok(engine)
    }

    fn failed(&self, e: &SparkError) -> EngineError {
        let cause = self.endpoint.redact(&one_line(&e.to_string()));
        // A server shutting down answers "Cannot call methods on a stopped SparkContext".
        if e.grpc_code.is_some_and(|c| c == 14 || c == 4)
            || cause.contains("transport error")
            || cause.contains("stopped SparkContext")
        {
            EngineError::Unreachable {
                at: self.endpoint.shown(),
                cause,
            }
        } else {
            EngineError::Query {
                at: self.endpoint.shown(),
                cause,
            }
        }
    }

    fn collect(&self, sql: &str) -> Result<Table, EngineError> {
        let df = self.session.sql(sql).map_err(|e| self.failed(&e))?;
        let batches = df.collect_record_batches().map_err(|e| self.failed(&e))?;
        let mut table = Table::default();
        for batch in &batches {
            if table.columns.is_empty() {
                table.columns = batch
                    .schema()
                    .fields()
                    .iter()
                    .map(|f| f.name().clone())
                    .collect();
            }
            let columns: Vec<Vec<Cell>> = batch
                .columns()
                .iter()
                .map(cells)
                .collect::<Result<_, _>>()?;
            for r in 0..batch.num_rows() {
                table
                    .rows
                    .push(columns.iter().map(|c| c[r].clone()).collect());
            }
        }
        Ok(table)
    }
}

impl SqlEngine for SparkEngine {
    fn shown(&self) -> String {
        self.endpoint.shown()
    }

    fn query(&self, sql: &str, cancel: &AtomicBool) -> Result<Table, EngineError> {
        // A server that went away fails here at once: the client itself would retry it with
        // backoff for minutes, holding the explorer's session.
        reach(&self.endpoint, REACH_TIMEOUT)?;
        std::thread::scope(|s| {
            let job = s.spawn(|| self.collect(sql));
            while !job.is_finished() {
                if cancel.load(Ordering::Relaxed) {
                    // The running query stops on the server; the job then ends with its error.
                    let _ = self.session.interrupt_all();
                    let _ = job.join();
                    return Err(EngineError::Cancelled);
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            job.join().unwrap_or_else(|_| {
                Err(EngineError::Query {
                    at: self.endpoint.shown(),
                    cause: "the client failed while reading the result".into(),
                })
            })
        })
    }

    fn columns(&self, sql: &str) -> Result<Vec<String>, EngineError> {
        let df = self.session.sql(sql).map_err(|e| self.failed(&e))?;
        match df.schema().map_err(|e| self.failed(&e))? {
            spark_connect::DataType::Struct { fields } => {
                Ok(fields.into_iter().map(|f| f.name).collect())
            }
            _ => Ok(Vec::new()),
        }
    }
}

fn unreachable(endpoint: &Endpoint, cause: String) -> EngineError {
    EngineError::Unreachable {
        at: endpoint.shown(),
        cause,
    }
}

/// `2.5s`, `10s`.
fn seconds(d: Duration) -> String {
    format!("{}s", d.as_secs_f64())
}

/// Checks that something accepts TCP connections at the endpoint, within `timeout`: a refused
/// connection, an unknown host or silence fail here, worded with what to do.
fn reach(endpoint: &Endpoint, timeout: Duration) -> Result<(), EngineError> {
    let (host, port) = (endpoint.host(), endpoint.port());
    let addrs: Vec<_> = (host, port)
        .to_socket_addrs()
        .map_err(|e| {
            unreachable(
                endpoint,
                format!("the host name does not resolve ({e}): check the spelling in --engine"),
            )
        })?
        .collect();
    let started = Instant::now();
    let mut last = None;
    for addr in &addrs {
        let left = timeout.saturating_sub(started.elapsed());
        if left.is_zero() {
            break;
        }
        match TcpStream::connect_timeout(addr, left) {
            Ok(_) => return Ok(()),
            Err(e) => last = Some(e),
        }
    }
    let cause = match last {
        Some(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => format!(
            "connection refused: nothing listens on port {port} (is the Spark Connect server running? start one with `start-connect-server.sh`, or check the port)"
        ),
        Some(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
            ) =>
        {
            format!(
                "no answer within {} (a firewall may drop the packets, or the host is down; --engine-timeout SECS waits longer)",
                seconds(timeout)
            )
        }
        Some(e) => format!("{e} (check the host and port in --engine)"),
        None => "the host name resolves to no address: check --engine".into(),
    };
    Err(unreachable(endpoint, cause))
}

/// The first line of a (possibly multi-line, stack-traced) message.
fn one_line(text: &str) -> String {
    let line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or(text);
    let mut out: String = line.chars().take(600).collect();
    if out.len() < line.len() {
        out.push('…');
    }
    out
}

/// One Arrow column as cells.
/// Epoch milliseconds as `YYYY-MM-DDTHH:MM:SS[.mmm]Z`.
fn iso_millis(ms: i64) -> String {
    match chrono::DateTime::from_timestamp_millis(ms) {
        Some(t) if ms % 1000 == 0 => t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        Some(t) => t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        None => ms.to_string(),
    }
}

fn cells(a: &ArrayRef) -> Result<Vec<Cell>, EngineError> {
    let bad = |e: arrow::error::ArrowError| EngineError::Input(format!("unreadable result: {e}"));
    let n = a.len();
    let out = match a.data_type() {
        ArrowType::Null => vec![Cell::Null; n],
        ArrowType::Boolean => {
            let b = a.as_boolean();
            (0..n)
                .map(|i| {
                    if b.is_null(i) {
                        Cell::Null
                    } else {
                        Cell::Bool(b.value(i))
                    }
                })
                .collect()
        }
        t if t.is_integer() => {
            let c = arrow::compute::cast(a, &ArrowType::Int64).map_err(bad)?;
            let v = c.as_primitive::<Int64Type>();
            (0..n)
                .map(|i| {
                    if v.is_null(i) {
                        Cell::Null
                    } else {
                        Cell::Int(v.value(i))
                    }
                })
                .collect()
        }
        ArrowType::Float16
        | ArrowType::Float32
        | ArrowType::Float64
        | ArrowType::Decimal32(..)
        | ArrowType::Decimal64(..)
        | ArrowType::Decimal128(..)
        | ArrowType::Decimal256(..) => {
            let c = arrow::compute::cast(a, &ArrowType::Float64).map_err(bad)?;
            let v = c.as_primitive::<Float64Type>();
            (0..n)
                .map(|i| {
                    if v.is_null(i) {
                        Cell::Null
                    } else {
                        Cell::Float(v.value(i))
                    }
                })
                .collect()
        }
        ArrowType::Timestamp(..) | ArrowType::Date64 | ArrowType::Date32 => {
            // Epoch values read directly (a named time zone would need arrow's tz database).
            let per_ms: f64 = match a.data_type() {
                ArrowType::Timestamp(TimeUnit::Second, _) => 1e-3,
                ArrowType::Timestamp(TimeUnit::Millisecond, _) | ArrowType::Date64 => 1.0,
                ArrowType::Timestamp(TimeUnit::Microsecond, _) => 1e3,
                ArrowType::Timestamp(TimeUnit::Nanosecond, _) => 1e6,
                _ => 1.0 / 86_400_000.0,
            };
            let c = arrow::compute::cast(a, &ArrowType::Int64).map_err(bad)?;
            let v = c.as_primitive::<Int64Type>();
            (0..n)
                .map(|i| {
                    if v.is_null(i) {
                        return Cell::Null;
                    }
                    let ms = (v.value(i) as f64 / per_ms).floor() as i64;
                    Cell::Text(iso_millis(ms))
                })
                .collect()
        }
        _ => {
            let c = arrow::compute::cast(a, &ArrowType::Utf8).map_err(bad)?;
            let v = c.as_string::<i32>();
            (0..n)
                .map(|i| {
                    if v.is_null(i) {
                        Cell::Null
                    } else {
                        Cell::Text(v.value(i).to_string())
                    }
                })
                .collect()
        }
    };
    Ok(out)
}
