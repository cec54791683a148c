"""tessera.projection against numpy: P from matrix(), numpy.linalg.pinv, JL closed forms."""
import math

import numpy as np
import pytest

from tessera import projection
from conftest import tol


@pytest.mark.parametrize("kind", ["gaussian", "orthonormal", "achlioptas", "very_sparse"])
def test_project_and_reconstruct_vs_numpy(rng, dtype, kind):
    d, k = 64, 24
    P = projection.RandomProjection(d, k, kind=kind, seed=5, dtype=dtype)
    assert (P.input_dim, P.output_dim, P.kind, P.seed, P.dtype) == (d, k, kind, 5, np.dtype(dtype))
    M = P.matrix()
    assert M.shape == (d, k) and M.dtype == dtype
    W = rng.standard_normal((40, d)).astype(dtype)
    Y = P.project(W)
    np.testing.assert_allclose(Y, W.astype(np.float64) @ M.astype(np.float64), rtol=tol(dtype, 1e-4, 1e-10),
                               atol=tol(dtype, 1e-4, 1e-10))
    pinv = np.linalg.pinv(M.astype(np.float64))
    np.testing.assert_allclose(P.reconstruct(Y), Y.astype(np.float64) @ pinv, rtol=tol(dtype, 1e-3, 1e-8),
                               atol=tol(dtype, 1e-3, 1e-8))
    np.testing.assert_allclose(P.reconstruct_scaled(Y, exact=True), (d / k) * (Y.astype(np.float64) @ pinv),
                               rtol=tol(dtype, 1e-3, 1e-8), atol=tol(dtype, 1e-3, 1e-8))
    pi, status = P.pseudoinverse()
    assert pi.shape == (k, d) and status.ok
    # Same (d, k, kind, seed): the same P bit for bit.
    assert np.array_equal(M, projection.RandomProjection(d, k, kind=kind, seed=5, dtype=dtype).matrix())


def test_johnson_lindenstrauss_closed_form():
    for n, eps in ((1000, 0.1), (10 ** 6, 0.3), (50, 0.5)):
        expect = math.floor(4 * math.log(n) / (eps ** 2 / 2 - eps ** 3 / 3))
        assert projection.johnson_lindenstrauss_min_dim(n, eps) == expect
    k = projection.johnson_lindenstrauss_min_dim(1000, 0.2)
    assert projection.johnson_lindenstrauss_eps(1000, k) == pytest.approx(0.2, abs=1e-3)
    with pytest.raises(ValueError, match="eps"):
        projection.johnson_lindenstrauss_min_dim(1000, 1.5)


def test_distortion_report_vs_numpy(rng):
    W = rng.standard_normal((500, 128))
    P = projection.RandomProjection(128, 64, seed=1)
    r = projection.distortion_report(W, P, pairs=4000, eps=0.2, seed=3)
    assert r.pairs == 4000 and r.skipped == 0
    # The ratio's mean is 1 and its spread ~ sqrt(2/k) for Gaussian P.
    d = r.ratio
    assert d.count == 4000
    assert d.mean == pytest.approx(1.0, abs=0.05)
    assert d.std == pytest.approx(math.sqrt(2 / 64), rel=0.2)
    assert d.min <= d.percentile(1) <= d.median() <= d.percentile(99) <= d.max


def test_operator_report_orthonormal_is_projector():
    P = projection.RandomProjection(50, 20, kind="orthonormal", seed=2)
    o = projection.operator_report(P)
    assert o.f == pytest.approx(20 / 50, rel=1e-9) and o.idempotence_error < 1e-10 and o.status.ok


def test_errors():
    with pytest.raises(ValueError, match=r"^projection::random_projection: "):
        projection.RandomProjection(10, 20, kind="orthonormal")
    with pytest.raises(ValueError, match="kind='fast' must be one of"):
        projection.RandomProjection(10, 5, kind="fast")
    P = projection.RandomProjection(10, 4)
    with pytest.raises(ValueError, match=r"projection::random_projection::reconstruct: Y must have 4 columns"):
        P.reconstruct(np.ones((3, 5)))
