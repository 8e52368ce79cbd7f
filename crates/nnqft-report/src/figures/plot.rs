//! The figure model and its one visual grammar, rendered to SVG with plotters.
//!
//! A [`Figure`] is a grid of [`Panel`]s of [`Series`]; each series has a [`Kind`] that fixes how
//! it is drawn, the same in every figure:
//!
//! | kind | drawn as |
//! |------|----------|
//! | measured | filled markers with ±1 standard-error bars |
//! | exact theory | solid line |
//! | leading order | dotted line |
//! | fitted model | dashed line |
//! | background | grey band from the axis floor up to the level |
//! | measured contour | thin solid lines: level sets of a measured density |
//! | predicted contour | dashed lines: level sets of a predicted density |
//!
//! On a log axis an interval that reaches zero (or any point or bar end outside the axes) is
//! cut at the panel edge and marked there by an arrowhead. The legend sits in its own column
//! right of the panels, one entry per distinct series, each glyph drawn in the series' own
//! style. A caption under the figure states the grammar and what the bars are. Rendering
//! returns a [`Drawing`], the record of where everything landed.

use super::drawing::{Drawing, DrawnErrorBar, DrawnPanel, DrawnSeries, LegendEntry, Rect};
use super::kind::Kind;
use anyhow::{Result, anyhow};
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// The palette: one colour per order, network or model, never reused for another meaning
/// within a figure.
pub mod colour {
    use plotters::style::RGBColor;
    /// Blue.
    pub const BLUE: RGBColor = RGBColor(31, 119, 180);
    /// Red.
    pub const RED: RGBColor = RGBColor(214, 39, 40);
    /// Green.
    pub const GREEN: RGBColor = RGBColor(44, 160, 44);
    /// Purple.
    pub const PURPLE: RGBColor = RGBColor(148, 103, 189);
    /// Orange.
    pub const ORANGE: RGBColor = RGBColor(255, 127, 14);
    /// Cyan.
    pub const CYAN: RGBColor = RGBColor(23, 190, 207);
    /// Brown.
    pub const BROWN: RGBColor = RGBColor(140, 86, 75);
    /// Near black, for a single measured or exact series.
    pub const INK: RGBColor = RGBColor(40, 40, 40);
    /// Grey, for backgrounds.
    pub const GREY: RGBColor = RGBColor(128, 128, 128);
}

/// One value; `err` is its standard error (measured series only).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// Abscissa, in data units.
    pub x: f64,
    /// Ordinate, in data units.
    pub y: f64,
    /// ±1 standard error of `y`.
    pub err: Option<f64>,
}

/// One series.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend label.
    pub label: String,
    /// How it is drawn.
    pub kind: Kind,
    /// Its colour.
    pub colour: RGBColor,
    /// Its values.
    pub points: Vec<Point>,
}

impl Series {
    /// A measured series: `(x, y, standard error)`.
    pub fn measured(
        label: impl Into<String>,
        colour: RGBColor,
        pts: impl IntoIterator<Item = (f64, f64, f64)>,
    ) -> Self {
        let points = pts.into_iter().map(|(x, y, e)| Point { x, y, err: Some(e) }).collect();
        Self { label: label.into(), kind: Kind::Measured, colour, points }
    }

    /// Contour lines (kind [`Kind::MeasuredContour`] or [`Kind::PredictedContour`]): each
    /// line a polyline `(x, y)`; the lines are kept apart by a point with NaN coordinates,
    /// which breaks a drawn line.
    pub fn contours(
        label: impl Into<String>,
        kind: Kind,
        colour: RGBColor,
        lines: impl IntoIterator<Item = Vec<(f64, f64)>>,
    ) -> Self {
        let mut points = Vec::new();
        for line in lines {
            if !points.is_empty() {
                points.push(Point { x: f64::NAN, y: f64::NAN, err: None });
            }
            points.extend(line.into_iter().map(|(x, y)| Point { x, y, err: None }));
        }
        Self { label: label.into(), kind, colour, points }
    }

