#!/usr/bin/env python3
"""Peer benchmark for tessera::stats (called by scripts/bench.sh):
   python3 benchmarks/peers/stats.py --bench-json <bench_stats.json> --limits <limits.json> [--quick]
Same workloads as benchmarks/bench_stats.cpp on a 32128 x 512 float32 matrix, in numpy/scipy:
100,000 sampled pairwise cosines, covariance eigenspectrum (np.cov + eigvalsh), exact cosine kNN
(2000 queries, k = 10, matmul + argpartition), Spearman on 10^6 values (scipy.stats.spearmanr)."""
import argparse
import json
import statistics
import time

import numpy as np
import scipy.stats


def median_time(fn, reps):
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts)


def tessera_times(path):
    out = {}
    if not path:
        return out
    with open(path) as f:
        for b in json.load(f).get("benchmarks", []):
            if b.get("aggregate_name") == "median":
                unit = {"ms": 1e-3, "us": 1e-6, "ns": 1e-9, "s": 1.0}[b.get("time_unit", "ns")]
                out[b["run_name"]] = b["real_time"] * unit
    return out


def lookup(times, prefix):
    for k, v in times.items():
        if k.startswith(prefix):
            return v
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench-json")
    ap.add_argument("--limits")
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    limits = json.load(open(a.limits)) if a.limits else {}
    reps = 1 if a.quick else 3
    rng = np.random.default_rng(1)
    X = rng.standard_normal((32128, 512), dtype=np.float32)
    pairs = rng.integers(0, 32128, size=(100_000, 2))
    Q = X[:2000]

    def pairwise():
        a_, b_ = X[pairs[:, 0]].astype(np.float64), X[pairs[:, 1]].astype(np.float64)
        c = (a_ * b_).sum(1) / (np.linalg.norm(a_, axis=1) * np.linalg.norm(b_, axis=1))
        return c.mean(), c.std(), np.percentile(c, np.arange(1, 100))

    def spectrum():
        ev = np.linalg.eigvalsh(np.cov(X, rowvar=False))
        return ev.sum() ** 2 / (ev ** 2).sum()

    def knn():
        Xn = X / np.linalg.norm(X, axis=1, keepdims=True)
        Qn = Xn[:2000]
        out = []
        for b in range(0, 2000, 500):
            s = Qn[b:b + 500] @ Xn.T
            i = np.argpartition(-s, 10, axis=1)[:, :10]
            out.append(np.take_along_axis(i, np.argsort(-np.take_along_axis(s, i, 1), 1), 1))
        return out

    x, y = rng.standard_normal(1_000_000), rng.standard_normal(1_000_000)
    work = [
        ("100k sampled pairwise cosines (+ percentiles)", "BM_pairwise_cosine/", "numpy gather + einsum", pairwise, None),
        ("covariance spectrum 32128x512", "BM_covariance_spectrum", "np.cov + eigvalsh", spectrum, None),
        ("exact cosine kNN, 2000 queries, k=10", "BM_knn_cosine", "numpy matmul + argpartition", knn,
         ("sgemm_gflops", 2 * 2000 * 32128 * 512 / 1e9)),
        ("Spearman, 10^6 values", "BM_spearman", "scipy.stats.spearmanr", lambda: scipy.stats.spearmanr(x, y), None),
    ]
    times = tessera_times(a.bench_json)
    print("## stats\n")
    print("| workload | tessera (median) | peer | peer (median) | ratio | fraction of limit |")
    print("|---|---|---|---|---|---|")
    for name, prefix, peer, fn, lim in work:
        tp = median_time(fn, reps)
        tt = lookup(times, prefix)
        ratio = f"{tp / tt:.1f}x" if tt else "n/a"
        frac = "n/a"
        if lim and tt and limits.get(lim[0]):
            frac = f"{lim[1] / tt / limits[lim[0]]:.2f} of sgemm"
        ts = f"{tt * 1e3:.1f} ms" if tt else "n/a"
        print(f"| {name} | {ts} | {peer} | {tp * 1e3:.1f} ms | {ratio} | {frac} |")
    print()
    print("Ratios are peer time / tessera time, medians of repeated runs in one session. tessera accumulates")
    print("cosines, norms and the covariance in double; kNN scores come from float GEMM blocks (never n x n)")
    print("and the final k are recomputed in double.")


if __name__ == "__main__":
    main()
