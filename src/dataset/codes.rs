//! Dictionary codes stored as narrow as the dictionary allows.
//!
//! A column with at most 256 distinct values takes one byte a row, with at most
//! 65,536 two bytes, otherwise four. [`Codes::push`] widens the storage when a
//! code no longer fits. This module knows nothing about what the codes mean.

#[derive(Debug, Clone)]
pub enum Codes {
    U8(Vec<u8>),
    U16(Vec<u16>),
    U32(Vec<u32>),
}

impl Default for Codes {
    fn default() -> Self {
        Codes::U8(Vec::new())
    }
}

impl Codes {
    pub fn with_capacity(n: usize) -> Self {
        Codes::U8(Vec::with_capacity(n))
    }

    pub fn len(&self) -> usize {
        match self {
            Codes::U8(v) => v.len(),
            Codes::U16(v) => v.len(),
            Codes::U32(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    #[inline]
    pub fn get(&self, i: usize) -> Option<u32> {
        match self {
            Codes::U8(v) => v.get(i).map(|&c| u32::from(c)),
            Codes::U16(v) => v.get(i).map(|&c| u32::from(c)),
            Codes::U32(v) => v.get(i).copied(),
        }
    }

    /// Appends a code, widening the storage if needed.
    #[inline]
    pub fn push(&mut self, code: u32) {
        match self {
            Codes::U8(v) => {
                if let Ok(c) = u8::try_from(code) {
                    v.push(c);
                    return;
                }
            }
            Codes::U16(v) => {
                if let Ok(c) = u16::try_from(code) {
                    v.push(c);
                    return;
                }
            }
            Codes::U32(v) => {
                v.push(code);
                return;
            }
        }
        self.widen_for(code);
        self.push(code);
    }

    fn widen_for(&mut self, code: u32) {
        let widened = match self {
            Codes::U8(v) if code <= u32::from(u16::MAX) => {
                let mut w = Vec::with_capacity(v.capacity().max(v.len() + 1));
                w.extend(v.iter().map(|&c| u16::from(c)));
                Codes::U16(w)
            }
            Codes::U8(v) => {
                let mut w = Vec::with_capacity(v.capacity().max(v.len() + 1));
                w.extend(v.iter().map(|&c| u32::from(c)));
                Codes::U32(w)
            }
            Codes::U16(v) => {
                let mut w = Vec::with_capacity(v.capacity().max(v.len() + 1));
                w.extend(v.iter().map(|&c| u32::from(c)));
                Codes::U32(w)
            }
            Codes::U32(_) => return,
        };
        *self = widened;
    }

    /// Calls `f` with every code in order (fast path for aggregations).
    pub fn for_each(&self, mut f: impl FnMut(usize, u32)) {
        match self {
            Codes::U8(v) => v.iter().enumerate().for_each(|(i, &c)| f(i, u32::from(c))),
            Codes::U16(v) => v.iter().enumerate().for_each(|(i, &c)| f(i, u32::from(c))),
            Codes::U32(v) => v.iter().enumerate().for_each(|(i, &c)| f(i, c)),
        }
    }

    /// All codes as `u32`.
    pub fn to_vec(&self) -> Vec<u32> {
        let mut out = Vec::with_capacity(self.len());
        self.for_each(|_, c| out.push(c));
        out
    }

    /// Codes at the given rows (missing rows get code 0).
    pub fn select(&self, rows: &[usize]) -> Codes {
        let mut out = Codes::with_capacity(rows.len());
        for &r in rows {
            out.push(self.get(r).unwrap_or(0));
        }
        out
    }

    /// Appends `other`'s codes, each mapped through `remap` (a code without an entry maps to 0).
    /// The result is what pushing the mapped codes one by one gives, in two tight passes: the
    /// widest mapped code first (to widen once), then the copy.
    pub fn extend_mapped(&mut self, other: &Codes, remap: &[u32]) {
        let map = |c: u32| remap.get(c as usize).copied().unwrap_or(0);
        let mut widest = 0;
        other.for_each(|_, c| widest = widest.max(map(c)));
        if other.is_empty() {
            return;
        }
        if match self {
            Codes::U8(_) => widest > u32::from(u8::MAX),
            Codes::U16(_) => widest > u32::from(u16::MAX),
            Codes::U32(_) => false,
        } {
            self.widen_for(widest);
        }
        fn copy<T>(
            dst: &mut Vec<T>,
            other: &Codes,
            map: impl Fn(u32) -> u32,
            cast: impl Fn(u32) -> T,
        ) {
            dst.reserve(other.len());
            match other {
                Codes::U8(v) => dst.extend(v.iter().map(|&c| cast(map(u32::from(c))))),
                Codes::U16(v) => dst.extend(v.iter().map(|&c| cast(map(u32::from(c))))),
                Codes::U32(v) => dst.extend(v.iter().map(|&c| cast(map(c)))),
            }
        }
        // The casts cannot truncate: every mapped code is at most `widest`, which fits.
        match self {
            Codes::U8(d) => copy(d, other, map, |c| c as u8),
            Codes::U16(d) => copy(d, other, map, |c| c as u16),
            Codes::U32(d) => copy(d, other, map, |c| c),
        }
    }

    pub fn shrink_to_fit(&mut self) {
        match self {
            Codes::U8(v) => v.shrink_to_fit(),
            Codes::U16(v) => v.shrink_to_fit(),
            Codes::U32(v) => v.shrink_to_fit(),
        }
    }

    pub fn heap_bytes(&self) -> usize {
        match self {
            Codes::U8(v) => v.capacity(),
            Codes::U16(v) => v.capacity() * 2,
            Codes::U32(v) => v.capacity() * 4,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widens_as_codes_grow_and_keeps_values() {
        let mut c = Codes::default();
        c.push(3);
        c.push(300);
        assert!(matches!(c, Codes::U16(_)));
        c.push(70_000);
        assert!(matches!(c, Codes::U32(_)));
        assert_eq!(c.to_vec(), vec![3, 300, 70_000]);
        assert_eq!(c.get(1), Some(300));
        assert_eq!(c.get(3), None);
    }

    #[test]
    fn extend_mapped_equals_pushing_one_by_one() {
        let sources = [
            (0..200u32).collect::<Vec<_>>(),
            (0..300u32).map(|i| i * 7 % 300).collect(),
            vec![],
        ];
        let remaps = [
            (0..300u32).collect::<Vec<_>>(),
            (0..300u32).map(|i| 299 - i).collect(),
            (0..300u32).map(|i| i * 1000).collect(),
            vec![5, 9],
        ];
        for start in [vec![], vec![1u32], vec![70_000]] {
            for src in &sources {
                for remap in &remaps {
                    let mut other = Codes::default();
                    src.iter().for_each(|&c| other.push(c));
                    let mut fast = Codes::default();
                    let mut slow = Codes::default();
                    for &c in &start {
                        fast.push(c);
                        slow.push(c);
                    }
                    fast.extend_mapped(&other, remap);
                    other.for_each(|_, c| slow.push(remap.get(c as usize).copied().unwrap_or(0)));
                    assert_eq!(fast.to_vec(), slow.to_vec());
                    assert_eq!(
                        std::mem::discriminant(&fast),
                        std::mem::discriminant(&slow),
                        "same width"
                    );
                }
            }
        }
    }

    #[test]
    fn extend_mapped_remaps() {
        let mut a = Codes::default();
        a.push(0);
        let mut b = Codes::default();
        b.push(0);
        b.push(1);
        a.extend_mapped(&b, &[5, 7]);
        assert_eq!(a.to_vec(), vec![0, 5, 7]);
    }
}
