"""tessera.align against scipy: orthogonal_procrustes, scipy.spatial.procrustes' disparity,
a known rotation with scale and centres, the PCA bridge, retrieval precision and the report."""
import numpy as np
import pytest
import scipy.linalg
import scipy.spatial
from scipy.stats import ortho_group

import tessera

al = tessera.align
DTYPES = [(np.float32, 1e-5), (np.float64, 1e-12)]


def pair(rng, n, p, noise=0.1, dtype=np.float64):
    A = rng.standard_normal((n, p))
    Q = ortho_group.rvs(p, random_state=rng.integers(1 << 31))
    B = A @ Q + noise * rng.standard_normal((n, p))
    return A.astype(dtype), B.astype(dtype), Q


@pytest.mark.parametrize("dtype,tol", DTYPES)
def test_orthogonal_procrustes_matches_scipy(dtype, tol):
    rng = np.random.default_rng(20)
    A, B, _ = pair(rng, 200, 16, dtype=dtype)
    R, scale = al.orthogonal_procrustes(A, B)
    R_ref, scale_ref = scipy.linalg.orthogonal_procrustes(A.astype(np.float64), B.astype(np.float64))
    assert R.dtype == dtype
    np.testing.assert_allclose(R, R_ref, atol=tol)
    assert scale == pytest.approx(scale_ref, rel=tol * 10)
    t = al.procrustes(A, B, center=False, allow_reflection=True)
    np.testing.assert_allclose(t.R, R_ref, atol=tol)
    res = np.linalg.norm(A.astype(np.float64) @ R_ref - B)
    assert t.residual == pytest.approx(res, rel=1e-3 if dtype == np.float32 else 1e-9)
    assert t.status == "ok"


@pytest.mark.parametrize("dtype,tol", DTYPES)
def test_procrustes_recovers_rotation_scale_and_centres(dtype, tol):
    rng = np.random.default_rng(21)
    A = rng.standard_normal((300, 8))
    Q = ortho_group.rvs(8, random_state=5)
    if np.linalg.det(Q) < 0:
        Q[:, 0] = -Q[:, 0]
    B = 2.5 * A @ Q + np.arange(8.0)
    t = al.procrustes(A.astype(dtype), B.astype(dtype), scale=True)
    assert t.shape == (8, 8) and t.status == "ok"
    np.testing.assert_allclose(t.R, Q, atol=tol * 100)
    assert np.linalg.det(t.R.astype(np.float64)) == pytest.approx(1.0, abs=tol * 100)
    assert t.scale == pytest.approx(2.5, rel=tol * 100)
    np.testing.assert_allclose(t.apply(A.astype(dtype)), B, atol=tol * 1e3 * np.abs(B).max())
    np.testing.assert_allclose(t.inverse_apply(B.astype(dtype)), A, atol=tol * 1e3 * np.abs(B).max())


def test_procrustes_status_and_weights():
    rng = np.random.default_rng(22)
    A, B, _ = pair(rng, 5, 10)
    assert al.procrustes(A, B).status == "rank_deficient"
    A, B, _ = pair(rng, 100, 4)
    w = np.ones(100)
    w[50:] = 0.0
    t_w = al.procrustes(A, B, weights=w)
    t_half = al.procrustes(A[:50], B[:50])
    np.testing.assert_allclose(t_w.R, t_half.R, atol=1e-12)
    assert t_w.residual == pytest.approx(t_half.residual, rel=1e-9)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_disparity_matches_scipy_spatial_procrustes(dtype):
    rng = np.random.default_rng(23)
    A, B, _ = pair(rng, 150, 6, noise=0.3)
    ref = scipy.spatial.procrustes(A, B)[2]
    d = al.procrustes_disparity(A.astype(dtype), B.astype(dtype))
    assert d == pytest.approx(ref, rel=1e-5 if dtype == np.float32 else 1e-10)


