//! A computed value with a bound on its absolute error ([`Bounded`]), carried through the
//! recursions' sums and products.

use crate::ntk::product_error;
use std::ops::{Add, Mul, Sub};

/// A computed value `x̂` with a bound `e` on `|x̂ − x|`: sums and differences add the bounds,
/// products take [`product_error`] (`|x̂ ŷ − x y| <= |x̂| e_y + e_x (|ŷ| + e_y)`), a product
/// with an exact constant `c` scales the bound by `|c|`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Bounded {
    pub value: f64,
    pub error: f64,
}

impl Bounded {
    pub fn new(value: f64, error: f64) -> Self {
        Self { value, error }
    }

    pub fn exact(value: f64) -> Self {
        Self { value, error: 0.0 }
    }

    /// Times an exact constant.
    pub fn scale(self, c: f64) -> Self {
        Self { value: c * self.value, error: c.abs() * self.error }
    }
}

impl Add for Bounded {
    type Output = Self;
    fn add(self, o: Self) -> Self {
        Self { value: self.value + o.value, error: self.error + o.error }
    }
}

impl Sub for Bounded {
    type Output = Self;
    fn sub(self, o: Self) -> Self {
        Self { value: self.value - o.value, error: self.error + o.error }
    }
}

impl Mul for Bounded {
    type Output = Self;
    fn mul(self, o: Self) -> Self {
        Self { value: self.value * o.value, error: product_error(self.value, self.error, o.value, o.error) }
    }
}
