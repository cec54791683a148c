"""tessera.ternary against numpy: the absmean quantizer, pack/unpack round trips, the packed
products against numpy dots of the unpacked weights, the TQ round trips, and ggml's own
TQ2_0 / TQ1_0 bytes (../shared/data/ternary)."""
import numpy as np
import pytest
from conftest import shared_data

import tessera

tn = tessera.ternary


def numpy_absmean(W, G, eps=1e-5):
    """BitNet b1.58 absmean per group of G columns, in float64: (codes, gamma)."""
    W = np.asarray(W, dtype=np.float64)
    rows, cols = W.shape
    ng = -(-cols // G)
    codes = np.zeros(W.shape, dtype=np.int8)
    gamma = np.zeros((rows, ng))
    for g in range(ng):
        blk = W[:, g * G:(g + 1) * G]
        gamma[:, g] = np.abs(blk).mean(axis=1)
        thr = 0.5 * (gamma[:, g] + eps)[:, None]
        codes[:, g * G:(g + 1) * G] = np.where(blk >= thr, 1, np.where(blk <= -thr, -1, 0))
    return codes, gamma


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_quantize_absmean_matches_numpy(dtype):
    rng = np.random.default_rng(10)
    W = rng.standard_normal((9, 300)).astype(dtype)
    m = tn.quantize_absmean(W, group_size=64)
    codes, gamma = numpy_absmean(W, 64)
    assert m.shape == (9, 300) and m.n_groups == 5 and m.dtype == dtype
    np.testing.assert_array_equal(m.codes, codes)
    np.testing.assert_allclose(m.scales, gamma.astype(np.float32), rtol=1e-7)
    deq = m.dequantize()
    assert deq.dtype == dtype
    np.testing.assert_array_equal(deq, (np.repeat(m.scales, 64, axis=1)[:, :300] * m.codes).astype(dtype))
    rep = m.error_report(W)
    ref = np.linalg.norm(W.astype(np.float64) - deq) / np.linalg.norm(W.astype(np.float64))
    assert rep["relative_frobenius"] == pytest.approx(ref, rel=1e-6)
    assert rep["zero_fraction"] == pytest.approx(np.mean(codes == 0))
    assert m.storage_bytes == 9 * 75 + 4 * 45
    # codes and scales are read-only views of the C++ object (no copy per access).
    assert np.shares_memory(m.codes, m.codes) and not m.codes.flags.writeable


def test_pack_unpack_round_trip_all_patterns():
    # Every 4-trit pattern (81) and every 5-trit pattern (243) in one matrix.
    trits = np.array(np.meshgrid(*[[-1, 0, 1]] * 5, indexing="ij")).reshape(5, -1).T.reshape(-1)
    codes = np.tile(trits, (3, 1)).astype(np.int8)  # [3, 1215]
    codes[1] = codes[1][::-1]
    for pack, unpack in ((tn.pack_2bit, tn.unpack_2bit), (tn.pack_base3, tn.unpack_base3)):
        p = pack(codes)
        assert p.shape == codes.shape and not p.has_scales
        np.testing.assert_array_equal(unpack(p), codes)
    m = tn.quantize_absmean(np.random.default_rng(11).standard_normal((4, 256)), group_size=128)
    p2, p3 = tn.pack_2bit(m), tn.pack_base3(m, scale_storage="f16")
    assert p2.layout == "2bit" and p3.layout == "base3" and p3.scale_storage == "f16"
    assert p2.storage_bytes == 4 * 64 + 4 * 4 * 2
    np.testing.assert_array_equal(tn.unpack_2bit(p2), m.codes)
    np.testing.assert_array_equal(tn.unpack_base3(p3), m.codes)


@pytest.mark.parametrize("layout", ["2bit", "base3"])
def test_gemv_gemm_match_numpy_dot_of_unpacked_weights(layout):
    rng = np.random.default_rng(12)
    W = rng.standard_normal((37, 512)).astype(np.float32)
    m = tn.quantize_absmean(W, group_size=128)
    P = tn.pack_2bit(m) if layout == "2bit" else tn.pack_base3(m)
    Wq = (np.repeat(m.scales, 128, axis=1) * (tn.unpack_2bit(P) if layout == "2bit" else tn.unpack_base3(P)))
    X = rng.standard_normal((5, 512)).astype(np.float32)
    acts = tn.quantize_activations_int8(X, block_size=64)
    Xq = acts.dequantize().astype(np.float64)
    ref = Xq @ Wq.astype(np.float64).T  # [5, 37]
    Y = tn.gemm(P, acts)
    assert Y.shape == (5, 37) and Y.dtype == np.float32
    np.testing.assert_allclose(Y, ref, rtol=1e-5, atol=1e-5 * np.abs(ref).max())
    for b in range(5):
        a1 = tn.quantize_activations_int8(X[b], block_size=64)
        np.testing.assert_array_equal(a1.values[0], acts.values[b])
        y = tn.gemv(P, a1)
        np.testing.assert_array_equal(y, Y[b])  # gemm row b == gemv bit for bit
        for k in ("scalar", "avx2", "avx512"):
            if tn.kernel_available(k):
                np.testing.assert_array_equal(tn.gemv(P, a1, kernel=k), y)
    if layout == "2bit":
        x = X[0].astype(np.float64)
        np.testing.assert_allclose(tn.gemv_float(P, x), Wq.astype(np.float64) @ x, rtol=1e-5,
                                   atol=1e-5 * np.abs(Wq).sum(axis=1).max())
    # The activations themselves: absmax int8 per block of 64.
    amax = np.abs(X.reshape(5, 8, 64)).max(axis=2)
    np.testing.assert_allclose(acts.scales, (amax / 127).astype(np.float32), rtol=1e-7)
    assert np.abs(acts.values).max() == 127


@pytest.mark.parametrize("fmt", ["tq2_0", "tq1_0"])
def test_tq_round_trip(fmt):
    rng = np.random.default_rng(13)
    W = rng.standard_normal((6, 512)).astype(np.float32)
    m = tn.quantize_absmean(W, group_size=256)
    to, frm = getattr(tn, "to_" + fmt), getattr(tn, "from_" + fmt)
    b = to(m)
    assert b.dtype == np.uint8 and b.size == 6 * 2 * (66 if fmt == "tq2_0" else 54)
    back = frm(b, 6, 512)
    np.testing.assert_array_equal(back.codes, m.codes)
    np.testing.assert_array_equal(back.scales, m.scales.astype(np.float16).astype(np.float32))
    np.testing.assert_array_equal(to(back), b)
    np.testing.assert_array_equal(frm(bytes(b), 6, 512).codes, m.codes)  # bytes objects work too


@pytest.mark.parametrize("name", ["gauss", "ternary_rowscale"])
@pytest.mark.parametrize("fmt", ["tq2_0", "tq1_0"])
def test_tq_bytes_equal_ggml_reference(name, fmt):
    W = np.load(shared_data(f"ternary/{name}.f32.npy"))
    ref = np.fromfile(shared_data(f"ternary/{name}.{fmt}.bin"), dtype=np.uint8)
    deq = np.load(shared_data(f"ternary/{name}.{fmt}.deq.f32.npy"))
    np.testing.assert_array_equal(getattr(tn, "encode_" + fmt)(W), ref)
    m = getattr(tn, "from_" + fmt)(ref, *W.shape)
    np.testing.assert_array_equal(m.dequantize(), deq)


def test_ternary_errors_name_the_function():
    W = np.ones((2, 8))
    W[1, 3] = np.nan
    with pytest.raises(ValueError, match=r"quantize_absmean: W must be finite, got nan at \[1, 3\]"):
        tn.quantize_absmean(W)
    with pytest.raises(ValueError, match=r"^ternary::quantize_absmean: "):
        tn.quantize_absmean(np.ones((2, 8)), group_size=0)
    with pytest.raises(ValueError, match="ternary::quantize_absmean: granularity='row' must be one of"):
        tn.quantize_absmean(np.ones((2, 8)), granularity="row")
    with pytest.raises(ValueError, match="from_tq2_0"):
        tn.from_tq2_0(np.zeros(65, dtype=np.uint8), 1, 256)
    with pytest.raises(ValueError, match="to_tq2_0"):
        tn.to_tq2_0(tn.quantize_absmean(np.ones((2, 256)), group_size=128))
    with pytest.raises(ValueError, match="pack_2bit"):
        tn.pack_2bit(np.full((1, 4), 2, dtype=np.int8))
    P = tn.pack_2bit(tn.quantize_absmean(np.ones((2, 128))))
    with pytest.raises(ValueError, match=r"^ternary::gemv: "):
        tn.gemv(P, tn.quantize_activations_int8(np.ones(64)))