def test_pca_bridge_reduces_the_wider_side():
    rng = np.random.default_rng(24)
    A = rng.standard_normal((400, 12)) * np.r_[np.linspace(10, 6, 5), np.full(7, 0.1)]
    B = A[:, :5] @ ortho_group.rvs(5, random_state=1) + 0.01 * rng.standard_normal((400, 5))
    r = al.pca_bridge(A, B)
    assert r["n_components"] == 5 and r["reduced_a"] and not r["reduced_b"]
    T = r["transform"]
    assert T.shape == (12, 5)
    np.testing.assert_allclose(T.R.T @ T.R, np.eye(5), atol=1e-10)
    s = np.linalg.svd(A - A.mean(axis=0), compute_uv=False) ** 2
    assert r["retained_variance_a"] == pytest.approx(s[:5].sum() / s.sum(), rel=1e-10)
    assert r["retained_variance_b"] == 1.0
    mapped = T.apply(A)
    assert np.linalg.norm(mapped - B) / np.linalg.norm(B - B.mean(axis=0)) < 0.05
    # Default options map onto the mirror image of B as well: a det = +1 rule between PCA
    # coordinates (whose signs are arbitrary) would reject the right map for one of the two.
    Bm = B.copy()
    Bm[:, 0] *= -1
    Tm = al.pca_bridge(A, Bm)["transform"]
    assert np.linalg.norm(Tm.apply(A) - Bm) / np.linalg.norm(Bm - Bm.mean(axis=0)) < 0.05


def numpy_ranks(Q, T):
    Qn = Q / np.linalg.norm(Q, axis=1, keepdims=True)
    Tn = T / np.linalg.norm(T, axis=1, keepdims=True)
    S = Qn @ Tn.T
    return np.array([np.sum(S[i] > S[i, i]) for i in range(len(Q))])


def test_retrieval_precision_matches_numpy():
    rng = np.random.default_rng(25)
    T = rng.standard_normal((300, 16))
    Q = T + 0.8 * rng.standard_normal(T.shape)
    r = al.retrieval_precision(Q, T, ks=[1, 5, 10])
    ranks = numpy_ranks(Q, T)
    np.testing.assert_array_equal(r.rank, ranks)
    for k in (1, 5, 10):
        assert r.at(k) == pytest.approx(np.mean(ranks < k))
    assert r.mean_reciprocal_rank == pytest.approx(np.mean(1.0 / (ranks + 1)))
    assert r.status == "ok"
    with pytest.raises(ValueError, match="retrieval_result::at"):
        r.at(3)


def test_alignment_report_against_numpy_and_scipy():
    rng = np.random.default_rng(26)
    A, B, _ = pair(rng, 600, 10, noise=0.2)
    t = al.procrustes(A[:400], B[:400])
    rep = al.alignment_report(t, A[400:], B[400:], pentachora=200)
    mapped = t.apply(A[400:])
    Bt = B[400:]
    cos = np.sum(mapped * Bt, axis=1) / np.linalg.norm(mapped, axis=1) / np.linalg.norm(Bt, axis=1)
    assert rep["rows"] == 200
    assert rep["cosine"].mean == pytest.approx(cos.mean(), rel=1e-10)
    assert rep["cosine"].percentile(50) == pytest.approx(np.percentile(cos, 50), rel=1e-10)
    assert rep["disparity"] == pytest.approx(scipy.spatial.procrustes(Bt, mapped)[2], rel=1e-8)
    assert rep["retrieval"].at(1) == pytest.approx(np.mean(numpy_ranks(mapped, Bt) < 1))
    assert rep["worst_cosines"][0] == pytest.approx(cos.min(), rel=1e-10)
    assert rep["status"] == "ok" and rep["pentachora"] == 200


def test_align_errors_name_the_function():
    with pytest.raises(ValueError, match=r"^align::procrustes: "):
        al.procrustes(np.ones((5, 3)), np.ones((4, 3)))
    A = np.ones((5, 3))
    A[2, 1] = np.inf
    with pytest.raises(ValueError, match=r"^align::procrustes: "):
        al.procrustes(A, np.ones((5, 3)))
    with pytest.raises(ValueError, match=r"^align::procrustes_disparity: "):
        al.procrustes_disparity(np.ones((5, 3)), np.random.default_rng(0).standard_normal((5, 3)))
    t = al.procrustes(np.random.default_rng(1).standard_normal((20, 3)), np.random.default_rng(2).standard_normal((20, 3)))
    with pytest.raises(ValueError, match="similarity_transform::apply"):
        t.apply(np.ones((4, 2)))
