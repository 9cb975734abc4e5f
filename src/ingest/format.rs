//! The input kinds threatlens reads, and `--format`, which names one instead of detecting it.
//!
//! Without `--format` the content decides (gzip and Parquet by their magic bytes, WAF JSON
//! lines and Logs Insights exports by their first line, flow logs by their header). With it,
//! detection is skipped: `parquet`, `waf` and `insights` go straight to their readers, `csv`
//! reads delimited text with a header whatever it looks like, `cloudwatch` also requires the
//! CloudWatch columns, and `vpc-flow` reads space-separated flow records, with the
//! `--flow-format` fields (default version 2) when the first line is not a field-name header.
//! This module only names the kinds and parses the option; the readers live beside it.

use std::fmt;
use std::io::Read;

/// An input kind `--format` can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputFormat {
    Csv,
    CloudWatch,
    VpcFlow,
    Insights,
    Waf,
    Parquet,
}

impl InputFormat {
    pub const ALL: [InputFormat; 6] = [
        InputFormat::Csv,
        InputFormat::CloudWatch,
        InputFormat::VpcFlow,
        InputFormat::Insights,
        InputFormat::Waf,
        InputFormat::Parquet,
    ];

    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            InputFormat::Csv => "csv",
            InputFormat::CloudWatch => "cloudwatch",
            InputFormat::VpcFlow => "vpc-flow",
            InputFormat::Insights => "insights",
            InputFormat::Waf => "waf",
            InputFormat::Parquet => "parquet",
        }
    }

    /// What it reads, for help and errors.
    pub fn about(self) -> &'static str {
        match self {
            InputFormat::Csv => "delimited text with a header line",
            InputFormat::CloudWatch => {
                "the CloudWatch traffic CSV (bytes_in, bytes_out, src_ip, …)"
            }
            InputFormat::VpcFlow => "VPC flow logs, text (a header line, or --flow-format fields)",
            InputFormat::Insights => "a CloudWatch Logs Insights export (@timestamp, @message)",
            InputFormat::Waf => "AWS WAF logs (JSON lines)",
            InputFormat::Parquet => "Parquet (S3 flow logs or any table with known columns)",
        }
    }
}

impl fmt::Display for InputFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for InputFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let want = s.trim().to_ascii_lowercase().replace('_', "-");
        let want = match want.as_str() {
            "flow" | "vpcflow" | "flowlog" | "flow-log" => "vpc-flow",
            "pq" => "parquet",
            w => w,
        };
        InputFormat::ALL
            .into_iter()
            .find(|f| f.name() == want)
            .ok_or_else(|| {
                format!(
                    "'{}' is not an input format; choose one of: {}",
                    crate::sanitize::inert(s),
                    InputFormat::ALL
                        .iter()
                        .map(|f| f.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
    }
}

/// `--format vpc-flow`: the input as is when its first line is a flow-log header, else with
/// the header of `fields` (default: the version 2 format) put before it.
pub fn with_flow_header<'a, R: std::io::BufRead + Send + 'a>(
    mut input: R,
    fields: Option<&str>,
) -> Box<dyn std::io::Read + Send + 'a> {
    let has_header = match input.fill_buf() {
        Ok(head) => {
            let start = super::leading_line_ends(head);
            let rest = head.get(start..).unwrap_or(&[]);
            let line = rest
                .get(..memchr::memchr(b'\n', rest).unwrap_or(rest.len()))
                .unwrap_or(&[]);
            super::flowlog::is_header(line)
        }
        Err(_) => false,
    };
    if has_header {
        return Box::new(input);
    }
    let fields = fields
        .map(|f| f.split_whitespace().collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| super::flowlog::DEFAULT_FORMAT.to_string());
    Box::new(std::io::Cursor::new(format!("{fields}\n").into_bytes()).chain(input))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_format_parses_from_its_name_and_bad_ones_list_the_choices() {
        for f in InputFormat::ALL {
            assert_eq!(f.name().parse::<InputFormat>(), Ok(f));
        }
        assert_eq!("VPC_FLOW".parse::<InputFormat>(), Ok(InputFormat::VpcFlow));
        let e = "xml".parse::<InputFormat>().unwrap_err();
        assert!(e.contains("'xml'"), "{e}");
        assert!(
            e.contains("csv, cloudwatch, vpc-flow, insights, waf, parquet"),
            "{e}"
        );
    }
}
