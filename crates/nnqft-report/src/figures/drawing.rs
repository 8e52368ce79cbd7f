//! The record of a rendered figure: where every series, error bar and the legend landed, in
//! pixels. The figure checks read this record, not the image: every measured point carries
//! an error bar, no legend covers data, and every legend entry is drawn somewhere.

use super::kind::Kind;

/// How far (pixels) from the plotting area's edge an open contour line may end.
pub const CONTOUR_EDGE_PX: i32 = 2;

/// A pixel rectangle, `x0 <= x1`, `y0 <= y1`, edges included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rect {
    /// Left edge.
    pub x0: i32,
    /// Top edge.
    pub y0: i32,
    /// Right edge.
    pub x1: i32,
    /// Bottom edge.
    pub y1: i32,
}

impl Rect {
    /// Whether the pixel lies inside or on the edge.
    pub fn contains(&self, (x, y): (i32, i32)) -> bool {
        (self.x0..=self.x1).contains(&x) && (self.y0..=self.y1).contains(&y)
    }

    /// Whether the segment from `a` to `b` touches the rectangle (sampled every pixel).
    pub fn meets_segment(&self, a: (i32, i32), b: (i32, i32)) -> bool {
        let steps = (b.0 - a.0).abs().max((b.1 - a.1).abs()).max(1);
        (0..=steps).any(|k| {
            let t = f64::from(k) / f64::from(steps);
            let p = (
                (f64::from(a.0) + t * f64::from(b.0 - a.0)).round() as i32,
                (f64::from(a.1) + t * f64::from(b.1 - a.1)).round() as i32,
            );
            self.contains(p)
        })
    }
}

/// One vertical error bar as drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DrawnErrorBar {
    /// Column.
    pub x: i32,
    /// Upper end (smaller pixel y).
    pub top: i32,
    /// Lower end.
    pub bottom: i32,
    /// The interval reached zero on a log axis (or left the axis) and was cut at the panel
    /// edge, where an arrowhead marks it.
    pub clipped: bool,
}

/// One series as drawn in one panel.
#[derive(Debug, Clone, PartialEq)]
pub struct DrawnSeries {
    /// Legend label.
    pub label: String,
    /// How it is drawn.
    pub kind: Kind,
    /// Markers, or line vertices, inside the plotting area.
    pub points: Vec<(i32, i32)>,
    /// Line series: the drawn polylines (after clipping to the plotting area).
    pub paths: Vec<Vec<(i32, i32)>>,
    /// Error bars, one per marker that has one.
    pub error_bars: Vec<DrawnErrorBar>,
    /// Points outside the axes (or not positive on a log axis), drawn as arrowheads on the edge.
    pub clipped: usize,
}

/// One panel as drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct DrawnPanel {
    /// Panel title.
    pub title: String,
    /// The plotting area.
    pub area: Rect,
    /// Its series.
    pub series: Vec<DrawnSeries>,
}

/// One legend entry: a glyph in the series' own style and its label.
#[derive(Debug, Clone, PartialEq)]
pub struct LegendEntry {
    /// Label.
    pub label: String,
    /// Style of the glyph.
    pub kind: Kind,
}

/// What a figure drew.
#[derive(Debug, Clone, PartialEq)]
pub struct Drawing {
    /// File stem (`NAME.svg`, `NAME.png`).
    pub name: String,
    /// Image size in pixels.
    pub size: (u32, u32),
    /// The panels.
    pub panels: Vec<DrawnPanel>,
    /// The legend box.
    pub legend: Rect,
    /// Its entries, top to bottom.
    pub legend_entries: Vec<LegendEntry>,
    /// The caption lines under the figure.
    pub caption: Vec<String>,
}

