"""Type stubs of the tessera package (python/tessera/__init__.py, python/src/module.cpp)."""
import enum

from . import align, compress, io, model, projection, simplex, spectral, stats, stream, ternary, tt

__version__: str

class StatusCode(enum.Enum):
    """What happened numerically (tessera::status_code)."""
    ok: int
    fallback_used: int
    rank_deficient: int
    not_converged: int
    accuracy_limited: int
    degenerate: int

class Status:
    """Numerical outcome of a call that returned normally; str() is the code name."""
    @property
    def code(self) -> StatusCode: ...
    @property
    def message(self) -> str: ...
    @property
    def ok(self) -> bool: ...
    def __bool__(self) -> bool: ...
    def __eq__(self, other: object) -> bool: ...
