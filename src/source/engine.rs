//! A SQL engine that holds the data (Spark through Spark Connect): the endpoint the user names, the
//! one call every engine answers, and the plain values its results come back as.
//!
//! Owns [`Endpoint`] (`sc://HOST[:PORT][/;key=value;…]`, whose `token` is a secret: it is kept
//! out of [`Endpoint::shown`], `Debug` and every error, and [`Endpoint::redact`] removes it from
//! text an engine client wrote), the [`SqlEngine`] trait (run one query, get a [`Table`] back;
//! cancellable) and [`EngineError`]. It builds no SQL (that is `crate::sql`) and knows no client
//! library: the Spark client lives in `source::spark` behind the `spark` feature, so this module
//! compiles, and its secrecy is tested, in the default build.

use std::fmt;
use std::sync::atomic::AtomicBool;
use std::time::Duration;
use thiserror::Error;

/// The Spark Connect port when the URL names none.
pub const DEFAULT_PORT: u16 = 15002;

/// How long connecting may take (TCP, TLS, the session's first answer) before the engine counts
/// as unreachable, unless `--engine-timeout` says otherwise.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Where the engine is: a Spark Connect URL, parsed. The token never leaves through `Display`,
/// `Debug` or an error.
#[derive(Clone, PartialEq, Eq)]
pub struct Endpoint {
    host: String,
    port: u16,
    /// `key=value` parameters in order (the token among them).
    params: Vec<(String, String)>,
    /// The URL as given, for the client only.
    url: String,
}

/// Why an engine could not answer, worded for a person. Never holds a token.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum EngineError {
    /// The `--engine` text is not a Spark Connect URL (exit 2).
    #[error("--engine: {0}")]
    BadUrl(String),
    /// This build has no client for the engine (exit 2).
    #[error(
        "--engine needs the Spark Connect client, which this build of threatlens leaves out: rebuild with `cargo build --release --features spark` (it needs `protoc`, e.g. apt-get install protobuf-compiler)"
    )]
    NotBuilt,
    /// The engine was not reachable or dropped the connection (exit 1).
    #[error("cannot reach the Spark Connect server at {at}: {cause}")]
    Unreachable { at: String, cause: String },
    /// The engine refused or failed the query (exit 2 when the input is to blame).
    #[error("the engine at {at} refused the query: {cause}")]
    Query { at: String, cause: String },
    /// The question cannot be asked of this table (a missing column, a bad `--map`).
    #[error("{0}")]
    Input(String),
    #[error("cancelled")]
    Cancelled,
}

impl EngineError {
    /// The exit code: 2 when the user's input is to blame, 1 for the engine or the network.
    pub fn exit_code(&self) -> u8 {
        match self {
            EngineError::BadUrl(_)
            | EngineError::NotBuilt
            | EngineError::Query { .. }
            | EngineError::Input(_) => 2,
            EngineError::Unreachable { .. } | EngineError::Cancelled => 1,
        }
    }
}

