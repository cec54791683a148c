"""Type stubs of tessera.compress (python/src/bind_compress.cpp)."""
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy.typing as npt

class WordSimilaritySet:
    def __init__(self, name: str, pairs: Sequence[Tuple[str, str, float]]) -> None: ...
    name: str
    @property
    def pairs(self) -> List[Tuple[str, str, float]]: ...
    def __len__(self) -> int: ...

def compression_report(original: npt.ArrayLike, approximation: Any, storage_bytes: Optional[int] = None,
                       knn_k: int = 10, knn_queries: int = 1000, pairs: int = 20000, seed: int = 0,
                       seeds: int = 1, neighbours: bool = True, words: Optional[Sequence[str]] = None,
                       benchmarks: Optional[Sequence[Union[WordSimilaritySet, str]]] = None,
                       fold_case: bool = True) -> Dict[str, Any]: ...
def read_word_similarity(path: str) -> WordSimilaritySet: ...
def evaluate_word_similarity(embeddings: npt.ArrayLike, words: Sequence[str],
                             benchmark: Union[WordSimilaritySet, str], fold_case: bool = True) -> Dict[str, Any]: ...
