"""Type stubs of tessera.projection (python/src/bind_projection.cpp)."""
from typing import Tuple

import numpy as np
import numpy.typing as npt

from . import Status
from .stats import DistributionSummary

class RandomProjection:
    def __init__(self, d: int, k: int, kind: str = "gaussian", seed: int = 0, dtype: npt.DTypeLike = np.float64) -> None: ...
    input_dim: int
    output_dim: int
    kind: str
    seed: int
    dtype: np.dtype
    is_sparse: bool
    density: float
    nnz: int
    norm_scale: float
    def matrix(self) -> np.ndarray: ...
    def project(self, W: npt.ArrayLike) -> np.ndarray: ...
    def reconstruct(self, Y: npt.ArrayLike, exact: bool = False) -> np.ndarray: ...
    def reconstruct_scaled(self, Y: npt.ArrayLike, exact: bool = False) -> np.ndarray: ...
    def pseudoinverse(self, exact: bool = False) -> Tuple[np.ndarray, Status]: ...

def johnson_lindenstrauss_min_dim(n: int, eps: float = 0.1) -> int: ...
def johnson_lindenstrauss_eps(n: int, k: int) -> float: ...

class DistortionStats:
    pairs: int
    skipped: int
    ratio: DistributionSummary
    eps: float
    fraction_outside: float
    max_abs_log: float
    jl_eps: float
    jl_min_dim: int

def distortion_report(W: npt.ArrayLike, projection: RandomProjection, pairs: int = 10000, eps: float = 0.1,
                      seed: int = 0) -> DistortionStats: ...

class OperatorStats:
    f: float
    expected_f: float
    trace: float
    diagonal_std: float
    expected_diagonal_std: float
    offdiag_rms: float
    expected_offdiag_rms: float
    offdiag_max_abs: float
    asymmetry: float
    idempotence_error: float
    status: Status

def operator_report(projection: RandomProjection, exact: bool = False) -> OperatorStats: ...
