//! The network a front door names, checked once: a [`NetworkSpec`] (the options as given:
//! network name, `d_in`, `sigma_w`, `sigma_b`, input set, and for a deep network its hidden
//! widths, outputs and `critical`) is turned by `check` into a [`CheckedNetwork`] or a
//! [`CheckedDeepNetwork`], the only way the command line and the Python package get a network
//! and its inputs (linfa's `ParamGuard`: parameters checked once into a valid type). So both
//! front doors take the same defaults and give the same refusals, in the same words: every
//! error names the option and its allowed range.
//!
//! Defaults: `d_in` the dimension of the input set's points (1 without one); the input set the
//! paper's scaling set of the network at `d_in` (Erf's for the activations the paper does not
//! have); `sigma_w` 1 and `sigma_b` the paper's (1 for erf and gauss, 0 for relu and cos) at one
//! layer, the deep priors ([`DeepActivation::default_priors`]) for a deep network, or the
//! activation's critical point with `critical`.
//!
//! Checked: every constructor's range (`nnqft_theory::Network::new`, `DeepNetwork::new`), the
//! input set's dimension against `d_in`, and the scale: priors and inputs whose correlators would
//! overflow `f64` (output variances above `1e100`, Gauss-net's first-layer variances above 58)
//! are refused before anything is computed (`nnqft_sampling::scale`), as a sampled ensemble
//! refuses them. The memory a table needs depends on the table, so the tables check it
//! themselves ([`check_table_memory`] for the theory tables, the ensembles before a run).

use crate::error::{Result, StudyError};
use nnqft_theory::{Activation, DeepActivation, DeepNetwork, InputSet, Network};
use std::path::Path;

/// The input set a name names: an existing file (one point per line, coordinates separated by
/// white space, `#` comments), else a paper set's name ([`InputSet::names`]).
pub fn input_set(name: &str) -> Result<InputSet> {
    let path = Path::new(name);
    Ok(if path.is_file() { InputSet::from_file(path)? } else { InputSet::named(name)? })
}

/// A network and its inputs as a front door names them, not yet checked.
#[derive(Debug, Clone, Default)]
pub struct NetworkSpec {
    network: String,
    d_in: Option<usize>,
    sigma_w: Option<f64>,
    sigma_b: Option<f64>,
    inputs: Option<InputSet>,
}

impl NetworkSpec {
    /// The network named `network` (erf, relu, gauss, cos at one layer; the deep activations
    /// too for [`Self::deep`]) with every other option at its default.
    pub fn new(network: impl Into<String>) -> Self {
        Self { network: network.into(), ..Self::default() }
    }

    /// The input dimension (`None`: the dimension of the input set's points, else 1).
    pub fn d_in(mut self, d_in: Option<usize>) -> Self {
        self.d_in = d_in;
        self
    }

    /// The prior width of the weights, `sigma_w = sqrt(C_W)` (`None`: the default).
    pub fn sigma_w(mut self, sigma_w: Option<f64>) -> Self {
        self.sigma_w = sigma_w;
        self
    }

    /// The prior width of the biases, `sigma_b = sqrt(C_b)` (`None`: the default).
    pub fn sigma_b(mut self, sigma_b: Option<f64>) -> Self {
        self.sigma_b = sigma_b;
        self
    }

    /// The input set (`None`: the paper's scaling set).
    pub fn inputs(mut self, inputs: Option<InputSet>) -> Self {
        self.inputs = inputs;
        self
    }

    /// A deep network of these options with hidden `widths` and `d_out` outputs.
    pub fn deep(self, widths: &[usize], d_out: usize) -> DeepNetworkSpec {
        DeepNetworkSpec { spec: self, widths: widths.to_vec(), d_out, critical: false }
    }

    /// The one-hidden-layer network (erf, relu, gauss, cos) and its inputs, checked (module docs).
    pub fn check(&self) -> Result<CheckedNetwork> {
        let act = Activation::parse(&self.network)?;
        let d_in = self.dimension()?;
        let net = Network::new(act, d_in, self.sigma_w.unwrap_or(1.0), self.sigma_b.unwrap_or(act.paper_sigma_b()))?;
        let inputs = self.inputs_or_scaling(act, d_in)?;
        nnqft_sampling::scale::check_network(&net, &inputs)?;
        Ok(CheckedNetwork { net, inputs })
    }

    /// `d_in`, checked against the input set's points.
    fn dimension(&self) -> Result<usize> {
        match (&self.inputs, self.d_in) {
            (Some(xs), Some(d)) if xs.d_in() != d => Err(StudyError::OutOfRange {
                field: "d_in",
                value: d.to_string(),
                allowed: format!("the dimension of the points of the input set {} ({})", xs.name(), xs.d_in()),
            }),
            (Some(xs), _) => Ok(xs.d_in()),
            (None, d) => Ok(d.unwrap_or(1)),
        }
    }

