"""tessera.spectral against numpy.linalg.svd / eigvalsh on the same inputs."""
import numpy as np
import pytest

from tessera import spectral
from conftest import tol


def power_law(rng, m, n, dtype, decay=1.0):
    U, _ = np.linalg.qr(rng.standard_normal((m, n)))
    V, _ = np.linalg.qr(rng.standard_normal((n, n)))
    s = 10.0 * np.arange(1, n + 1, dtype=np.float64) ** -decay
    return ((U * s) @ V.T).astype(dtype), s


@pytest.mark.parametrize("method", ["automatic", "exact", "gram", "randomized"])
def test_truncated_svd_vs_numpy(rng, dtype, method):
    A, s = power_law(rng, 400, 60, dtype)
    r = spectral.truncated_svd(A, 8, method=method)
    U, S, Vt = r  # unpacks like scipy
    assert U.dtype == dtype and U.shape == (400, 8) and S.shape == (8,) and Vt.shape == (8, 60)
    assert r.status.ok and r.method in ("exact", "gram", "randomized")
    ref = np.linalg.svd(A.astype(np.float64), compute_uv=False)[:8]
    np.testing.assert_allclose(S, ref, rtol=tol(dtype, 1e-4, 1e-6 if method == "randomized" else 1e-10))
    # randomized runs its GEMMs in float32 (float32_products): orthonormal to ~1e-7 in double.
    np.testing.assert_allclose(U.T.astype(np.float64) @ U, np.eye(8),
                               atol=tol(dtype, 1e-5, 1e-6 if method == "randomized" else 1e-10))
    # svd_flip: the largest |entry| of each U column is positive.
    assert np.all(U[np.abs(U).argmax(axis=0), np.arange(8)] > 0)


def test_block_krylov_near_optimal_and_exact_when_covering(rng, dtype):
    # sigma_i = 10 / i on 400 x 60: q = 3 blocks of 8 (32 columns) must be within 0.5 % of the
    # optimal rank-8 error; q = 7 covers all 60 columns, so sigma is exact to the products' rounding.
    A, s = power_law(rng, 400, 60, dtype)
    A64 = A.astype(np.float64)
    ref = np.linalg.svd(A64, compute_uv=False)
    opt = np.sqrt(np.sum(ref[8:] ** 2))
    r = spectral.truncated_svd(A, 8, method="randomized", block_krylov=True, power_iterations=3, oversampling=0)
    assert r.status.ok and r.method == "randomized"
    err = np.linalg.norm(A64 - (r.U.astype(np.float64) * r.S) @ r.Vt)
    assert opt <= err * (1 + 1e-6) and err <= 1.005 * opt
    np.testing.assert_allclose(r.U.T.astype(np.float64) @ r.U, np.eye(8), atol=1e-5)
    full = spectral.truncated_svd(A, 8, method="randomized", block_krylov=True, power_iterations=7, oversampling=0)
    np.testing.assert_allclose(full.S, ref[:8], rtol=1e-5)


def test_adaptive_svd_meets_tolerance(rng, dtype):
    A, s = power_law(rng, 300, 80, dtype, decay=1.5)
    r = spectral.adaptive_svd(A, 0.05)
    A64 = A.astype(np.float64)
    err = np.linalg.norm(A64 - (r.U * r.S) @ r.Vt) / np.linalg.norm(A64)
    assert err <= 0.05 * (1 + 1e-3) and r.relative_error == pytest.approx(err, rel=1e-2, abs=1e-6)
    # The smallest rank meeting the tolerance, by numpy's singular values (up to one block).
    sv = np.linalg.svd(A64, compute_uv=False)
    tail = np.sqrt(np.cumsum((sv ** 2)[::-1])[::-1]) / np.linalg.norm(sv)
    best = int(np.argmax(tail <= 0.05))
    assert best <= r.rank <= best + 16 and r.status.ok