    /// A line or band: `(x, y)`.
    pub fn line(
        label: impl Into<String>,
        kind: Kind,
        colour: RGBColor,
        pts: impl IntoIterator<Item = (f64, f64)>,
    ) -> Self {
        let points = pts.into_iter().map(|(x, y)| Point { x, y, err: None }).collect();
        Self { label: label.into(), kind, colour, points }
    }
}

/// An axis.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    /// Label.
    pub label: String,
    /// Logarithmic (ticks in log10 units, as the label says).
    pub log: bool,
    /// Fixed range in data units; `None`: fit every value and error bar.
    pub range: Option<(f64, f64)>,
}

impl Axis {
    /// A linear axis.
    pub fn linear(label: impl Into<String>) -> Self {
        Self { label: label.into(), log: false, range: None }
    }

    /// A log10 axis; `label` names the quantity, the axis says `log10 label`.
    pub fn log(label: impl Into<String>) -> Self {
        Self { label: format!("log10 {}", label.into()), log: true, range: None }
    }

    /// Fixes the range (data units).
    pub fn range(mut self, lo: f64, hi: f64) -> Self {
        self.range = Some((lo, hi));
        self
    }

    fn map(&self, v: f64) -> Option<f64> {
        let t = if self.log { if v > 0.0 { v.log10() } else { f64::NAN } } else { v };
        t.is_finite().then_some(t)
    }
}

/// One panel.
#[derive(Debug, Clone, PartialEq)]
pub struct Panel {
    /// Title above the panel.
    pub title: String,
    /// Horizontal axis.
    pub x: Axis,
    /// Vertical axis.
    pub y: Axis,
    /// The series, drawn bands first, then lines, then markers.
    pub series: Vec<Series>,
}

/// A figure: panels on a grid, a legend column, a caption.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// File stem.
    pub name: String,
    /// Title.
    pub title: String,
    /// Panels, row by row.
    pub panels: Vec<Panel>,
    /// Panels per row.
    pub columns: usize,
    /// Size of one panel in pixels.
    pub panel_size: (u32, u32),
    /// What the figure shows, what the bars are and the colours mean; the style line is
    /// added from the kinds present.
    pub caption: String,
}

const TITLE_H: u32 = 40;
const CAPTION_FONT: u32 = 14;
const CAPTION_LINE: u32 = 19;
const LEGEND_FONT: u32 = 13;
const LEGEND_ROW: i32 = 21;
const GLYPH_W: i32 = 34;
/// Average advance of a DejaVu Sans character, per pixel of font size (a generous estimate).
const CHAR_W: f64 = 0.57;
const MARKER_R: i32 = 4;
const CAP_W: i32 = 4;
const DASH: (u32, u32) = (9, 5);
const DOT: (u32, u32) = (2, 4);
/// Long dashes (on, off) in pixels: theory through the next order.
const LONG_DASH: (u32, u32) = (16, 6);
const BAND_ALPHA: f64 = 0.22;

fn plotting<E: std::fmt::Display>(e: E) -> anyhow::Error {
    anyhow!("plotting failed: {e}")
}

/// A tick label: `0` for zero (never `-0.0`), no trailing zeros, scientific when tiny or huge.
fn tick(v: &f64) -> String {
    let a = v.abs();
    if a < 1e-12 {
        return "0".into();
    }
    if !(1e-3..1e5).contains(&a) {
        return format!("{v:.1e}");
    }
    let s = format!("{v:.6}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn text_width(s: &str, font: u32) -> u32 {
    (s.chars().count() as f64 * f64::from(font) * CHAR_W).ceil() as u32
}

/// Greedy word wrap to `width` characters.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for para in text.split('\n') {
        let mut line = String::new();
        for word in para.split_whitespace() {
            if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        if !line.is_empty() {
            lines.push(line);
        }
    }
    lines
}