impl Endpoint {
    /// Parses `sc://HOST[:PORT][/;key=value;…]`. Errors quote the URL only up to the host and
    /// port, never a parameter's value.
    pub fn parse(text: &str) -> Result<Endpoint, EngineError> {
        let text = text.trim();
        let rest = text.strip_prefix("sc://").ok_or_else(|| {
            EngineError::BadUrl(
                "a Spark Connect URL starts with sc:// (e.g. sc://127.0.0.1:15002, or sc://HOST:443/;use_ssl=true;token=… for Databricks)"
                    .into(),
            )
        })?;
        let (authority, tail) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || authority.starts_with('[') => {
                let port = p.parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(|| {
                    EngineError::BadUrl(format!(
                        "'{}' is not a port number (1–65535)",
                        crate::sanitize::inert(p)
                    ))
                })?;
                (h, port)
            }
            _ => (authority, DEFAULT_PORT),
        };
        if host.is_empty() || host.contains(['@', ';', ' ', '?', '#']) {
            return Err(EngineError::BadUrl(format!(
                "'{}' is not a host name (write sc://HOST:PORT)",
                crate::sanitize::inert(host)
            )));
        }
        let mut params = Vec::new();
        let tail = tail.strip_prefix('/').unwrap_or(tail);
        if !tail.is_empty() {
            let Some(list) = tail.strip_prefix(';') else {
                return Err(EngineError::BadUrl(
                    "after HOST:PORT only /;key=value;… parameters may follow".into(),
                ));
            };
            for (i, part) in list.split(';').enumerate().filter(|(_, p)| !p.is_empty()) {
                let Some((k, v)) = part.split_once('=') else {
                    return Err(EngineError::BadUrl(format!(
                        "parameter {} is not key=value",
                        i + 1
                    )));
                };
                params.push((k.trim().to_string(), v.to_string()));
            }
        }
        Ok(Endpoint {
            host: host.to_ascii_lowercase(),
            port,
            params,
            url: text.to_string(),
        })
    }

    /// `sc://host:port`: what messages and reports show (no parameters, so no token).
    pub fn shown(&self) -> String {
        format!("sc://{}:{}", self.host, self.port)
    }

    /// The host as written in the URL, without the brackets of an IPv6 address.
    pub fn host(&self) -> &str {
        self.host.trim_start_matches('[').trim_end_matches(']')
    }

    /// The port (15002 when the URL names none).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The URL as given: for the client library only, never for display.
    pub fn secret_url(&self) -> &str {
        &self.url
    }

    /// The token parameter, if any.
    pub fn token(&self) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("token"))
            .map(|(_, v)| v.as_str())
    }

    /// `text` with the URL's parameter part, the token and every other parameter value replaced
    /// by `***`: for messages a client library wrote, which may quote them.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.replace(&self.url, &self.shown());
        let mut secrets: Vec<&str> = self
            .params
            .iter()
            .map(|(_, v)| v.as_str())
            .filter(|v| v.len() >= 3)
            .collect();
        // Longest first, so a value containing another is removed whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        for s in secrets {
            out = out.replace(s, "***");
        }
        out
    }
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Endpoint")
            .field("at", &self.shown())
            .field(
                "params",
                &self.params.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown())
    }
}

/// One value of a result.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Int(i64),
    Float(f64),
    Bool(bool),
    Text(String),
}

impl Cell {
    /// The value as a number (`None` for NULL and text that is not one).
    pub fn number(&self) -> Option<f64> {
        match self {
            Cell::Null => None,
            Cell::Int(i) => Some(*i as f64),
            Cell::Float(x) => Some(*x),
            Cell::Bool(b) => Some(f64::from(u8::from(*b))),
            Cell::Text(t) => t.trim().parse().ok(),
        }
    }

    /// The value as an integer (floats that are whole numbers too).
    pub fn integer(&self) -> Option<i64> {
        match self {
            Cell::Int(i) => Some(*i),
            Cell::Float(x) if x.fract() == 0.0 && x.abs() < 9.2e18 => Some(*x as i64),
            Cell::Text(t) => t.trim().parse().ok(),
            _ => None,
        }
    }

    /// The value as text, the way a CSV file would hold it (empty for NULL; floats with
    /// the shortest digits that read back as the same number).
    pub fn text(&self) -> String {
        match self {
            Cell::Null => String::new(),
            Cell::Int(i) => i.to_string(),
            Cell::Float(x) => x.to_string(),
            Cell::Bool(b) => b.to_string(),
            Cell::Text(t) => t.clone(),
        }
    }
}

/// A query's result: column names and rows of cells.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    /// The first row (an aggregate's answer), or an error naming the query's purpose.
    pub fn one_row(&self, what: &str) -> Result<&[Cell], EngineError> {
        self.rows
            .first()
            .map(Vec::as_slice)
            .ok_or_else(|| EngineError::Input(format!("the engine returned no row for {what}")))
    }
}

