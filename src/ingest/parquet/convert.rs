//! Arrow arrays (one column of one record batch) read as threatlens values.
//!
//! Each function walks one array once and gives one value per row: a byte count, a number, a
//! time (epoch milliseconds), or text handed to a callback. Integer, float, decimal-free
//! Parquet types, timestamps, dates, strings (plain, large, view, dictionary-encoded) and
//! binary are understood; a value that cannot be read as asked (a negative byte count, text
//! that is not a number) is a [`FieldError`] for that row, never a panic. This module knows
//! nothing of roles, rows kept or files: the loader in [`super`] decides that.

use crate::ingest::fields::{self, FieldError};
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Date64Type, Float16Type, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type,
    Int64Type, TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use arrow_array::{Array, ArrowPrimitiveType, PrimitiveArray};
use arrow_schema::{DataType, TimeUnit};

/// A number as stored: exact integers stay exact.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Num {
    I(i64),
    U(u64),
    F(f64),
}

impl Num {
    pub fn as_f64(self) -> f64 {
        match self {
            Num::I(v) => v as f64,
            Num::U(v) => v as f64,
            Num::F(v) => v,
        }
    }
}

/// How a Parquet column's values can be stored when it has no role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Natural {
    Number,
    Time,
    Text,
    /// Lists, structs, maps, …: not read.
    Unsupported,
}

/// What a column of this type naturally holds.
pub fn natural(t: &DataType) -> Natural {
    match t {
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32
        | DataType::UInt64
        | DataType::Float16
        | DataType::Float32
        | DataType::Float64 => Natural::Number,
        DataType::Timestamp(..) | DataType::Date32 | DataType::Date64 => Natural::Time,
        DataType::Utf8
        | DataType::LargeUtf8
        | DataType::Utf8View
        | DataType::Binary
        | DataType::LargeBinary
        | DataType::BinaryView
        | DataType::Boolean
        | DataType::Null => Natural::Text,
        DataType::Dictionary(_, v) => match natural(v) {
            Natural::Unsupported => Natural::Unsupported,
            _ => Natural::Text,
        },
        _ => Natural::Unsupported,
    }
}

fn each_prim<T: ArrowPrimitiveType>(
    a: &dyn Array,
    conv: impl Fn(T::Native) -> Num,
    f: &mut dyn FnMut(usize, Option<Num>),
) -> bool {
    let Some(p) = a.as_primitive_opt::<T>() else {
        return false;
    };
    each_of(p, conv, f);
    true
}

fn each_of<T: ArrowPrimitiveType>(
    p: &PrimitiveArray<T>,
    conv: impl Fn(T::Native) -> Num,
    f: &mut dyn FnMut(usize, Option<Num>),
) {
    let values = p.values();
    match p.nulls().filter(|n| n.null_count() > 0) {
        None => values
            .iter()
            .enumerate()
            .for_each(|(i, v)| f(i, Some(conv(*v)))),
        Some(nulls) => values
            .iter()
            .enumerate()
            .for_each(|(i, v)| f(i, nulls.is_valid(i).then(|| conv(*v)))),
    }
}

/// Calls `f` with each row's number, `None` for a null. False when the array is not numeric.
pub fn each_number(a: &dyn Array, f: &mut dyn FnMut(usize, Option<Num>)) -> bool {
    match a.data_type() {
        DataType::Int8 => each_prim::<Int8Type>(a, |v| Num::I(v.into()), f),
        DataType::Int16 => each_prim::<Int16Type>(a, |v| Num::I(v.into()), f),
        DataType::Int32 => each_prim::<Int32Type>(a, |v| Num::I(v.into()), f),
        DataType::Int64 => each_prim::<Int64Type>(a, Num::I, f),
        DataType::UInt8 => each_prim::<UInt8Type>(a, |v| Num::U(v.into()), f),
        DataType::UInt16 => each_prim::<UInt16Type>(a, |v| Num::U(v.into()), f),
        DataType::UInt32 => each_prim::<UInt32Type>(a, |v| Num::U(v.into()), f),
        DataType::UInt64 => each_prim::<UInt64Type>(a, Num::U, f),
        DataType::Float16 => each_prim::<Float16Type>(a, |v| Num::F(v.to_f64()), f),
        DataType::Float32 => each_prim::<Float32Type>(a, |v| Num::F(v.into()), f),
        DataType::Float64 => each_prim::<Float64Type>(a, Num::F, f),
        _ => false,
    }
}

