"""tessera.io round trips against numpy.save / numpy.load and hand-written files."""
import struct

import numpy as np
import pytest

import tessera
from tessera import io


@pytest.mark.parametrize("shape", [(7,), (5, 3), (2, 3, 4)])
def test_npy_round_trip_vs_numpy(tmp_path, rng, dtype, shape):
    a = rng.standard_normal(shape).astype(dtype)
    p = str(tmp_path / "a.npy")
    np.save(p, a)
    b = io.read_npy(p)
    assert b.dtype == dtype and np.array_equal(a, b)
    assert io.npy_shape(p) == shape
    q = str(tmp_path / "b.npy")
    io.write_npy(q, a)
    assert np.array_equal(np.load(q), a) and np.load(q).dtype == dtype


def test_npy_conversions(tmp_path, rng):
    a = rng.standard_normal((4, 6))
    p = str(tmp_path / "f.npy")
    np.save(p, np.asfortranarray(a).astype(">f8"))  # Fortran order, big endian
    np.testing.assert_array_equal(io.read_npy(p), a)
    np.save(p, a.astype(np.float16))
    b = io.read_npy(p)
    assert b.dtype == np.float32 and np.array_equal(b, a.astype(np.float16).astype(np.float32))
    assert io.read_npy(p, dtype=np.float64).dtype == np.float64
    io.write_npy(p, a, dtype=np.float32)
    assert np.load(p).dtype == np.float32


def test_npy_errors(tmp_path):
    p = tmp_path / "i.npy"
    np.save(p, np.arange(4, dtype=np.int32))
    with pytest.raises(OSError, match=r"i.npy: byte \d+: unsupported dtype '<i4'"):
        io.read_npy(str(p))
    with pytest.raises(ValueError, match="io::read_npy: dtype=int32 must be float32 or float64"):
        io.read_npy(str(p), dtype=np.int32)


def test_safetensors_round_trip(tmp_path, rng):
    t = {"emb": rng.standard_normal((6, 4)).astype(np.float32), "bias": rng.standard_normal(4).astype(np.float32)}
    p = str(tmp_path / "m.safetensors")
    io.write_safetensors(p, t, {"format": "pt"})
    listing = {e["name"]: e for e in io.safetensors_list(p)}
    assert listing["emb"]["shape"] == (6, 4) and listing["emb"]["dtype"] == "F32" and listing["bias"]["readable"]
    assert io.safetensors_metadata(p) == {"format": "pt"}
    back = io.read_safetensors(p)
    for k in t:
        assert np.array_equal(back[k], t[k])
    assert io.read_safetensors(p, names=["bias"], dtype=np.float64)["bias"].dtype == np.float64
    # The header format by hand: 8-byte little-endian length, JSON, data.
    raw = open(p, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    assert b'"emb"' in raw[8:8 + n]


def test_glove_text(tmp_path):
    p = tmp_path / "g.txt"
    p.write_text("the 0.5 -1 2\ncat 1e-3 3 4.25\n")
    words, V = io.read_glove_text(str(p))
    assert words == ["the", "cat"] and V.dtype == np.float32
    np.testing.assert_array_equal(V, np.array([[0.5, -1, 2], [1e-3, 3, 4.25]], dtype=np.float32))
    p.write_text("the 0.5 -1 2\ncat 1 2\n")
    with pytest.raises(OSError, match="g.txt: line 2"):
        io.read_glove_text(str(p))
    w2v = tmp_path / "w.txt"
    w2v.write_text("2 2\na 1 2\nb 3 4\n")
    words, V = io.read_word2vec_text(str(w2v), dtype=np.float64)
    assert words == ["a", "b"] and V.dtype == np.float64 and V[1, 1] == 4.0


def write_gguf(path, tensors, kv):
    """A minimal GGUF v3 file of F32 tensors (the format, by hand)."""
    def s(x):
        b = x.encode()
        return struct.pack("<Q", len(b)) + b
    out = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(kv))
    for k, v in kv.items():
        out += s(k) + (struct.pack("<I", 8) + s(v) if isinstance(v, str) else struct.pack("<II", 4, v))
    offset, blobs = 0, []
    for name, a in tensors.items():
        ne = a.shape[::-1]
        out += s(name) + struct.pack("<I", len(ne)) + struct.pack(f"<{len(ne)}Q", *ne) + struct.pack("<IQ", 0, offset)
        blob = a.astype("<f4").tobytes()
        blob += b"\0" * ((-len(blob)) % 32)
        blobs.append(blob)
        offset += len(blob)
    out += b"\0" * ((-len(out)) % 32)
    with open(path, "wb") as f:
        f.write(out + b"".join(blobs))


def test_gguf_listing_and_read(tmp_path, rng):
    W = rng.standard_normal((3, 5)).astype(np.float32)
    b = rng.standard_normal(7).astype(np.float32)
    p = str(tmp_path / "t.gguf")
    write_gguf(p, {"w": W, "b": b}, {"general.architecture": "test", "n": 7})
    g = io.GGUFFile(p)
    assert g.version == 3 and "w" in g and "x" not in g
    info = {t["name"]: t for t in g.tensors}
    assert info["w"]["shape"] == (3, 5) and info["w"]["type"] == "F32" and info["b"]["bytes"] == 28
    assert g.metadata == {"general.architecture": "test", "n": 7}
    assert np.array_equal(g.read("w"), W) and g.read("b", dtype=np.float64).dtype == np.float64
    with pytest.raises(ValueError, match="io::gguf_file::info: name='x' is not a tensor"):
        g.read("x")
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"GGUF" + b"\xff" * 20)
    with pytest.raises(OSError, match="bad.gguf"):
        io.GGUFFile(str(bad))


def test_read_returns_owned_array(tmp_path, rng):
    a = rng.standard_normal((3, 3))
    p = str(tmp_path / "o.npy")
    np.save(p, a)
    b = io.read_npy(p)
    assert b.flags.c_contiguous and b.flags.writeable and type(b.base).__name__ == "PyCapsule"
    assert tessera.io is io
