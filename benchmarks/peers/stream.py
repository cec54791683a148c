#!/usr/bin/env python3
"""Peers of bench_stream and of examples/streaming_pca: PCA of a float32 activation matrix on
disk, read in batches, in scikit-learn and numpy.

    python3 benchmarks/peers/stream.py --bench-json <bench_stream.json> --limits <limits.json> [--quick]
        the stream section of docs/performance.md (same file as bench_stream: 131072 x 1024 float32
        in $TESSERA_BENCH_STREAM_DIR or <tmp>/tessera_bench_stream, written by bench_stream)
    python3 benchmarks/peers/stream.py --incremental DIR --rank K [--max-shards N]
                                       [--tessera-seconds S --tessera-gb G --tessera-explained E]
        sklearn IncrementalPCA over the (first N) .npy shards of DIR (what streaming_pca --peer runs;
        its cost is linear in the rows, so a 40 GB comparison can time the peer on a few shards)

Peers (each reads the same .npy through numpy's memory map, batch by batch):
  IncrementalPCA  sklearn.decomposition.IncrementalPCA(n_components=K, batch_size=5 * cols, the
                  sklearn default) with partial_fit per batch: the streaming PCA users reach for.
  numpy read / column passes: each batch copied out of the map; batched float64 sums, sums of
                  squares, min and max (the naive one-pass variance, as a speed reference).
  numpy Gram      per batch X = batch.astype(float64); G += X.T @ X; s += X.sum(0); then
                  eigh(G / m - mean mean^T): the hand-written one-pass route (no centring per
                  block: it loses digits when the mean is large; it is here as the speed floor of a
                  numpy pass).
"""
import argparse
import glob
import json
import os
import statistics
import sys
import tempfile
import time

import numpy as np


def shards(path):
    files = sorted(glob.glob(os.path.join(path, "*.npy"))) if os.path.isdir(path) else [path]
    return [np.load(f, mmap_mode="r") for f in files]


def batches(arrays, rows):
    for a in arrays:
        a = a.reshape(-1, a.shape[-1])
        for i in range(0, a.shape[0], rows):
            yield a[i:i + rows]


def incremental_pca(arrays, k):
    from sklearn.decomposition import IncrementalPCA
    cols = arrays[0].shape[-1]
    ipca = IncrementalPCA(n_components=k, batch_size=5 * cols)
    t0 = time.perf_counter()
    for b in batches(arrays, 5 * cols):
        if b.shape[0] >= k:  # partial_fit needs at least n_components rows
            ipca.partial_fit(b)
    return time.perf_counter() - t0, float(ipca.explained_variance_ratio_.sum())


def numpy_gram(arrays, k, rows=4096):
    t0 = time.perf_counter()
    n = arrays[0].shape[-1]
    G = np.zeros((n, n))
    s = np.zeros(n)
    m = 0
    for b in batches(arrays, rows):
        X = np.asarray(b, dtype=np.float64)
        G += X.T @ X
        s += X.sum(0)
        m += X.shape[0]
    mean = s / m
    C = (G - m * np.outer(mean, mean)) / (m - 1)
    w = np.linalg.eigh(C)[0][::-1]
    return time.perf_counter() - t0, float(w[:k].sum() / w.sum())


def read_pass(arrays, rows=8192):
    """Every batch copied out of the memory map (the read tessera's pass does into its buffer)."""
    t0 = time.perf_counter()
    acc = 0.0
    for b in batches(arrays, rows):
        acc += float(np.array(b)[-1, -1])
    return time.perf_counter() - t0


def column_pass(arrays, rows=8192):
    """Column mean, variance, min, max per batch in float64, merged (numpy's one-pass statistics)."""
    t0 = time.perf_counter()
    n = arrays[0].shape[-1]
    s, ss, lo, hi, m = np.zeros(n), np.zeros(n), np.full(n, np.inf), np.full(n, -np.inf), 0
    for b in batches(arrays, rows):
        X = np.asarray(b, dtype=np.float64)
        s += X.sum(0)
        ss += np.einsum("ij,ij->j", X, X)
        lo = np.minimum(lo, X.min(0))
        hi = np.maximum(hi, X.max(0))
        m += X.shape[0]
    var = (ss - s * s / m) / (m - 1)
    return time.perf_counter() - t0, var


def incremental_main(a):
    arrays = shards(a.incremental)
    total = sum(x.nbytes for x in arrays) / 1e9
    if a.max_shards:
        arrays = arrays[:a.max_shards]
    gb = sum(x.nbytes for x in arrays) / 1e9
    t, ev = incremental_pca(arrays, a.rank)
    part = f" (the first {len(arrays)} shards of {total:.2f} GB)" if gb < total else ""
    print(f"sklearn         IncrementalPCA(n_components={a.rank}, batch_size={5 * arrays[0].shape[-1]}): {t:.1f} s for "
          f"{gb:.2f} GB{part}, {gb / t:.4f} GB/s, explained {ev:.4f}")
    if a.tessera_seconds:
        ours = a.tessera_gb / a.tessera_seconds
        print(f"ratio           tessera {ours:.4f} GB/s vs sklearn {gb / t:.4f} GB/s: {ours / (gb / t):.1f}x faster per GB "
              f"(IncrementalPCA's cost is linear in the rows); explained {a.tessera_explained:.4f} vs {ev:.4f}")


