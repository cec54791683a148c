"""tessera.stream from Python: a .npy on disk (and a folder of shards) read in blocks gives
numpy's / sklearn's answers; the budget is honoured and reported."""
import numpy as np
import pytest

import tessera
from tessera import spectral, stream


@pytest.fixture
def acts(tmp_path):
    rng = np.random.default_rng(3)
    Z = rng.standard_normal((4000, 6))
    X = 50.0 + Z @ (rng.standard_normal((6, 40)) * np.linspace(3, 0.5, 6)[:, None]) + 0.1 * rng.standard_normal((4000, 40))
    X = X.astype(np.float32)
    path = tmp_path / "acts.npy"
    np.save(path, X)
    shards = tmp_path / "shards"
    shards.mkdir()
    np.save(shards / "part-0.npy", X[:1500])
    np.save(shards / "part-1.npy", X[1500:])
    return X, str(path), str(shards)


def test_moments_equal_numpy(acts):
    X, path, shards = acts
    X64 = X.astype(np.float64)
    s = stream.column_statistics(path, block_rows=333)
    assert s.count == 4000 and s.scatter is None
    np.testing.assert_allclose(s.mean, X64.mean(0), rtol=1e-14)
    np.testing.assert_allclose(s.variance(1), X64.var(0, ddof=1), rtol=1e-11)
    np.testing.assert_array_equal(s.min, X64.min(0))
    m = stream.covariance_moments(shards, block_rows=100)
    np.testing.assert_allclose(m.covariance(), np.cov(X64, rowvar=False), rtol=1e-10, atol=1e-12)
    assert m.report.passes == 1 and m.report.bytes_read == X.nbytes


def test_pca_equals_in_memory_and_reports(acts):
    X, path, shards = acts
    ref = spectral.pca(X, 4)
    assert ref.report is None
    p = stream.pca(path, 4, signs="scores", memory_budget=200_000)
    assert isinstance(p, spectral.PCA) and p.status.ok
    np.testing.assert_allclose(p.explained_variance_, ref.explained_variance_, rtol=2e-5)
    np.testing.assert_allclose(p.components_, ref.components_, atol=1e-3)
    assert p.report.passes == 2 and p.report.peak_bytes <= 200_000 and p.report.block_rows < 4000
    # a folder of shards, float64, randomized with enough passes
    q = stream.pca(shards, 4, method="randomized", passes=6, dtype="float64")
    assert q.components_.dtype == np.float64 and q.report.passes == 7
    np.testing.assert_allclose(q.explained_variance_, ref.explained_variance_, rtol=1e-4)
    np.testing.assert_allclose(p.transform(X[:5]), ref.transform(X[:5]), atol=1e-2)


def test_truncated_svd_and_errors(acts, tmp_path):
    X, path, _ = acts
    f = stream.truncated_svd([path], 3, left_vectors=True, dtype="float64")
    U, S, Vt = f
    np.testing.assert_allclose(S, np.linalg.svd(X.astype(np.float64), compute_uv=False)[:3], rtol=1e-10)
    assert U.shape == (4000, 3) and f.report.passes == 2
    with pytest.raises(ValueError, match=r"stream::pca: method='fast' must be one of 'gram', 'randomized'"):
        stream.pca(path, 2, method="fast")
    with pytest.raises(ValueError, match=r"memory_budget=1000 bytes cannot hold"):
        stream.pca(path, 2, memory_budget=1000)
    with pytest.raises(OSError, match="none.npy"):
        stream.pca(str(tmp_path / "none.npy"), 2)
    bad = X.copy()
    bad[123, 4] = np.nan
    np.save(tmp_path / "bad.npy", bad)
    with pytest.raises(ValueError, match=r"must be finite, got nan at \[123, 4\]"):
        stream.column_statistics(str(tmp_path / "bad.npy"))