def test_pca_vs_numpy(rng, dtype):
    X = (rng.standard_normal((500, 20)) @ rng.standard_normal((20, 20)) + 3.0).astype(dtype)
    p = spectral.pca(X, 5)
    X64 = X.astype(np.float64)
    Xc = X64 - X64.mean(axis=0)
    _, s, Vt = np.linalg.svd(Xc, full_matrices=False)
    ev = s ** 2 / (X.shape[0] - 1)
    np.testing.assert_allclose(p.explained_variance_, ev[:5], rtol=tol(dtype, 1e-4, 1e-10))
    np.testing.assert_allclose(p.explained_variance_ratio_, ev[:5] / ev.sum(), rtol=tol(dtype, 1e-4, 1e-10))
    np.testing.assert_allclose(p.singular_values_, s[:5], rtol=tol(dtype, 1e-4, 1e-10))
    np.testing.assert_allclose(p.mean_, X64.mean(axis=0), rtol=tol(dtype, 1e-5, 1e-12))
    np.testing.assert_allclose(np.abs(p.components_ @ Vt[:5].T), np.eye(5), atol=tol(dtype, 1e-3, 1e-8))
    Z = p.transform(X)
    np.testing.assert_allclose(Z, (Xc @ p.components_.T.astype(np.float64)), atol=tol(dtype, 1e-3, 1e-9))
    back = p.inverse_transform(Z)
    assert back.shape == X.shape and p.n_components_ == 5 and p.n_samples_ == 500 and p.status.ok
    assert p.components_.dtype == dtype and Z.dtype == dtype


def test_metrics_closed_forms():
    s = np.array([4.0, 2.0, 1.0, 1.0])
    e = s ** 2
    assert spectral.stable_rank(s) == pytest.approx(e.sum() / e[0])
    assert spectral.participation_ratio_sigma(s) == pytest.approx(s.sum() ** 2 / e.sum())
    assert spectral.participation_ratio_lambda(e) == pytest.approx(e.sum() ** 2 / (e ** 2).sum())
    p = s / s.sum()
    assert spectral.effective_rank_entropy(s) == pytest.approx(np.exp(-(p * np.log(p)).sum()))
    q = e / e.sum()
    assert spectral.spectral_entropy(s) == pytest.approx(-(q * np.log(q)).sum())
    assert spectral.effective_rank_vonneumann(s) == pytest.approx(np.exp(-(q * np.log(q)).sum()))
    assert spectral.energy_rank(s, 0.9) == 2  # (16 + 4) / 22 = 0.909
    assert spectral.active_fraction(s, 0.3) == pytest.approx(0.5)
    assert spectral.condition_number(s) == pytest.approx(4.0)
    assert spectral.stable_rank(s.astype(np.float32)) == pytest.approx(e.sum() / e[0], rel=1e-6)


def test_spectrum_report_vs_numpy(rng, dtype):
    A, _ = power_law(rng, 200, 30, dtype)
    r = spectral.spectrum_report(A)
    A64 = A.astype(np.float64)
    sv = np.linalg.svd(A64, compute_uv=False)
    np.testing.assert_allclose(r.singular_values, sv, rtol=tol(dtype, 1e-4, 1e-8))
    np.testing.assert_allclose(r.covariance_eigenvalues, np.sort(np.linalg.eigvalsh(np.cov(A64.T)))[::-1],
                               rtol=tol(dtype, 1e-3, 1e-8), atol=1e-12)
    assert r.stable_rank == pytest.approx((sv ** 2).sum() / sv[0] ** 2, rel=tol(dtype, 1e-4, 1e-10))
    assert r.frobenius_norm == pytest.approx(np.linalg.norm(A64), rel=tol(dtype, 1e-5, 1e-12))
    assert r.status.ok


def test_input_is_not_modified(rng):
    A = rng.standard_normal((50, 10))
    before = A.copy()
    spectral.truncated_svd(A, 3)
    spectral.pca(A, 3)
    assert np.array_equal(A, before)
