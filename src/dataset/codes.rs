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

    /// Appends `other`'s codes, each mapped through `remap`.
    pub fn extend_mapped(&mut self, other: &Codes, remap: &[u32]) {
        other.for_each(|_, c| self.push(remap.get(c as usize).copied().unwrap_or(0)));
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
