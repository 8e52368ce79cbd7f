//! Run-time selection of the instruction set for hot loops.
//!
//! [`with_simd`] runs a kernel built for AVX2 + FMA when the CPU has them, else the baseline
//! build. Rust never reorders floating-point operations or fuses a multiply and an add unless
//! asked (`f64::mul_add`, exactly rounded on every target), so both builds of a kernel give
//! bit-identical results: the choice changes speed, never numbers.

/// Runs `kernel`, compiled for AVX2 + FMA when the CPU has them, else for the baseline target.
///
/// Only code inlined into the AVX2 wrapper is built for those features, so mark the closure
/// `#[inline(always)]` (and the functions it calls in the hot path): an un-inlined closure
/// is compiled once, for the baseline, and the dispatch changes nothing.
#[inline(always)]
pub fn with_simd<R>(kernel: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
        #[target_feature(enable = "avx2,fma")]
        fn avx2_fma<R>(kernel: impl FnOnce() -> R) -> R {
            kernel()
        }
        // SAFETY: the CPU supports AVX2 and FMA, the only requirements of `avx2_fma`.
        #[allow(unsafe_code)]
        unsafe {
            return avx2_fma(kernel);
        }
    }
    kernel()
}
