"""Type stubs of tessera.stats (python/src/bind_stats.cpp)."""
from typing import Iterator, Optional, Sequence

import numpy as np
import numpy.typing as npt

from . import Status

class KNNResult:
    """Unpacks as indices, scores."""
    indices: np.ndarray
    scores: np.ndarray
    def __iter__(self) -> Iterator[np.ndarray]: ...

def knn(queries: npt.ArrayLike, base: Optional[npt.ArrayLike] = None, k: int = 10, metric: str = "cosine") -> KNNResult: ...

class RecallResult:
    mean: float
    per_query: np.ndarray
    queries: np.ndarray

def recall_at_k(A: npt.ArrayLike, B: npt.ArrayLike, k: int = 10, metric: str = "cosine", queries: int = 0,
                seed: int = 0) -> RecallResult: ...
def precision_at_k(queries: npt.ArrayLike, base: npt.ArrayLike, k: int = 1, metric: str = "cosine") -> float: ...

class MeanInterval:
    count: int
    mean: float
    std: float
    sem: float
    low: float
    high: float
    min: float
    max: float
    confidence: float

def interval_of_mean(x: Sequence[float], confidence: float = 0.95) -> MeanInterval: ...
def student_t_quantile(p: float, df: float) -> float: ...
def student_t_sf(t: float, df: float) -> float: ...

class DistributionSummary:
    count: int
    mean: float
    std: float
    min: float
    max: float
    percentiles: np.ndarray
    def percentile(self, p: int) -> float: ...
    def median(self) -> float: ...

class PairwiseSample:
    pairs: np.ndarray
    values: np.ndarray
    summary: DistributionSummary

def pairwise_cosine(X: npt.ArrayLike, count: int = 100000, seed: int = 0) -> PairwiseSample: ...
def pairwise_distance(X: npt.ArrayLike, count: int = 100000, seed: int = 0) -> PairwiseSample: ...
def sample_pairs(n: int, count: int, seed: int = 0) -> np.ndarray: ...
def summarize(x: npt.ArrayLike) -> DistributionSummary: ...

class RelationalResult:
    pearson: float
    spearman: float
    pairs: int

def relational_correlation(A: npt.ArrayLike, B: npt.ArrayLike, sample: int = 100000, seed: int = 0) -> RelationalResult: ...
def row_norms(X: npt.ArrayLike) -> np.ndarray: ...
def normalize_rows(X: npt.ArrayLike) -> np.ndarray: ...
def pearson(x: npt.ArrayLike, y: npt.ArrayLike) -> float: ...
def spearman(x: npt.ArrayLike, y: npt.ArrayLike) -> float: ...
def average_ranks(x: npt.ArrayLike) -> np.ndarray: ...

class CovarianceSpectrum:
    eigenvalues: np.ndarray
    explained: np.ndarray
    total_variance: float
    participation_ratio: float
    participation_ratio_fraction: float
    dims_80: int
    dims_90: int
    dims_95: int
    dims_99: int
    status: Status

def covariance_spectrum(X: npt.ArrayLike) -> CovarianceSpectrum: ...
