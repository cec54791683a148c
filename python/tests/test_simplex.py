"""tessera.simplex against closed forms and a numpy Cayley-Menger determinant."""
import math

import numpy as np
import pytest

from tessera import simplex
from conftest import tol


def cm_volume(P):
    """Volume from the bordered Cayley-Menger determinant (numpy, float64)."""
    P = np.asarray(P, dtype=np.float64)
    k = P.shape[0] - 1
    D2 = ((P[:, None, :] - P[None, :, :]) ** 2).sum(-1)
    B = np.ones((k + 2, k + 2))
    B[0, 0] = 0.0
    B[1:, 1:] = D2
    v2 = (-1) ** (k + 1) / (2 ** k * math.factorial(k) ** 2) * np.linalg.det(B)
    return math.sqrt(max(v2, 0.0)), D2


@pytest.mark.parametrize("k", [1, 2, 4, 7])
def test_regular_simplex_closed_form(k, dtype):
    P = simplex.regular_simplex(k, k + 3, edge=2.0).astype(dtype)
    exact = math.sqrt(k + 1) / (math.factorial(k) * math.sqrt(2 ** k)) * 2.0 ** k
    assert simplex.regular_simplex_volume(k, 2.0) == pytest.approx(exact, rel=1e-14)
    assert simplex.volume(P) == pytest.approx(exact, rel=tol(dtype, 1e-6, 1e-13))
    assert simplex.volume_squared(P) == pytest.approx(exact ** 2, rel=tol(dtype, 1e-6, 1e-13))


def test_random_simplices_vs_numpy_cayley_menger(rng, dtype):
    for k in (2, 3, 5):
        P = rng.standard_normal((k + 1, 10)).astype(dtype)
        v, D2 = cm_volume(P)
        assert simplex.volume(P) == pytest.approx(v, rel=1e-6)
        assert simplex.volume(P, method="cayley_menger") == pytest.approx(v, rel=1e-5)
        assert simplex.volume_squared_from_distances(D2) == pytest.approx(v * v, rel=1e-9)
        np.testing.assert_allclose(simplex.cayley_menger_matrix(D2)[1:, 1:], D2)
        rep = simplex.report_volume_from_distances(D2)
        assert rep.volume == pytest.approx(v, rel=1e-9) and rep.status.ok


def test_batched_volumes_match_single(rng, dtype):
    X = rng.standard_normal((200, 16)).astype(dtype)
    idx = simplex.sample_simplices(200, 4, 300, seed=7)
    assert idx.shape == (300, 5) and idx.dtype == np.uint64
    assert all(len(set(row)) == 5 for row in idx.tolist())
    r = simplex.simplex_volumes(X, idx)
    assert len(r) == 300 and r.status.ok and r.degenerate_count == 0
    ref = np.array([cm_volume(X[row])[0] for row in idx.astype(np.int64)])
    np.testing.assert_allclose(r.volume, ref, rtol=tol(dtype, 1e-4, 1e-9))
    sq = simplex.simplex_volumes(X, idx.astype(np.int32), squared=True)
    np.testing.assert_allclose(sq.volume, ref ** 2, rtol=tol(dtype, 1e-4, 1e-9))
    # Same seed, same simplices; different seed, different ones.
    assert np.array_equal(idx, simplex.sample_simplices(200, 4, 300, seed=7))
    assert not np.array_equal(idx, simplex.sample_simplices(200, 4, 300, seed=8))


def test_degenerate_batch_reports_status():
    X = np.zeros((10, 4))
    X[:, 0] = np.arange(10)  # collinear points: every simplex is flat
    r = simplex.simplex_volumes(X, np.array([[0, 1, 2], [3, 5, 9]]))
    assert r.degenerate_count == 2 and r.status == "degenerate" and r.degenerate.tolist() == [1, 1]


def test_bad_indices():
    X = np.ones((5, 3))
    with pytest.raises(ValueError, match=r"simplex::simplex_volumes: indices\(0, 2\)"):
        simplex.simplex_volumes(X, np.array([[0, 1, 7]]))
    with pytest.raises(ValueError, match="simplex::simplex_volumes"):
        simplex.simplex_volumes(X, np.array([[0, 1, -1]]))


def test_volume_statistics_vs_numpy(rng, dtype):
    X = (rng.standard_normal((300, 12)) * np.linspace(0.5, 2.0, 12)).astype(dtype)
    s = simplex.volume_statistics(X, 3, 2000, seed=3)
    assert s.k == 3 and s.data.count == 2000 and s.gaussian.count == 2000
    np.testing.assert_allclose(s.column_std, X.astype(np.float64).std(axis=0), rtol=tol(dtype, 1e-5, 1e-12))
    # The data summary matches numpy over the same sampled simplices.
    idx = simplex.sample_simplices(300, 3, 2000, seed=3)
    v = simplex.simplex_volumes(X, idx).volume
    assert s.data.mean == pytest.approx(v.mean(), rel=1e-9)
    assert s.data.std == pytest.approx(v.std(), rel=1e-9)
    d = s.data.distribution
    assert d.count == 2000 and d.min == pytest.approx(v.min(), rel=1e-9) and d.max == pytest.approx(v.max(), rel=1e-9)
    np.testing.assert_allclose(d.percentiles, np.percentile(v, np.arange(1, 100)), rtol=1e-9)
    assert d.median() == pytest.approx(np.median(v), rel=1e-9)
    assert s.mean_ratio == pytest.approx(s.data.mean / s.gaussian.mean, rel=1e-12)


def test_report_volume_near_flat_is_accuracy_limited():
    P = simplex.regular_simplex(4, 8)
    P[4] = P[:4].mean(axis=0) + 1e-9  # almost inside the facet
    rep = simplex.report_volume(P, method="cayley_menger")
    assert rep.status != "ok"
