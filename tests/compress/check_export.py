#!/usr/bin/env python3
"""Reads files written by tessera::compress with the reference readers and compares them with
tessera's own reconstruct() (run by tests/compress/test_export_readers.cpp):

    check_export.py DIR

DIR/export.safetensors (save_compressed) is parsed with plain numpy + json (no safetensors
package): 8-byte length, JSON header, raw little-endian data. Each object is rebuilt from its
documented layout -- low_rank as US @ Vt, svd as U @ diag(S) @ Vt, tt_matrix by contracting the
cores (r, m_k, n_k, r) over the ranks, packed_ternary by unpacking the 2-bit / base-3 rows and
multiplying by the F32 / F16 scales -- and compared with DIR/<name>.npy, tessera's reconstruct()
(unpacked codes times scales for packed_ternary).

DIR/tq1_0.gguf and DIR/tq2_0.gguf (save_ternary_gguf) are read with llama.cpp's gguf-py
(GGUFReader, gguf.quants.dequantize) when the llama.cpp tree is found ($TESSERA_GGML_SRC, the
clone of scripts/fetch_ggml.sh) and compared bit for bit with DIR/tq_ggml.npy (fp16(s) * q,
what ggml dequantizes to) and within 2^-11 |w| of DIR/tq.npy (reconstruct()).
Exit 0: all agree; 1: a mismatch (printed); 77: numpy (or, when asked, gguf-py) is missing.
"""
import json
import os
import struct
import sys

try:
    import numpy as np
except ImportError:
    print("check_export: numpy not available")
    sys.exit(77)

DT = {"F32": "<f4", "F64": "<f8", "F16": "<f2", "U8": "u1"}


def read_safetensors(path, with_header=False):
    """safetensors with numpy + json only: 8-byte little-endian header length, JSON header, raw
    little-endian C-order data that the tensors cover contiguously. Returns ({name: array},
    metadata) or, with_header, also {name: header entry}. (Also used by python/tests.)"""
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    data = raw[8 + n:]
    tensors = {}
    ends = []
    for name, e in header.items():
        b, end = e["data_offsets"]
        ends.append((b, end))
        tensors[name] = np.frombuffer(data[b:end], dtype=DT[e["dtype"]]).reshape(e["shape"])
    ends.sort()
    assert not ends or (ends[0][0] == 0 and ends[-1][1] == len(data)), "tensor data must cover the data section"
    assert all(a[1] == b[0] for a, b in zip(ends, ends[1:])), "tensor data must be contiguous"
    return (tensors, meta, header) if with_header else (tensors, meta)


def tt_dense(cores):
    """W[i, j] = G_1[:, i_1, j_1, :] ... G_d[:, i_d, j_d, :], i and j row-major over the modes."""
    acc = cores[0]  # (1, m1, n1, r1)
    for g in cores[1:]:
        r0, M, N, _ = acc.shape
        _, m, n, r1 = g.shape
        acc = np.einsum("aMNr,rmns->aMmNns", acc, g).reshape(r0, M * m, N * n, r1)
    return acc[0, :, :, 0]


