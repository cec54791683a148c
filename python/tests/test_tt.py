"""tessera.tt against numpy: TT-SVD (an independent numpy TT-SVD, the eps bound, rank caps),
TensorTrain arithmetic, and the TT-matrix products."""
import numpy as np
import pytest

import tessera

DTYPES = [(np.float32, 1e-5), (np.float64, 1e-12)]


def numpy_tt_svd(A, eps):
    """Oseledets' TT-SVD in numpy: delta = eps ||A|| / sqrt(d - 1) per bond (the reference)."""
    A = np.asarray(A, dtype=np.float64)
    shape, d = A.shape, A.ndim
    delta = eps * np.linalg.norm(A) / np.sqrt(d - 1)
    cores, r, C = [], 1, A.reshape(shape[0], -1)
    for k in range(d - 1):
        C = C.reshape(r * shape[k], -1)
        U, s, Vt = np.linalg.svd(C, full_matrices=False)
        tail = np.sqrt(np.cumsum((s ** 2)[::-1]))[::-1]  # tail[i] = ||s[i:]||
        rk = max(1, int(np.sum(tail > delta)))
        cores.append(U[:, :rk].reshape(r, shape[k], rk))
        C = s[:rk, None] * Vt[:rk]
        r = rk
    cores.append(C.reshape(r, shape[-1], 1))
    return cores


def contract(cores):
    """Dense tensor of a list of cores (r, n, r') by einsum, in float64."""
    out = np.ones((1, 1))
    for G in cores:
        out = np.einsum("ia,anb->inb", out, np.asarray(G, dtype=np.float64)).reshape(1, -1, G.shape[2])
        out = out.reshape(-1, G.shape[2])
    return out.reshape([G.shape[1] for G in cores])


def low_rank_tensor(rng, shape, rank, noise):
    """A tensor of TT rank <= rank plus Gaussian noise of relative size ~noise."""
    cores = [rng.standard_normal((1 if k == 0 else rank, n, 1 if k == len(shape) - 1 else rank))
             for k, n in enumerate(shape)]
    A = contract(cores)
    return A + noise * np.linalg.norm(A) / np.sqrt(A.size) * rng.standard_normal(A.shape)


@pytest.mark.parametrize("dtype,tol", DTYPES)
def test_tt_svd_matches_numpy_tt_svd_and_eps_bound(dtype, tol):
    rng = np.random.default_rng(1)
    A = low_rank_tensor(rng, (6, 7, 8, 5), 3, 1e-3).astype(dtype)
    eps = 1e-2
    t = tessera.tt.tt_svd(A, eps=eps, method="exact")
    assert t.dtype == dtype and t.shape == A.shape and t.status == "ok"
    full = t.full()
    assert full.dtype == dtype and full.shape == A.shape
    ref = numpy_tt_svd(A, eps)
    assert list(t.ranks) == [1] + [G.shape[2] for G in ref]
    assert list(t.ranks) == [1, 3, 3, 3, 1]
    nA = np.linalg.norm(A.astype(np.float64))
    err = np.linalg.norm(full.astype(np.float64) - A)
    assert err <= eps * nA * (1 + 1e-6)
    # The TT-SVD truncations are orthogonal: the error equals the recorded bound.
    assert err == pytest.approx(t.error_bound, rel=1e-3 if dtype == np.float32 else 1e-8)
    np.testing.assert_allclose(full, contract(ref), atol=tol * 10 * nA / np.sqrt(A.size) * 100)
    # Cores contract (numpy einsum) to full().
    np.testing.assert_allclose(contract(t.cores), full, atol=tol * nA)


@pytest.mark.parametrize("dtype,tol", DTYPES)
def test_tt_svd_rank_cap_and_bound(dtype, tol):
    rng = np.random.default_rng(2)
    A = rng.standard_normal((5, 6, 7)).astype(dtype)
    t = tessera.tt.tt_svd(A, rank=2, eps=1e-3)
    assert max(t.ranks) <= 2
    assert t.status == "accuracy_limited" and "rank caps" in t.status.message
    err = np.linalg.norm(t.full().astype(np.float64) - A)
    assert err <= t.error_bound * (1 + 1e-4)
    # Every TT rank is bounded by min(prod of the modes left, prod right).
    full_rank = tessera.tt.tt_svd(A)
    assert list(full_rank.ranks) == [1, 5, 7, 1]
    np.testing.assert_allclose(full_rank.full(), A, atol=tol * 100 * np.abs(A).max())
    # tensorly's rank list (d + 1 entries, ends 1) caps per bond.
    t2 = tessera.tt.tt_svd(A, rank=[1, 3, 2, 1])
    assert list(t2.ranks) == [1, 3, 2, 1]