/// `(lo, hi)` of the values, padded by 5% (or by 1 when they are all equal).
fn extent(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
    if !(lo.is_finite() && hi.is_finite()) {
        return None;
    }
    let pad = if hi > lo { 0.05 * (hi - lo) } else { 1.0 };
    Some((lo - pad, hi + pad))
}

/// Clips the segment `a`-`b` to the box (Liang-Barsky); `None` if it misses. An end inside the
/// box is returned exactly (`a + (b - a)` need not round to `b`), so the next segment of a line,
/// which starts at `b`, continues the same path.
fn clip(a: (f64, f64), b: (f64, f64), (x0, x1): (f64, f64), (y0, y1): (f64, f64)) -> Option<((f64, f64), (f64, f64))> {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    // the parameters where the box cuts the segment; `None` keeps that end
    let (mut t0, mut t1): (Option<f64>, Option<f64>) = (None, None);
    for (p, q) in [(-dx, a.0 - x0), (dx, x1 - a.0), (-dy, a.1 - y0), (dy, y1 - a.1)] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let r = q / p;
            if p < 0.0 {
                if r > t0.unwrap_or(0.0) {
                    t0 = Some(r);
                }
            } else if r < t1.unwrap_or(1.0) {
                t1 = Some(r);
            }
        }
    }
    let at = |t: Option<f64>, end: (f64, f64)| t.map_or(end, |t| (a.0 + t * dx, a.1 + t * dy));
    (t0.unwrap_or(0.0) <= t1.unwrap_or(1.0)).then(|| (at(t0, a), at(t1, b)))
}

type Chart<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

impl Figure {
    /// The legend: one entry per distinct (label, kind), in first-drawn order.
    fn legend(&self) -> Vec<(LegendEntry, RGBColor)> {
        let mut out: Vec<(LegendEntry, RGBColor)> = Vec::new();
        for s in self.panels.iter().flat_map(|p| &p.series) {
            if !out.iter().any(|(e, _)| e.label == s.label && e.kind == s.kind) {
                out.push((LegendEntry { label: s.label.clone(), kind: s.kind }, s.colour));
            }
        }
        out
    }

    /// The caption: the style line for the kinds present, then the figure's own text.
    fn caption_text(&self) -> String {
        let mut kinds: Vec<Kind> = Vec::new();
        for s in self.panels.iter().flat_map(|p| &p.series) {
            if !kinds.contains(&s.kind) {
                kinds.push(s.kind);
            }
        }
        kinds.sort_by_key(|k| *k as u8);
        let style: Vec<&str> = kinds.iter().map(|k| k.grammar()).collect();
        format!(
            "Style: {}; arrowhead at an edge: value or bar end off the axis (clipped). {}",
            style.join("; "),
            self.caption
        )
    }

    /// Renders the SVG and the record of what it drew.
    pub fn render(&self) -> Result<(String, Drawing)> {
        let columns = self.columns.max(1);
        let rows = self.panels.len().div_ceil(columns).max(1);
        let legend = self.legend();
        let legend_w =
            legend.iter().map(|(e, _)| text_width(&e.label, LEGEND_FONT)).max().unwrap_or(0) + GLYPH_W as u32 + 40;
        let legend_h = LEGEND_ROW as u32 * legend.len() as u32 + 16;
        let (pw, ph) = self.panel_size;
        let grid_w = pw * columns as u32;
        let grid_h = (ph * rows as u32).max(legend_h + 20);
        let width = grid_w + legend_w + 16;
        let chars = ((width - 32) as f64 / (f64::from(CAPTION_FONT) * CHAR_W)) as usize;
        let caption = wrap(&self.caption_text(), chars.max(20));
        let height = TITLE_H + grid_h + 12 + CAPTION_LINE * caption.len() as u32 + 10;
        let mut svg = String::new();
        let mut panels = Vec::new();
        let legend_rect;
        {
            let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
            root.fill(&WHITE).map_err(plotting)?;
            root.draw(&Text::new(
                self.title.clone(),
                (width as i32 / 2, 10),
                ("sans-serif", 19).into_font().color(&BLACK).pos(Pos::new(HPos::Center, VPos::Top)),
            ))
            .map_err(plotting)?;
            let (_, rest) = root.split_vertically(TITLE_H);
            let (body, caption_area) = rest.split_vertically(grid_h + 12);
            let (grid, legend_area) = body.split_horizontally(grid_w);
            let cells = grid.split_evenly((rows, columns));
            for (cell, panel) in cells.iter().zip(&self.panels) {
                panels.push(draw_panel(cell, panel)?);
            }
            legend_rect = draw_legend(&legend_area, &legend, legend_w as i32 - 12)?;
            for (i, line) in caption.iter().enumerate() {
                caption_area
                    .draw(&Text::new(
                        line.clone(),
                        (16, 4 + (CAPTION_LINE * i as u32) as i32),
                        ("sans-serif", CAPTION_FONT).into_font().color(&RGBColor(50, 50, 50)),
                    ))
                    .map_err(plotting)?;
            }
            root.present().map_err(plotting)?;
        }
        let drawing = Drawing {
            name: self.name.clone(),
            size: (width, height),
            panels,
            legend: legend_rect,
            legend_entries: legend.into_iter().map(|(e, _)| e).collect(),
            caption,
        };
        Ok((svg, drawing))
    }
}