    /// The input set given, or the paper's scaling set of `act` at `d_in`.
    fn inputs_or_scaling(&self, act: Activation, d_in: usize) -> Result<InputSet> {
        match &self.inputs {
            Some(xs) => Ok(xs.clone()),
            None => Ok(InputSet::scaling(act, d_in)?),
        }
    }
}

/// A deep network as a front door names it, not yet checked ([`NetworkSpec::deep`]).
#[derive(Debug, Clone)]
pub struct DeepNetworkSpec {
    spec: NetworkSpec,
    widths: Vec<usize>,
    d_out: usize,
    critical: bool,
}

impl DeepNetworkSpec {
    /// With `critical`, the network at its activation's critical point
    /// (`nnqft_theory::critical_point`: `C_W`, `C_b`) instead of `sigma_w` and `sigma_b`, which
    /// must then not be given.
    pub fn critical(mut self, critical: bool) -> Self {
        self.critical = critical;
        self
    }

    /// The deep network and its inputs, checked (module docs).
    pub fn check(&self) -> Result<CheckedDeepNetwork> {
        let spec = &self.spec;
        if Activation::parse(&spec.network) == Ok(Activation::Cos) {
            return Err(StudyError::OutOfRange {
                field: "network",
                value: "cos".into(),
                allowed: format!(
                    "a deep activation for {} hidden layer(s) and {} output(s): the Cos-net has one hidden layer \
                     and one output and no deep theory (sample it with one width, or take its exact theory)",
                    self.widths.len(),
                    self.d_out
                ),
            });
        }
        let act = DeepActivation::parse(&spec.network)?;
        let (c_w, c_b) = if self.critical {
            if spec.sigma_w.is_some() || spec.sigma_b.is_some() {
                return Err(StudyError::OutOfRange {
                    field: "critical",
                    value: "true with sigma_w or sigma_b".into(),
                    allowed: "false when sigma_w or sigma_b is given".into(),
                });
            }
            let cp = nnqft_theory::critical_point(act)?;
            (cp.c_w(), cp.c_b())
        } else {
            let (c_w, c_b) = act.default_priors(self.widths.len());
            (prior("sigma_w", spec.sigma_w, c_w)?, prior("sigma_b", spec.sigma_b, c_b)?)
        };
        let d_in = spec.dimension()?;
        let net = DeepNetwork::new(act, &self.widths, c_w, c_b)?.with_d_in(d_in)?.with_d_out(self.d_out)?;
        // the activations the paper does not have take Erf's scaling set (the depth study's)
        let paper = Activation::parse(&spec.network).unwrap_or(Activation::Erf);
        let inputs = spec.inputs_or_scaling(paper, d_in)?;
        nnqft_sampling::scale::check_deep_network(&net, &inputs)?;
        Ok(CheckedDeepNetwork { net, inputs })
    }
}

/// `C = sigma²` of a prior width given (finite, >= 0), or `default` (already a variance).
fn prior(field: &'static str, sigma: Option<f64>, default: f64) -> Result<f64> {
    match sigma {
        None => Ok(default),
        Some(s) if s.is_finite() && s >= 0.0 => Ok(s * s),
        Some(s) => Err(StudyError::OutOfRange { field, value: s.to_string(), allowed: "a finite number >= 0".into() }),
    }
}

/// A one-hidden-layer network and its inputs that passed [`NetworkSpec::check`].
#[derive(Debug, Clone)]
pub struct CheckedNetwork {
    net: Network,
    inputs: InputSet,
}

impl CheckedNetwork {
    /// The network.
    pub fn network(&self) -> &Network {
        &self.net
    }
    /// The input set.
    pub fn inputs(&self) -> &InputSet {
        &self.inputs
    }
    /// The network and the input set.
    pub fn into_parts(self) -> (Network, InputSet) {
        (self.net, self.inputs)
    }
}

/// A deep network and its inputs that passed [`DeepNetworkSpec::check`].
#[derive(Debug, Clone)]
pub struct CheckedDeepNetwork {
    net: DeepNetwork,
    inputs: InputSet,
}

impl CheckedDeepNetwork {
    /// The network.
    pub fn network(&self) -> &DeepNetwork {
        &self.net
    }
    /// The input set.
    pub fn inputs(&self) -> &InputSet {
        &self.inputs
    }
    /// The network and the input set.
    pub fn into_parts(self) -> (DeepNetwork, InputSet) {
        (self.net, self.inputs)
    }
}

/// Bytes a theory table needs per multiset and width (values, labels, and the front door's
/// copy: a Parquet frame or Python's arrays).
const TABLE_BYTES_PER_MULTISET: u64 = 200;

