//! Input sets: the paper's named x-sets and the x-set file format.

use crate::error::{Result, TheoryError};
use crate::network::Activation;

/// The paper's x-sets, `(name, file contents)`, one point per line, coordinates separated
/// by white space, `#` starts a comment.
const PAPER_SETS: [(&str, &str); 11] = [
    ("scaling-erf-d1", include_str!("../data/x-sets/scaling-erf-d1.txt")),
    ("scaling-relu-d1", include_str!("../data/x-sets/scaling-relu-d1.txt")),
    ("scaling-gauss-d1", include_str!("../data/x-sets/scaling-gauss-d1.txt")),
    ("scaling-erf-d2", include_str!("../data/x-sets/scaling-erf-d2.txt")),
    ("scaling-relu-d2", include_str!("../data/x-sets/scaling-relu-d2.txt")),
    ("scaling-gauss-d2", include_str!("../data/x-sets/scaling-gauss-d2.txt")),
    ("scaling-erf-d3", include_str!("../data/x-sets/scaling-erf-d3.txt")),
    ("scaling-relu-d3", include_str!("../data/x-sets/scaling-relu-d3.txt")),
    ("scaling-gauss-d3", include_str!("../data/x-sets/scaling-gauss-d3.txt")),
    ("table5-test-scaled", include_str!("../data/x-sets/table5-test-scaled.txt")),
    ("table5-test-relu", include_str!("../data/x-sets/table5-test-relu.txt")),
];

/// The factor between the Table 5 train and test sets: train = `sqrt(2)/2` times test.
pub const TABLE5_TRAIN_FACTOR: f64 = std::f64::consts::FRAC_1_SQRT_2;

/// A non-empty set of `m` points in `d` dimensions, all finite.
///
/// Input sets: named, validated point sets in `d` dimensions. The paper's sets (its
/// section 2 and Table 5) live as text files under this crate's `data/x-sets/` (linked from the workspace's `datasets/`) and are compiled in from there,
/// so the files are the single source of truth.
#[derive(Debug, Clone, PartialEq)]
pub struct InputSet {
    name: String,
    d_in: usize,
    coords: Vec<f64>,
}

impl InputSet {
    /// Validates points (non-empty, all of dimension `d_in >= 1`, finite coordinates).
    pub fn new(name: impl Into<String>, points: &[Vec<f64>]) -> Result<Self> {
        let name = name.into();
        let first = points.first().ok_or_else(|| TheoryError::EmptyInputSet { name: name.clone() })?;
        let d_in = first.len();
        if d_in == 0 {
            return Err(TheoryError::OutOfRange { field: "d_in", value: "0".into(), allowed: "an integer >= 1" });
        }
        let mut coords = Vec::with_capacity(points.len() * d_in);
        for (index, p) in points.iter().enumerate() {
            if p.len() != d_in {
                return Err(TheoryError::MixedDimension { name, index, found: p.len(), expected: d_in });
            }
            if let Some(bad) = p.iter().find(|c| !c.is_finite()) {
                return Err(TheoryError::OutOfRange {
                    field: "input coordinate",
                    value: format!("{bad}"),
                    allowed: "finite",
                });
            }
            coords.extend_from_slice(p);
        }
        Ok(Self { name, d_in, coords })
    }

    /// Parses the text format of the x-set files (`data/x-sets/*.txt`).
    pub fn parse(name: impl Into<String>, text: &str) -> Result<Self> {
        let name = name.into();
        let mut points = Vec::new();
        for (lineno, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let p: std::result::Result<Vec<f64>, _> = line.split_whitespace().map(str::parse::<f64>).collect();
            let p = p.map_err(|e| TheoryError::InputFile {
                path: name.clone(),
                reason: format!("line {}: {e}", lineno + 1),
            })?;
            if let Some(v) = p.iter().find(|v| !v.is_finite()) {
                return Err(TheoryError::InputFile {
                    path: name,
                    reason: format!("line {}: coordinate {v} is not finite (allowed: finite numbers)", lineno + 1),
                });
            }
            points.push(p);
        }
        Self::new(name, &points)
    }

