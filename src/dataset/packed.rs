//! Numeric column storage as narrow as the values allow, widened only when a value needs it.
//!
//! Ports and packet counts fit 16 bits and byte counts 32 bits almost always, timestamps of a
//! log are whole seconds within a few decades of each other, and numbers such as ports and
//! status codes are whole numbers below 2¹⁶. So [`UInts`] keeps `u16` until a value reaches
//! 2¹⁶ − 1 and `u32` until 2³² − 1, [`Times`] keeps seconds as `i32` offsets from a base until a
//! value has milliseconds or lies 68 years away, and [`Floats`] keeps `u16` while every value is
//! a whole number below 2¹⁶ − 1, then `f32` until a value is not exactly representable. Reading
//! always gives back exactly the value stored (including the missing-value sentinels), whatever
//! the width: narrowing is never lossy. Like [`Codes`](super::Codes), this knows nothing about
//! what the values mean.

use super::{MISSING_TIME, MISSING_U64};

/// Non-negative integers; [`MISSING_U64`] marks a missing value.
#[derive(Debug, Clone, PartialEq)]
pub enum UInts {
    /// `u16::MAX` stands for [`MISSING_U64`] (ports, packet counts, status codes).
    U16(Vec<u16>),
    /// `u32::MAX` stands for [`MISSING_U64`].
    U32(Vec<u32>),
    U64(Vec<u64>),
}

/// Epoch milliseconds; [`MISSING_TIME`] marks a missing value.
#[derive(Debug, Clone, PartialEq)]
pub enum Times {
    /// Whole seconds: `base_ms + 1000 · offset`; `i32::MIN` stands for [`MISSING_TIME`].
    /// `base_ms` is `None` until the first present value.
    Secs {
        base_ms: Option<i64>,
        offsets: Vec<i32>,
    },
    Millis(Vec<i64>),
}

/// Floating-point numbers; `NaN` marks a missing value.
#[derive(Debug, Clone, PartialEq)]
pub enum Floats {
    /// Whole numbers 0 to 65 534 (ports, status codes); `u16::MAX` stands for `f64::NAN`.
    U16(Vec<u16>),
    /// Every value (and `NaN` as `f64::NAN`'s bits) round-trips through `f32` exactly.
    F32(Vec<f32>),
    F64(Vec<f64>),
}

const U16_MISSING: u16 = u16::MAX;
const U32_MISSING: u32 = u32::MAX;
const SECS_MISSING: i32 = i32::MIN;

impl Default for UInts {
    fn default() -> Self {
        UInts::U16(Vec::new())
    }
}

