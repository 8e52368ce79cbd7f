//! SVG figures (plotters): log-log plots of measured points, dashed reference levels and
//! solid theory curves.

use anyhow::{Result, anyhow};
use plotters::prelude::*;
use std::path::Path;

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Markers (measurements).
    Points,
    /// Solid line (theory).
    Line,
    /// Dashed line (background levels).
    Dashed,
}

/// One series in data coordinates (the plot takes log10 of both axes if asked).
pub struct Series {
    /// Legend label.
    pub label: String,
    /// `(x, y)` points.
    pub points: Vec<(f64, f64)>,
    /// Drawing style.
    pub style: Style,
    /// Palette index.
    pub color: usize,
}

/// A plot.
pub struct Plot {
    /// Caption.
    pub title: String,
    /// X axis label.
    pub x_label: String,
    /// Y axis label.
    pub y_label: String,
    /// Plot log10 of x.
    pub log_x: bool,
    /// Plot log10 of y.
    pub log_y: bool,
    /// The series.
    pub series: Vec<Series>,
}

const PALETTE: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(255, 127, 14),
    RGBColor(23, 190, 207),
];

impl Plot {
    /// Renders the plot to an SVG string (points with non-positive values on a log axis are dropped).
    pub fn render(&self) -> Result<String> {
        let tx = |v: f64| if self.log_x { v.log10() } else { v };
        let ty = |v: f64| if self.log_y { v.log10() } else { v };
        let series: Vec<(&Series, Vec<(f64, f64)>)> = self
            .series
            .iter()
            .map(|s| {
                let pts = s
                    .points
                    .iter()
                    .filter(|(x, y)| (!self.log_x || *x > 0.0) && (!self.log_y || *y > 0.0))
                    .map(|&(x, y)| (tx(x), ty(y)))
                    .filter(|(x, y)| x.is_finite() && y.is_finite())
                    .collect();
                (s, pts)
            })
            .collect();
        let all: Vec<(f64, f64)> = series.iter().flat_map(|(_, p)| p.iter().copied()).collect();
        if all.is_empty() {
            return Err(anyhow!("plot `{}` has no finite points", self.title));
        }
        let (mut x0, mut x1, mut y0, mut y1) = all
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY, f64::NEG_INFINITY), |(a, b, c, d), &(x, y)| {
                (a.min(x), b.max(x), c.min(y), d.max(y))
            });
        let pad = |lo: &mut f64, hi: &mut f64| {
            let span = (*hi - *lo).max(1e-9);
            *lo -= 0.05 * span;
            *hi += 0.05 * span;
        };
        pad(&mut x0, &mut x1);
        pad(&mut y0, &mut y1);
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, (820, 560)).into_drawing_area();
            root.fill(&WHITE).map_err(|e| anyhow!("{e}"))?;
            let mut chart = ChartBuilder::on(&root)
                .caption(&self.title, ("sans-serif", 20))
                .margin(12)
                .x_label_area_size(45)
                .y_label_area_size(70)
                .build_cartesian_2d(x0..x1, y0..y1)
                .map_err(|e| anyhow!("{e}"))?;
            chart
                .configure_mesh()
                .x_desc(self.x_label.as_str())
                .y_desc(self.y_label.as_str())
                .draw()
                .map_err(|e| anyhow!("{e}"))?;
            for (s, pts) in &series {
                let color = PALETTE[s.color % PALETTE.len()];
                let legend =
                    move |(x, y): (i32, i32)| PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2));
                match s.style {
                    Style::Points => chart
                        .draw_series(pts.iter().map(|&p| Circle::new(p, 4, color.filled())))
                        .map_err(|e| anyhow!("{e}"))?
                        .label(s.label.as_str())
                        .legend(move |(x, y)| Circle::new((x + 9, y), 4, color.filled())),
                    Style::Line => chart
                        .draw_series(LineSeries::new(pts.clone(), color.stroke_width(2)))
                        .map_err(|e| anyhow!("{e}"))?
                        .label(s.label.as_str())
                        .legend(legend),
                    Style::Dashed => chart
                        .draw_series(DashedLineSeries::new(pts.clone(), 6, 4, color.stroke_width(1)))
                        .map_err(|e| anyhow!("{e}"))?
                        .label(s.label.as_str())
                        .legend(legend),
                };
            }
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .position(SeriesLabelPosition::LowerLeft)
                .draw()
                .map_err(|e| anyhow!("{e}"))?;
            root.present().map_err(|e| anyhow!("{e}"))?;
        }
        Ok(svg)
    }

    /// Renders and writes the SVG atomically.
    pub fn write(&self, path: &Path) -> Result<()> {
        crate::report::write_atomic(path, self.render()?.as_bytes())
    }
}
