//! Contour lines of a function sampled on a regular grid (marching squares), for the density
//! figure: each line is a polyline that either closes on itself or runs from one edge of the
//! grid to another.
//!
//! Written here rather than taken from a crate: the `contour` crate returns rings closed along
//! the grid's border (iso-bands as polygons, with `geo-types`), while the figure draws lines and
//! its check needs to know which lines are open; marching squares is fifty lines.
//!
//! # Method
//!
//! The grid has values `v[i + nx j]` at `(x_i, y_j)`. In each cell the four corners are
//! classed as above (`v >= level`) or below; an edge whose ends differ is crossed once, at the
//! linear interpolation `t = (level − v_a) / (v_b − v_a)` along it; the cell joins its crossings
//! in pairs (a saddle, two diagonally opposite corners above, is resolved by the mean of the four
//! corners: above it the two above corners are joined through the centre). Each crossing belongs
//! to at most two cells, so the segments chain into polylines: those starting at a crossing on
//! the grid's border end on the border, the rest close.

/// One contour line: its vertices, and whether it closes (first vertex repeated at the end).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ContourLine {
    /// Vertices `(x, y)`.
    pub points: Vec<(f64, f64)>,
    /// The line closes on itself; otherwise both ends lie on the grid's border.
    pub closed: bool,
}

/// An edge of the grid: horizontal from `(i, j)` to `(i + 1, j)`, or vertical from `(i, j)` to
/// `(i, j + 1)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Edge {
    Horizontal(usize, usize),
    Vertical(usize, usize),
}

