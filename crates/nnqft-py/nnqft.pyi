"""Type stubs of the `nnqft` extension module (crates/nnqft-py); the docstrings are in the module.

Checked against the compiled module by `python -m mypy.stubtest nnqft` (run by .ci/python-test):
every name, parameter, keyword-only marker and default here must be the module's."""

import os
from typing import Any, Callable, Mapping, Sequence, Union

import numpy as np
import numpy.typing as npt

__all__ = [
    "sample",
    "gp",
    "kernel",
    "exact",
    "fit",
    "theory",
    "critical",
    "ntk",
    "analyze",
    "action",
    "scaling",
    "table5",
    "rg",
    "depth",
    "ntk_study",
    "action_study",
    "__version__",
    "DEFAULT_SEED",
    "MAX_POINTS",
]

__version__: str
DEFAULT_SEED: int
MAX_POINTS: int

#: `network` of the one-layer functions (sample, gp, kernel, exact, fit): "erf", "relu", "gauss"
#: (the paper's networks) or "cos" (the Cos-net of arXiv:2307.03223, sigma_b 0 only); theory, ntk
#: and critical take the deep activations instead.
#: A paper x-set name (e.g. "scaling-erf-d1", "table5-train-relu"), a path to an x-set file,
#: or points: a 1-D array (d_in = 1) or a 2-D array of shape (m, d_in).
_XSet = Union[str, os.PathLike[str], npt.ArrayLike]
#: `progress=`: False, True (a tqdm bar if tqdm is installed) or a callable progress(done, total).
_Progress = Union[bool, Callable[[int, int], object]]
#: A dict of equally long columns: NumPy arrays for numbers, lists of str for text, and a list of
#: NumPy arrays (one per row) for the per-experiment values `g_experiments`.
_Table = dict[
    str,
    Union[
        npt.NDArray[np.float64],
        npt.NDArray[np.int64],
        list[str],
        list[Union[str, None]],
        list[npt.NDArray[np.float64]],
    ],
]

def sample(
    network: str,
    width: int | None = None,
    *,
    widths: Sequence[int] | None = None,
    d_out: int = 1,
    nets: int = 100000,
    experiments: int = 10,
    x: _XSet | None = None,
    d_in: int | None = None,
    sigma_w: float | None = None,
    sigma_b: float | None = None,
    estimator: str = "conditional",
    seed: int = 20200818,
    threads: int | None = None,
    per_experiment: bool = False,
    progress: _Progress = False,
) -> _Table: ...
def gp(
    network: str,
    *,
    x: _XSet | None = None,
    d_in: int | None = None,
    sigma_w: float = 1.0,
    sigma_b: float | None = None,
) -> _Table: ...
def kernel(
    network: str,
    *,
    x: _XSet | None = None,
    d_in: int | None = None,
    sigma_w: float = 1.0,
    sigma_b: float | None = None,
) -> npt.NDArray[np.float64]: ...
def exact(
    network: str,
    width: Union[int, Sequence[int]],
    *,
    x: _XSet | None = None,
    d_in: int | None = None,
    sigma_w: float = 1.0,
    sigma_b: float | None = None,
) -> _Table: ...
def theory(
    network: str,
    widths: Sequence[int],
    *,
    x: _XSet | None = None,
    d_in: int | None = None,
    d_out: int = 1,
    sigma_w: float | None = None,
    sigma_b: float | None = None,
    critical: bool = False,
) -> _Table: ...
def critical(network: str) -> tuple[float, float]: ...
def ntk(
    network: str,
    widths: Sequence[int],
    *,
    x: _XSet | None = None,
    d_in: int | None = None,
    d_out: int = 1,
    sigma_w: float | None = None,
    sigma_b: float | None = None,
    critical: bool = False,
    lambda_w: float | None = None,
    lambda_b: float | None = None,
    nets: int | None = None,
    experiments: int = 10,
    seed: int = 20200818,
    threads: int | None = None,
    progress: _Progress = False,
    fluctuations: bool = False,
    dntk: bool = False,
    ddntk: bool = False,
) -> _Table: ...
def analyze(
    f: Union[npt.ArrayLike, Sequence[npt.ArrayLike]],
    *,
    width: Union[int, Sequence[int], None] = None,
    experiments: int = 10,
    x: _XSet | None = None,
    progress: _Progress = False,
    eft: str | None = None,
    d_in: int | None = None,
    sigma_w: float | None = None,
    sigma_b: float | None = None,
    cutoff: float | None = None,
    max_order: int = 6,
    action: bool = False,
) -> dict[str, _Table]: ...
def action(
    network: str | None = None,
    *,
    width: int | None = None,
    widths: Sequence[int] | None = None,
    f: npt.ArrayLike | None = None,
    x: _XSet | None = None,
    d_in: int | None = None,
    d_out: int = 1,
    sigma_w: float | None = None,
    sigma_b: float | None = None,
    critical: bool = False,
    order: int | None = None,
    experiments: int = 10,
    deform_quartic: Sequence[float] | None = None,
    measure: float = 1.0,
    nets: int = 100000,
    seed: int = 20200818,
    threads: int | None = None,
    progress: _Progress = False,
) -> dict[str, _Table]: ...
def fit(
    table: Union[Mapping[str, Any], str, os.PathLike[str], Any],
    *,
    x: _XSet | None = None,
    sigma_w: float = 1.0,
    sigma_b: float | None = None,
    cutoff: float | None = None,
    models: Union[str, Sequence[str], None] = None,
    losses: Union[str, Sequence[str], None] = None,
    column: str = "g_mean",
) -> _Table: ...
def scaling(
    profile: str = "quick",
    *,
    dims: Sequence[int] | None = None,
    widths: Sequence[int] | None = None,
    experiments: int | None = None,
    nets: int | None = None,
    seed: int = 20200818,
    threads: int | None = None,
    progress: _Progress = False,
) -> dict[str, _Table]: ...
def table5(
    profile: str = "quick",
    *,
    experiments: int | None = None,
    nets: int | None = None,
    seed: int = 20200818,
    threads: int | None = None,
    progress: _Progress = False,
) -> dict[str, _Table]: ...
def rg(
    profile: str = "quick",
    *,
    experiments: int | None = None,
    nets: int | None = None,
    seed: int = 20200818,
    threads: int | None = None,
    progress: _Progress = False,
) -> dict[str, _Table]: ...
def depth(
    profile: str = "quick",
    *,
    networks: Sequence[str] | None = None,
    depths: Sequence[int] | None = None,
    widths: Sequence[int] | None = None,
    raw_width: int = 10,
    experiments: int | None = None,
    nets: int | None = None,
    seed: int = 20200818,
    threads: int | None = None,
    progress: _Progress = False,
) -> dict[str, _Table]: ...
def ntk_study(
    profile: str = "quick",
    *,
    networks: Sequence[str] | None = None,
    depths: Sequence[int] | None = None,
    widths: Sequence[int] | None = None,
    experiments: int | None = None,
    nets: int | None = None,
    seed: int = 20200818,
    threads: int | None = None,
    progress: _Progress = False,
) -> dict[str, _Table]: ...
def action_study(
    profile: str = "quick",
    *,
    networks: Sequence[str] | None = None,
    widths: Sequence[int] | None = None,
    experiments: int | None = None,
    nets: int | None = None,
    seed: int = 20200818,
    threads: int | None = None,
    progress: _Progress = False,
) -> dict[str, _Table]: ...
