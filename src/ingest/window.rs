//! Time windows for `--since`/`--until`, and the time a log file covers judged from its path.
//!
//! A bound is a timestamp (any form [`fields::parse_time`](super::fields::parse_time) reads)
//! or an age (`90s`, `30m`, `24h`, `7d`, `2w`) counted back from now. A file's time comes
//! from the S3 layouts AWS delivers flow logs in — `AWSLogs/<account>/vpcflowlogs/<region>/
//! YYYY/MM/DD/` and Hive-style `year=YYYY/month=MM/day=DD/hour=HH/` — or from a
//! `YYYYMMDDTHHMMZ` stamp in its name; a file whose span lies wholly outside the window is
//! skipped unopened. Rows are then filtered by their own time. This module parses and
//! compares; it reads no file.

use std::path::Path;

/// Records can start before the time in their file's path (aggregation and delivery delay):
/// a file is skipped only when its span, widened by this, misses the window.
const SLACK_MS: i64 = 3_600_000;

/// A half-open window `[since, until)` in epoch milliseconds; either side may be open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimeWindow {
    pub since: Option<i64>,
    pub until: Option<i64>,
}

/// Why a `--since`/`--until` value was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "'{value}' is neither a timestamp (2024-04-25T23:00:00Z, epoch seconds) nor an age like 30m, 24h or 7d"
)]
pub struct BadBound {
    pub value: String,
}

impl TimeWindow {
    pub fn is_open(&self) -> bool {
        self.since.is_none() && self.until.is_none()
    }

    /// `2024-04-25T00:00:00Z to …`, for messages.
    pub fn describe(&self) -> String {
        let shown = |t: Option<i64>| t.map_or("…".to_string(), crate::dataset::format_time);
        format!("{} to {}", shown(self.since), shown(self.until))
    }

    /// Whether a time is inside.
    pub fn contains(&self, t: i64) -> bool {
        self.since.is_none_or(|s| t >= s) && self.until.is_none_or(|u| t < u)
    }

    /// Whether a file covering `[first, last)` may hold rows inside (widened by the slack).
    pub fn may_overlap(&self, first: i64, last: i64) -> bool {
        self.since.is_none_or(|s| last.saturating_add(SLACK_MS) > s)
            && self
                .until
                .is_none_or(|u| first.saturating_sub(SLACK_MS) < u)
    }
}

/// Parses one bound, ages counted back from `now_ms`.
pub fn parse_bound(value: &str, now_ms: i64) -> Result<i64, BadBound> {
    let v = value.trim();
    let bad = || BadBound {
        value: crate::sanitize::inert(value).into_owned(),
    };
    let unit = v.chars().last().ok_or_else(bad)?;
    let scale = match unit {
        's' => Some(1_000),
        'm' => Some(60_000),
        'h' => Some(3_600_000),
        'd' => Some(86_400_000),
        'w' => Some(7 * 86_400_000),
        _ => None,
    };
    if let Some(scale) = scale
        && let Some(n) = v.get(..v.len() - 1).and_then(|n| n.parse::<i64>().ok())
        && n >= 0
    {
        return n
            .checked_mul(scale)
            .and_then(|ago| now_ms.checked_sub(ago))
            .ok_or_else(bad);
    }
    super::fields::parse_time(v.as_bytes()).map_err(|_| bad())
}

/// The span `[first, last)` a log file covers, judged from its path, when the path says.
pub fn path_span(path: &Path) -> Option<(i64, i64)> {
    let text = path.to_string_lossy();
    name_stamp(path)
        .or_else(|| hive_span(&text))
        .or_else(|| s3_span(&text))
}

fn day_ms(y: i64, m: u32, d: u32) -> Option<i64> {
    let date = chrono::NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, m, d)?;
    Some(date.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis())
}

