"""tessera.stats against numpy / scipy on the same inputs."""
import numpy as np
import pytest
import scipy.stats

from tessera import stats
from conftest import tol


def test_norms(rng, dtype):
    X = rng.standard_normal((100, 30)).astype(dtype)
    np.testing.assert_allclose(stats.row_norms(X), np.linalg.norm(X.astype(np.float64), axis=1),
                               rtol=tol(dtype, 1e-6, 1e-13))
    N = stats.normalize_rows(X)
    np.testing.assert_allclose(np.linalg.norm(N.astype(np.float64), axis=1), 1.0, rtol=tol(dtype, 1e-6, 1e-13))


@pytest.mark.parametrize("metric", ["cosine", "l2"])
def test_knn_vs_brute_force(rng, dtype, metric):
    B = rng.standard_normal((300, 16)).astype(dtype)
    Q = rng.standard_normal((20, 16)).astype(dtype)
    idx, scores = stats.knn(Q, B, k=5, metric=metric)
    Q64, B64 = Q.astype(np.float64), B.astype(np.float64)
    if metric == "cosine":
        S = (Q64 / np.linalg.norm(Q64, axis=1, keepdims=True)) @ (B64 / np.linalg.norm(B64, axis=1, keepdims=True)).T
        ref = np.argsort(-S, axis=1)[:, :5]
    else:
        S = np.linalg.norm(Q64[:, None, :] - B64[None, :, :], axis=2)
        ref = np.argsort(S, axis=1)[:, :5]
    assert idx.dtype == np.uint64 and idx.shape == (20, 5)
    assert np.array_equal(idx.astype(np.int64), ref)
    np.testing.assert_allclose(scores, np.take_along_axis(S, ref, axis=1), rtol=1e-6, atol=1e-6)


def test_self_knn_excludes_self_and_recall(rng):
    X = rng.standard_normal((200, 8))
    r = stats.knn(X, k=3)
    assert not np.any(r.indices.astype(np.int64) == np.arange(200)[:, None])
    rec = stats.recall_at_k(X, X * 2.0, k=5)
    assert rec.mean == pytest.approx(1.0) and rec.per_query.shape == (200,)
    assert stats.precision_at_k(X, X + 1e-9, k=1) == pytest.approx(1.0)


def test_pairwise_vs_numpy(rng, dtype):
    X = rng.standard_normal((100, 12)).astype(dtype)
    c = stats.pairwise_cosine(X, count=500, seed=4)
    i, j = c.pairs[:, 0].astype(np.int64), c.pairs[:, 1].astype(np.int64)
    assert np.all(i != j)
    X64 = X.astype(np.float64)
    ref = (X64[i] * X64[j]).sum(1) / np.linalg.norm(X64[i], axis=1) / np.linalg.norm(X64[j], axis=1)
    np.testing.assert_allclose(c.values, ref, rtol=1e-5, atol=1e-6)
    assert c.summary.mean == pytest.approx(c.values.mean(), rel=1e-12)
    assert c.summary.percentile(50) == pytest.approx(np.percentile(c.values, 50), rel=1e-12)
    d = stats.pairwise_distance(X, count=500, seed=4)
    assert np.array_equal(d.pairs, c.pairs)
    np.testing.assert_allclose(d.values, np.linalg.norm(X64[i] - X64[j], axis=1), rtol=1e-5)


def test_summary_and_correlations(rng):
    x = rng.standard_normal(1000)
    y = x + rng.standard_normal(1000)
    s = stats.summarize(x)
    assert (s.count, s.mean, s.std, s.min, s.max) == pytest.approx((1000, x.mean(), x.std(), x.min(), x.max()))
    np.testing.assert_allclose(s.percentiles, np.percentile(x, np.arange(1, 100)), rtol=1e-12)
    assert stats.pearson(x, y) == pytest.approx(scipy.stats.pearsonr(x, y)[0], rel=1e-12)
    t = np.round(y)  # ties
    assert stats.spearman(x, t) == pytest.approx(scipy.stats.spearmanr(x, t)[0], rel=1e-12)
    np.testing.assert_allclose(stats.average_ranks(t), scipy.stats.rankdata(t))


def test_relational_correlation_identical_spaces(rng):
    A = rng.standard_normal((100, 10))
    r = stats.relational_correlation(A, 3.0 * A, sample=1000, seed=1)
    assert r.pearson == pytest.approx(1.0) and r.spearman == pytest.approx(1.0) and r.pairs == 1000


def test_covariance_spectrum_vs_numpy(rng, dtype):
    X = (rng.standard_normal((400, 10)) * np.arange(1, 11)).astype(dtype)
    cs = stats.covariance_spectrum(X)
    ev = np.sort(np.linalg.eigvalsh(np.cov(X.astype(np.float64).T)))[::-1]
    np.testing.assert_allclose(cs.eigenvalues, ev, rtol=tol(dtype, 1e-4, 1e-10))
    assert cs.total_variance == pytest.approx(ev.sum(), rel=tol(dtype, 1e-5, 1e-12))
    assert cs.participation_ratio == pytest.approx(ev.sum() ** 2 / (ev ** 2).sum(), rel=tol(dtype, 1e-4, 1e-10))
    assert cs.dims_90 == int(np.argmax(np.cumsum(ev) / ev.sum() >= 0.9)) + 1
    assert cs.status.ok


def test_interval_of_mean_and_student_t_vs_scipy(rng):
    x = rng.normal(0.3, 0.01, size=10)
    m = stats.interval_of_mean(x.tolist())
    lo, hi = scipy.stats.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=scipy.stats.sem(x))
    assert m.count == 10 and m.mean == pytest.approx(x.mean(), rel=1e-14)
    assert m.std == pytest.approx(x.std(ddof=1), rel=1e-12)
    assert m.low == pytest.approx(lo, rel=1e-9) and m.high == pytest.approx(hi, rel=1e-9)
    assert stats.interval_of_mean(x.tolist(), confidence=0.9).high < m.high
    for df in (1.0, 2.5, 9.0, 200.0):
        assert stats.student_t_quantile(0.975, df) == pytest.approx(scipy.stats.t.ppf(0.975, df), rel=1e-9)
        assert stats.student_t_sf(1.7, df) == pytest.approx(scipy.stats.t.sf(1.7, df), rel=1e-12)
    one = stats.interval_of_mean([0.5])
    assert one.mean == 0.5 and np.isnan(one.low)
    with pytest.raises(ValueError, match="stats::interval_of_mean: x must be finite"):
        stats.interval_of_mean([1.0, float("nan")])
    with pytest.raises(ValueError, match="confidence must be in"):
        stats.interval_of_mean([1.0, 2.0], confidence=1.5)