/// The axis range of a panel in plotted (log10 where asked) units.
fn ranges(p: &Panel) -> Result<((f64, f64), (f64, f64))> {
    let fixed = |a: &Axis| a.range.and_then(|(lo, hi)| Some((a.map(lo)?, a.map(hi)?)));
    let pts = p.series.iter().flat_map(|s| &s.points);
    let x = fixed(&p.x).or_else(|| extent(pts.clone().filter_map(|q| p.x.map(q.x))));
    let y = fixed(&p.y).or_else(|| {
        extent(pts.flat_map(|q| {
            let e = q.err.unwrap_or(0.0);
            [p.y.map(q.y), p.y.map(q.y + e), p.y.map(q.y - e)].into_iter().flatten()
        }))
    });
    match (x, y) {
        (Some(x), Some(y)) => Ok((x, y)),
        _ => Err(anyhow!("panel `{}` has no value it can draw", p.title)),
    }
}

fn draw_panel(cell: &DrawingArea<SVGBackend, Shift>, p: &Panel) -> Result<DrawnPanel> {
    let (xr, yr) = ranges(p)?;
    let mut chart = ChartBuilder::on(cell)
        .caption(&p.title, ("sans-serif", 15))
        .margin(10)
        .margin_right(18)
        .x_label_area_size(44)
        .y_label_area_size(66)
        .build_cartesian_2d(xr.0..xr.1, yr.0..yr.1)
        .map_err(plotting)?;
    chart
        .configure_mesh()
        .x_desc(p.x.label.as_str())
        .y_desc(p.y.label.as_str())
        .label_style(("sans-serif", 12))
        .x_label_formatter(&tick)
        .y_label_formatter(&tick)
        .axis_desc_style(("sans-serif", 13))
        .bold_line_style(RGBColor(222, 222, 222))
        .light_line_style(RGBColor(246, 246, 246))
        .draw()
        .map_err(plotting)?;
    let (px, py) = chart.plotting_area().get_pixel_range();
    let area = Rect { x0: px.start, y0: py.start, x1: px.end - 1, y1: py.end - 1 };
    let mut order: Vec<&Series> = p.series.iter().collect();
    order.sort_by_key(|s| match s.kind {
        Kind::Background => 0,
        Kind::Measured => 2,
        _ => 1,
    });
    let mut drawn = Vec::new();
    for s in order {
        drawn.push(match s.kind {
            Kind::Measured => draw_measured(&mut chart, p, s, xr, yr)?,
            _ => draw_line(&mut chart, p, s, xr, yr)?,
        });
    }
    // restore the panel's series order in the record
    drawn.sort_by_key(|d: &DrawnSeries| {
        p.series.iter().position(|s| s.label == d.label && s.kind == d.kind).unwrap_or(usize::MAX)
    });
    Ok(DrawnPanel { title: p.title.clone(), area, series: drawn })
}

