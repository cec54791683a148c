#!/usr/bin/env python3
"""Peers of bench_compress: the same workloads in numpy/scipy, printed as the compress section
of docs/performance.md.

    python3 benchmarks/peers/compress.py --bench-json <bench_compress.json> --limits <limits.json> [--quick]

Workloads (identical sizes and sample counts to benchmarks/bench_compress.cpp):
  report   10000 x 100 float32 matrix vs a noisy copy: relative Frobenius error, per-row cosines,
           recall@10 on 1000 query rows (cosine, self excluded), Spearman of 20000 pair cosines.
  generate 256 greedy tokens of llama2.c stories260K from BOS, numpy float32 with a KV cache.
  export   rank-64 factors of a 151936 x 896 matrix (US [151936, 64], Vt [64, 896] float32) written
           as the same safetensors file (JSON header + raw bytes) and read back with numpy; np.save /
           np.load of the two arrays for reference.
"""
import argparse
import json
import os
import statistics
import struct
import sys
import time

import numpy as np
from scipy import stats

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STORIES = os.path.join(ROOT, "..", "shared", "data", "stories260K", "stories260K.bin")


def median_time(fn, reps):
    fn()  # warm-up
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3  # ms


def report_peer():
    rng = np.random.default_rng(1)
    A = rng.standard_normal((10000, 100), dtype=np.float32)
    B = A + np.float32(0.3) * rng.standard_normal((10000, 100), dtype=np.float32)
    q = rng.choice(10000, 1000, replace=False)
    pairs = rng.integers(0, 10000, size=(20000, 2))
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]

    def run():
        err = np.linalg.norm((A - B).astype(np.float64)) / np.linalg.norm(A.astype(np.float64))
        An = A / np.linalg.norm(A, axis=1, keepdims=True)
        Bn = B / np.linalg.norm(B, axis=1, keepdims=True)
        cos = np.einsum("ij,ij->i", An, Bn)
        np.percentile(cos, np.arange(1, 100))
        recall = 0.0
        for M in (An, Bn):
            S = M[q] @ M.T
            S[np.arange(len(q)), q] = -np.inf
            nn = np.argpartition(-S, 10, axis=1)[:, :10]
            if M is An:
                na = nn
            else:
                recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(na, nn)])
        ca = np.einsum("ij,ij->i", An[pairs[:, 0]], An[pairs[:, 1]])
        cb = np.einsum("ij,ij->i", Bn[pairs[:, 0]], Bn[pairs[:, 1]])
        rho = stats.spearmanr(ca, cb).correlation
        return err, recall, rho
    return run