def test_tensor_train_from_cores_norm_dot_round():
    rng = np.random.default_rng(3)
    cores = [rng.standard_normal((1, 4, 3)), rng.standard_normal((3, 5, 2)), rng.standard_normal((2, 6, 1))]
    t = tessera.tt.TensorTrain(cores)
    A = contract(cores)
    np.testing.assert_allclose(t.full(), A, rtol=1e-12, atol=1e-12)
    assert t[1, 2, 3] == pytest.approx(A[1, 2, 3], rel=1e-12)
    assert t.norm() == pytest.approx(np.linalg.norm(A), rel=1e-12)
    assert t.dot(t) == pytest.approx(np.sum(A * A), rel=1e-12)
    s = (t + t).round(eps=1e-12)
    assert list(s.ranks) == [1, 3, 2, 1]
    np.testing.assert_allclose(s.full(), 2 * A, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose((t - 0.5 * t).full(), 0.5 * A, atol=1e-12)
    assert t.parameter_count == sum(G.size for G in cores)
    assert np.shares_memory(t.cores[1], t.cores[1]) and not t.cores[1].flags.writeable
    assert t.storage_bytes == 8 * t.parameter_count


@pytest.mark.parametrize("dtype,tol", DTYPES)
def test_tt_matrix_products_match_numpy(dtype, tol):
    rng = np.random.default_rng(4)
    # A Kronecker product has TT-matrix rank 1: recovered exactly.
    K = [rng.standard_normal((4, 3)), rng.standard_normal((2, 5)), rng.standard_normal((3, 2))]
    W = np.kron(np.kron(K[0], K[1]), K[2]).astype(dtype)
    M = tessera.tt.tt_matrix(W, [4, 2, 3], [3, 5, 2], eps=1e-4)
    assert M.shape == (24, 30) and list(M.ranks) == [1, 1, 1, 1] and M.dtype == dtype
    scale = np.abs(W).max()
    np.testing.assert_allclose(M.to_dense(), W, atol=tol * 10 * scale)
    x = rng.standard_normal(30).astype(dtype)
    y = rng.standard_normal(24).astype(dtype)
    X = rng.standard_normal((30, 7)).astype(dtype)
    W64 = W.astype(np.float64)
    np.testing.assert_allclose(M.matvec(x), W64 @ x, atol=tol * 100 * scale * 30)
    np.testing.assert_allclose(M @ x, W64 @ x, atol=tol * 100 * scale * 30)
    np.testing.assert_allclose(M.rmatvec(y), W64.T @ y, atol=tol * 100 * scale * 24)
    np.testing.assert_allclose(M.matvec(X), W64 @ X, atol=tol * 100 * scale * 30)
    # 4-way cores (r, m, n, r') contract to W (interleaved index order).
    C = M.cores
    assert [c.shape for c in C] == [(1, 4, 3, 1), (1, 2, 5, 1), (1, 3, 2, 1)]
    dense = np.einsum("aibx,xjcy,ykdz->ijkbcd", *[c.astype(np.float64) for c in C]).reshape(24, 30)
    np.testing.assert_allclose(dense, W64, atol=tol * 10 * scale)


def test_tt_matrix_truncation_bound_and_status():
    rng = np.random.default_rng(5)
    W = rng.standard_normal((32, 48))
    M = tessera.tt.tt_matrix(W, [4, 8], [6, 8], rank=4)
    err = np.linalg.norm(M.to_dense() - W)
    assert M.status == "accuracy_limited"
    assert err == pytest.approx(M.error_bound, rel=1e-8)
    assert M.parameter_count == sum(c.size for c in M.cores)
    assert M.compression_ratio == pytest.approx(W.size / M.parameter_count)
    assert tessera.tt.tt_matrix(W, [4, 8], [6, 8]).status == "ok"


def test_tt_shape_suggestions():
    s = tessera.tt.tt_shape_suggestions(1024, 4096, d=2, rank=8)
    assert s and all(np.prod(e["row_modes"]) == e["rows"] >= 1024 for e in s)
    assert all(np.prod(e["col_modes"]) == e["cols"] >= 4096 for e in s)


def test_tt_errors_name_the_function():
    with pytest.raises(ValueError, match=r"^tt::tt_svd: "):
        tessera.tt.tt_svd(np.ones(5))
    with pytest.raises(ValueError, match=r"^tt::tt_svd: "):
        tessera.tt.tt_svd(np.ones((2, 3)), rank=0)
    with pytest.raises(ValueError, match=r"^tt::tt_svd: "):
        tessera.tt.tt_svd(np.ones((2, 3)), eps=-1.0)
    with pytest.raises(ValueError, match="tt::tt_svd: method='qr' must be one of"):
        tessera.tt.tt_svd(np.ones((2, 3)), method="qr")
    with pytest.raises(ValueError, match=r"^tt::to_tt_matrix: "):
        tessera.tt.tt_matrix(np.ones((6, 6)), [2, 2], [3, 2])
    with pytest.raises(ValueError, match="tt_matrix::matvec"):
        tessera.tt.tt_matrix(np.ones((6, 6)), [2, 3], [3, 2]).matvec(np.ones(5))