fn line_style(kind: Kind, colour: RGBColor) -> ShapeStyle {
    match kind {
        Kind::Background => colour::GREY.stroke_width(1),
        Kind::MeasuredContour => colour.stroke_width(1),
        _ => colour.stroke_width(2),
    }
}

/// Draws a polyline (pixel or data coordinates) in the style of `kind`.
fn stroke<DB, CT>(area: &DrawingArea<DB, CT>, pts: Vec<CT::From>, kind: Kind, colour: RGBColor) -> Result<()>
where
    DB: DrawingBackend,
    CT: plotters::coord::CoordTranslate,
    CT::From: Clone,
{
    let style = line_style(kind, colour);
    match kind {
        Kind::Model | Kind::PredictedContour => area.draw(&DashedPathElement::new(pts, DASH.0, DASH.1, style)),
        Kind::LeadingOrder => area.draw(&DashedPathElement::new(pts, DOT.0, DOT.1, style)),
        Kind::NextOrder => area.draw(&DashedPathElement::new(pts, LONG_DASH.0, LONG_DASH.1, style)),
        _ => area.draw(&PathElement::new(pts, style)),
    }
    .map_err(plotting)
}

fn draw_line(chart: &mut Chart, p: &Panel, s: &Series, xr: (f64, f64), yr: (f64, f64)) -> Result<DrawnSeries> {
    let mapped: Vec<Option<(f64, f64)>> = s.points.iter().map(|q| Some((p.x.map(q.x)?, p.y.map(q.y)?))).collect();
    let mut paths: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut clipped = 0;
    for w in mapped.windows(2) {
        let (Some(a), Some(b)) = (w[0], w[1]) else { continue };
        let Some((c, d)) = clip(a, b, xr, yr) else { continue };
        match paths.last_mut() {
            Some(path) if path.last() == Some(&c) => path.push(d),
            _ => paths.push(vec![c, d]),
        }
    }
    // a point with a NaN coordinate only breaks the line; it is not a clipped value
    clipped += mapped
        .iter()
        .zip(&s.points)
        .filter(|(_, q)| !(q.x.is_nan() || q.y.is_nan()))
        .filter(|(m, _)| !m.is_some_and(|a| (xr.0..=xr.1).contains(&a.0) && (yr.0..=yr.1).contains(&a.1)))
        .count();
    let area = chart.plotting_area().clone();
    for path in &paths {
        if s.kind == Kind::Background {
            let mut poly = path.clone();
            poly.push((path[path.len() - 1].0, yr.0));
            poly.push((path[0].0, yr.0));
            area.draw(&Polygon::new(poly, colour::GREY.mix(BAND_ALPHA).filled())).map_err(plotting)?;
        }
        stroke(&area, path.clone(), s.kind, s.colour)?;
    }
    let pixel_paths: Vec<Vec<(i32, i32)>> =
        paths.iter().map(|path| path.iter().map(|c| chart.backend_coord(c)).collect()).collect();
    let mut points: Vec<(i32, i32)> = pixel_paths.iter().flatten().copied().collect();
    points.dedup();
    Ok(DrawnSeries {
        label: s.label.clone(),
        kind: s.kind,
        points,
        paths: pixel_paths,
        error_bars: Vec::new(),
        clipped,
    })
}

/// An arrowhead at `at` (pixel), pointing down (`down`) or up.
fn arrowhead(at: (i32, i32), down: bool, colour: RGBColor) -> PathElement<(i32, i32)> {
    let s = if down { -1 } else { 1 };
    PathElement::new(vec![(at.0 - 5, at.1 + 7 * s), at, (at.0 + 5, at.1 + 7 * s)], colour.stroke_width(2))
}

