"""tessera: measuring, compressing and aligning embedding matrices, from numpy.

The C++ library (header-only, BLAS/LAPACK, OpenMP) is compiled into ``tessera._tessera``;
each library module is a submodule: ``tessera.simplex``, ``tessera.spectral``,
``tessera.projection``, ``tessera.stats``, ``tessera.io``, ``tessera.tt``, ``tessera.ternary``,
``tessera.align``, ``tessera.compress``, ``tessera.model``, ``tessera.stream``. Inputs are numpy arrays
(float32 -> computed in float, float64 and every other dtype -> float64); see docs/python.md
for the zero-copy rules, the GIL and the exceptions (ValueError, OSError).
"""
import sys as _sys

from . import _tessera
from ._tessera import Status, StatusCode, __version__

_MODULES = ("simplex", "spectral", "projection", "stats", "io",
            "tt", "ternary", "align", "compress", "model", "stream")

for _name in _MODULES:
    _sub = getattr(_tessera, _name)
    globals()[_name] = _sub
    # `import tessera.spectral` and `from tessera.spectral import pca` work too.
    _sys.modules[__name__ + "." + _name] = _sub
del _name, _sub

__all__ = ["Status", "StatusCode", "__version__", *_MODULES]