/// Refuses a theory table of `points` points (or `(output, point)` pairs) at `widths` widths
/// that cannot fit in memory, before any is allocated: about 200 bytes per multiset of order 2,
/// 4 and 6, once for the theory and once per width.
pub fn check_table_memory(points: usize, widths: usize) -> Result<()> {
    use nnqft_sampling::memory::{human_bytes, memory_limit, multiset_count};
    let multisets = [2, 4, 6].iter().fold(0u64, |a, &n| a.saturating_add(multiset_count(points as u64, n)));
    let needed = multisets.saturating_mul(TABLE_BYTES_PER_MULTISET).saturating_mul(widths.max(1) as u64 + 1);
    let limit = memory_limit();
    if needed > limit {
        return Err(StudyError::OutOfRange {
            field: "the input points",
            value: format!("{points} points ({multisets} multisets of order 2, 4, 6 at {} width(s))", widths.max(1)),
            allowed: format!(
                "a theory table that fits in memory: it needs about {}, the limit is {} (available memory); use fewer \
                 input points or widths",
                human_bytes(needed),
                human_bytes(limit)
            ),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_papers() {
        let c = NetworkSpec::new("relu").check().unwrap();
        assert_eq!((c.network().sigma_w(), c.network().sigma_b(), c.network().d_in()), (1.0, 0.0, 1));
        assert_eq!(c.inputs().name(), "scaling-relu-d1");
        let c = NetworkSpec::new("erf").d_in(Some(2)).check().unwrap();
        assert_eq!((c.network().sigma_b(), c.inputs().name()), (1.0, "scaling-erf-d2"));
        // d_in follows the points handed in
        let xs = InputSet::new("x", &[vec![0.1, 0.2], vec![0.3, 0.4]]).unwrap();
        let c = NetworkSpec::new("gauss").inputs(Some(xs)).check().unwrap();
        assert_eq!(c.network().d_in(), 2);
        // deep: relu's critical priors by default beyond one layer, Erf's x-set for tanh
        let d = NetworkSpec::new("relu").deep(&[10, 10], 1).check().unwrap();
        assert_eq!((d.network().c_w(), d.network().c_b()), (2.0, 0.0));
        let d = NetworkSpec::new("tanh").deep(&[5], 2).check().unwrap();
        assert_eq!((d.inputs().name(), d.network().d_out()), ("scaling-erf-d1", 2));
        let d = NetworkSpec::new("tanh").deep(&[5], 1).critical(true).check().unwrap();
        assert_eq!(d.network().c_w().to_bits(), 1.0f64.to_bits(), "tanh's critical C_W is 1");
    }

    /// Every refusal names its field and the allowed range.
    #[test]
    fn refusals_name_the_field_and_the_range() {
        let xs = InputSet::new("x", &[vec![0.1, 0.2]]).unwrap();
        let cases: Vec<(StudyError, &str)> = vec![
            (NetworkSpec::new("tanh").check().unwrap_err(), "network"),
            (NetworkSpec::new("erf").sigma_w(Some(-1.0)).check().unwrap_err(), "sigma_w"),
            (NetworkSpec::new("erf").d_in(Some(1)).inputs(Some(xs.clone())).check().unwrap_err(), "d_in"),
            (NetworkSpec::new("erf").d_in(Some(4)).check().unwrap_err(), "d_in"),
            (NetworkSpec::new("cos").deep(&[5, 5], 1).check().unwrap_err(), "network"),
            (NetworkSpec::new("relu").sigma_b(Some(f64::NAN)).deep(&[5], 1).check().unwrap_err(), "sigma_b"),
            (NetworkSpec::new("relu").sigma_w(Some(1.0)).deep(&[5], 1).critical(true).check().unwrap_err(), "critical"),
            (NetworkSpec::new("relu").deep(&[0], 1).check().unwrap_err(), "width"),
            // correlators beyond f64: one layer, deep, and Gauss-net's first layer
            (NetworkSpec::new("erf").sigma_w(Some(1e60)).check().unwrap_err(), "sigma_w"),
            (NetworkSpec::new("relu").sigma_w(Some(1e30)).deep(&[5, 5, 5], 1).check().unwrap_err(), "sigma_w"),
            (NetworkSpec::new("gauss").sigma_b(Some(10.0)).check().unwrap_err(), "Gauss-net"),
        ];
        for (e, field) in cases {
            let m = e.to_string();
            assert!(m.contains(field) && m.contains("allowed"), "{field}: {m}");
        }
    }

    #[test]
    fn theory_tables_beyond_memory_are_refused() {
        assert!(check_table_memory(6, 3).is_ok());
        let e = check_table_memory(100_000, 1).unwrap_err().to_string();
        assert!(e.contains("input points") && e.contains("allowed") && e.contains("memory"), "{e}");
    }
}
