//! The visual grammar of the figures: what a series is, which fixes how it is drawn (shared by
//! the figure model and the record of what was drawn).

/// What a series is; it fixes how the series is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Measured: filled markers with ±1 standard-error bars.
    Measured,
    /// Exact theory: solid line.
    Exact,
    /// Leading order (the Gaussian process alone): dotted line.
    LeadingOrder,
    /// A model with fitted parameters (power-law fit, EFT couplings): dashed line.
    Model,
    /// Theory through the order after the leading one: long-dashed line.
    NextOrder,
    /// A background (noise) level: grey band from the axis floor up to it.
    Background,
    /// Contour lines of a measured density (a histogram): thin solid lines.
    MeasuredContour,
    /// Contour lines of a predicted density, at the levels of the measured one: dashed lines.
    PredictedContour,
}

impl Kind {
    /// Whether the series is a set of contour lines (each closes or ends on the plotting
    /// area's edge; [`super::Drawing::problems`] checks it).
    pub fn is_contour(self) -> bool {
        matches!(self, Kind::MeasuredContour | Kind::PredictedContour)
    }
}

impl Kind {
    /// The caption's words for this style.
    pub(super) fn grammar(self) -> &'static str {
        match self {
            Kind::Measured => "markers with bars: measured, ±1 standard error",
            Kind::Exact => "solid: exact theory",
            Kind::LeadingOrder => "dotted: leading order",
            Kind::Model => "dashed: fitted model",
            Kind::NextOrder => "long dashes: theory through the next order",
            Kind::Background => "grey band: background",
            Kind::MeasuredContour => "thin solid contours: measured density (histogram)",
            Kind::PredictedContour => "dashed contours: predicted density at the same levels",
        }
    }
}
