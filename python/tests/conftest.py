"""Shared fixtures of tessera's pytest suite (python/tests)."""
import os

import numpy as np
import pytest

SOURCE_DIR = os.environ.get("TESSERA_SOURCE_DIR",
                            os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))


@pytest.fixture(params=[np.float32, np.float64], ids=["float32", "float64"])
def dtype(request):
    """Every test taking `dtype` runs for float32 and float64."""
    return request.param


@pytest.fixture
def rng():
    return np.random.default_rng(20240611)


def tol(dtype, f32=1e-4, f64=1e-10):
    """Relative tolerance for a result computed in `dtype`."""
    return f32 if np.dtype(dtype) == np.float32 else f64


def shared_data(rel):
    """Path of `rel` under ../shared/data (TESSERA_SHARED_DATA when ctest sets it); pytest.skip
    when absent, so run_pytest.py exits 77 and ctest shows Skipped, never Passed."""
    root = os.environ.get("TESSERA_SHARED_DATA") or os.path.join(SOURCE_DIR, "..", "shared", "data")
    path = os.path.join(root, rel)
    if not os.path.exists(path):
        pytest.skip(f"shared data {path} is absent")
    return path
