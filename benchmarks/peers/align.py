#!/usr/bin/env python3
"""Peer workloads for bench_align: scipy.linalg.orthogonal_procrustes and a numpy PCA.

Called by scripts/bench.sh as
    python3 benchmarks/peers/align.py --bench-json <bench_align.json> --limits <limits.json> [--quick]
Runs the same workloads as benchmarks/bench_align.cpp (same shapes, same distributions:
A ~ N(0,1) + 0.3, B = A Q + 0.1 N(0,1), float32), measures medians, and prints the Markdown
section `## align` for docs/performance.md. Accuracy is max |R - R_double| against a float64
solve of the same problem, for both sides (tessera's comes from the R_err counter).
"""
import argparse
import json
import statistics
import time

import numpy as np
import scipy.linalg


def median_time(fn, reps):
    times = []
    out = None
    for _ in range(reps):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def make_pair(n, d, seed):
    rng = np.random.default_rng(seed)
    a = (rng.standard_normal((n, d), dtype=np.float32) + np.float32(0.3)).astype(np.float32)
    q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    b = (a @ q.astype(np.float32) + np.float32(0.1) * rng.standard_normal((n, d), dtype=np.float32)).astype(np.float32)
    return a, b


def scipy_plain(a, b):
    return scipy.linalg.orthogonal_procrustes(a, b)[0]


def numpy_centred_kabsch(a, b):
    """What a scipy user writes for tessera's default: centre, solve, forbid reflections."""
    ac = a - a.mean(axis=0)
    bc = b - b.mean(axis=0)
    u, s, vt = scipy.linalg.svd(ac.T @ bc, full_matrices=False)
    r = u @ vt
    if np.linalg.det(r) < 0:
        u[:, -1] = -u[:, -1]
        r = u @ vt
    return r


def reference(a, b, centred):
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    if centred:
        a64 -= a64.mean(axis=0)
        b64 -= b64.mean(axis=0)
    u, s, vt = np.linalg.svd(a64.T @ b64, full_matrices=False)
    r = u @ vt
    if centred and np.linalg.det(r) < 0:
        u[:, -1] = -u[:, -1]
        r = u @ vt
    return r


def numpy_pca_bridge(x, b, k):
    """The PCA bridge as a numpy user writes it for tall data: centre, covariance by sgemm, eigh in
    float64, project onto the top k axes, then a centred scipy Procrustes onto B."""
    xc = x - x.mean(axis=0)
    w, v = np.linalg.eigh((xc.T @ xc).astype(np.float64))
    top = v[:, ::-1][:, :k].astype(np.float32)
    z = xc @ top
    r, _ = scipy.linalg.orthogonal_procrustes(z, b - b.mean(axis=0))
    return r, float(w[::-1][:k].sum() / w.sum())


def bridge_data(n, p, q):
    rng = np.random.default_rng(4001)
    x = rng.standard_normal((n, p), dtype=np.float32)
    x /= np.sqrt(1.0 + np.arange(p, dtype=np.float32) / 64.0)
    b = rng.standard_normal((n, q), dtype=np.float32)
    return x, b


def find(bench, prefix):
    rows = [b for b in bench.get("benchmarks", []) if b.get("run_name", b["name"]).startswith(prefix)]
    med = [b for b in rows if b.get("aggregate_name") == "median"]
    rows = med or [b for b in rows if b.get("run_type", "iteration") == "iteration"]
    return rows[0] if rows else None