fn draw_measured(chart: &mut Chart, p: &Panel, s: &Series, xr: (f64, f64), yr: (f64, f64)) -> Result<DrawnSeries> {
    let mut out = DrawnSeries {
        label: s.label.clone(),
        kind: s.kind,
        points: Vec::new(),
        paths: Vec::new(),
        error_bars: Vec::new(),
        clipped: 0,
    };
    let root = chart.plotting_area().strip_coord_spec();
    let (base_x, base_y) = root.get_base_pixel();
    let local = |c: (i32, i32)| (c.0 - base_x, c.1 - base_y);
    let inside_y = |v: f64| (yr.0..=yr.1).contains(&v);
    for q in &s.points {
        let Some(x) = p.x.map(q.x).filter(|x| (xr.0..=xr.1).contains(x)) else {
            out.clipped += 1;
            continue;
        };
        let y = p.y.map(q.y);
        let Some(y) = y.filter(|y| inside_y(*y)) else {
            // off the axis (or not positive on a log axis): an open arrowhead on the edge
            let down = y.is_none_or(|y| y < yr.0);
            let edge = chart.backend_coord(&(x, if down { yr.0 } else { yr.1 }));
            root.draw(&arrowhead(local(edge), down, s.colour)).map_err(plotting)?;
            out.clipped += 1;
            continue;
        };
        let centre = chart.backend_coord(&(x, y));
        if let Some(e) = q.err.filter(|e| e.is_finite() && *e >= 0.0) {
            let hi = p.y.map(q.y + e).map_or(yr.1, |v| v.min(yr.1));
            let lo_raw = p.y.map(q.y - e);
            let lo = lo_raw.map_or(yr.0, |v| v.max(yr.0));
            let (clip_hi, clip_lo) = (p.y.map(q.y + e).is_none_or(|v| v > yr.1), lo_raw.is_none_or(|v| v < yr.0));
            let (top, bottom) = (chart.backend_coord(&(x, hi)), chart.backend_coord(&(x, lo)));
            let style = s.colour.stroke_width(1);
            root.draw(&PathElement::new(vec![local(top), local(bottom)], style)).map_err(plotting)?;
            for (end, cut, down) in [(top, clip_hi, false), (bottom, clip_lo, true)] {
                if cut {
                    root.draw(&arrowhead(local(end), down, s.colour)).map_err(plotting)?;
                } else {
                    let (lx, ly) = local(end);
                    root.draw(&PathElement::new(vec![(lx - CAP_W, ly), (lx + CAP_W, ly)], style)).map_err(plotting)?;
                }
            }
            out.error_bars.push(DrawnErrorBar {
                x: centre.0,
                top: top.1,
                bottom: bottom.1,
                clipped: clip_hi || clip_lo,
            });
        }
        root.draw(&Circle::new(local(centre), MARKER_R, s.colour.filled())).map_err(plotting)?;
        out.points.push(centre);
    }
    Ok(out)
}