/// Calls `f` with each row's text, `None` for a null. Numbers, booleans and binary are
/// written out as text. False for nested types.
pub fn each_text(a: &dyn Array, f: &mut dyn FnMut(usize, Option<&str>)) -> bool {
    macro_rules! strings {
        ($arr:expr) => {{
            for i in 0..$arr.len() {
                f(i, $arr.is_valid(i).then(|| $arr.value(i)));
            }
            true
        }};
    }
    macro_rules! bytes {
        ($arr:expr) => {{
            for i in 0..$arr.len() {
                let v = $arr
                    .is_valid(i)
                    .then(|| String::from_utf8_lossy($arr.value(i)));
                f(i, v.as_deref());
            }
            true
        }};
    }
    match a.data_type() {
        DataType::Utf8 => a.as_string_opt::<i32>().is_some_and(|s| strings!(s)),
        DataType::LargeUtf8 => a.as_string_opt::<i64>().is_some_and(|s| strings!(s)),
        DataType::Utf8View => a.as_string_view_opt().is_some_and(|s| strings!(s)),
        DataType::Binary => a.as_binary_opt::<i32>().is_some_and(|s| bytes!(s)),
        DataType::LargeBinary => a.as_binary_opt::<i64>().is_some_and(|s| bytes!(s)),
        DataType::BinaryView => a.as_binary_view_opt().is_some_and(|s| bytes!(s)),
        DataType::Boolean => a.as_boolean_opt().is_some_and(|b| {
            for i in 0..b.len() {
                f(
                    i,
                    b.is_valid(i)
                        .then(|| if b.value(i) { "true" } else { "false" }),
                );
            }
            true
        }),
        DataType::Null => {
            (0..a.len()).for_each(|i| f(i, None));
            true
        }
        DataType::Dictionary(..) => each_dictionary_text(a, f),
        _ => {
            // Numbers and times as text (a protocol or a port stored as a number).
            let mut buf = String::new();
            let mut number = |i: usize, v: Option<Num>| {
                buf.clear();
                match v {
                    None => f(i, None),
                    Some(n) => {
                        use std::fmt::Write;
                        let _ = match n {
                            Num::I(x) => write!(buf, "{x}"),
                            Num::U(x) => write!(buf, "{x}"),
                            Num::F(x) => write!(buf, "{x}"),
                        };
                        f(i, Some(&buf));
                    }
                }
            };
            if each_number(a, &mut number) {
                return true;
            }
            let mut times = Vec::new();
            if !each_time(a, &mut |_, t| times.push(t)) {
                return false;
            }
            for (i, t) in times.into_iter().enumerate() {
                let shown = t.ok().flatten().map(crate::dataset::format_time);
                f(i, shown.as_deref());
            }
            true
        }
    }
}

/// A dictionary-encoded column: each distinct value is made text once.
fn each_dictionary_text(a: &dyn Array, f: &mut dyn FnMut(usize, Option<&str>)) -> bool {
    let Some(d) = a.as_any_dictionary_opt() else {
        return false;
    };
    let mut values: Vec<Option<String>> = Vec::new();
    if !each_text(d.values().as_ref(), &mut |_, v| {
        values.push(v.map(str::to_string))
    }) {
        return false;
    }
    let keys = d.normalized_keys();
    for (i, k) in keys.into_iter().enumerate() {
        let v = if d.is_valid(i) {
            values.get(k).and_then(Option::as_deref)
        } else {
            None
        };
        f(i, v);
    }
    true
}

/// A non-negative integer count (bytes, packets), or why not.
pub fn count_of(n: Num) -> Result<u64, FieldError> {
    match n {
        Num::U(v) if v == crate::dataset::MISSING_U64 => Err(FieldError::TooLarge),
        Num::U(v) => Ok(v),
        Num::I(v) => u64::try_from(v).map_err(|_| FieldError::Negative),
        Num::F(v) if !v.is_finite() => Err(FieldError::NotFinite),
        Num::F(v) if v < 0.0 => Err(FieldError::Negative),
        Num::F(v) if v.fract() != 0.0 => Err(FieldError::NotANumber),
        Num::F(v) if v >= 1.8e19 => Err(FieldError::TooLarge),
        Num::F(v) => Ok(v as u64),
    }
}

/// Epoch seconds or milliseconds (values of 10^11 and above are milliseconds), as the text
/// loader reads them.
pub fn epoch_ms(n: Num) -> Result<i64, FieldError> {
    match n {
        // An integer's digits parse to the nearest f64 (as `as` rounds): no text needed.
        Num::I(v) => fields::epoch_of(v as f64),
        Num::U(v) => fields::epoch_of(v as f64),
        Num::F(v) => fields::parse_time(v.to_string().as_bytes()),
    }
}

