//! Run profiles of the paper's reproduction: what is sampled, at which size.

use crate::action_study::ActionStudyPlan;
use crate::depth::DepthPlan;
use crate::ntk_study::NtkStudyPlan;
use crate::scaling::ScalingPlan;
use crate::table5::Table5Plan;
use nnqft_theory::DeepActivation;
use serde::Serialize;

/// A named profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Profile {
    /// Small ensembles for CI and snapshot tests (well under a minute).
    Quick,
    /// The paper's widths and estimators at d = 1, every study, in about six minutes on two
    /// cores: each ensemble but the action study's has [`DEFAULT_SHARE`] of `paper-full`'s nets per experiment (10
    /// experiments, as there), so every standard error is `1/√0.45 = 1.49` times
    /// `paper-full`'s, and what each study shows (slopes, z-scores, where an expansion fails)
    /// is computed from those errors. Two exceptions, sized by what they are there to show: an
    /// ensemble that only shows one of the paper's estimators beside a better one, Gauss-net's
    /// conditional and raw estimators in Table 5, determines `lambda0` to 50% or better
    /// (`table5::Table5Plan`), in both profiles; the action study keeps its full size, since
    /// its sampling floor decides which orders' slopes it resolves.
    Default,
    /// The paper's scale (10 experiments of 10^5 nets per width, Table 5's reference on
    /// 4 x 10^6 nets, the paper's estimators there at the reference's size) at d = 1, 2 and 3,
    /// and the studies beyond the paper at their full size.
    PaperFull,
}

impl Profile {
    /// Kebab-case name.
    pub fn name(self) -> &'static str {
        match self {
            Profile::Quick => "quick",
            Profile::Default => "default",
            Profile::PaperFull => "paper-full",
        }
    }

    /// Every profile, smallest first.
    pub const ALL: [Profile; 3] = [Profile::Quick, Profile::Default, Profile::PaperFull];
}

impl std::fmt::Display for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Profile {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Profile::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| format!("invalid profile '{s}': allowed values are quick, default, paper-full"))
    }
}

/// The default profile's nets per experiment as a share of `paper-full`'s: standard errors
/// `1/√0.45 = 1.49` times larger, the largest cut that keeps every standard error within 1.5
/// times `paper-full`'s.
pub const DEFAULT_SHARE: f64 = 0.45;

/// The paper's widths (section 2).
pub const PAPER_WIDTHS: [usize; 10] = [2, 3, 4, 5, 10, 20, 50, 100, 500, 1000];

/// Everything a profile runs.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// Profile name.
    pub profile: Profile,
    /// The N^-1 scaling study.
    pub scaling: ScalingPlan,
    /// Table 5: the Monte Carlo source's experiments and nets per experiment.
    pub table5: Table5Plan,
    /// RG flow: nets per experiment for the measured couplings.
    pub rg_nets: u64,
    /// RG flow: experiments.
    pub rg_experiments: usize,
    /// The depth study (deep networks, beyond the paper).
    pub depth: DepthPlan,
    /// The neural tangent kernel study (deep networks at criticality, beyond the paper).
    pub ntk: NtkStudyPlan,
    /// The action study (arXiv:2307.03223).
    pub action: ActionStudyPlan,
}

impl Plan {
    /// Every ensemble of the scaling study, Table 5 and the RG flow, in the order a run asks
    /// for them, seeded from `master` (the depth and NTK studies' deep ensembles are sampled whole by a
    /// run or a merge, never in shards).
    pub fn ensembles(&self, master: u64) -> crate::Result<Vec<crate::Planned>> {
        let mut out = crate::scaling::ensembles(&self.scaling, master)?;
        out.extend(crate::table5::ensembles(&self.table5, master)?);
        out.extend(crate::rg::ensembles(self.rg_experiments, self.rg_nets, master)?);
        Ok(out)
    }

    /// The plan of a profile.
    pub fn of(profile: Profile) -> Self {
        match profile {
            Profile::Quick => Self {
                profile,
                scaling: ScalingPlan { dims: vec![1], widths: vec![2, 5, 20, 100], experiments: 4, nets: 2_000 },
                table5: Table5Plan { experiments: 4, nets: 4_000, paper_estimator_nets: 4_000 },
                rg_nets: 4_000,
                rg_experiments: 4,
                // GELU stays out of the quick profile: its vertex and shift on the six points at
                // L = 4 (every expectation a nested quadrature) take seconds beyond its budget
                depth: DepthPlan {
                    activations: vec![DeepActivation::Relu, DeepActivation::Tanh, DeepActivation::Erf],
                    depths: vec![1, 2, 4],
                    widths: vec![10, 50],
                    ..DepthPlan::standard(4, 2_000)
                },
                ntk: NtkStudyPlan {
                    activations: vec![DeepActivation::Relu, DeepActivation::Tanh],
                    depths: vec![1, 2],
                    widths: vec![20, 50],
                    ..NtkStudyPlan::standard(4, 1_000)
                },
                action: ActionStudyPlan::standard(4, 5_000),
            },
            Profile::Default => {
                let full = Self::of(Profile::PaperFull);
                let share = |nets: u64| (nets as f64 * DEFAULT_SHARE).round() as u64;
                Self {
                    profile,
                    scaling: ScalingPlan { dims: vec![1], nets: share(full.scaling.nets), ..full.scaling },
                    // the reference (conditional) estimators at the share; Gauss-net's paper
                    // estimators by the criterion of `Table5Plan` (lambda0 to 50% or better)
                    table5: Table5Plan { nets: share(full.table5.nets), paper_estimator_nets: 50_000, ..full.table5 },
                    rg_nets: share(full.rg_nets),
                    rg_experiments: full.rg_experiments,
                    depth: DepthPlan { nets: share(full.depth.nets), ..full.depth },
                    ntk: NtkStudyPlan { nets: share(full.ntk.nets), ..full.ntk },
                    // at full size: the sampling floor of its distances decides which orders
                    // are resolved and so which slopes it can fit (at the share, 0.45 of the
                    // nets, the order-1/N and 1/N^2 slopes drop out), and it takes seconds
                    action: full.action,
                }
            }
            Profile::PaperFull => Self {
                profile,
                scaling: ScalingPlan {
                    dims: vec![1, 2, 3],
                    widths: PAPER_WIDTHS.to_vec(),
                    experiments: 10,
                    nets: 100_000,
                },
                // 4x the scaling ensembles: ReLU-net's and Erf-net's reference (conditional)
                // estimators give lambda0 to 0.2% and 1.3%; the paper's estimators at the
                // reference's size
                table5: Table5Plan { experiments: 10, nets: 400_000, paper_estimator_nets: 400_000 },
                rg_nets: 100_000,
                rg_experiments: 10,
                depth: DepthPlan::standard(10, 20_000),
                ntk: NtkStudyPlan::standard(10, 6_000),
                // 10^7 nets per histogram: the sampling floor of the density distances
                action: ActionStudyPlan::standard(10, 1_000_000),
            },
        }
    }
}