/// Hive-style `year=…/month=…/day=…[/hour=…]`.
fn hive_span(text: &str) -> Option<(i64, i64)> {
    let get = |key: &str| -> Option<i64> {
        text.split(['/', '\\'])
            .find_map(|part| part.strip_prefix(key)?.strip_prefix('=')?.parse().ok())
    };
    let y = get("year")?;
    let Some(m) = get("month") else {
        let first = day_ms(y, 1, 1)?;
        return Some((first, day_ms(y + 1, 1, 1)?));
    };
    let m = u32::try_from(m).ok()?;
    let Some(d) = get("day") else {
        let first = day_ms(y, m, 1)?;
        let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
        return Some((first, day_ms(ny, nm, 1)?));
    };
    let day = day_ms(y, m, u32::try_from(d).ok()?)?;
    match get("hour") {
        Some(h) if (0..24).contains(&h) => {
            let first = day + h * 3_600_000;
            Some((first, first + 3_600_000))
        }
        _ => Some((day, day + 86_400_000)),
    }
}

/// `…/vpcflowlogs/<region>/YYYY/MM/DD/…` (or any `YYYY/MM/DD` run of path parts).
fn s3_span(text: &str) -> Option<(i64, i64)> {
    let parts: Vec<&str> = text.split(['/', '\\']).collect();
    parts.windows(3).find_map(|w| {
        let [y, m, d] = w else { return None };
        if y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return None;
        }
        let day = day_ms(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)?;
        Some((day, day + 86_400_000))
    })
}

/// A `YYYYMMDDTHHMMZ` stamp in the file name (AWS names files
/// `<account>_vpcflowlogs_<region>_<id>_20240425T2305Z_<hash>.log.gz`): a five-minute file.
fn name_stamp(path: &Path) -> Option<(i64, i64)> {
    let name = path.file_name()?.to_str()?;
    name.split(['_', '.', '-']).find_map(|part| {
        let b = part.as_bytes();
        if b.len() != 14 || b.get(8) != Some(&b'T') || b.get(13) != Some(&b'Z') {
            return None;
        }
        let num = |r: std::ops::Range<usize>| part.get(r)?.parse::<u32>().ok();
        let day = day_ms(i64::from(num(0..4)?), num(4..6)?, num(6..8)?)?;
        let (h, mi) = (num(9..11)?, num(11..13)?);
        if h > 23 || mi > 59 {
            return None;
        }
        let first = day + i64::from(h * 3600 + mi * 60) * 1000;
        Some((first, first + 300_000))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400_000;
    // 2024-04-25T00:00:00Z
    const D0: i64 = 1_714_003_200_000;

    #[test]
    fn bounds_are_timestamps_or_ages() {
        let now = D0 + DAY;
        assert_eq!(parse_bound("24h", now), Ok(D0));
        assert_eq!(parse_bound("1d", now), Ok(D0));
        assert_eq!(parse_bound("30m", now), Ok(now - 1_800_000));
        assert_eq!(parse_bound("2024-04-25", now), Ok(D0));
        assert_eq!(parse_bound("1714003200", now), Ok(D0));
        assert!(parse_bound("yesterday", now).is_err());
        assert!(parse_bound("-5h", now).is_err());
        assert!(parse_bound("", now).is_err());
    }

    #[test]
    fn both_s3_layouts_and_file_stamps_give_a_span() {
        let s3 = Path::new("x/AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/04/25/a.log.gz");
        assert_eq!(path_span(s3), Some((D0, D0 + DAY)));
        let hive = Path::new(
            "aws-account-id=1/aws-service=vpcflowlogs/aws-region=eu-west-1/year=2024/month=04/day=25/hour=03/f.log.gz",
        );
        assert_eq!(
            path_span(hive),
            Some((D0 + 3 * 3_600_000, D0 + 4 * 3_600_000))
        );
        let named = Path::new("1_vpcflowlogs_us-east-1_fl-1_20240425T0310Z_ab12.log.gz");
        let t = D0 + (3 * 3600 + 10 * 60) * 1000;
        assert_eq!(path_span(named), Some((t, t + 300_000)));
        assert_eq!(path_span(Path::new("logs/flows.log")), None);
    }

    #[test]
    fn windows_skip_only_files_wholly_outside() {
        let w = TimeWindow {
            since: Some(D0),
            until: Some(D0 + DAY),
        };
        assert!(w.contains(D0) && !w.contains(D0 + DAY));
        assert!(w.may_overlap(D0 - DAY, D0));
        assert!(!w.may_overlap(D0 - 3 * DAY, D0 - 2 * DAY));
        assert!(!w.may_overlap(D0 + 2 * DAY, D0 + 3 * DAY));
        assert!(TimeWindow::default().may_overlap(0, 1));
    }
}