/// Calls `f` with each row's time in epoch milliseconds (`Ok(None)` for a null). Timestamps
/// and dates by their unit; integers as epoch seconds or milliseconds; text as the text loader
/// parses it. False for types that cannot hold a time.
pub fn each_time(a: &dyn Array, f: &mut dyn FnMut(usize, Result<Option<i64>, FieldError>)) -> bool {
    macro_rules! scaled {
        ($t:ty, $to_ms:expr) => {{
            let Some(p) = a.as_primitive_opt::<$t>() else {
                return false;
            };
            for i in 0..p.len() {
                f(i, Ok(p.is_valid(i).then(|| $to_ms(i64::from(p.value(i))))));
            }
            true
        }};
    }
    match a.data_type() {
        DataType::Timestamp(TimeUnit::Second, _) => {
            scaled!(TimestampSecondType, |v: i64| v.saturating_mul(1000))
        }
        DataType::Timestamp(TimeUnit::Millisecond, _) => {
            scaled!(TimestampMillisecondType, |v: i64| v)
        }
        DataType::Timestamp(TimeUnit::Microsecond, _) => {
            scaled!(TimestampMicrosecondType, |v: i64| v.div_euclid(1000))
        }
        DataType::Timestamp(TimeUnit::Nanosecond, _) => {
            scaled!(TimestampNanosecondType, |v: i64| v.div_euclid(1_000_000))
        }
        DataType::Date32 => scaled!(Date32Type, |v: i64| v.saturating_mul(86_400_000)),
        DataType::Date64 => scaled!(Date64Type, |v: i64| v),
        _ => {
            if each_number(a, &mut |i, v| f(i, v.map(epoch_ms).transpose())) {
                return true;
            }
            each_text(a, &mut |i, v| {
                let t = v.map(str::trim).filter(|t| !is_missing(t));
                f(i, t.map(|t| fields::parse_time(t.as_bytes())).transpose())
            })
        }
    }
}

/// Text that means no value: empty, or `-` as flow logs write it.
pub fn is_missing(t: &str) -> bool {
    t.is_empty() || t == "-" || fields::is_missing(t.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{Int32Array, Int64Array, StringArray, TimestampMicrosecondArray};

    #[test]
    fn counts_are_exact_and_negative_ones_are_refused() {
        assert_eq!(count_of(Num::I(5)), Ok(5));
        assert_eq!(count_of(Num::U(u64::MAX - 1)), Ok(u64::MAX - 1));
        assert_eq!(count_of(Num::I(-1)), Err(FieldError::Negative));
        assert_eq!(count_of(Num::F(2.5)), Err(FieldError::NotANumber));
        assert_eq!(count_of(Num::F(f64::NAN)), Err(FieldError::NotFinite));
    }

    #[test]
    fn times_read_by_unit_and_epoch_by_size() {
        let mut got = Vec::new();
        let a = Int64Array::from(vec![Some(1_700_000_000), None, Some(1_700_000_000_123)]);
        assert!(each_time(&a, &mut |_, t| got.push(t)));
        assert_eq!(
            got,
            vec![
                Ok(Some(1_700_000_000_000)),
                Ok(None),
                Ok(Some(1_700_000_000_123))
            ]
        );
        got.clear();
        let a = TimestampMicrosecondArray::from(vec![1_700_000_000_123_456]);
        assert!(each_time(&a, &mut |_, t| got.push(t)));
        assert_eq!(got, vec![Ok(Some(1_700_000_000_123))]);
        got.clear();
        let a = StringArray::from(vec![Some("2024-04-25T23:00:00Z"), Some("-"), Some("soon")]);
        assert!(each_time(&a, &mut |_, t| got.push(t)));
        assert_eq!(
            got,
            vec![
                Ok(Some(1_714_086_000_000)),
                Ok(None),
                Err(FieldError::BadTimestamp)
            ]
        );
    }

    #[test]
    fn integer_epochs_read_as_their_digits_do() {
        let ints = [
            0,
            1,
            -1,
            1_418_530_010,
            99_999_999_999,
            100_000_000_000,
            1_714_086_000_123,
            -62_135_596_800,
            8_200_000_000_000_000_000,
            9_007_199_254_740_993,
            i64::MAX,
            i64::MIN,
        ];
        for v in ints {
            let text = fields::parse_time(v.to_string().as_bytes());
            assert_eq!(epoch_ms(Num::I(v)), text, "{v}");
        }
        for v in [0, 1_418_530_010, 1_714_086_000_123, u64::MAX - 1, u64::MAX] {
            let text = fields::parse_time(v.to_string().as_bytes());
            assert_eq!(epoch_ms(Num::U(v)), text, "{v}");
        }
    }

    #[test]
    fn numbers_read_as_text_when_text_is_wanted() {
        let a = Int32Array::from(vec![Some(6), None, Some(17)]);
        let mut got = Vec::new();
        assert!(each_text(&a, &mut |_, v| got.push(v.map(str::to_string))));
        assert_eq!(got, vec![Some("6".into()), None, Some("17".into())]);
    }
}