/// Draws the legend box in its column; returns the box in image pixels.
fn draw_legend(area: &DrawingArea<SVGBackend, Shift>, entries: &[(LegendEntry, RGBColor)], w: i32) -> Result<Rect> {
    let (bx, by) = area.get_base_pixel();
    let h = LEGEND_ROW * entries.len() as i32 + 14;
    let (x0, y0) = (4, 8);
    area.draw(&Rectangle::new([(x0, y0), (x0 + w, y0 + h)], WHITE.filled())).map_err(plotting)?;
    area.draw(&Rectangle::new([(x0, y0), (x0 + w, y0 + h)], BLACK.stroke_width(1))).map_err(plotting)?;
    for (i, (e, c)) in entries.iter().enumerate() {
        let y = y0 + 17 + LEGEND_ROW * i as i32;
        let (g0, g1) = (x0 + 10, x0 + 10 + GLYPH_W);
        match e.kind {
            Kind::Measured => {
                let mid = (g0 + g1) / 2;
                let style = c.stroke_width(1);
                area.draw(&PathElement::new(vec![(mid, y - 8), (mid, y + 8)], style)).map_err(plotting)?;
                for cap in [y - 8, y + 8] {
                    area.draw(&PathElement::new(vec![(mid - CAP_W, cap), (mid + CAP_W, cap)], style))
                        .map_err(plotting)?;
                }
                area.draw(&Circle::new((mid, y), MARKER_R, c.filled())).map_err(plotting)?;
            }
            Kind::Background => {
                area.draw(&Rectangle::new([(g0, y - 2), (g1, y + 8)], colour::GREY.mix(BAND_ALPHA).filled()))
                    .map_err(plotting)?;
                stroke(area, vec![(g0, y - 2), (g1, y - 2)], e.kind, *c)?;
            }
            kind => stroke(area, vec![(g0, y), (g1, y)], kind, *c)?,
        }
        area.draw(&Text::new(
            e.label.clone(),
            (g1 + 8, y),
            ("sans-serif", LEGEND_FONT).into_font().color(&BLACK).pos(Pos::new(HPos::Left, VPos::Center)),
        ))
        .map_err(plotting)?;
    }
    Ok(Rect { x0: bx + x0, y0: by + y0, x1: bx + x0 + w, y1: by + y0 + h })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clipping_keeps_inside_ends_exactly() {
        // 0.094 + (0.028 - 0.094) rounds to 0.027999999999999997, not 0.028
        let (a, b) = ((0.094, 0.5), (0.028, 0.25));
        assert_eq!(clip(a, b, (0.0, 1.0), (0.0, 1.0)), Some((a, b)));
        let (c, d) = clip((-1.0, 0.5), b, (0.0, 1.0), (0.0, 1.0)).unwrap();
        assert!(c.0 == 0.0 && d == b, "{c:?} {d:?}");
    }

    #[test]
    fn clipping_keeps_the_inside_part() {
        let c = clip((-1.0, 0.5), (2.0, 0.5), (0.0, 1.0), (0.0, 1.0)).unwrap();
        assert_eq!(c, ((0.0, 0.5), (1.0, 0.5)));
        assert!(clip((-1.0, 2.0), (2.0, 2.0), (0.0, 1.0), (0.0, 1.0)).is_none());
    }

    #[test]
    fn tick_labels_are_short() {
        let t = |v: f64| tick(&v);
        assert_eq!(
            (t(-0.0), t(1e-15), t(1400.0), t(0.055), t(-2.5)),
            ("0".into(), "0".into(), "1400".into(), "0.055".into(), "-2.5".into())
        );
        assert_eq!(t(2.5e-5), "2.5e-5");
    }

    #[test]
    fn wrap_respects_the_width() {
        let lines = wrap("one two three four five six", 9);
        assert_eq!(lines, vec!["one two", "three", "four five", "six"]);
    }

    #[test]
    fn a_rendered_figure_is_sound_and_clips_at_zero() {
        let fig = Figure {
            name: "t".into(),
            title: "test".into(),
            panels: vec![Panel {
                title: "p".into(),
                x: Axis::log("N"),
                y: Axis::log("m"),
                series: vec![
                    // the second interval crosses zero on the log axis
                    Series::measured(
                        "measured",
                        colour::BLUE,
                        [(1.0, 1.0, 0.1), (10.0, 0.1, 0.2), (100.0, 0.01, 0.001)],
                    ),
                    Series::line("exact", Kind::Exact, colour::BLUE, [(1.0, 1.0), (100.0, 0.01)]),
                    Series::line("background", Kind::Background, colour::GREY, [(1.0, 0.02), (100.0, 0.02)]),
                ],
            }],
            columns: 1,
            panel_size: (400, 300),
            caption: "A test.".into(),
        };
        let (svg, d) = fig.render().unwrap();
        assert!(svg.contains("<svg"));
        assert_eq!(d.problems(), Vec::<String>::new());
        let m = &d.panels[0].series[0];
        assert_eq!((m.points.len(), m.error_bars.len()), (3, 3));
        assert!(m.error_bars[1].clipped && !m.error_bars[0].clipped);
        assert!(d.caption.join(" ").contains("solid: exact theory"));
    }
}