impl UInts {
    pub fn with_capacity(n: usize) -> Self {
        UInts::U16(Vec::with_capacity(n))
    }
    pub fn len(&self) -> usize {
        match self {
            UInts::U16(v) => v.len(),
            UInts::U32(v) => v.len(),
            UInts::U64(v) => v.len(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The value at `i` ([`MISSING_U64`] when missing), `None` past the end.
    #[inline]
    pub fn get(&self, i: usize) -> Option<u64> {
        match self {
            UInts::U16(v) => v.get(i).map(|&x| widen_u16(x)),
            UInts::U32(v) => v.get(i).map(|&x| widen_u32(x)),
            UInts::U64(v) => v.get(i).copied(),
        }
    }
    /// Appends a value, widening the storage if it does not fit.
    #[inline]
    pub fn push(&mut self, x: u64) {
        match self {
            UInts::U16(v) => match narrow_u16(x) {
                Some(n) => v.push(n),
                None => {
                    self.widen_for(x);
                    self.push(x);
                }
            },
            UInts::U32(v) => match narrow_u32(x) {
                Some(n) => v.push(n),
                None => {
                    self.widen_for(x);
                    self.push(x);
                }
            },
            UInts::U64(v) => v.push(x),
        }
    }
    /// Appends every value of a slice.
    pub fn extend_from_slice(&mut self, xs: &[u64]) {
        if let Some(&widest) = xs.iter().filter(|&&x| x != MISSING_U64).max_by_key(|&&x| x) {
            self.widen_for(widest);
        }
        match self {
            UInts::U16(v) => v.extend(xs.iter().map(|&x| narrow_u16(x).unwrap_or(U16_MISSING))),
            UInts::U32(v) => v.extend(xs.iter().map(|&x| narrow_u32(x).unwrap_or(U32_MISSING))),
            UInts::U64(v) => v.extend_from_slice(xs),
        }
    }
    /// Appends another column's values.
    pub fn append(&mut self, other: &UInts) {
        self.widen_to(other.width());
        match (&mut *self, other) {
            (UInts::U16(d), UInts::U16(s)) => d.extend_from_slice(s),
            (UInts::U32(d), UInts::U32(s)) => d.extend_from_slice(s),
            (UInts::U64(d), UInts::U64(s)) => d.extend_from_slice(s),
            (UInts::U32(d), UInts::U16(s)) => d.extend(s.iter().map(|&x| u16_to_u32(x))),
            (UInts::U64(d), UInts::U16(s)) => d.extend(s.iter().map(|&x| widen_u16(x))),
            (UInts::U64(d), UInts::U32(s)) => d.extend(s.iter().map(|&x| widen_u32(x))),
            // `widen_to` made this at least as wide as `other`.
            (UInts::U16(_), _) | (UInts::U32(_), UInts::U64(_)) => {}
        }
    }
    /// Bytes per value of the storage.
    fn width(&self) -> u8 {
        match self {
            UInts::U16(_) => 2,
            UInts::U32(_) => 4,
            UInts::U64(_) => 8,
        }
    }
    /// Widens the storage so that `x` fits.
    fn widen_for(&mut self, x: u64) {
        let width = if narrow_u16(x).is_some() {
            2
        } else if narrow_u32(x).is_some() {
            4
        } else {
            8
        };
        self.widen_to(width);
    }
    /// Widens the storage to at least `width` bytes per value.
    fn widen_to(&mut self, width: u8) {
        if width <= self.width() {
            return;
        }
        let cap = |len: usize, capacity: usize| capacity.max(len + 1);
        *self = match (&*self, width) {
            (UInts::U16(v), 4) => {
                let mut w = Vec::with_capacity(cap(v.len(), v.capacity()));
                w.extend(v.iter().map(|&x| u16_to_u32(x)));
                UInts::U32(w)
            }
            (UInts::U16(v), _) => {
                let mut w = Vec::with_capacity(cap(v.len(), v.capacity()));
                w.extend(v.iter().map(|&x| widen_u16(x)));
                UInts::U64(w)
            }
            (UInts::U32(v), _) => {
                let mut w = Vec::with_capacity(cap(v.len(), v.capacity()));
                w.extend(v.iter().map(|&x| widen_u32(x)));
                UInts::U64(w)
            }
            (UInts::U64(_), _) => return,
        };
    }
    /// Calls `f` with every value in order.
    #[inline]
    pub fn for_each(&self, mut f: impl FnMut(u64)) {
        match self {
            UInts::U16(v) => v.iter().for_each(|&x| f(widen_u16(x))),
            UInts::U32(v) => v.iter().for_each(|&x| f(widen_u32(x))),
            UInts::U64(v) => v.iter().for_each(|&x| f(x)),
        }
    }
    pub fn to_vec(&self) -> Vec<u64> {
        let mut out = Vec::with_capacity(self.len());
        self.for_each(|x| out.push(x));
        out
    }
    /// Writes values `first..first + out.len()` into `out`; `false` (and nothing written) when
    /// the range runs past the end.
    pub fn copy_range(&self, first: usize, out: &mut [u64]) -> bool {
        let span = first..first.saturating_add(out.len());
        match self {
            UInts::U16(v) => v.get(span).is_some_and(|src| {
                out.iter_mut()
                    .zip(src)
                    .for_each(|(o, &x)| *o = widen_u16(x));
                true
            }),
            UInts::U32(v) => v.get(span).is_some_and(|src| {
                out.iter_mut()
                    .zip(src)
                    .for_each(|(o, &x)| *o = widen_u32(x));
                true
            }),
            UInts::U64(v) => v.get(span).is_some_and(|src| {
                out.copy_from_slice(src);
                true
            }),
        }
    }
    pub fn shrink_to_fit(&mut self) {
        match self {
            UInts::U16(v) => v.shrink_to_fit(),
            UInts::U32(v) => v.shrink_to_fit(),
            UInts::U64(v) => v.shrink_to_fit(),
        }
    }
    pub fn heap_bytes(&self) -> usize {
        match self {
            UInts::U16(v) => v.capacity() * 2,
            UInts::U32(v) => v.capacity() * 4,
            UInts::U64(v) => v.capacity() * 8,
        }
    }
}

impl From<Vec<u64>> for UInts {
    /// The narrowest storage for the values.
    fn from(v: Vec<u64>) -> Self {
        let mut out = UInts::with_capacity(v.len());
        out.extend_from_slice(&v);
        out
    }
}

impl FromIterator<u64> for UInts {
    fn from_iter<I: IntoIterator<Item = u64>>(iter: I) -> Self {
        let mut out = UInts::default();
        iter.into_iter().for_each(|x| out.push(x));
        out
    }
}

#[inline]
fn narrow_u16(x: u64) -> Option<u16> {
    if x == MISSING_U64 {
        Some(U16_MISSING)
    } else {
        u16::try_from(x).ok().filter(|&n| n != U16_MISSING)
    }
}

#[inline]
fn widen_u16(x: u16) -> u64 {
    if x == U16_MISSING {
        MISSING_U64
    } else {
        u64::from(x)
    }
}

#[inline]
fn u16_to_u32(x: u16) -> u32 {
    if x == U16_MISSING {
        U32_MISSING
    } else {
        u32::from(x)
    }
}

#[inline]
fn narrow_u32(x: u64) -> Option<u32> {
    if x == MISSING_U64 {
        Some(U32_MISSING)
    } else {
        u32::try_from(x).ok().filter(|&n| n != U32_MISSING)
    }
}

#[inline]
fn widen_u32(x: u32) -> u64 {
    if x == U32_MISSING {
        MISSING_U64
    } else {
        u64::from(x)
    }
}

impl Default for Times {
    fn default() -> Self {
        Times::Secs {
            base_ms: None,
            offsets: Vec::new(),
        }
    }
}

impl Times {
    pub fn with_capacity(n: usize) -> Self {
        Times::Secs {
            base_ms: None,
            offsets: Vec::with_capacity(n),
        }
    }
    pub fn len(&self) -> usize {
        match self {
            Times::Secs { offsets, .. } => offsets.len(),
            Times::Millis(v) => v.len(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The value at `i` ([`MISSING_TIME`] when missing), `None` past the end.
    #[inline]
    pub fn get(&self, i: usize) -> Option<i64> {
        match self {
            Times::Secs { base_ms, offsets } => offsets.get(i).map(|&o| secs_ms(*base_ms, o)),
            Times::Millis(v) => v.get(i).copied(),
        }
    }
    /// Appends a value, widening the storage if it does not fit.
    #[inline]
    pub fn push(&mut self, x: i64) {
        if let Times::Secs { base_ms, offsets } = self {
            if x == MISSING_TIME {
                return offsets.push(SECS_MISSING);
            }
            if base_ms.is_none() && x % 1000 == 0 {
                *base_ms = Some(x);
            }
            match base_ms.and_then(|b| secs_offset(b, x)) {
                Some(o) => return offsets.push(o),
                None => self.widen(),
            }
        }
        if let Times::Millis(v) = self {
            v.push(x);
        }
    }
    pub fn extend_from_slice(&mut self, xs: &[i64]) {
        if let Times::Secs { offsets, .. } = self {
            offsets.reserve(xs.len());
        }
        for &x in xs {
            self.push(x);
        }
    }
    /// Appends another column's values.
    pub fn append(&mut self, other: &Times) {
        match (&mut *self, other) {
            (
                Times::Secs {
                    base_ms: base @ None,
                    offsets,
                },
                Times::Secs {
                    base_ms: from,
                    offsets: s,
                },
            ) if offsets.iter().all(|&o| o == SECS_MISSING) => {
                // Nothing present yet: adopt the other's base.
                *base = *from;
                offsets.extend_from_slice(s);
            }
            (
                Times::Secs {
                    base_ms: Some(to),
                    offsets,
                },
                Times::Secs {
                    base_ms: Some(from),
                    offsets: s,
                },
            ) if from.checked_sub(*to).is_some() => {
                // Bases are whole seconds. Re-base the other's offsets; fall back to value by
                // value if one does not fit.
                let shift = (*from - *to) / 1000;
                let fits = s.iter().all(|&o| {
                    o == SECS_MISSING
                        || i32::try_from(i64::from(o) + shift).is_ok_and(|n| n != SECS_MISSING)
                });
                if fits {
                    offsets.extend(s.iter().map(|&o| {
                        if o == SECS_MISSING {
                            SECS_MISSING
                        } else {
                            (i64::from(o) + shift) as i32
                        }
                    }));
                } else {
                    other.for_each(|x| self.push(x));
                }
            }
            _ => other.for_each(|x| self.push(x)),
        }
    }
    fn widen(&mut self) {
        if let Times::Secs { base_ms, offsets } = self {
            let mut w = Vec::with_capacity(offsets.capacity().max(offsets.len() + 1));
            w.extend(offsets.iter().map(|&o| secs_ms(*base_ms, o)));
            *self = Times::Millis(w);
        }
    }
    #[inline]
    pub fn for_each(&self, mut f: impl FnMut(i64)) {
        match self {
            Times::Secs { base_ms, offsets } => {
                offsets.iter().for_each(|&o| f(secs_ms(*base_ms, o)));
            }
            Times::Millis(v) => v.iter().for_each(|&x| f(x)),
        }
    }
    pub fn to_vec(&self) -> Vec<i64> {
        let mut out = Vec::with_capacity(self.len());
        self.for_each(|x| out.push(x));
        out
    }
    /// Writes values `first..first + out.len()` into `out`; `false` (and nothing written) when
    /// the range runs past the end.
    pub fn copy_range(&self, first: usize, out: &mut [i64]) -> bool {
        let span = first..first.saturating_add(out.len());
        match self {
            Times::Secs { base_ms, offsets } => offsets.get(span).is_some_and(|src| {
                out.iter_mut()
                    .zip(src)
                    .for_each(|(o, &x)| *o = secs_ms(*base_ms, x));
                true
            }),
            Times::Millis(v) => v.get(span).is_some_and(|src| {
                out.copy_from_slice(src);
                true
            }),
        }
    }
    pub fn shrink_to_fit(&mut self) {
        match self {
            Times::Secs { offsets, .. } => offsets.shrink_to_fit(),
            Times::Millis(v) => v.shrink_to_fit(),
        }
    }
    pub fn heap_bytes(&self) -> usize {
        match self {
            Times::Secs { offsets, .. } => offsets.capacity() * 4,
            Times::Millis(v) => v.capacity() * 8,
        }
    }
}

impl From<Vec<i64>> for Times {
    fn from(v: Vec<i64>) -> Self {
        let mut out = Times::with_capacity(v.len());
        out.extend_from_slice(&v);
        out
    }
}

impl FromIterator<i64> for Times {
    fn from_iter<I: IntoIterator<Item = i64>>(iter: I) -> Self {
        let mut out = Times::default();
        iter.into_iter().for_each(|x| out.push(x));
        out
    }
}

/// The offset of `x` from `base` in whole seconds, when it is whole seconds and fits.
#[inline]
fn secs_offset(base: i64, x: i64) -> Option<i32> {
    let d = x.checked_sub(base)?;
    if d % 1000 != 0 {
        return None;
    }
    i32::try_from(d / 1000).ok().filter(|&o| o != SECS_MISSING)
}

#[inline]
fn secs_ms(base: Option<i64>, o: i32) -> i64 {
    match base {
        Some(b) if o != SECS_MISSING => b + i64::from(o) * 1000,
        _ => MISSING_TIME,
    }
}

impl Default for Floats {
    fn default() -> Self {
        Floats::U16(Vec::new())
    }
}

impl Floats {
    pub fn with_capacity(n: usize) -> Self {
        Floats::U16(Vec::with_capacity(n))
    }
    pub fn len(&self) -> usize {
        match self {
            Floats::U16(v) => v.len(),
            Floats::F32(v) => v.len(),
            Floats::F64(v) => v.len(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The value at `i` (`NaN` when missing), `None` past the end.
    #[inline]
    pub fn get(&self, i: usize) -> Option<f64> {
        match self {
            Floats::U16(v) => v.get(i).map(|&x| u16_to_f64(x)),
            Floats::F32(v) => v.get(i).map(|&x| f64::from(x)),
            Floats::F64(v) => v.get(i).copied(),
        }
    }
    #[inline]
    pub fn push(&mut self, x: f64) {
        match self {
            Floats::U16(v) => match float_u16(x) {
                Some(n) => v.push(n),
                None => {
                    self.widen_to(float_width(x));
                    self.push(x);
                }
            },
            Floats::F32(v) => match narrow_f32(x) {
                Some(n) => v.push(n),
                None => {
                    self.widen_to(8);
                    self.push(x);
                }
            },
            Floats::F64(v) => v.push(x),
        }
    }
    pub fn extend_from_slice(&mut self, xs: &[f64]) {
        let width = xs.iter().map(|&x| float_width(x)).max().unwrap_or(2);
        self.widen_to(width);
        match self {
            Floats::U16(v) => v.extend(xs.iter().map(|&x| float_u16(x).unwrap_or(U16_MISSING))),
            Floats::F32(v) => v.extend(xs.iter().map(|&x| x as f32)),
            Floats::F64(v) => v.extend_from_slice(xs),
        }
    }
    /// Appends another column's values.
    pub fn append(&mut self, other: &Floats) {
        self.widen_to(other.width());
        match (&mut *self, other) {
            (Floats::U16(d), Floats::U16(s)) => d.extend_from_slice(s),
            (Floats::F32(d), Floats::F32(s)) => d.extend_from_slice(s),
            (Floats::F64(d), Floats::F64(s)) => d.extend_from_slice(s),
            (Floats::F32(d), Floats::U16(s)) => d.extend(s.iter().map(|&x| u16_to_f64(x) as f32)),
            (Floats::F64(d), Floats::U16(s)) => d.extend(s.iter().map(|&x| u16_to_f64(x))),
            (Floats::F64(d), Floats::F32(s)) => d.extend(s.iter().map(|&x| f64::from(x))),
            // `widen_to` made this at least as wide as `other`.
            (Floats::U16(_), _) | (Floats::F32(_), Floats::F64(_)) => {}
        }
    }
    /// Bytes per value of the storage.
    fn width(&self) -> u8 {
        match self {
            Floats::U16(_) => 2,
            Floats::F32(_) => 4,
            Floats::F64(_) => 8,
        }
    }
    /// Widens the storage to at least `width` bytes per value.
    fn widen_to(&mut self, width: u8) {
        if width <= self.width() {
            return;
        }
        let cap = |len: usize, capacity: usize| capacity.max(len + 1);
        *self = match (&*self, width) {
            (Floats::U16(v), 4) => {
                let mut w = Vec::with_capacity(cap(v.len(), v.capacity()));
                w.extend(v.iter().map(|&x| u16_to_f64(x) as f32));
                Floats::F32(w)
            }
            (Floats::U16(v), _) => {
                let mut w = Vec::with_capacity(cap(v.len(), v.capacity()));
                w.extend(v.iter().map(|&x| u16_to_f64(x)));
                Floats::F64(w)
            }
            (Floats::F32(v), _) => {
                let mut w = Vec::with_capacity(cap(v.len(), v.capacity()));
                w.extend(v.iter().map(|&x| f64::from(x)));
                Floats::F64(w)
            }
            (Floats::F64(_), _) => return,
        };
    }
    #[inline]
    pub fn for_each(&self, mut f: impl FnMut(f64)) {
        match self {
            Floats::U16(v) => v.iter().for_each(|&x| f(u16_to_f64(x))),
            Floats::F32(v) => v.iter().for_each(|&x| f(f64::from(x))),
            Floats::F64(v) => v.iter().for_each(|&x| f(x)),
        }
    }
    pub fn to_vec(&self) -> Vec<f64> {
        let mut out = Vec::with_capacity(self.len());
        self.for_each(|x| out.push(x));
        out
    }
    /// Writes values `first..first + out.len()` into `out`; `false` (and nothing written) when
    /// the range runs past the end.
    pub fn copy_range(&self, first: usize, out: &mut [f64]) -> bool {
        let span = first..first.saturating_add(out.len());
        match self {
            Floats::U16(v) => v.get(span).is_some_and(|src| {
                out.iter_mut()
                    .zip(src)
                    .for_each(|(o, &x)| *o = u16_to_f64(x));
                true
            }),
            Floats::F32(v) => v.get(span).is_some_and(|src| {
                out.iter_mut()
                    .zip(src)
                    .for_each(|(o, &x)| *o = f64::from(x));
                true
            }),
            Floats::F64(v) => v.get(span).is_some_and(|src| {
                out.copy_from_slice(src);
                true
            }),
        }
    }
    pub fn shrink_to_fit(&mut self) {
        match self {
            Floats::U16(v) => v.shrink_to_fit(),
            Floats::F32(v) => v.shrink_to_fit(),
            Floats::F64(v) => v.shrink_to_fit(),
        }
    }
    pub fn heap_bytes(&self) -> usize {
        match self {
            Floats::U16(v) => v.capacity() * 2,
            Floats::F32(v) => v.capacity() * 4,
            Floats::F64(v) => v.capacity() * 8,
        }
    }
}

impl From<Vec<f64>> for Floats {
    fn from(v: Vec<f64>) -> Self {
        let mut out = Floats::with_capacity(v.len());
        out.extend_from_slice(&v);
        out
    }
}

impl FromIterator<f64> for Floats {
    fn from_iter<I: IntoIterator<Item = f64>>(iter: I) -> Self {
        let mut out = Floats::default();
        iter.into_iter().for_each(|x| out.push(x));
        out
    }
}

/// `x` as a `u16` code when it is `f64::NAN` (bit for bit) or a whole number 0 to 65 534
/// (not `-0.0`).
#[inline]
fn float_u16(x: f64) -> Option<u16> {
    if x.to_bits() == f64::NAN.to_bits() {
        return Some(U16_MISSING);
    }
    let n = x as u16;
    (n != U16_MISSING && f64::from(n).to_bits() == x.to_bits()).then_some(n)
}

#[inline]
fn u16_to_f64(x: u16) -> f64 {
    if x == U16_MISSING {
        f64::NAN
    } else {
        f64::from(x)
    }
}

/// Bytes per value `x` needs.
#[inline]
fn float_width(x: f64) -> u8 {
    if float_u16(x).is_some() {
        2
    } else if narrow_f32(x).is_some() {
        4
    } else {
        8
    }
}

/// `x` as `f32` when that round-trips bit for bit.
#[inline]
fn narrow_f32(x: f64) -> Option<f32> {
    let n = x as f32;
    (f64::from(n).to_bits() == x.to_bits()).then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uints_start_at_16_bits_and_append_across_widths() {
        let mut u = UInts::default();
        for x in [0, 443, MISSING_U64, 65_534] {
            u.push(x);
        }
        assert!(matches!(u, UInts::U16(_)));
        u.push(65_535);
        assert!(matches!(u, UInts::U32(_)));
        let narrow: UInts = vec![1, MISSING_U64, 65_534].into();
        let wide: UInts = vec![MISSING_U64, 1 << 40].into();
        assert!(matches!(narrow, UInts::U16(_)));
        assert!(matches!(wide, UInts::U64(_)));
        let mut all = UInts::default();
        for part in [&narrow, &u, &narrow, &wide, &narrow] {
            all.append(part);
        }
        let mut want = Vec::new();
        for part in [&narrow, &u, &narrow, &wide, &narrow] {
            want.extend(part.to_vec());
        }
        assert_eq!(all.to_vec(), want);
        assert!(matches!(all, UInts::U64(_)));
        let mut from_slice = UInts::default();
        from_slice.extend_from_slice(&[MISSING_U64, 9]);
        assert!(matches!(from_slice, UInts::U16(_)));
        from_slice.extend_from_slice(&[70_000, MISSING_U64]);
        assert_eq!(
            from_slice.to_vec(),
            vec![MISSING_U64, 9, 70_000, MISSING_U64]
        );
        let mut buf = [0u64; 2];
        assert!(narrow.copy_range(1, &mut buf));
        assert_eq!(buf, [MISSING_U64, 65_534]);
        assert!(!narrow.copy_range(2, &mut buf));
    }

    #[test]
    fn uints_narrow_then_widen_keeping_every_value() {
        let mut u = UInts::default();
        for x in [0, 7, MISSING_U64, u64::from(u32::MAX) - 1] {
            u.push(x);
        }
        assert!(matches!(u, UInts::U32(_)));
        u.push(u64::from(u32::MAX));
        assert!(matches!(u, UInts::U64(_)));
        u.push(u64::MAX - 1);
        assert_eq!(
            u.to_vec(),
            vec![
                0,
                7,
                MISSING_U64,
                u64::from(u32::MAX) - 1,
                u64::from(u32::MAX),
                u64::MAX - 1
            ]
        );
        assert_eq!(u.get(2), Some(MISSING_U64));
        assert_eq!(u.get(6), None);
        let mut s = UInts::default();
        s.extend_from_slice(&[1, 2]);
        s.extend_from_slice(&[3, 1 << 40]);
        assert_eq!(s, UInts::U64(vec![1, 2, 3, 1 << 40]));
    }

    #[test]
    fn times_keep_seconds_until_a_value_needs_milliseconds() {
        let t0 = 1_714_086_000_000;
        let mut t = Times::default();
        for x in [
            MISSING_TIME,
            t0,
            t0 - 3_600_000,
            t0 + 1_000 * i64::from(i32::MAX),
        ] {
            t.push(x);
        }
        assert!(matches!(t, Times::Secs { .. }));
        assert_eq!(t.get(0), Some(MISSING_TIME));
        assert_eq!(t.get(2), Some(t0 - 3_600_000));
        // Milliseconds, then far away: both widen (once) and every value stays.
        let mut a = t.clone();
        a.push(t0 + 1);
        assert!(matches!(a, Times::Millis(_)));
        let mut b = t.clone();
        b.push(t0 - 1_000 * (i64::from(i32::MAX) + 2));
        assert!(matches!(b, Times::Millis(_)));
        // i32::MIN seconds away is the sentinel, so it does not fit either.
        let mut c = t.clone();
        c.push(t0 + 1_000 * i64::from(i32::MIN));
        assert!(matches!(c, Times::Millis(_)));
        for v in [a, b, c] {
            assert_eq!(&v.to_vec()[..4], &t.to_vec()[..]);
        }
        // A first value with milliseconds sets no base.
        let odd: Times = vec![t0 + 5, t0].into();
        assert_eq!(odd.to_vec(), vec![t0 + 5, t0]);
        let extreme: Times = vec![i64::MAX, i64::MIN + 1, 0].into();
        assert_eq!(extreme.to_vec(), vec![i64::MAX, i64::MIN + 1, 0]);
    }

    /// Appending gives what pushing every value gives, whatever the two sides' layouts.
    #[test]
    fn append_equals_pushing_each_value() {
        let t0 = 1_714_086_000_000i64;
        let times: Vec<Vec<i64>> = vec![
            vec![],
            vec![MISSING_TIME, MISSING_TIME],
            vec![t0, t0 + 600_000, MISSING_TIME],
            vec![t0 + 7_000_000_000, t0 - 9_000_000],
            vec![t0 + 1_000 * i64::from(i32::MAX) + 5_000_000],
            vec![t0 + 1, t0],
            vec![t0 - 1_000 * i64::from(i32::MAX)],
        ];
        for a in &times {
            for b in &times {
                let mut x: Times = a.clone().into();
                x.append(&b.clone().into());
                let mut y: Times = a.clone().into();
                b.iter().for_each(|&v| y.push(v));
                let want: Vec<i64> = a.iter().chain(b).copied().collect();
                assert_eq!(x.to_vec(), want, "{a:?} + {b:?}");
                assert_eq!(y.to_vec(), want);
            }
        }
        let uints: Vec<Vec<u64>> = vec![vec![], vec![1, MISSING_U64], vec![1 << 33, 2]];
        for a in &uints {
            for b in &uints {
                let mut x: UInts = a.clone().into();
                x.append(&b.clone().into());
                let want: Vec<u64> = a.iter().chain(b).copied().collect();
                assert_eq!(x.to_vec(), want);
            }
        }
        let floats: Vec<Vec<f64>> = vec![vec![], vec![1.5, f64::NAN], vec![0.1, 2.0]];
        for a in &floats {
            for b in &floats {
                let mut x: Floats = a.clone().into();
                x.append(&b.clone().into());
                let want: Vec<u64> = a.iter().chain(b).map(|v| v.to_bits()).collect();
                assert_eq!(
                    x.to_vec().iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                    want
                );
            }
        }
    }

    #[test]
    fn floats_stay_u16_while_whole_and_small_keeping_every_bit() {
        let small = [0.0, 443.0, f64::NAN, 65_534.0];
        let f: Floats = small.to_vec().into();
        assert!(matches!(f, Floats::U16(_)));
        let bits = |f: &Floats| -> Vec<u64> { f.to_vec().iter().map(|x| x.to_bits()).collect() };
        let want: Vec<u64> = small.iter().map(|x| x.to_bits()).collect();
        assert_eq!(bits(&f), want);
        for (next, wide) in [(65_535.0, 4), (-0.0, 4), (0.5, 4), (-1.0, 4), (0.1, 8)] {
            let mut g = f.clone();
            g.push(next);
            assert_eq!(g.width(), wide, "{next}");
            let mut w = want.clone();
            w.push(f64::to_bits(next));
            assert_eq!(bits(&g), w, "{next}");
            let mut joined = Floats::default();
            joined.append(&f);
            joined.append(&g);
            joined.append(&f);
            let mut all = want.clone();
            all.extend(&w);
            all.extend(&want);
            assert_eq!(bits(&joined), all, "{next}");
        }
        let odd_nan = f64::from_bits(f64::NAN.to_bits() | 1);
        let mut g = f.clone();
        g.push(odd_nan);
        assert!(matches!(g, Floats::F64(_)));
        assert_eq!(g.get(4).map(f64::to_bits), Some(odd_nan.to_bits()));
        assert_eq!(g.get(2).map(f64::to_bits), Some(f64::NAN.to_bits()));
        let mut out = [0.0; 2];
        assert!(f.copy_range(2, &mut out));
        assert_eq!(
            out.map(f64::to_bits),
            [f64::NAN.to_bits(), 65_534f64.to_bits()]
        );
    }

    #[test]
    fn floats_stay_f32_only_when_exact() {
        let exact = [200.0, 443.0, -0.0, 0.5, f64::NAN, 1e30f32 as f64];
        let f: Floats = exact.to_vec().into();
        assert!(matches!(f, Floats::F32(_)));
        let bits: Vec<u64> = f.to_vec().iter().map(|x| x.to_bits()).collect();
        let want: Vec<u64> = exact.iter().map(|x| x.to_bits()).collect();
        assert_eq!(bits, want);
        for inexact in [0.1, 1e300, f64::from_bits(f64::NAN.to_bits() | 1)] {
            let mut g = f.clone();
            g.push(inexact);
            assert!(matches!(g, Floats::F64(_)));
            assert_eq!(g.get(6).map(f64::to_bits), Some(inexact.to_bits()));
            assert_eq!(g.get(4).map(f64::to_bits), Some(f64::NAN.to_bits()));
        }
    }
}
