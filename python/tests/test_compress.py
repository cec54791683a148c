"""tessera.compress against numpy/scipy: compression_report on dense arrays and on the
compressed objects of tessera.ternary and tessera.tt, word-similarity evaluation, and the export
of compressed forms (save_compressed / CompressedFile read back bit for bit and parsed with plain
numpy + json; save_ternary_gguf / load_ternary_gguf against the fp16-scale bound and a numpy
decoding of the TQ2_0 blocks)."""
import json
import os

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
    with pytest.raises(ValueError, match=r"^compress::compression_report: "):
        cp.compression_report(A, np.ones((9, 4)))
    with pytest.raises(ValueError, match=r"^compress::evaluate_word_similarity: "):
        cp.evaluate_word_similarity(A, ["a", "b"], cp.WordSimilaritySet("x", []))
    with pytest.raises(OSError, match="no-such-file"):
        cp.read_word_similarity("/nonexistent/no-such-file.txt")


# ---- export: save_compressed / CompressedFile ----------------------------------------------------



def _check_export():
    """tests/compress/check_export.py: the numpy + json safetensors reader, the TT contraction
    and the packed-row decoder that the C++ test's reference check uses (one copy of each)."""
    import importlib.util
    from conftest import SOURCE_DIR
    spec = importlib.util.spec_from_file_location(
        "check_export", os.path.join(SOURCE_DIR, "tests", "compress", "check_export.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


_ce = _check_export()


def read_safetensors_numpy(path):
    return _ce.read_safetensors(path, with_header=True)


numpy_tt_dense = _ce.tt_dense
numpy_unpack = _ce.unpack


def export_set(dtype, seed=40):
    """One object of each kind in `dtype` (packed ternary: a 2-bit f32 and a base-3 f16 one)."""
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((64, 48)).astype(dtype)
    svd = tessera.spectral.truncated_svd(A, 8)
    lr = cp.LowRank(svd)
    lr2 = cp.LowRank(rng.standard_normal((30, 5)).astype(dtype), rng.standard_normal((5, 70)))
    tt = tessera.tt.tt_matrix(A, [4, 4, 4], [4, 3, 4], rank=5)
    W = rng.standard_normal((20, 300)).astype(dtype)
    tern = tessera.ternary.quantize_absmean(W, group_size=64)
    p2 = tessera.ternary.pack_2bit(tern)
    p3 = tessera.ternary.pack_base3(tern, scale_storage="f16")
    bare = tessera.ternary.pack_2bit(tern.codes)
    objs = {"emb.svd": svd, "emb.lr": lr, "lr2": lr2, "ffn": tt, "w2": p2, "w3": p3, "bare": bare}
    return objs, tern


def test_low_rank_object(dtype):
    rng = np.random.default_rng(41)
    A = rng.standard_normal((40, 30)).astype(dtype)
    svd = tessera.spectral.truncated_svd(A, 6)
    lr = cp.LowRank(svd)
    assert lr.dtype == dtype and lr.shape == (40, 30) and lr.rank == 6
    assert np.array_equal(lr.left, svd.U * svd.S) and np.array_equal(lr.right, svd.Vt)
    dense = (svd.U.astype(np.float64) * svd.S) @ svd.Vt
    t = 1e-5 if dtype == np.float32 else 1e-12
    assert np.allclose(lr.reconstruct(), dense, rtol=t, atol=t)
    x = rng.standard_normal(30)
    assert np.allclose(lr.apply(x), dense @ x, rtol=t, atol=10 * t)
    X = rng.standard_normal((30, 3))
    assert lr.apply(X).shape == (40, 3) and np.allclose(lr.apply(X), dense @ X, rtol=t, atol=10 * t)
    assert lr.storage_bytes == (40 + 30) * 6 * np.dtype(dtype).itemsize
    assert lr.compression_ratio == pytest.approx(40 * 30 / (70 * 6))
    assert cp.compression_report(A, lr, pairs=100, neighbours=False)["storage_bytes"] == lr.storage_bytes
    with pytest.raises(ValueError, match=r"^spectral::low_rank: "):
        cp.LowRank(np.ones((4, 3)), np.ones((2, 5)))


def test_save_compressed_round_trip_bit_for_bit(tmp_path, dtype):
    objs, tern = export_set(dtype)
    path = str(tmp_path / "c.safetensors")
    cp.save_compressed(path, objs, metadata={"source": "pytest", "note": "é ünïcode"})
    with cp.CompressedFile(path) as f:
        assert f.path == path and f.version == tessera.__version__ and len(f) == len(objs)
        assert f.metadata() == {"source": "pytest", "note": "é ünïcode"}
        assert set(f.objects()) == set(objs) and "ffn" in f and "nope" not in f
        fd = "F32" if dtype == np.float32 else "F64"
        # SVDResult: U, S, Vt bit for bit, dtype kept
        s, s0 = f.load_svd("emb.svd"), objs["emb.svd"]
        assert isinstance(s, tessera.spectral.SVDResult) and s.U.dtype == dtype
        for a, b in zip(s, s0):
            assert a.dtype == b.dtype and np.array_equal(a, b)
        assert f.objects()["emb.svd"] == {"kind": "svd", "dtype": fd, "shape": (64, 48), "rank": 8,
                                          "tensors": ["emb.svd.U", "emb.svd.S", "emb.svd.Vt"]}
        # LowRank (from an SVD and from factors)
        for name in ("emb.lr", "lr2"):
            lr, lr0 = f.load_low_rank(name), objs[name]
            assert isinstance(lr, cp.LowRank) and lr.dtype == dtype
            assert np.array_equal(lr.left, lr0.left) and np.array_equal(lr.right, lr0.right)
        assert f.objects()["lr2"]["shape"] == (30, 70) and f.objects()["lr2"]["rank"] == 5
        # TTMatrix: cores, modes and ranks
        t, t0 = f.load_tt_matrix("ffn"), objs["ffn"]
        assert isinstance(t, tessera.tt.TTMatrix) and t.dtype == dtype
        assert t.row_modes == t0.row_modes and t.col_modes == t0.col_modes and t.ranks == t0.ranks
        assert len(t.cores) == 3 and all(np.array_equal(a, b) for a, b in zip(t.cores, t0.cores))
        assert np.array_equal(t.to_dense(), t0.to_dense())
        assert f.objects()["ffn"]["ranks"] == list(t0.ranks) and f.objects()["ffn"]["row_modes"] == [4, 4, 4]
        # PackedTernary: layout, strides, codes and (through gemv_float) the scales
        x = np.random.default_rng(42).standard_normal(300).astype(np.float32)
        for name, unpack in (("w2", tessera.ternary.unpack_2bit), ("w3", tessera.ternary.unpack_base3),
                             ("bare", tessera.ternary.unpack_2bit)):
            p, p0 = f.load_packed_ternary(name), objs[name]
            assert isinstance(p, tessera.ternary.PackedTernary)
            for attr in ("layout", "shape", "group_size", "n_groups", "row_stride", "scale_storage",
                         "has_scales", "storage_bytes"):
                assert getattr(p, attr) == getattr(p0, attr), (name, attr)
            assert np.array_equal(unpack(p), tern.codes)
        for name in ("w2", "w3"):  # scaled products equal bit for bit: the same scales
            p, p0 = f.load_packed_ternary(name), objs[name]
            if p.layout == "2bit":
                assert np.array_equal(tessera.ternary.gemv_float(p, x), tessera.ternary.gemv_float(p0, x))
            acts = tessera.ternary.quantize_activations_int8(x)
            assert np.array_equal(tessera.ternary.gemv(p, acts), tessera.ternary.gemv(p0, acts))
        o = f.objects()
        assert o["w2"]["layout"] == "two_bit" and o["w2"]["scale_storage"] == "f32" and o["w2"]["n_groups"] == 5
        assert o["w3"]["layout"] == "base3" and o["w3"]["scale_storage"] == "f16" and o["w3"]["dtype"] == "U8"
        assert o["bare"]["scale_storage"] == "none" and o["bare"]["tensors"] == ["bare.codes"]
        # load() picks the class of the kind
        kinds = {"emb.svd": tessera.spectral.SVDResult, "emb.lr": cp.LowRank, "lr2": cp.LowRank,
                 "ffn": tessera.tt.TTMatrix, "w2": tessera.ternary.PackedTernary,
                 "w3": tessera.ternary.PackedTernary, "bare": tessera.ternary.PackedTernary}
        loaded = {name: f.load(name) for name in objs}
        assert all(isinstance(loaded[n], k) for n, k in kinds.items())
    assert f.closed
    # Saving the loaded objects again gives the same bytes: every stored bit survived the round trip.
    again = str(tmp_path / "again.safetensors")
    cp.save_compressed(again, [(n, loaded[n]) for n in objs], {"source": "pytest", "note": "é ünïcode"})
    assert open(again, "rb").read() == open(path, "rb").read()


def test_large_factors_round_trip(tmp_path):
    """Tensors of 1 MiB and more are loaded by pread rather than from the mapping: bit for bit too."""
    rng = np.random.default_rng(48)
    lr = cp.LowRank(rng.standard_normal((3000, 64)), rng.standard_normal((64, 2500)).astype(np.float32))
    assert lr.left.nbytes > 1 << 20 and lr.dtype == np.float64
    path = str(tmp_path / "big.safetensors")
    cp.save_compressed(path, {"big": lr})
    back = cp.CompressedFile(path).load("big")
    assert np.array_equal(back.left, lr.left) and np.array_equal(back.right, lr.right)
    tensors, _, _ = read_safetensors_numpy(path)
    assert np.array_equal(tensors["big.US"], lr.left) and np.array_equal(tensors["big.Vt"], lr.right)


def test_safetensors_parsed_with_numpy_and_json(tmp_path, dtype):
    objs, tern = export_set(dtype, seed=43)
    path = str(tmp_path / "c.safetensors")
    cp.save_compressed(path, objs, {"source": "numpy check"})
    tensors, meta, header = read_safetensors_numpy(path)
    assert meta["tessera.format"] == "tessera.compressed.v1"
    assert meta["tessera.version"] == tessera.__version__ and meta["source"] == "numpy check"
    described = json.loads(meta["tessera.objects"])
    f = cp.CompressedFile(path)
    listed = f.objects()
    assert set(described) == set(listed) == set(objs)
    for name, d in described.items():
        o = listed[name]
        assert tuple(d["shape"]) == o["shape"] and d["kind"] == o["kind"]
        assert {k: v for k, v in d.items() if k != "shape"} == \
            {k: v for k, v in o.items() if k not in ("shape", "tensors") and not (k == "dtype" and v == "U8")}
        assert sorted(o["tensors"]) == sorted(t for t in tensors if t.rsplit(".", 2)[0] == name
                                              or t.rsplit(".", 1)[0] == name)
    fdt = np.dtype(dtype).newbyteorder("<")
    # every float tensor equals what tessera loads, bit for bit
    s = f.load("emb.svd")
    assert tensors["emb.svd.U"].dtype == fdt
    assert np.array_equal(tensors["emb.svd.U"], s.U) and np.array_equal(tensors["emb.svd.S"], s.S)
    assert np.array_equal(tensors["emb.svd.Vt"], s.Vt)
    for name in ("emb.lr", "lr2"):
        lr = f.load(name)
        assert np.array_equal(tensors[name + ".US"], lr.left) and np.array_equal(tensors[name + ".Vt"], lr.right)
        assert header[name + ".US"]["shape"] == [lr.shape[0], lr.rank]
    t = f.load("ffn")
    cores = [tensors[f"ffn.core.{k}"] for k in range(3)]
    assert all(np.array_equal(a, b) for a, b in zip(cores, t.cores))
    tol_ = 1e-5 if dtype == np.float32 else 1e-13
    ref = t.to_dense()
    assert np.abs(numpy_tt_dense([c.astype(np.float64) for c in cores]) - ref).max() <= tol_ * np.abs(ref).max()
    # ternary: codes decoded by numpy from the raw bytes, scales as written
    for name, storage in (("w2", np.float32), ("w3", np.float16), ("bare", None)):
        q = numpy_unpack(tensors[name + ".codes"], described[name])
        assert np.array_equal(q, tern.codes), name
        unpack = tessera.ternary.unpack_2bit if described[name]["layout"] == "two_bit" else tessera.ternary.unpack_base3
        assert np.array_equal(q, unpack(f.load(name)))
        if storage is None:
            assert name + ".scales" not in tensors
            continue
        sc = tensors[name + ".scales"]
        assert sc.dtype == np.dtype(storage).newbyteorder("<") and sc.shape == tern.scales.shape
        assert np.array_equal(sc, tern.scales.astype(storage))
        W = q.astype(np.float32) * np.repeat(sc.astype(np.float32), described[name]["group_size"], axis=1)[:, :300]
        if storage == np.float32:
            assert np.array_equal(W, tern.dequantize().astype(np.float32))


def test_compressed_file_errors(tmp_path):
    objs, tern = export_set(np.float32, seed=44)
    path = str(tmp_path / "c.safetensors")
    cp.save_compressed(path, {"a": objs["emb.svd"], "w": objs["w2"]})
    f = cp.CompressedFile(path)
    holds = r"it holds 'a' \(svd\), 'w' \(packed_ternary\)"
    with pytest.raises(ValueError, match=r"compress::compressed_file::load_svd: name='nope' is not an object of .*c\.safetensors; "
                                         + holds):
        f.load_svd("nope")
    with pytest.raises(ValueError, match=r"compressed_file::load: name='nope' is not an object of .*; " + holds):
        f.load("nope")
    with pytest.raises(ValueError, match=r"compress::compressed_file::load_low_rank: object 'a' is a svd, not a low_rank"):
        f.load_low_rank("a")
    with pytest.raises(ValueError, match=r"compress::compressed_file::load_tt_matrix: object 'w' is a packed_ternary"):
        f.load_tt_matrix("w")
    with pytest.raises(ValueError, match=r"compress::compressed_file::load_packed_ternary: object 'a' is a svd"):
        f.load_packed_ternary("a")
    f.close()
    with pytest.raises(ValueError, match="closed file"):
        f.load("a")
    # files
    with pytest.raises(OSError, match="no-such-file"):
        cp.CompressedFile(str(tmp_path / "no-such-file.safetensors"))
    with pytest.raises(OSError, match="no-such-dir"):
        cp.save_compressed(str(tmp_path / "no-such-dir" / "x.safetensors"), {"a": objs["emb.lr"]})
    plain = str(tmp_path / "plain.safetensors")
    tessera.io.write_safetensors(plain, {"x": np.ones((2, 2), np.float32)})
    with pytest.raises(OSError, match="tessera.format"):
        cp.CompressedFile(plain)
    raw = open(path, "rb").read()
    cut = str(tmp_path / "cut.safetensors")
    open(cut, "wb").write(raw[:-10])
    with pytest.raises(OSError, match="cut.safetensors"):
        cp.CompressedFile(cut)
    # bad save requests
    with pytest.raises(ValueError, match="compress::save_compressed: metadata: key 'tessera.x' is reserved"):
        cp.save_compressed(path, {"a": objs["emb.lr"]}, {"tessera.x": "1"})
    with pytest.raises(ValueError, match="compress::save_compressed: items: object names must be non-empty and unique, got 'a'"):
        cp.save_compressed(path, [("a", objs["emb.lr"]), ("a", objs["ffn"])])
    with pytest.raises(ValueError, match="non-empty"):
        cp.save_compressed(path, {"": objs["emb.lr"]})
    with pytest.raises(TypeError, match="TernaryMatrix: pack it first"):
        cp.save_compressed(path, {"t": tern})
    with pytest.raises(TypeError, match="ndarray"):
        cp.save_compressed(path, {"t": np.ones((2, 2))})
    # the failed saves left the first file intact
    assert open(path, "rb").read() == raw


# ---- export: GGUF TQ1_0 / TQ2_0 ------------------------------------------------------------------


def numpy_tq2_0(path, name):
    """The TQ2_0 tensor `name` decoded with numpy from the file bytes: blocks of 64 code bytes
    (weight 128 (b // 32) + 32 l + b % 32 in bits 2l of byte b, code = w + 1) and an fp16 d."""
    f = tessera.io.GGUFFile(path)
    t = next(x for x in f.tensors if x["name"] == name)
    assert t["type"] == "TQ2_0"
    rows, cols = t["shape"]
    raw = np.frombuffer(open(path, "rb").read()[t["offset"]:t["offset"] + t["bytes"]], dtype=np.uint8)
    blocks = raw.reshape(-1, 66)
    qs = blocks[:, :64].reshape(-1, 2, 1, 32)
    q = ((qs >> (2 * np.arange(4, dtype=np.uint8)).reshape(1, 1, 4, 1)) & 3).reshape(-1, 256).astype(np.int8) - 1
    d = blocks[:, 64:].copy().view("<f2").astype(np.float32)
    return q.reshape(rows, cols), d.reshape(rows, cols // 256), (q * d).reshape(rows, cols)


@pytest.mark.parametrize("fmt", ["tq1_0", "tq2_0"])
def test_ternary_gguf_round_trip(tmp_path, dtype, fmt):
    rng = np.random.default_rng(45)
    W = rng.standard_normal((24, 768)).astype(dtype)
    m = tessera.ternary.quantize_absmean(W, group_size=256)
    m_row = tessera.ternary.quantize_absmean(W[:8] * 3, granularity="per_row")
    path = str(tmp_path / f"{fmt}.gguf")
    cp.save_ternary_gguf(path, {"blk.0.w": m, "blk.1.w": m_row}, format=fmt,
                         metadata={"general.name": "pytest", "n": 7})
    g = tessera.io.GGUFFile(path)
    info = {t["name"]: t for t in g.tensors}
    assert info["blk.0.w"]["type"] == fmt.upper() and info["blk.0.w"]["shape"] == (24, 768)
    assert info["blk.0.w"]["bytes"] == 24 * 3 * (54 if fmt == "tq1_0" else 66)
    assert g.metadata["general.name"] == "pytest" and g.metadata["tessera.version"] == tessera.__version__
    for name, src in (("blk.0.w", m), ("blk.1.w", m_row)):
        back = cp.load_ternary_gguf(path, name)
        assert isinstance(back, tessera.ternary.TernaryMatrix) and back.dtype == np.float32
        assert back.shape == src.shape and back.group_size == 256
        assert np.array_equal(back.codes, src.codes)  # the codes exactly
        s16 = np.repeat(src.scales, back.n_groups // src.n_groups, axis=1).astype(np.float16).astype(np.float32)
        assert np.array_equal(back.scales, s16)  # each block's d is fp16(s)
        # the bound of docs/compress.md: |w_gguf - w| <= 2^-11 |w| (scales in fp16's normal range)
        w = src.dequantize().astype(np.float64)
        wg = back.dequantize().astype(np.float64)
        err = np.abs(wg - w)
        assert np.all(err <= 2.0 ** -11 * np.abs(w)), err.max()
        rel = (err / np.where(w == 0, 1, np.abs(w)))[w != 0]
        if name == "blk.0.w":
            assert rel.max() > 2.0 ** -13  # the bound is within 4x of attained: fp16 rounding happened
        # tessera's GGUF reader dequantizes to the same floats
        assert np.array_equal(g.read(name), back.dequantize())
        if fmt == "tq2_0":  # and so does a numpy decoding of the raw blocks
            q, d, wn = numpy_tq2_0(path, name)
            assert np.array_equal(q, src.codes) and np.array_equal(wn, back.dequantize())


def test_ternary_gguf_small_scales(tmp_path):
    """Scales below fp16's normal range (2^-14): the bound is 2^-25 absolute."""
    W = np.random.default_rng(46).standard_normal((4, 256)) * 2e-6
    m = tessera.ternary.quantize_absmean(W, group_size=256)
    assert m.scales.max() < 2.0 ** -14
    path = str(tmp_path / "small.gguf")
    cp.save_ternary_gguf(path, {"w": m})
    back = cp.load_ternary_gguf(path, "w")
    err = np.abs(back.dequantize().astype(np.float64) - m.dequantize())
    assert err.max() <= 2.0 ** -25 and err.max() > 0


def test_ternary_gguf_metadata_types(tmp_path):
    m = tessera.ternary.quantize_absmean(np.ones((2, 256), np.float32), group_size=256)
    path = str(tmp_path / "meta.gguf")
    meta = {"s": "x", "b": True, "i": -3, "big": 2 ** 40, "u64": 2 ** 64 - 1, "f": 0.1,
            "f64": np.float64(0.1), "u8": np.uint8(200), "list": [1, 2, 3], "strs": ["a", "b"],
            "tessera.version": "custom"}
    cp.save_ternary_gguf(path, [("w", m)], "tq1_0", meta)
    got = tessera.io.GGUFFile(path).metadata
    assert got["s"] == "x" and got["b"] is True and got["i"] == -3 and got["big"] == 2 ** 40
    assert got["u64"] == 2 ** 64 - 1 and got["u8"] == 200 and got["list"] == [1, 2, 3] and got["strs"] == ["a", "b"]
    assert got["f"] == float(np.float32(0.1)) != 0.1  # a Python float is float32, as gguf-py writes it
    assert got["f64"] == 0.1  # a numpy float64 stays float64
    assert got["tessera.version"] == "custom"
    with pytest.raises(ValueError, match=r"metadata\['mixed'\]: array elements must all have one GGUF type"):
        cp.save_ternary_gguf(path, {"w": m}, metadata={"mixed": [1, "a"]})
    with pytest.raises(ValueError, match=r"metadata\['neg'\]=.* does not fit"):
        cp.save_ternary_gguf(path, {"w": m}, metadata={"neg": -2 ** 70})
    with pytest.raises(ValueError, match=r"metadata\['d'\] is a dict"):
        cp.save_ternary_gguf(path, {"w": m}, metadata={"d": {}})


def test_ternary_gguf_errors(tmp_path):
    m = tessera.ternary.quantize_absmean(np.random.default_rng(47).standard_normal((4, 512)), group_size=256)
    path = str(tmp_path / "t.gguf")
    cp.save_ternary_gguf(path, {"w": m})
    with pytest.raises(ValueError, match=r"compress::load_ternary_gguf: name='nope' is not a tensor of .*t\.gguf"):
        cp.load_ternary_gguf(path, "nope")
    with pytest.raises(OSError, match="no-such-file"):
        cp.load_ternary_gguf(str(tmp_path / "no-such-file.gguf"), "w")
    with pytest.raises(ValueError, match=r"save_ternary_gguf: format='q4_0' must be one of 'tq1_0', 'tq2_0'"):
        cp.save_ternary_gguf(path, {"w": m}, format="q4_0")
    g128 = tessera.ternary.quantize_absmean(np.ones((2, 256)), group_size=128)
    with pytest.raises(ValueError, match="to_tq2_0"):
        cp.save_ternary_gguf(path, {"w": g128})
    with pytest.raises(ValueError, match="to_tq1_0"):
        cp.save_ternary_gguf(path, {"w": g128}, format="tq1_0")
    with pytest.raises(TypeError, match="expected a tessera.ternary.TernaryMatrix"):
        cp.save_ternary_gguf(path, {"w": tessera.ternary.pack_2bit(m)})
    # a tensor of another type: F32 written by tessera.io is not a TQ tensor
    other = str(tmp_path / "f32.safetensors")
    tessera.io.write_safetensors(other, {"w": np.ones((2, 2), np.float32)})
    with pytest.raises(OSError):
        cp.load_ternary_gguf(other, "w")
