"""tessera.model on stories260K (../shared/data): the checkpoint's tensors equal a numpy parse
of the llama2.c file, and the battery's numbers equal numpy computations on those tensors.
Skipped (pytest.skip; ctest then reports Skipped, never Passed) when the data is absent."""
import numpy as np
import pytest
from conftest import shared_data

import tessera

md = tessera.model


@pytest.fixture(scope="module")
def stories():
    return shared_data("stories260K/stories260K.bin")


def numpy_llama2c(path):
    """The llama2.c v0 layout (shared/data/README.md), parsed with numpy: name -> array."""
    raw = np.fromfile(path, dtype=np.int32, count=7)
    dim, hidden, L, heads, kv, vocab, seq = (int(x) for x in raw)
    f = np.fromfile(path, dtype=np.float32, offset=28)
    kvd = dim * kv // heads
    out, o = {}, 0

    def take(name, shape):
        nonlocal o
        n = int(np.prod(shape))
        out[name] = f[o:o + n].reshape(shape)
        o += n

    take("token_embedding", (abs(vocab), dim))
    take("rms_att", (L, dim))
    take("wq", (L, dim, dim))
    take("wk", (L, kvd, dim))
    take("wv", (L, kvd, dim))
    take("wo", (L, dim, dim))
    take("rms_ffn", (L, dim))
    take("w1", (L, hidden, dim))
    take("w2", (L, dim, hidden))
    take("w3", (L, hidden, dim))
    take("rms_final", (dim,))
    take("freq_cis_real", (seq, (dim // heads) // 2))
    take("freq_cis_imag", (seq, (dim // heads) // 2))
    assert o == f.size
    return out


def test_checkpoint_tensors_equal_numpy_parse(stories):
    ck = md.Checkpoint(str(stories))
    assert ck.format == "llama2c" and len(ck) == 49
    c = ck.config
    assert (c["n_layers"], c["hidden"], c["intermediate"], c["n_heads"], c["n_kv_heads"], c["vocab_size"]) == \
        (5, 64, 172, 8, 4, 512)
    ref = numpy_llama2c(stories)
    np.testing.assert_array_equal(ck.read("token_embedding"), ref["token_embedding"])
    for layer in range(5):
        for w in ("wq", "wk", "w2"):
            np.testing.assert_array_equal(ck.read(f"layers.{layer}.{w}"), ref[w][layer])
    np.testing.assert_array_equal(ck.read("rms_final"), ref["rms_final"])
    e64 = ck.read("layers.2.w1", dtype=np.float64)
    assert e64.dtype == np.float64
    np.testing.assert_array_equal(e64, ref["w1"][2].astype(np.float64))
    info = ck.info("layers.3.wk")
    assert info["shape"] == (32, 64) and info["role"] == "attn_k" and info["layer"] == 3
    assert "layers.0.wq" in ck and "nope" not in ck


def test_battery_equals_numpy(stories):
    ck = md.Checkpoint(str(stories))
    rep = md.run_battery(ck, cross_layer=False)
    assert set(rep) >= {"tensors", "layers", "embedding", "skipped"}
    ref = numpy_llama2c(stories)
    rows = {t["name"]: t for t in rep["tensors"]}
    for name, W in (("layers.1.wq", ref["wq"][1]), ("layers.4.w2", ref["w2"][4]), ("token_embedding", ref["token_embedding"])):
        s = np.linalg.svd(W.astype(np.float64), compute_uv=False)
        t = rows[name]
        assert t["stable_rank"] == pytest.approx(np.sum(s ** 2) / s[0] ** 2, rel=1e-5)
        assert t["frobenius"] == pytest.approx(np.linalg.norm(W.astype(np.float64)), rel=1e-6)
        assert t["status"]["code"] == "ok"
    assert len(rep["layers"]) == 5 and rep["embedding"]["name"] == "token_embedding"
    # A path works too, and the result is deterministic.
    again = md.run_battery(str(stories), cross_layer=False)
    assert again["tensors"] == rep["tensors"]


def test_model_errors():
    with pytest.raises(OSError, match="no-such-model"):
        md.Checkpoint("/nonexistent/no-such-model.bin")


def test_model_read_errors(stories):
    ck = md.Checkpoint(str(stories))
    with pytest.raises(ValueError, match=r"^model::checkpoint: "):
        ck.read("nope")
    with pytest.raises(ValueError, match="checkpoint::read"):
        ck.read("token_embedding", dtype=np.int32)