def bench_medians(path):
    data = json.load(open(path))
    med = {}
    for b in data.get("benchmarks", []):
        name = b.get("run_name", b["name"])
        if b.get("aggregate_name") == "median" or (b.get("run_type") == "iteration" and name not in med):
            if b.get("error_occurred"):
                continue
            scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[b.get("time_unit", "ns")]
            med[name] = dict(b, seconds=b["real_time"] * scale)
    return med


def bench_main(a):
    limits = json.load(open(a.limits))
    med = bench_medians(a.bench_json)
    d = os.environ.get("TESSERA_BENCH_STREAM_DIR", os.path.join(tempfile.gettempdir(), "tessera_bench_stream"))
    path = os.path.join(d, "acts_131072x1024.npy")
    if not os.path.exists(path):
        print("## stream\n\nbench_stream's file is missing; no peer figures this run.\n")
        return
    arrays = shards(path)
    gb = arrays[0].nbytes / 1e9
    reps = 1 if a.quick else 3
    ipca = [incremental_pca(arrays, 32) for _ in range(reps)]
    npg = [numpy_gram(arrays, 32) for _ in range(reps)]
    rd = [read_pass(arrays) for _ in range(reps)]
    cp = [column_pass(arrays)[0] for _ in range(reps)]
    t_ipca, ev_ipca = statistics.median(t for t, _ in ipca), ipca[0][1]
    t_np, ev_np = statistics.median(t for t, _ in npg), npg[0][1]
    t_rd = statistics.median(rd)
    t_cp = statistics.median(cp)

    def row(name, what, peer_name, peer_t, peer_ev=None):
        b = med.get(name)
        if not b:
            return f"| {what} | - | {peer_name} {peer_t:.2f} s | - | - |"
        t = b["seconds"]
        ev = b.get("explained")
        evs = f"{ev:.4f} vs {peer_ev:.4f}" if ev is not None and peer_ev is not None else "-"
        passes = int(b.get("passes", 1))
        return (f"| {what} | {t:.2f} s ({passes} pass{'es' if passes > 1 else ''}, {gb * passes / t:.2f} GB/s) | "
                f"{peer_name} {peer_t:.2f} s | **{peer_t / t:.1f}x** | {evs} |")

    print("## stream\n")
    print(f"PCA (k = 32) of a 131072 x 1024 float32 activation matrix in one .npy ({gb:.2f} GB; in the page cache, "
          "so these rows are compute-bound: the disk-bound 40 GB run is in [scale.md](scale.md)). "
          f"Peers read the same file through numpy's memory map. OpenBLAS {limits.get('openblas_core')}, "
          f"{limits.get('openblas_threads')} threads.\n")
    print("| workload | tessera | peer | ratio | explained variance (tessera vs peer) |")
    print("|---|---|---|---|---|")
    print(row("BM_stream_pca/0/real_time", "PCA, gram route (one pass)", "sklearn IncrementalPCA", t_ipca, ev_ipca))
    print(row("BM_stream_pca/0/real_time", "PCA, gram route (one pass)", "numpy chunked Gram", t_np, ev_np))
    print(row("BM_stream_pca/1/real_time", "PCA, randomized (1 + 5 passes)", "sklearn IncrementalPCA", t_ipca, ev_ipca))
    print(row("BM_stream_column_statistics/real_time", "column statistics (one pass)", "numpy batched mean/var/min/max",
              t_cp))
    print(row("BM_stream_read/real_time", "read pass (no work)", "numpy copy of each batch", t_rd))
    print()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench-json")
    ap.add_argument("--limits")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--incremental", help="folder of .npy shards (or one .npy)")
    ap.add_argument("--rank", type=int, default=32)
    ap.add_argument("--tessera-seconds", type=float, default=0.0)
    ap.add_argument("--tessera-explained", type=float, default=0.0)
    ap.add_argument("--tessera-gb", type=float, default=0.0, help="GB tessera's fit read (for the per-GB ratio)")
    ap.add_argument("--max-shards", type=int, default=0, help="--incremental: fit only the first N shards")
    a = ap.parse_args()
    if a.incremental:
        incremental_main(a)
    elif a.bench_json and a.limits:
        bench_main(a)
    else:
        ap.error("give --incremental DIR, or --bench-json and --limits")


if __name__ == "__main__":
    sys.exit(main())