    /// Reads an input set from a file in the x-set text format.
    pub fn from_file(path: &std::path::Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| TheoryError::InputFile { path: path.display().to_string(), reason: e.to_string() })?;
        let name = path.file_stem().map_or_else(|| "file".to_string(), |s| s.to_string_lossy().into_owned());
        // errors of the file's contents name the path, not only the set
        Self::parse(name, &text).map_err(|e| match e {
            TheoryError::InputFile { reason, .. } => {
                TheoryError::InputFile { path: path.display().to_string(), reason }
            }
            e => e,
        })
    }

    /// Every name [`Self::named`] accepts, in a stable order.
    pub fn names() -> Vec<String> {
        let mut names: Vec<String> = PAPER_SETS.iter().map(|(n, _)| n.to_string()).collect();
        for split in ["test", "train"] {
            for act in Activation::ALL {
                let name = format!("table5-{split}-{}", act.name());
                if !names.contains(&name) {
                    names.push(name);
                }
            }
        }
        names.extend((1..=3).map(|d| format!("scaling-cos-d{d}")));
        names
    }

    /// One of the paper's sets by name: `scaling-{erf,relu,gauss}-d{1,2,3}`,
    /// `table5-{test,train}-{erf,relu,gauss}`, `table5-test-scaled` ([`Self::names`]); and
    /// `scaling-cos-d{1,2,3}`, the Cos-net's default set, which is Erf's scaling set at that `d`
    /// under its own name (the Cos-net is not in the paper; its kernel varies on the scale
    /// `|x − y| ~ sqrt(d) / sigma_w`, which Erf's points span).
    pub fn named(name: &str) -> Result<Self> {
        if let Some((_, text)) = PAPER_SETS.iter().find(|(n, _)| *n == name) {
            return Self::parse(name, text);
        }
        if let Some(d) = name.strip_prefix("scaling-cos-d") {
            let erf = format!("scaling-erf-d{d}");
            if let Some((_, text)) = PAPER_SETS.iter().find(|(n, _)| *n == erf) {
                return Self::parse(name, text);
            }
        }
        if let Some(rest) = name.strip_prefix("table5-train-") {
            let act = Activation::parse(rest).map_err(|_| TheoryError::UnknownInputSet(name.into()))?;
            return Ok(Self::table5_train(act));
        }
        if let Some(rest) = name.strip_prefix("table5-test-") {
            let act = Activation::parse(rest).map_err(|_| TheoryError::UnknownInputSet(name.into()))?;
            return Ok(Self::table5_test(act));
        }
        Err(TheoryError::UnknownInputSet(name.into()))
    }

    /// The paper's scaling x-set for a network at `d_in` in {1, 2, 3} (for the Cos-net, Erf's:
    /// [`Self::named`]).
    pub fn scaling(activation: Activation, d_in: usize) -> Result<Self> {
        if !(1..=3).contains(&d_in) {
            return Err(TheoryError::OutOfRange {
                field: "d_in",
                value: d_in.to_string(),
                allowed: "1, 2 or 3 for the paper's x-sets",
            });
        }
        Self::named(&format!("scaling-{}-d{d_in}", activation.name()))
    }

    /// Table 5 test set (d = 1): `{0.2, ..., 1.2}` for ReLU, `0.01` times that for Erf and Gauss.
    pub fn table5_test(activation: Activation) -> Self {
        let file = if activation == Activation::Relu { "table5-test-relu" } else { "table5-test-scaled" };
        let mut set = Self::named(file).expect("bundled x-set parses");
        set.name = format!("table5-test-{}", activation.name());
        set
    }

    /// Table 5 train set: [`TABLE5_TRAIN_FACTOR`] times the test set.
    pub fn table5_train(activation: Activation) -> Self {
        let mut set = Self::table5_test(activation).scaled(TABLE5_TRAIN_FACTOR);
        set.name = format!("table5-train-{}", activation.name());
        set
    }

    /// A copy with every coordinate multiplied by `factor`.
    pub fn scaled(&self, factor: f64) -> Self {
        Self {
            name: format!("{}*{factor}", self.name),
            d_in: self.d_in,
            coords: self.coords.iter().map(|c| c * factor).collect(),
        }
    }

    /// The set's name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The dimension of every point.
    pub fn d_in(&self) -> usize {
        self.d_in
    }
    /// The number of points `m`.
    pub fn len(&self) -> usize {
        self.coords.len() / self.d_in
    }
    /// Always false: an input set has at least one point.
    pub fn is_empty(&self) -> bool {
        self.coords.is_empty()
    }
    /// Point `i`.
    pub fn point(&self, i: usize) -> &[f64] {
        &self.coords[i * self.d_in..(i + 1) * self.d_in]
    }
    /// All points.
    pub fn points(&self) -> impl Iterator<Item = &[f64]> {
        self.coords.chunks_exact(self.d_in)
    }
    /// Checks that this set lives in the network's input dimension.
    pub fn check_dimension(&self, d_in: usize) -> Result<()> {
        if self.d_in == d_in {
            Ok(())
        } else {
            Err(TheoryError::MixedDimension { name: self.name.clone(), index: 0, found: self.d_in, expected: d_in })
        }
    }
}
