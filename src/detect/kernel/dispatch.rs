//! Which scoring kernel runs on this machine, and why: the CPU's vector extensions, the
//! `THREATLENS_KERNEL` switch and the forest's feature count decide it once per scoring call.
//!
//! Owns the [`Kernel`] names, the parsing of `THREATLENS_KERNEL=avx512|avx2|portable` (read from the
//! environment like `RAYON_NUM_THREADS`: a switch for benchmarks and for telling two machines
//! apart, not configuration) and the plain-text account [`KernelChoice`] that `threatlens doctor`
//! prints. It must not score anything nor print: the kernels live beside it, the CLI shows the
//! choice.

use std::fmt;

/// The environment variable that forces a kernel.
pub const KERNEL_ENV: &str = "THREATLENS_KERNEL";

/// Most features the vector kernels take (their feature selection is a 4-bit blend tree).
pub(crate) const VECTOR_MAX_FEATURES: usize = 16;

/// A scoring kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kernel {
    /// Sixteen rows per instruction with AVX-512F (x86-64).
    Avx512,
    /// Eight rows per instruction with AVX2 on quantised features (x86-64).
    Avx2,
    /// Plain Rust, any CPU.
    Portable,
}

impl Kernel {
    /// The name `THREATLENS_KERNEL` takes and `doctor` prints.
    pub fn name(self) -> &'static str {
        match self {
            Self::Avx512 => "avx512",
            Self::Avx2 => "avx2",
            Self::Portable => "portable",
        }
    }

    fn parse(value: &str) -> Option<Self> {
        [Self::Avx512, Self::Avx2, Self::Portable]
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(value.trim()))
    }

    /// Whether this CPU can run the kernel.
    pub fn available(self) -> bool {
        match self {
            Self::Avx512 => has("avx512f"),
            Self::Avx2 => has("avx2"),
            Self::Portable => true,
        }
    }
}

impl fmt::Display for Kernel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The kernel chosen for a feature count, with the reason in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KernelChoice {
    /// The kernel that scores.
    pub kernel: Kernel,
    /// Why, in one sentence for a person.
    pub reason: String,
}

/// What `THREATLENS_KERNEL` asks for: `Ok(None)` when unset or empty, `Err(value)` when it names
/// no kernel.
pub fn requested() -> Result<Option<Kernel>, String> {
    match std::env::var(KERNEL_ENV) {
        Ok(v) if v.trim().is_empty() => Ok(None),
        Ok(v) => Kernel::parse(&v).map(Some).ok_or(v),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(v)) => Err(v.to_string_lossy().into_owned()),
    }
}

/// The kernel that scores rows of `d` features here, given the request (see [`requested`]).
pub fn choose(d: usize, request: Option<Kernel>) -> KernelChoice {
    let fits = d <= VECTOR_MAX_FEATURES;
    let best = if fits && Kernel::Avx512.available() {
        Kernel::Avx512
    } else if fits && Kernel::Avx2.available() {
        Kernel::Avx2
    } else {
        Kernel::Portable
    };
    let why_best = |k: Kernel| match k {
        Kernel::Avx512 => "the CPU has AVX-512F".to_owned(),
        Kernel::Avx2 if Kernel::Avx512.available() => {
            format!("the CPU has AVX2 (AVX-512 not used: {KERNEL_ENV} asked for avx2)")
        }
        Kernel::Avx2 => "the CPU has AVX2 but not AVX-512F".to_owned(),
        Kernel::Portable if !fits => {
            format!("{d} features is more than the vector kernels take ({VECTOR_MAX_FEATURES})")
        }
        Kernel::Portable => "the CPU has neither AVX2 nor AVX-512F".to_owned(),
    };
    let Some(want) = request else {
        return KernelChoice {
            kernel: best,
            reason: why_best(best),
        };
    };
    if want == Kernel::Portable {
        return KernelChoice {
            kernel: want,
            reason: format!("{KERNEL_ENV}=portable"),
        };
    }
    if !want.available() {
        return KernelChoice {
            kernel: best,
            reason: format!(
                "{KERNEL_ENV}={want} but this CPU lacks {}; using {best}: {}",
                if want == Kernel::Avx512 {
                    "AVX-512F"
                } else {
                    "AVX2"
                },
                why_best(best)
            ),
        };
    }
    if !fits {
        return KernelChoice {
            kernel: Kernel::Portable,
            reason: format!("{KERNEL_ENV}={want}, but {}", why_best(Kernel::Portable)),
        };
    }
    let reason = if want == Kernel::Avx2 {
        why_best(Kernel::Avx2)
    } else {
        format!("{KERNEL_ENV}={want}")
    };
    KernelChoice {
        kernel: want,
        reason,
    }
}

/// The x86-64 vector extensions this CPU reports that matter to threatlens (empty elsewhere).
pub fn cpu_features() -> Vec<&'static str> {
    [
        "sse4.2",
        "popcnt",
        "avx",
        "avx2",
        "fma",
        "bmi2",
        "avx512f",
        "avx512bw",
        "avx512vl",
        "avx512vbmi",
    ]
    .into_iter()
    .filter(|f| has(f))
    .collect()
}

#[cfg(target_arch = "x86_64")]
fn has(feature: &str) -> bool {
    use std::arch::is_x86_feature_detected as d;
    match feature {
        "sse4.2" => d!("sse4.2"),
        "popcnt" => d!("popcnt"),
        "avx" => d!("avx"),
        "avx2" => d!("avx2"),
        "fma" => d!("fma"),
        "bmi2" => d!("bmi2"),
        "avx512f" => d!("avx512f"),
        "avx512bw" => d!("avx512bw"),
        "avx512vl" => d!("avx512vl"),
        "avx512vbmi" => d!("avx512vbmi"),
        _ => false,
    }
}

#[cfg(not(target_arch = "x86_64"))]
fn has(_feature: &str) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_bad_names_are_refused() {
        for k in [Kernel::Avx512, Kernel::Avx2, Kernel::Portable] {
            assert_eq!(Kernel::parse(k.name()), Some(k));
        }
        assert_eq!(Kernel::parse(" AVX2 "), Some(Kernel::Avx2));
        assert_eq!(Kernel::parse("sse"), None);
    }

    #[test]
    fn the_choice_follows_the_request_when_the_cpu_can() {
        assert_eq!(choose(3, Some(Kernel::Portable)).kernel, Kernel::Portable);
        assert_eq!(choose(17, None).kernel, Kernel::Portable);
        assert!(choose(17, None).reason.contains("17 features"));
        let avx2 = choose(3, Some(Kernel::Avx2));
        assert_eq!(avx2.kernel == Kernel::Avx2, Kernel::Avx2.available());
        let wide = choose(3, Some(Kernel::Avx512));
        assert_eq!(wide.kernel == Kernel::Avx512, Kernel::Avx512.available());
        if !Kernel::Avx512.available() {
            assert!(wide.reason.contains("lacks AVX-512F"), "{}", wide.reason);
        }
        let default = choose(3, None);
        assert!(default.kernel.available());
        assert!(!default.reason.is_empty());
    }
}
