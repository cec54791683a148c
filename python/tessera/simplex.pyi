"""Type stubs of tessera.simplex (python/src/bind_simplex.cpp)."""
from typing import List, Sequence

import numpy as np
import numpy.typing as npt

from . import Status
from .stats import DistributionSummary

def volume(points: npt.ArrayLike, method: str = "qr") -> float: ...
def volume_squared(points: npt.ArrayLike, method: str = "qr") -> float: ...
def cayley_menger_matrix(D2: npt.ArrayLike) -> np.ndarray: ...
def volume_squared_from_distances(D2: npt.ArrayLike) -> float: ...

class SimplexVolumes:
    @property
    def volume(self) -> np.ndarray: ...
    @property
    def normalized_volume(self) -> np.ndarray: ...
    @property
    def degenerate(self) -> np.ndarray: ...
    @property
    def mean_edge(self) -> np.ndarray: ...
    @property
    def degenerate_count(self) -> int: ...
    @property
    def status(self) -> Status: ...
    def __len__(self) -> int: ...

def simplex_volumes(X: npt.ArrayLike, indices: npt.ArrayLike, method: str = "qr", squared: bool = False,
                    degenerate_threshold: float = 1e-6) -> SimplexVolumes: ...
def sample_simplices(n_rows: int, k: int, count: int, seed: int = 0) -> np.ndarray: ...

class VolumeSummary:
    count: int
    mean: float
    std: float
    cv: float
    distribution: DistributionSummary
    mean_normalized: float
    fraction_degenerate: float

class VolumeStatistics:
    k: int
    data: VolumeSummary
    gaussian: VolumeSummary
    mean_ratio: float
    @property
    def column_std(self) -> np.ndarray: ...

def volume_statistics(X: npt.ArrayLike, k: int, count: int, seed: int = 0, method: str = "qr",
                      degenerate_threshold: float = 1e-6, gaussian_baseline: bool = True, baseline_count: int = 0
                      ) -> VolumeStatistics: ...

class VolumeReport:
    volume: float
    volume_squared: float
    normalized_volume: float
    mean_edge: float
    relative_error: float
    status: Status

def report_volume(points: npt.ArrayLike, method: str = "qr", tolerance: float = 1e-6,
                  degenerate_threshold: float = 1e-6) -> VolumeReport: ...
def report_volume_from_distances(D2: npt.ArrayLike, tolerance: float = 1e-6,
                                 degenerate_threshold: float = 1e-6) -> VolumeReport: ...
def regular_simplex(k: int, dim: int, edge: float = 1.0) -> np.ndarray: ...
def regular_simplex_volume(k: int, edge: float = 1.0) -> float: ...
