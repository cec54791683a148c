"""tessera.compress against numpy/scipy: compression_report on dense arrays and on the
compressed objects of tessera.ternary and tessera.tt, and word-similarity evaluation."""
import numpy as np
import pytest
import scipy.stats

import tessera

cp = tessera.compress


def numpy_cosines(A, B):
    return np.sum(A * B, axis=1) / np.linalg.norm(A, axis=1) / np.linalg.norm(B, axis=1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_report_on_a_dense_approximation(dtype):
    rng = np.random.default_rng(30)
    A = rng.standard_normal((500, 32)).astype(dtype)
    B = (A + 0.05 * rng.standard_normal(A.shape)).astype(np.float16)  # a float16 copy: half the bytes
    r = cp.compression_report(A, B, knn_k=5, knn_queries=100, pairs=5000)
    A64, B64 = A.astype(np.float64), B.astype(np.float64)
    assert r["rows"] == 500 and r["cols"] == 32
    assert r["relative_frobenius_error"] == pytest.approx(np.linalg.norm(A64 - B64) / np.linalg.norm(A64), rel=1e-5)
    cos = numpy_cosines(A64, B64)
    assert r["row_cosine"].mean == pytest.approx(cos.mean(), rel=1e-5)
    assert r["row_cosine"].min == pytest.approx(cos.min(), rel=1e-5)
    assert r["storage_bytes"] == B.nbytes and r["original_bytes"] == A.nbytes
    assert r["compression_ratio"] == pytest.approx(A.nbytes / B.nbytes)
    assert 0.5 < r["knn_recall"] <= 1.0 and r["knn_k"] == 5 and r["knn_queries"] == 100
    assert 0.9 < r["relational_spearman"] <= 1.0 and r["pairs"] == 5000
    # seeds=4: the mean of four independent draws with scipy's Student-t interval around it.
    r4 = cp.compression_report(A, B, knn_k=5, knn_queries=100, pairs=5000, seeds=4)
    draws = [cp.compression_report(A, B, knn_k=5, knn_queries=100, pairs=5000, seed=2 * s)["knn_recall"]
             for s in range(4)]
    iv = r4["knn_recall_interval"]
    lo, hi = scipy.stats.t.interval(0.95, 3, loc=np.mean(draws), scale=scipy.stats.sem(draws))
    assert r4["seeds"] == 4 and iv.count == 4
    assert r4["knn_recall"] == pytest.approx(np.mean(draws), rel=1e-14)
    assert iv.low == pytest.approx(lo, rel=1e-9) and iv.high == pytest.approx(hi, rel=1e-9)
    assert r4["relational_spearman_interval"].count == 4
    same = cp.compression_report(A, A, neighbours=False, pairs=0)
    assert same["relative_frobenius_error"] == 0.0 and np.isnan(same["knn_recall"])


def test_report_on_compressed_objects():
    rng = np.random.default_rng(31)
    A = rng.standard_normal((64, 48))
    m = tessera.ternary.quantize_absmean(A, group_size=16)
    r = cp.compression_report(A, m, pairs=1000, knn_queries=0)
    deq = m.dequantize()
    assert r["storage_bytes"] == m.storage_bytes
    assert r["relative_frobenius_error"] == pytest.approx(np.linalg.norm(A - deq) / np.linalg.norm(A), rel=1e-12)
    t = tessera.tt.tt_matrix(A, [8, 8], [6, 8], rank=6)
    r = cp.compression_report(A, t, pairs=1000)
    assert r["storage_bytes"] == t.storage_bytes
    assert r["relative_frobenius_error"] == pytest.approx(t.error_bound / np.linalg.norm(A), rel=1e-8)
    assert cp.compression_report(A, deq, storage_bytes=123)["storage_bytes"] == 123


def test_word_similarity_matches_scipy():
    rng = np.random.default_rng(32)
    words = [f"w{i}" for i in range(40)]
    E = rng.standard_normal((40, 8))
    pairs = [(f"w{i}", f"W{(7 * i + 3) % 40}", float(rng.uniform(0, 10))) for i in range(30)]
    pairs.append(("w1", "absent", 5.0))
    bench = cp.WordSimilaritySet("toy", pairs)
    r = cp.evaluate_word_similarity(E, words, bench)
    cos = [numpy_cosines(E[[int(a[1:])]], E[[int(b[1:])]])[0] for a, b, _ in pairs[:30]]
    gold = [s for _, _, s in pairs[:30]]
    assert r["name"] == "toy" and r["covered"] == 30 and r["total"] == 31
    assert r["coverage"] == pytest.approx(30 / 31)
    assert r["spearman"] == pytest.approx(scipy.stats.spearmanr(gold, cos)[0], rel=1e-12)
    assert r["pearson"] == pytest.approx(scipy.stats.pearsonr(gold, cos)[0], rel=1e-12)
    # fold_case=False: "W17" is not "w17".
    assert cp.evaluate_word_similarity(E, words, bench, fold_case=False)["covered"] == 0
    # The same benchmark scored before/after inside compression_report.
    rep = cp.compression_report(E, E + 0.01, words=words, benchmarks=[bench], pairs=100, neighbours=False)
    before = rep["word_similarity"][0]["before"]
    assert before["spearman"] == pytest.approx(r["spearman"], rel=1e-12)


def test_read_word_similarity(tmp_path):
    f = tmp_path / "toy-set.txt"
    f.write_text("cat\tdog\t7.5\ncar\ttree\t1.0\n")
    s = cp.read_word_similarity(str(f))
    assert s.name == "toy-set" and len(s) == 2 and s.pairs[0] == ("cat", "dog", 7.5)
    r = cp.evaluate_word_similarity(np.eye(4), ["cat", "dog", "car", "tree"], str(f))
    assert r["covered"] == 2


def test_compress_errors_name_the_function():
    A = np.ones((10, 4))
    with pytest.raises(ValueError, match="compression_report"):
        cp.compression_report(A, np.ones((9, 4)))
    with pytest.raises(ValueError, match="evaluate_word_similarity"):
        cp.evaluate_word_similarity(A, ["a", "b"], cp.WordSimilaritySet("x", []))
    with pytest.raises(OSError, match="no-such-file"):
        cp.read_word_similarity("/nonexistent/no-such-file.txt")
