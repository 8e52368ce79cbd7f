//! The figures of the reports: what each shows, built from the stages' typed rows, drawn in
//! one visual grammar, written as SVG with a PNG beside it, and recorded (what was drawn
//! where) for the figure checks.
//!
//! - `plot` -- the figure model (panels, series, kinds) and its SVG rendering.
//! - `kind` -- the kinds of series, which fix how each is drawn.
//! - `drawing` -- the record of a rendered figure in pixels, and its checks.
//! - `raster` -- the PNG beside each SVG (resvg, embedded DejaVu Sans).
//! - `contour` -- contour lines of a function on a regular grid (marching squares).
//! - `scaling`, `agreement`, `table5`, `rg`, `depth`, `depth_next_order`, `action` -- the figures
//!   of the report's sections.
//! - `ntk` -- the NTK study's figure.

mod action;
mod agreement;
mod contour;
mod depth;
mod depth_next_order;
mod drawing;
mod kind;
mod ntk;
mod plot;
mod raster;
mod rg;
mod scaling;
mod table5;

pub use action::DENSITY_LEVELS;
pub use drawing::{CONTOUR_EDGE_PX, Drawing, DrawnErrorBar, DrawnPanel, DrawnSeries, LegendEntry, Rect};
pub use kind::Kind;
pub use plot::{Axis, Figure, Panel, Point, Series, colour};
pub use raster::png;
pub use scaling::name as scaling_name;

use anyhow::Result;
use nnqft_study::plan::Plan;

/// What the figures are drawn from: the stages' results and the plan that made them.
pub struct Inputs<'a> {
    /// The run's plan (experiments and nets per stage, for the captions).
    pub plan: &'a Plan,
    /// The scaling study.
    pub scaling: &'a nnqft_study::scaling::ScalingReport,
    /// Table 5.
    pub table5: &'a nnqft_study::table5::Table5Report,
    /// RG flow, 6-pt prediction, naturalness.
    pub rg: &'a nnqft_study::rg::RgReport,
    /// The depth study.
    pub depth: &'a nnqft_study::depth::DepthReport,
    /// The NTK study.
    pub ntk: &'a nnqft_study::ntk_study::NtkStudyReport,
    /// The action study.
    pub action: &'a nnqft_study::action_study::ActionStudyReport,
}

/// Every figure of a run, in report order.
pub fn all(inputs: &Inputs) -> Result<Vec<Figure>> {
    let mut out = scaling::figures(inputs.scaling, &inputs.plan.scaling);
    out.push(agreement::z_scores(inputs.scaling)?);
    out.push(table5::figure(inputs.table5, inputs.plan)?);
    out.extend(rg::figures(inputs.rg, inputs.plan));
    out.push(depth::figure(inputs.depth, &inputs.plan.depth));
    out.push(depth_next_order::figure(inputs.depth, &inputs.plan.depth));
    out.push(ntk::figure(inputs.ntk, &inputs.plan.ntk));
    out.push(action::distance_figure(inputs.action, &inputs.plan.action));
    out.extend(action::density_figure(inputs.action, &inputs.plan.action));
    Ok(out)
}

/// A rendered figure: its SVG, the PNG rasterised from it, and the record of what was drawn.
pub struct Rendered {
    /// The SVG document.
    pub svg: String,
    /// The PNG beside it.
    pub png: Vec<u8>,
    /// What was drawn where.
    pub drawing: Drawing,
}

/// Renders each figure (its SVG and PNG, written as `NAME.svg` and `NAME.png` by the caller).
pub fn render(figures: &[Figure]) -> Result<Vec<Rendered>> {
    figures
        .iter()
        .map(|f| {
            let (svg, drawing) = f.render()?;
            let png = png(&svg)?;
            Ok(Rendered { svg, png, drawing })
        })
        .collect()
}