/// The contour lines of `values` (`xs.len() * ys.len()` of them, `x` fastest) at `level`. A
/// non-finite value counts as below every level.
pub(crate) fn contour_lines(values: &[f64], xs: &[f64], ys: &[f64], level: f64) -> Vec<ContourLine> {
    let (nx, ny) = (xs.len(), ys.len());
    if nx < 2 || ny < 2 || values.len() != nx * ny || !level.is_finite() {
        return Vec::new();
    }
    let v = |i: usize, j: usize| values[i + nx * j];
    let above = |i: usize, j: usize| v(i, j) >= level;
    let crossing = |e: Edge| -> (f64, f64) {
        let ((i0, j0), (i1, j1)) = match e {
            Edge::Horizontal(i, j) => ((i, j), (i + 1, j)),
            Edge::Vertical(i, j) => ((i, j), (i, j + 1)),
        };
        let (a, b) = (v(i0, j0), v(i1, j1));
        let t =
            if a.is_finite() && b.is_finite() && b - a != 0.0 { ((level - a) / (b - a)).clamp(0.0, 1.0) } else { 0.5 };
        (xs[i0] + t * (xs[i1] - xs[i0]), ys[j0] + t * (ys[j1] - ys[j0]))
    };
    // segments between crossed edges, cell by cell
    let mut segments: Vec<(Edge, Edge)> = Vec::new();
    for j in 0..ny - 1 {
        for i in 0..nx - 1 {
            let (bottom, right, top, left) =
                (Edge::Horizontal(i, j), Edge::Vertical(i + 1, j), Edge::Horizontal(i, j + 1), Edge::Vertical(i, j));
            let case = u8::from(above(i, j))
                | u8::from(above(i + 1, j)) << 1
                | u8::from(above(i + 1, j + 1)) << 2
                | u8::from(above(i, j + 1)) << 3;
            let centre_above = || (v(i, j) + v(i + 1, j) + v(i + 1, j + 1) + v(i, j + 1)) / 4.0 >= level;
            match case {
                0 | 15 => {}
                1 | 14 => segments.push((left, bottom)),
                2 | 13 => segments.push((bottom, right)),
                3 | 12 => segments.push((left, right)),
                4 | 11 => segments.push((right, top)),
                6 | 9 => segments.push((bottom, top)),
                7 | 8 => segments.push((left, top)),
                // saddles: corners 0 and 2 above (5) or 1 and 3 above (10)
                5 if centre_above() => segments.extend([(left, top), (bottom, right)]),
                5 => segments.extend([(left, bottom), (right, top)]),
                10 if centre_above() => segments.extend([(left, bottom), (right, top)]),
                _ => segments.extend([(left, top), (bottom, right)]),
            }
        }
    }
    // chain: every crossed edge has one segment (on the border) or two
    let mut at: std::collections::BTreeMap<Edge, Vec<usize>> = std::collections::BTreeMap::new();
    for (k, (a, b)) in segments.iter().enumerate() {
        at.entry(*a).or_default().push(k);
        at.entry(*b).or_default().push(k);
    }
    let mut used = vec![false; segments.len()];
    let mut lines = Vec::new();
    let follow = |start: Edge, used: &mut Vec<bool>| -> Vec<Edge> {
        let mut path = vec![start];
        let mut here = start;
        while let Some(&k) = at[&here].iter().find(|&&k| !used[k]) {
            used[k] = true;
            let (a, b) = segments[k];
            here = if a == here { b } else { a };
            path.push(here);
        }
        path
    };
    // open lines first, from their ends on the border, then the closed ones
    let ends: Vec<Edge> = at.iter().filter(|(_, s)| s.len() == 1).map(|(e, _)| *e).collect();
    for e in ends {
        if at[&e].iter().all(|&k| used[k]) {
            continue;
        }
        let path = follow(e, &mut used);
        lines.push(ContourLine { points: path.into_iter().map(crossing).collect(), closed: false });
    }
    for k in 0..segments.len() {
        if !used[k] {
            let path = follow(segments[k].0, &mut used);
            let closed = path.first() == path.last();
            lines.push(ContourLine { points: path.into_iter().map(crossing).collect(), closed });
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid(n: usize, lo: f64, hi: f64) -> Vec<f64> {
        (0..n).map(|i| lo + (hi - lo) * i as f64 / (n - 1) as f64).collect()
    }

    fn sample(xs: &[f64], ys: &[f64], f: impl Fn(f64, f64) -> f64) -> Vec<f64> {
        ys.iter().flat_map(|&y| xs.iter().map(move |&x| (x, y))).map(|(x, y)| f(x, y)).collect()
    }

    /// A bump's level set is one closed loop, every vertex on the circle it should be on (within
    /// the linear interpolation's error on a grid of spacing 0.1).
    #[test]
    fn a_bump_gives_one_closed_circle() {
        let (xs, ys) = (grid(41, -2.0, 2.0), grid(41, -2.0, 2.0));
        let v = sample(&xs, &ys, |x, y| (-(x * x + y * y)).exp());
        let lines = contour_lines(&v, &xs, &ys, (-1.0f64).exp());
        assert_eq!(lines.len(), 1);
        let l = &lines[0];
        assert!(l.closed && l.points.first() == l.points.last());
        assert!(l.points.len() > 20);
        for (x, y) in &l.points {
            assert!((x.hypot(*y) - 1.0).abs() < 0.01, "({x}, {y})");
        }
    }

    /// A plane's level set is a straight line from the bottom edge to the top edge, exact
    /// (linear interpolation of a linear function).
    #[test]
    fn a_plane_gives_an_open_line_from_edge_to_edge() {
        let (xs, ys) = (grid(11, 0.0, 1.0), grid(7, -1.0, 1.0));
        let v = sample(&xs, &ys, |x, _| x);
        let lines = contour_lines(&v, &xs, &ys, 0.33);
        assert_eq!(lines.len(), 1);
        let l = &lines[0];
        assert!(!l.closed);
        assert_eq!(l.points.len(), 7);
        assert!(l.points.iter().all(|(x, _)| (x - 0.33).abs() < 1e-12));
        let ends = [l.points[0].1, l.points[6].1];
        assert!(ends.contains(&-1.0) && ends.contains(&1.0), "{ends:?}");
    }

    /// On a rough field (a deterministic pseudo-random grid) at many levels, every line either
    /// closes or has both ends on the grid's border, and no two lines share an end inside it.
    #[test]
    fn every_line_of_a_rough_field_closes_or_ends_on_the_border() {
        let (xs, ys) = (grid(16, -3.75, 3.75), grid(16, -3.75, 3.75));
        let mut state = 12345u64;
        let v: Vec<f64> = (0..256)
            .map(|_| {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                (state >> 11) as f64 / (1u64 << 53) as f64
            })
            .collect();
        let border = |(x, y): (f64, f64)| x.abs() >= 3.75 - 1e-12 || y.abs() >= 3.75 - 1e-12;
        for level in [0.1, 0.25, 0.5, 0.75, 0.9] {
            for l in contour_lines(&v, &xs, &ys, level) {
                let (a, b) = (l.points[0], l.points[l.points.len() - 1]);
                assert!(
                    (l.closed && a == b) || (!l.closed && border(a) && border(b)),
                    "level {level}: {a:?} .. {b:?} closed {}",
                    l.closed
                );
            }
        }
    }

    /// Two bumps give two closed loops; a level above the maximum gives none; a saddle cell gives
    /// two lines that do not cross, joined as the centre value says.
    #[test]
    fn separate_bumps_saddles_and_empty_levels() {
        let (xs, ys) = (grid(61, -3.0, 3.0), grid(31, -1.5, 1.5));
        let v = sample(&xs, &ys, |x, y| (-((x - 1.5).powi(2) + y * y)).exp() + (-((x + 1.5).powi(2) + y * y)).exp());
        let lines = contour_lines(&v, &xs, &ys, 0.5);
        assert_eq!(lines.len(), 2);
        assert!(lines.iter().all(|l| l.closed));
        assert!(contour_lines(&v, &xs, &ys, 2.1).is_empty());
        // one cell, corners (0,0) and (1,1) above
        let (cx, cy) = (vec![0.0, 1.0], vec![0.0, 1.0]);
        let low_centre = contour_lines(&[1.0, 0.0, 0.0, 0.9], &cx, &cy, 0.5);
        assert_eq!(low_centre.len(), 2);
        assert!(low_centre.iter().all(|l| !l.closed && l.points.len() == 2));
        // centre 0.475 below 0.5: the above corners are cut off, each line joins the edges at one of them
        let near =
            |l: &ContourLine, c: (f64, f64)| l.points.iter().all(|p| (p.0 - c.0).abs() + (p.1 - c.1).abs() <= 1.0);
        assert!(low_centre.iter().any(|l| near(l, (0.0, 0.0))) && low_centre.iter().any(|l| near(l, (1.0, 1.0))));
        let high_centre = contour_lines(&[1.0, 0.2, 0.2, 1.0], &cx, &cy, 0.5);
        assert_eq!(high_centre.len(), 2);
        assert!(high_centre.iter().any(|l| near(l, (1.0, 0.0))) && high_centre.iter().any(|l| near(l, (0.0, 1.0))));
        // wrong sizes draw nothing
        assert!(contour_lines(&[1.0, 2.0], &cx, &cy, 1.5).is_empty());
    }
}
