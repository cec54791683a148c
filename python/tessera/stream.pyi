"""Type stubs of tessera.stream (python/src/bind_stream.cpp)."""
import os
from typing import Optional, Sequence, Union

import numpy as np

from .spectral import PCA, SVDResult

Source = Union[str, os.PathLike, Sequence[Union[str, os.PathLike]]]

class PassReport:
    passes: int
    rows: int
    block_rows: int
    bytes_read: int
    buffer_bytes: int
    accumulator_bytes: int
    seconds: float
    @property
    def peak_bytes(self) -> int: ...
    @property
    def gb_per_second(self) -> float: ...

class Moments:
    count: int
    @property
    def mean(self) -> np.ndarray: ...
    @property
    def m2(self) -> np.ndarray: ...
    @property
    def min(self) -> np.ndarray: ...
    @property
    def max(self) -> np.ndarray: ...
    @property
    def scatter(self) -> Optional[np.ndarray]: ...
    report: PassReport
    def variance(self, ddof: int = 1) -> np.ndarray: ...
    def covariance(self, ddof: int = 1) -> np.ndarray: ...

def column_statistics(source: Source, tensor: str = "", memory_budget: int = ..., block_rows: int = 0,
                      progress: bool = False) -> Moments: ...
def covariance_moments(source: Source, tensor: str = "", memory_budget: int = ..., block_rows: int = 0,
                       progress: bool = False) -> Moments: ...
def pca(source: Source, n_components: int, tensor: str = "", method: str = "gram", passes: int = 4,
        oversampling: int = 10, signs: str = "components", whiten: bool = False, seed: int = ...,
        memory_budget: int = ..., block_rows: int = 0, progress: bool = False, dtype: str = "float32") -> PCA: ...
def truncated_svd(source: Source, k: int, tensor: str = "", method: str = "gram", passes: int = 4,
                  oversampling: int = 10, signs: str = "components", left_vectors: bool = False, seed: int = ...,
                  memory_budget: int = ..., block_rows: int = 0, progress: bool = False,
                  dtype: str = "float32") -> SVDResult: ...