def seconds(b):
    unit = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[b.get("time_unit", "ns")]
    return b["real_time"] * unit


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench-json", required=True)
    ap.add_argument("--limits", required=True)
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    with open(a.bench_json) as f:
        bench = json.load(f)
    with open(a.limits) as f:
        limits = json.load(f)
    reps = 2 if a.quick else 5
    sgemm = limits.get("sgemm_gflops") or float("nan")

    rows = []
    for n, d in ((10000, 1024), (50000, 512)):
        A, B = make_pair(n, d, 1000 + d)
        flops = 2.0 * n * d * d
        for label, bname, peer_name, fn, centred in (
            ("no centring, reflections allowed", "BM_procrustes_plain", "scipy.linalg.orthogonal_procrustes",
             scipy_plain, False),
            ("centred, det(R)=+1", "BM_procrustes_centred", "numpy centre + scipy svd + Kabsch",
             numpy_centred_kabsch, True),
        ):
            t_peer, r_peer = median_time(lambda: fn(A, B), reps)
            err_peer = float(np.abs(r_peer - reference(A, B, centred)).max())
            b = find(bench, f"{bname}/{n}/{d}/")
            if b is None:
                rows.append(f"| procrustes {n}x{d} f32, {label} | (missing) | {peer_name} | {t_peer * 1e3:.0f} ms | | |")
                continue
            t_ts = seconds(b)
            err_ts = b.get("R_err", float("nan"))
            # The floor: the raw sgemm A^T B + sgesdd + sgemm U Vt any implementation runs (same binary).
            raw = find(bench, f"BM_raw_sgemm_sgesdd/{n}/{d}/")
            frac = (f"{seconds(raw) / t_ts:.2f} of floor (raw sgemm + sgesdd + sgemm {seconds(raw) * 1e3:.0f} ms)"
                    if raw else f"{flops / t_ts / 1e9 / sgemm:.2f} of sgemm")
            rows.append(
                f"| procrustes {n}x{d} f32, {label} (max err of R: tessera {err_ts:.1e}, peer {err_peer:.1e}) "
                f"| {t_ts * 1e3:.0f} ms | {peer_name} | {t_peer * 1e3:.0f} ms | {t_peer / t_ts:.2f}x "
                f"| {frac} |")

    b = find(bench, "BM_pca_bridge/50000/2560/1024/")
    if b is not None:
        X, Bb = bridge_data(50000, 2560, 1024)
        t_peer, (_, kept) = median_time(lambda: numpy_pca_bridge(X, Bb, 1024), 1 if a.quick else 3)
        del X, Bb
        t_ts = seconds(b)
        base = find(bench, "BM_raw_pca_ssyrk_dsyevd/50000/2560/1024/")
        base_txt = f"; raw ssyrk + dsyevd baseline {seconds(base) * 1e3:.0f} ms" if base else ""
        rows.append(f"| PCA bridge 50000x2560 -> 1024 f32 + centred Procrustes (retained variance: tessera "
                    f"{b.get('retained_variance', float('nan')):.4f}, peer {kept:.4f}{base_txt}) | {t_ts * 1e3:.0f} ms "
                    f"| numpy centre + X^T X + eigh(f64) + scipy Procrustes | {t_peer * 1e3:.0f} ms | {t_peer / t_ts:.2f}x | "
                    + (f"{seconds(base) / t_ts:.2f} of floor (raw ssyrk + dsyevd) |" if base else "|"))

    print("## align\n")
    print("| workload | tessera (median) | peer | peer (median) | ratio | fraction of limit |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(r)
    print()
    print("Ratio = peer time / tessera time (> 1: tessera faster). Both sides run the same float32 "
          "cross-product GEMM and LAPACK SVD on the same OpenBLAS; tessera centres by blocks without "
          "copying the inputs, skips scipy's separate finiteness and transpose copies, and returns the "
          "scale, residual and singular values from the same pass. Fraction of limit = the raw floor's time "
          "(bench_align's BM_raw_sgemm_sgesdd: sgemm A^T B, LAPACK sgesdd of the p x q product, sgemm U V^T; "
          "BM_raw_pca_ssyrk_dsyevd for the bridge) over tessera's: the SVD of the p x q cross-product is "
          "LAPACK's on both sides, so a ratio above ~1.1x over scipy can only come from the copies scipy makes. "
          "An eigh-based polar factor (eigh of M^T M in double, R = M V Sigma^-1 V^T) was measured as no "
          "faster than sgesdd + sgemm at p = q = 1024 on this machine (0.42 s vs 0.38 s, medians of 5 side by side with a compile running) and squares the condition "
          "number, so it is not used.")


if __name__ == "__main__":
    main()
