"""Type stubs of tessera.spectral (python/src/bind_spectral.cpp)."""
from typing import Iterator, Optional

import numpy as np
import numpy.typing as npt

from . import Status
from .stream import PassReport

class SVDResult:
    """Unpacks as U, S, Vt."""
    U: np.ndarray
    S: np.ndarray
    Vt: np.ndarray
    status: Status
    method: str
    relative_error: float
    basis_size: int
    report: Optional[PassReport]
    @property
    def rank(self) -> int: ...
    def __iter__(self) -> Iterator[np.ndarray]: ...
    def __len__(self) -> int: ...

def truncated_svd(A: npt.ArrayLike, k: int, method: str = "automatic", oversampling: int = 10,
                  power_iterations: int = 4, seed: int = ..., flip_signs: bool = True,
                  block_krylov: bool = False) -> SVDResult: ...
def adaptive_svd(A: npt.ArrayLike, rel_tol: float, block_size: int = 16, power_iterations: int = 1,
                 max_rank: int = 0, seed: int = ..., flip_signs: bool = True) -> SVDResult: ...

class PCA:
    components_: np.ndarray
    mean_: np.ndarray
    explained_variance_: np.ndarray
    explained_variance_ratio_: np.ndarray
    singular_values_: np.ndarray
    n_components_: int
    n_samples_: int
    total_variance: float
    whiten: bool
    status: Status
    method: str
    report: Optional[PassReport]
    def transform(self, X: npt.ArrayLike) -> np.ndarray: ...
    def inverse_transform(self, Z: npt.ArrayLike) -> np.ndarray: ...

def pca(X: npt.ArrayLike, n_components: int, whiten: bool = False, method: str = "automatic") -> PCA: ...
def stable_rank(S: npt.ArrayLike) -> float: ...
def participation_ratio_sigma(S: npt.ArrayLike) -> float: ...
def participation_ratio_lambda(S: npt.ArrayLike) -> float: ...
def effective_rank_entropy(S: npt.ArrayLike) -> float: ...
def effective_rank_vonneumann(S: npt.ArrayLike) -> float: ...
def spectral_entropy(S: npt.ArrayLike) -> float: ...
def condition_number(S: npt.ArrayLike) -> float: ...
def energy_rank(S: npt.ArrayLike, tau: float = 0.9) -> int: ...
def active_fraction(S: npt.ArrayLike, threshold: float = 1e-3) -> float: ...

class SpectrumSummary:
    singular_values: np.ndarray
    covariance_eigenvalues: np.ndarray
    frobenius_norm: float
    spectral_norm: float
    stable_rank: float
    participation_ratio_sigma: float
    participation_ratio_lambda: float
    effective_rank_entropy: float
    effective_rank_vonneumann: float
    spectral_entropy: float
    energy_rank: int
    active_fraction: float
    condition_number: float
    method: str
    status: Status

def spectrum_report(A: npt.ArrayLike, energy_tau: float = 0.9, active_threshold: float = 1e-3,
                    exact_tail: bool = True) -> SpectrumSummary: ...