def llama_peer():
    if not os.path.exists(STORIES):
        return None
    raw = open(STORIES, "rb").read()
    dim, hidden, L, nh, nkv, vocab, seq = struct.unpack("<7i", raw[:28])
    f = np.frombuffer(raw[28:], dtype="<f4")
    off = 0

    def take(*shape):
        nonlocal off
        n = int(np.prod(shape))
        a = f[off:off + n].reshape(shape)
        off += n
        return a
    hs, kvd = dim // nh, nkv * (dim // nh)
    emb, rms_att = take(vocab, dim), take(L, dim)
    wq, wk, wv, wo = take(L, dim, dim), take(L, kvd, dim), take(L, kvd, dim), take(L, dim, dim)
    rms_ffn, w1, w2, w3 = take(L, dim), take(L, hidden, dim), take(L, dim, hidden), take(L, hidden, dim)
    rms_f, fcr, fci = take(dim), take(seq, hs // 2), take(seq, hs // 2)

    def rms(x, g):
        return g * (x / np.sqrt(np.mean(x * x) + np.float32(1e-5)))

    def rope(v, c, s):
        a, b = v[..., 0::2], v[..., 1::2]
        out = np.empty_like(v)
        out[..., 0::2] = a * c - b * s
        out[..., 1::2] = a * s + b * c
        return out

    def run():
        kc = np.zeros((L, 256, nkv, hs), np.float32)
        vc = np.zeros((L, 256, nkv, hs), np.float32)
        tok, out = 1, []
        for pos in range(256):
            x = emb[tok].copy()
            for l in range(L):
                h = rms(x, rms_att[l])
                q = rope((wq[l] @ h).reshape(nh, hs), fcr[pos], fci[pos])
                kc[l, pos] = rope((wk[l] @ h).reshape(nkv, hs), fcr[pos], fci[pos])
                vc[l, pos] = (wv[l] @ h).reshape(nkv, hs)
                k = np.repeat(kc[l, :pos + 1], nh // nkv, axis=1)
                v = np.repeat(vc[l, :pos + 1], nh // nkv, axis=1)
                a = np.einsum("hd,thd->ht", q, k) / np.sqrt(np.float32(hs))
                a = np.exp(a - a.max(1, keepdims=True))
                a /= a.sum(1, keepdims=True)
                x = x + wo[l] @ np.einsum("ht,thd->hd", a, v).reshape(dim)
                h = rms(x, rms_ffn[l])
                g = w1[l] @ h
                x = x + w2[l] @ (g / (1 + np.exp(-g)) * (w3[l] @ h))
            tok = int(np.argmax(emb @ rms(x, rms_f)))
            out.append(tok)
        return out
    return run


def export_peers():
    import tempfile
    rng = np.random.default_rng(3)
    US = rng.standard_normal((151936, 64), dtype=np.float32)
    Vt = rng.standard_normal((64, 896), dtype=np.float32)
    d = tempfile.mkdtemp(prefix="tessera_peer_export_")
    path = os.path.join(d, "emb.safetensors")

    def save():
        header = {"__metadata__": {"source": "bench"},
                  "emb.US": {"dtype": "F32", "shape": list(US.shape), "data_offsets": [0, US.nbytes]},
                  "emb.Vt": {"dtype": "F32", "shape": list(Vt.shape), "data_offsets": [US.nbytes, US.nbytes + Vt.nbytes]}}
        h = json.dumps(header).encode()
        h += b" " * (-len(h) % 8)
        with open(path, "wb") as f:
            f.write(struct.pack("<Q", len(h)))
            f.write(h)
            US.tofile(f)
            Vt.tofile(f)

    def load():
        with open(path, "rb") as f:
            n = struct.unpack("<Q", f.read(8))[0]
            header = json.loads(f.read(n))
            out = {}
            for name, t in header.items():
                if name == "__metadata__":
                    continue
                a, b = t["data_offsets"]
                f.seek(8 + n + a)
                out[name] = np.fromfile(f, dtype=np.float32, count=(b - a) // 4).reshape(t["shape"])
        return out

    def npsave():
        np.save(os.path.join(d, "US.npy"), US)
        np.save(os.path.join(d, "Vt.npy"), Vt)

    def npload():
        return np.load(os.path.join(d, "US.npy")), np.load(os.path.join(d, "Vt.npy"))

    save()
    npsave()
    back = load()
    assert np.array_equal(back["emb.US"], US) and np.array_equal(back["emb.Vt"], Vt)
    return save, load, npsave, npload, d


def bench_medians(path):
    data = json.load(open(path))
    med = {}
    for b in data.get("benchmarks", []):
        name = b["name"].split("/")[0]
        if b.get("aggregate_name") == "median" or (b.get("run_type") == "iteration" and name not in med):
            if b.get("error_occurred"):
                continue
            scale = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}[b.get("time_unit", "ns")]
            med[name] = b["real_time"] * scale
    return med


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench-json", required=True)
    ap.add_argument("--limits", required=True)
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    reps = 3 if a.quick else 7
    med = bench_medians(a.bench_json)
    limits = json.load(open(a.limits))
    gflops = limits.get("sgemm_gflops")
    rows = []
    peer_report = median_time(report_peer(), reps)
    t = med.get("BM_compress_report")
    base = med.get("BM_compress_report_baseline_gemm")
    frac = "-"
    if base and t and gflops:
        frac = "%.0f%% of sgemm" % (100 * (4e9 / (t * 1e-3)) / (gflops * 1e9))
    rows.append(("compression_report 10000x100, recall@10 (1000 q), 20000 pairs", t, "numpy+scipy", peer_report, frac))
    llama = llama_peer()
    if llama is not None:
        peer_llama = median_time(llama, max(1, reps // 2))
        rows.append(("llama2 stories260K, 256 greedy tokens", med.get("BM_compress_llama2_generate"), "numpy f32",
                     peer_llama, "sgemv baseline %.1f ms" % med["BM_compress_llama2_baseline_sgemv"]
                     if "BM_compress_llama2_baseline_sgemv" in med else "-"))
    save, load, npsave, npload, tmp = export_peers()
    nbytes = (151936 * 64 + 64 * 896) * 4
    floor = med.get("BM_compress_export_baseline_stdio")
    for label, key, fn, peer in (("export: save rank-64 factors of 151936x896 (39.1 MB) as safetensors",
                                  "BM_compress_export_save_low_rank", save, "numpy tofile, same file"),
                                 ("export: open + validate + load them bit for bit", "BM_compress_export_load_low_rank",
                                  load, "numpy fromfile, same file")):
        ours = med.get(key)
        rows.append((label, ours, peer, median_time(fn, reps),
                     "%.1f GB/s (stdio write+read floor %.1f ms)" % (nbytes / (ours * 1e-3) / 1e9, floor)
                     if ours and floor else "-"))
    np_save, np_load = median_time(npsave, reps), median_time(npload, reps)
    import shutil
    shutil.rmtree(tmp, ignore_errors=True)
    print("## compress\n")
    print("| workload | tessera (median) | peer | peer (median) | ratio | fraction of limit |")
    print("|---|---|---|---|---|---|")
    for name, ours, peer, theirs, frac in rows:
        ratio = "%.1fx" % (theirs / ours) if ours else "-"
        ours_s = "%.1f ms" % ours if ours else "n/a"
        print("| %s | %s | %s | %.1f ms | %s | %s |" % (name, ours_s, peer, theirs, ratio, frac))
    print()
    if base:
        print("The report's raw baseline (the two score GEMMs of recall@10 alone, OpenBLAS) takes %.1f ms: the rest "
              "of the report is top-k selection, row cosines, pair sampling and the Spearman ranks." % base)
    print("For reference, np.save / np.load of the same two arrays take %.1f / %.1f ms (.npy, no shared header)."
          % (np_save, np_load))
    print("Ratio > 1 means tessera is faster (peer time / tessera time, same run, medians).")


if __name__ == "__main__":
    sys.exit(main())