impl Drawing {
    /// What is wrong with the figure, one sentence per fault; empty when it is sound.
    ///
    /// - every measured marker has an error bar;
    /// - the legend box covers no marker, error bar end, line vertex or line segment;
    /// - every legend entry is drawn in some panel (a marker or vertex inside its plotting
    ///   area), and every drawn series is in the legend;
    /// - every line of a contour series closes on itself or has both ends on the edge of its
    ///   plotting area (within [`CONTOUR_EDGE_PX`] pixels);
    /// - there is a caption.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        let name = &self.name;
        for p in &self.panels {
            for s in &p.series {
                if s.kind == Kind::Measured && s.error_bars.len() < s.points.len() {
                    out.push(format!(
                        "{name}, panel `{}`: measured series `{}` has {} markers but {} error bars",
                        p.title,
                        s.label,
                        s.points.len(),
                        s.error_bars.len()
                    ));
                }
                let ends = s.error_bars.iter().flat_map(|b| [(b.x, b.top), (b.x, b.bottom)]);
                if let Some(px) = s.points.iter().copied().chain(ends).find(|px| self.legend.contains(*px)) {
                    out.push(format!(
                        "{name}, panel `{}`: the legend covers a point of `{}` at pixel {px:?}",
                        p.title, s.label
                    ));
                }
                if s.paths.iter().any(|path| path.windows(2).any(|w| self.legend.meets_segment(w[0], w[1]))) {
                    out.push(format!("{name}, panel `{}`: the legend covers the line of `{}`", p.title, s.label));
                }
                if s.kind.is_contour() {
                    let on_edge = |(x, y): (i32, i32)| {
                        let a = &p.area;
                        (x - a.x0).abs() <= CONTOUR_EDGE_PX
                            || (x - a.x1).abs() <= CONTOUR_EDGE_PX
                            || (y - a.y0).abs() <= CONTOUR_EDGE_PX
                            || (y - a.y1).abs() <= CONTOUR_EDGE_PX
                    };
                    for path in &s.paths {
                        let (Some(&first), Some(&last)) = (path.first(), path.last()) else { continue };
                        if first != last && !(on_edge(first) && on_edge(last)) {
                            out.push(format!(
                                "{name}, panel `{}`: a contour line of `{}` runs from {first:?} to {last:?}, neither                                  closed nor ending on the panel's edge",
                                p.title, s.label
                            ));
                        }
                    }
                }
                if !self.legend_entries.iter().any(|e| e.label == s.label && e.kind == s.kind) {
                    out.push(format!("{name}, panel `{}`: series `{}` is not in the legend", p.title, s.label));
                }
            }
        }
        for e in &self.legend_entries {
            let drawn = self.panels.iter().any(|p| {
                p.series
                    .iter()
                    .any(|s| s.label == e.label && s.kind == e.kind && s.points.iter().any(|px| p.area.contains(*px)))
            });
            if !drawn {
                out.push(format!("{name}: legend entry `{}` is drawn in no panel", e.label));
            }
        }
        if self.caption.is_empty() {
            out.push(format!("{name}: no caption"));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sound() -> Drawing {
        let area = Rect { x0: 60, y0: 40, x1: 500, y1: 400 };
        Drawing {
            name: "test".into(),
            size: (800, 500),
            panels: vec![DrawnPanel {
                title: "panel".into(),
                area,
                series: vec![
                    DrawnSeries {
                        label: "m4 measured".into(),
                        kind: Kind::Measured,
                        points: vec![(100, 100), (200, 150)],
                        paths: Vec::new(),
                        error_bars: vec![
                            DrawnErrorBar { x: 100, top: 90, bottom: 110, clipped: false },
                            DrawnErrorBar { x: 200, top: 140, bottom: 400, clipped: true },
                        ],
                        clipped: 0,
                    },
                    DrawnSeries {
                        label: "m4 exact".into(),
                        kind: Kind::Exact,
                        points: vec![(100, 100), (450, 300)],
                        paths: vec![vec![(100, 100), (450, 300)]],
                        error_bars: Vec::new(),
                        clipped: 0,
                    },
                ],
            }],
            legend: Rect { x0: 520, y0: 40, x1: 780, y1: 120 },
            legend_entries: vec![
                LegendEntry { label: "m4 measured".into(), kind: Kind::Measured },
                LegendEntry { label: "m4 exact".into(), kind: Kind::Exact },
            ],
            caption: vec!["markers: measured".into()],
        }
    }

    #[test]
    fn a_sound_drawing_has_no_problems() {
        assert_eq!(sound().problems(), Vec::<String>::new());
    }

    #[test]
    fn a_legend_on_a_data_point_is_detected() {
        let mut d = sound();
        d.legend = Rect { x0: 80, y0: 80, x1: 160, y1: 120 };
        let p = d.problems();
        assert!(p.iter().any(|m| m.contains("legend covers a point of `m4 measured`")), "{p:?}");
    }

    #[test]
    fn a_legend_across_a_line_is_detected() {
        let mut d = sound();
        // between the two vertices of the exact line, on no marker
        d.legend = Rect { x0: 260, y0: 170, x1: 300, y1: 200 };
        let p = d.problems();
        assert!(p.iter().any(|m| m.contains("covers the line of `m4 exact`")), "{p:?}");
    }

    /// A contour line that closes or runs from edge to edge is sound; one that stops inside
    /// the panel is named.
    #[test]
    fn a_contour_line_ending_inside_the_panel_is_detected() {
        let mut d = sound();
        let contour = |paths: Vec<Vec<(i32, i32)>>| DrawnSeries {
            label: "measured density".into(),
            kind: Kind::MeasuredContour,
            points: paths.iter().flatten().copied().collect(),
            paths,
            error_bars: Vec::new(),
            clipped: 0,
        };
        d.legend_entries.push(LegendEntry { label: "measured density".into(), kind: Kind::MeasuredContour });
        // a loop, and a line from the left edge to the bottom edge (one pixel inside it)
        d.panels[0].series.push(contour(vec![
            vec![(200, 200), (250, 220), (220, 260), (200, 200)],
            vec![(60, 300), (150, 350), (180, 399)],
        ]));
        assert_eq!(d.problems(), Vec::<String>::new());
        d.panels[0].series[2].paths.push(vec![(60, 100), (120, 110)]);
        let p = d.problems();
        assert!(
            p.iter().any(|m| m.contains("contour line of `measured density` runs from (60, 100) to (120, 110)")),
            "{p:?}"
        );
    }

    #[test]
    fn a_measured_point_without_an_error_bar_is_detected() {
        let mut d = sound();
        d.panels[0].series[0].error_bars.pop();
        assert!(d.problems().iter().any(|m| m.contains("2 markers but 1 error bars")));
    }

    #[test]
    fn a_legend_entry_drawn_nowhere_is_detected() {
        let mut d = sound();
        d.legend_entries.push(LegendEntry { label: "m6 exact".into(), kind: Kind::Exact });
        // the same label in another style is a different entry
        d.legend_entries.push(LegendEntry { label: "m4 exact".into(), kind: Kind::Model });
        let p = d.problems();
        assert!(p.iter().any(|m| m.contains("`m6 exact` is drawn in no panel")), "{p:?}");
        assert_eq!(p.len(), 2, "{p:?}");
        // and a drawn series missing from the legend
        let mut d = sound();
        d.legend_entries.pop();
        assert!(d.problems().iter().any(|m| m.contains("`m4 exact` is not in the legend")));
    }
}