/// Something that runs Spark SQL and returns the result.
pub trait SqlEngine: Send + Sync {
    /// Where it is, for messages (no secrets).
    fn shown(&self) -> String;
    /// Runs one query; a set `cancel` interrupts it on the engine.
    fn query(&self, sql: &str, cancel: &AtomicBool) -> Result<Table, EngineError>;
    /// The column names of a query's result, without running it.
    fn columns(&self, sql: &str) -> Result<Vec<String>, EngineError>;
}

/// Checks `url` and that this build has a client for it, without connecting.
pub fn check(url: &str) -> Result<Endpoint, EngineError> {
    let endpoint = Endpoint::parse(url)?;
    if cfg!(feature = "spark") {
        Ok(endpoint)
    } else {
        Err(EngineError::NotBuilt)
    }
}

/// Connects to the engine at `url` (a Spark Connect URL): needs the `spark` feature. A server
/// that refuses the connection, or does not answer within `timeout`, is
/// [`EngineError::Unreachable`].
pub fn connect(url: &str, timeout: Duration) -> Result<Box<dyn SqlEngine>, EngineError> {
    let endpoint = Endpoint::parse(url)?;
    #[cfg(feature = "spark")]
    {
        Ok(Box::new(super::spark::SparkEngine::connect(
            endpoint, timeout,
        )?))
    }
    #[cfg(not(feature = "spark"))]
    {
        let _ = (endpoint, timeout);
        Err(EngineError::NotBuilt)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const SECRET: &str = "dapiS3CR3T-token_value";

    #[test]
    fn a_url_parses_to_host_port_and_params() {
        let e = Endpoint::parse("sc://Spark.Example.com:443/;use_ssl=true;token=abc").unwrap();
        assert_eq!(e.shown(), "sc://spark.example.com:443");
        assert_eq!(e.token(), Some("abc"));
        let e = Endpoint::parse("sc://127.0.0.1").unwrap();
        assert_eq!(e.shown(), "sc://127.0.0.1:15002");
        assert_eq!(e.token(), None);
        let e = Endpoint::parse("sc://[::1]:15003").unwrap();
        assert_eq!(e.shown(), "sc://[::1]:15003");
    }

    #[test]
    fn bad_urls_say_what_is_wrong_without_the_token() {
        for url in [
            format!("http://h:1/;token={SECRET}"),
            format!("sc://h:99999/;token={SECRET}"),
            format!("sc://h:1/x;token={SECRET}"),
            format!("sc://h:1/;token{SECRET}"),
            format!("sc://:1/;token={SECRET}"),
        ] {
            let err = Endpoint::parse(&url).unwrap_err();
            let text = format!("{err} {err:?}");
            assert!(!text.contains(SECRET), "{text}");
            assert!(matches!(err, EngineError::BadUrl(_)), "{url}: {err}");
            assert_eq!(err.exit_code(), 2);
        }
    }

    #[test]
    fn the_token_never_shows_in_display_debug_or_redacted_text() {
        let url = format!("sc://db.example:443/;use_ssl=true;token={SECRET};x-user=me");
        let e = Endpoint::parse(&url).unwrap();
        let shown = format!("{e} {e:?} {}", e.shown());
        assert!(!shown.contains(SECRET), "{shown}");
        let client_message = format!(
            "failed to connect to {url}: status Unauthenticated, token '{SECRET}' rejected"
        );
        let clean = e.redact(&client_message);
        assert!(!clean.contains(SECRET), "{clean}");
        assert!(clean.contains("sc://db.example:443"), "{clean}");
    }

    #[test]
    fn cells_read_as_numbers_and_text() {
        assert_eq!(Cell::Float(0.1).text(), "0.1");
        assert_eq!(Cell::Int(-3).number(), Some(-3.0));
        assert_eq!(Cell::Text(" 12 ".into()).integer(), Some(12));
        assert_eq!(Cell::Null.number(), None);
        assert_eq!(Cell::Null.text(), "");
    }
}