def base3_weight(byte, t, cols):
    """Weight index stored in digit t of byte `byte` of a base-3 row (ternary/detail/layout.hpp
    base3_weight, docs/ternary.md), or -1 for a padding digit."""
    units = (cols + 63) // 64
    full, tail = units // 16, units % 16
    width = 1 << (tail - 1).bit_length() if tail else 0
    slot, lane = 5 * (byte // 64) + t, (byte % 64) // 4
    if slot // 16 < full:
        return 64 * (16 * (slot // 16) + lane) + 4 * (slot % 16) + byte % 4
    s = slot - 16 * full
    if s >= width:
        return -1
    lam = 16 // width
    return 64 * (16 * full + lane // lam) + 4 * (lam * s + lane % lam) + byte % 4


def unpack(codes, meta):
    rows, cols = meta["shape"]
    if meta["layout"] == "two_bit":
        b = codes.astype(np.uint8)
        q = np.stack([(b >> (2 * j)) & 3 for j in range(4)], axis=-1).reshape(rows, -1)
        assert np.all(q[:, cols:] == 1), "padding weights must be 0"
        q = q[:, :cols]
    else:
        # five base-3 digits per byte, digit t = ((uint8)(b * 3^t) * 3) >> 8 (ggml's TQ1_0 trick)
        b = codes.astype(np.uint16)
        q = np.ones((rows, cols), dtype=np.uint16)
        for byte in range(codes.shape[1]):
            for t in range(5):
                k = base3_weight(byte, t, cols)
                if 0 <= k < cols:
                    q[:, k] = (((b[:, byte] * 3 ** t) & 0xFF) * 3) >> 8
    assert q.max(initial=0) <= 2, "code 3 in a packed row"
    return q.astype(np.int8) - 1


def check_safetensors(d):
    tensors, meta = read_safetensors(os.path.join(d, "export.safetensors"))
    assert meta["tessera.format"] == "tessera.compressed.v1", meta
    objects = json.loads(meta["tessera.objects"])
    bad = []
    for name, o in objects.items():
        kind = o["kind"]
        if kind == "low_rank":
            W = tensors[name + ".US"] @ tensors[name + ".Vt"]
        elif kind == "svd":
            W = (tensors[name + ".U"] * tensors[name + ".S"]) @ tensors[name + ".Vt"]
        elif kind == "tt_matrix":
            cores = [tensors[f"{name}.core.{k}"] for k in range(len(o["row_modes"]))]
            assert [c.shape[0] for c in cores] + [1] == o["ranks"], (name, o["ranks"])
            W = tt_dense(cores)
        else:
            q = unpack(tensors[name + ".codes"], o)
            s = tensors[name + ".scales"].astype(np.float32)
            W = q.astype(np.float32) * np.repeat(s, o["group_size"], axis=1)[:, :q.shape[1]]
        ref = np.load(os.path.join(d, name + ".npy"))
        assert list(W.shape) == o["shape"] == list(ref.shape), (name, W.shape, o["shape"], ref.shape)
        # products in numpy's BLAS vs tessera's: agreement to rounding; ternary exactly
        err = np.abs(W - ref).max() / max(np.abs(ref).max(), 1e-30)
        tol = 0 if kind == "packed_ternary" else (1e-5 if ref.dtype == np.float32 else 1e-13)
        print(f"  {name} ({kind}, {o.get('dtype', o.get('scale_storage'))}): max rel. difference {err:.2e}")
        if not err <= tol:
            bad.append(f"{name}: {err} > {tol}")
    return bad


def check_gguf(d, tree):
    sys.path.insert(0, os.path.join(tree, "gguf-py"))
    import gguf  # noqa: E402
    from gguf import quants  # noqa: E402
    bad = []
    ggml = np.load(os.path.join(d, "tq_ggml.npy"))
    ref = np.load(os.path.join(d, "tq.npy"))
    for fmt in ("tq1_0", "tq2_0"):
        r = gguf.GGUFReader(os.path.join(d, fmt + ".gguf"))
        t = {x.name: x for x in r.tensors}["w"]
        assert t.tensor_type == gguf.GGMLQuantizationType[fmt.upper()], t.tensor_type
        assert list(t.shape) == [ref.shape[1], ref.shape[0]], t.shape  # gguf-py lists ne order
        w = quants.dequantize(t.data, t.tensor_type).reshape(ref.shape)
        same = np.array_equal(w.view(np.uint32), ggml.view(np.uint32))
        err = np.abs(w.astype(np.float64) - ref)
        worst = (err / np.maximum(np.abs(ref), 1e-30))[ref != 0].max()
        print(f"  {fmt}.gguf via gguf-py: equal to fp16(s) * q bit for bit: {same}; "
              f"max |w - reconstruct()| / |reconstruct()| = {worst:.3e} (bound 2^-11 = {2 ** -11:.3e})")
        if not same or not worst <= 2 ** -11:
            bad.append(fmt)
    return bad


def main():
    d = sys.argv[1]
    bad = check_safetensors(d)
    tree = os.environ.get("TESSERA_GGML_SRC", "")
    if os.path.exists(os.path.join(d, "tq1_0.gguf")):
        if not os.path.isdir(os.path.join(tree, "gguf-py")):
            print(f"check_export: gguf-py not found (TESSERA_GGML_SRC='{tree}'; scripts/fetch_ggml.sh clones it)")
            sys.exit(77 if not bad else 1)
        bad += check_gguf(d, tree)
    if bad:
        print("check_export: MISMATCH " + "; ".join(bad))
        sys.exit(1)
    print("check_export: numpy and gguf-py agree with tessera")


if __name__ == "__main__":
    main()
