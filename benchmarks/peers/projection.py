#!/usr/bin/python3
"""Peers of benchmarks/bench_projection.cpp: the same workloads in numpy, PyTorch and
scikit-learn, side by side with tessera's medians from the same run.

    python3 benchmarks/peers/projection.py --bench-json bench_projection.json --limits limits.json [--quick]

Workload: a float32 [151936, 896] matrix with N(0, 1) entries (16384 rows with --quick, as
bench_projection does under TESSERA_BENCH_QUICK=1), projected to k in {128, 256, 600} and
reconstructed. Peers:
  - numpy / torch dense projection W @ P (P [896, k] Gaussian, float32)
  - numpy pinv path: np.linalg.pinv(P) (SVD) then Y @ pinv
  - sklearn GaussianRandomProjection / SparseRandomProjection fit_transform and inverse_transform
    (inverse_transform recomputes scipy.linalg.pinv of the densified components each call)
Prints the Markdown section for docs/performance.md on stdout. Ratios are peer / tessera
median time (> 1: tessera is faster).
"""
import argparse
import json
import math
import os
import statistics
import sys
import time

import numpy as np

D = 896
KS = (128, 256, 600)


def median_time(fn, reps):
    times = []
    out = None
    for _ in range(reps):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
        del out
    return statistics.median(times)


def load_bench(path):
    """name -> (median real time in seconds, counters of the median entry or single run)."""
    if not path or not os.path.exists(path):
        return {}
    with open(path) as f:
        data = json.load(f)
    scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}
    out = {}
    for b in data.get("benchmarks", []):
        name = b.get("run_name", b["name"])
        if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
            continue
        if b.get("error_occurred"):
            continue
        secs = b["real_time"] * scale[b.get("time_unit", "ns")]
        # A median aggregate overrides the individual repetitions.
        if b.get("run_type") == "aggregate" or name not in out:
            counters = {k: v for k, v in b.items() if isinstance(v, (int, float))}
            counters["label"] = b.get("label", "")
            out[name] = (secs, counters)
    return out


def find(bench, prefix):
    for name, v in bench.items():
        if name.startswith(prefix):
            return v
    return None


def fmt_t(s):
    if s is None:
        return "n/a"
    return f"{s * 1e3:.1f} ms" if s < 10 else f"{s:.2f} s"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bench-json", default="")
    ap.add_argument("--limits", default="")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()

    limits = {}
    if args.limits and os.path.exists(args.limits):
        with open(args.limits) as f:
            limits = json.load(f)
    sgemm_peak = limits.get("sgemm_gflops")
    read_bw = limits.get("read_bandwidth_gbs")
    bench = load_bench(args.bench_json)

    import torch
    import scipy
    import scipy.linalg
    import sklearn
    from sklearn.random_projection import GaussianRandomProjection, SparseRandomProjection

    torch.set_num_threads(os.cpu_count() or 1)
    n = 16384 if args.quick else 151936
    # Run exactly the size the C++ benchmark ran (it reports it as the `rows` counter).
    for name, (_, counters) in bench.items():
        if name.startswith("BM_project<") and counters.get("rows"):
            n = int(counters["rows"])
            break
    rng = np.random.default_rng(2026)
    W = rng.standard_normal((n, D), dtype=np.float32)
    wnorm2 = float(np.einsum("ij,ij->", W, W, dtype=np.float64))
    Wt = torch.from_numpy(W)
    reps = args.reps

    def rel_err(R):
        diff = (W - R).astype(np.float64, copy=False)
        return math.sqrt(float(np.einsum("ij,ij->", diff, diff)) / wnorm2)

    rows = []  # (workload, tessera secs, peer name, peer secs, fraction-of-limit text)
    notes = []

    def frac_gemm(secs, k):
        if not sgemm_peak or not secs:
            return ""
        return f"{2.0 * n * D * k / secs * 1e-9 / sgemm_peak:.2f} of sgemm"

    def frac_bw(secs):
        if not read_bw or not secs:
            return ""
        return f"{n * D * 4 / secs * 1e-9 / read_bw:.2f} of read BW"

    for k in KS:
        P = (rng.standard_normal((D, k), dtype=np.float32) / np.float32(math.sqrt(k)))
        Pt = torch.from_numpy(P)
        t_np = median_time(lambda: W @ P, reps)
        t_torch = median_time(lambda: torch.matmul(Wt, Pt), reps)
        grp = GaussianRandomProjection(n_components=k, random_state=0)
        t_grp = median_time(lambda: grp.fit_transform(W), reps)
        srp = SparseRandomProjection(n_components=k, random_state=0, dense_output=True)
        t_srp = median_time(lambda: srp.fit_transform(W), reps)
        # scipy's sparse product at density 1/3 is ~30x slower than a dense GEMM: one run, k=128
        # only, to keep the whole comparison within minutes.
        t_srp3 = None
        if k == KS[0]:
            srp3 = SparseRandomProjection(n_components=k, density=1.0 / 3.0, random_state=0, dense_output=True)
            t_srp3 = median_time(lambda: srp3.fit_transform(W), 1)

        tg = find(bench, f"BM_project<projection_kind::gaussian>/{k}/")
        tv = find(bench, f"BM_project<projection_kind::very_sparse>/{k}/")
        ta = find(bench, f"BM_project<projection_kind::achlioptas>/{k}/")
        tb = find(bench, f"BM_baseline_sgemm/{k}/")
        tg_s = tg[0] if tg else None
        rows.append((f"dense projection k={k}", tg_s, "numpy W @ P", t_np, frac_gemm(tg_s, k)))
        rows.append((f"dense projection k={k}", tg_s, "torch.matmul", t_torch, ""))
        rows.append((f"dense projection k={k}", tg_s, "sklearn Gaussian fit_transform", t_grp, ""))
        if tb:
            rows.append((f"dense projection k={k}", tg_s, "raw OpenBLAS sgemm (C++)", tb[0], frac_gemm(tb[0], k)))
        tv_s = tv[0] if tv else None
        rows.append((f"very sparse projection k={k}", tv_s, "sklearn Sparse fit_transform", t_srp, frac_bw(tv_s)))
        rows.append((f"very sparse projection k={k}", tv_s, "numpy dense W @ P", t_np, ""))
        if tg_s:
            rows.append((f"very sparse projection k={k}", tv_s, "tessera dense (gaussian)", tg_s, ""))
        ta_s = ta[0] if ta else None
        if t_srp3 is not None:
            rows.append((f"Achlioptas projection k={k}", ta_s, "sklearn Sparse(density=1/3), 1 run", t_srp3, ""))
        rows.append((f"Achlioptas projection k={k}", ta_s, "tessera dense (gaussian)", tg_s, ""))

        # Pseudoinverse alone and the full reconstruction.
        t_pinv_np = median_time(lambda: np.linalg.pinv(P), reps)
        t_pinv_sp = median_time(lambda: scipy.linalg.pinv(P, check_finite=False), reps)
        tp = find(bench, f"BM_pinv<false>/{k}/")
        tpx = find(bench, f"BM_pinv<true>/{k}/")
        rows.append((f"pinv(P) [896, {k}]", tp[0] if tp else None, "numpy.linalg.pinv", t_pinv_np, ""))
        rows.append((f"pinv(P) [896, {k}]", tp[0] if tp else None, "scipy.linalg.pinv", t_pinv_sp, ""))
        if tpx:
            rows.append((f"pinv(P) [896, {k}]", tp[0] if tp else None, "tessera exact (SVD)", tpx[0], ""))

        Y = W @ P
        t_rec_np = median_time(lambda: Y @ np.linalg.pinv(P), reps)
        err_np = rel_err(Y @ np.linalg.pinv(P))
        Yg = grp.fit_transform(W)
        t_inv_grp = median_time(lambda: grp.inverse_transform(Yg), reps)
        err_grp = rel_err(grp.inverse_transform(Yg))
        Ys = srp.fit_transform(W)
        t_inv_srp = median_time(lambda: srp.inverse_transform(Ys), reps)
        del Yg, Ys
        tr = find(bench, f"BM_reconstruct<false>/{k}/")
        trx = find(bench, f"BM_reconstruct<true>/{k}/")
        tr_s = tr[0] if tr else None
        rows.append((f"reconstruct k={k} (pinv + GEMM)", tr_s, "numpy pinv(P) then Y @ pinv", t_rec_np,
                     frac_gemm(tr_s, k)))
        rows.append((f"reconstruct k={k} (pinv + GEMM)", tr_s, "sklearn Gaussian inverse_transform", t_inv_grp, ""))
        rows.append((f"reconstruct k={k} (pinv + GEMM)", tr_s, "sklearn Sparse inverse_transform", t_inv_srp, ""))
        if trx:
            rows.append((f"reconstruct k={k} (pinv + GEMM)", tr_s, "tessera exact (SVD pinv)", trx[0], ""))
        tess_err = tr[1].get("rel_error") if tr else None
        notes.append(f"k={k}: relative error of the reconstruction: tessera {tess_err:.4f}" if tess_err else
                     f"k={k}: tessera error n/a")
        notes[-1] += f", numpy pinv path {err_np:.4f}, sklearn Gaussian {err_grp:.4f}, sqrt(1 - k/d) = " \
                     f"{math.sqrt(1 - k / D):.4f}"
        del Y

    print("## projection\n")
    print(f"Workload: float32 [{n}, {D}] N(0, 1) matrix, k in {{128, 256, 600}}; medians of {reps} runs, "
          f"same machine and run (OpenBLAS core {limits.get('openblas_core', 'unknown')}, "
          f"sgemm limit {sgemm_peak or 'n/a'} GFLOP/s, read bandwidth {read_bw or 'n/a'} GB/s). "
          f"Peers: numpy {np.__version__}, torch {torch.__version__}, scipy {scipy.__version__}, "
          f"scikit-learn {sklearn.__version__}. Ratio = peer time / tessera time (> 1: tessera faster).\n")
    print("| workload | tessera (median) | peer | peer (median) | ratio | fraction of limit |")
    print("|---|---|---|---|---|---|")
    for w, ts, pn, ps, frac in rows:
        ratio = f"{ps / ts:.2f}x" if ts and ps else "n/a"
        print(f"| {w} | {fmt_t(ts)} | {pn} | {fmt_t(ps)} | {ratio} | {frac} |")
    print()
    for line in notes:
        print(f"- {line}")

    curves = [(name, v[1]) for name, v in bench.items() if name.startswith("BM_error_curve")]
    if curves:
        print("\nRelative Frobenius error ||W - W_hat|| / ||W|| (tessera, same run):\n")
        print("| data | k | truncated SVD (optimal) | gaussian + pinv | orthonormal + pinv | very sparse + pinv "
              "| gaussian, scaled by d/k | sqrt(1 - k/d) |")
        print("|---|---|---|---|---|---|---|---|")
        for name, c in curves:
            data = name.split("/")[0].replace("BM_error_curve_", "")
            k = name.split("/")[1]
            print(f"| {data} | {k} | {c.get('err_svd', float('nan')):.4f} | {c.get('err_gaussian', float('nan')):.4f} "
                  f"| {c.get('err_orthonormal', float('nan')):.4f} | {c.get('err_very_sparse', float('nan')):.4f} "
                  f"| {c.get('err_scaled', float('nan')):.4f} | {c.get('sqrt_1_minus_k_over_d', float('nan')):.4f} |")
    dist = [(name, v[1]) for name, v in bench.items() if name.startswith("BM_distortion")]
    if dist:
        print("\nSquared-distance ratio over 20000 sampled row pairs (tessera distortion_report):\n")
        print("| workload | mean | std | q01 | q99 | max abs log | fraction outside 1 +- 0.1 | JL eps (n, k) |")
        print("|---|---|---|---|---|---|---|---|")
        for name, c in dist:
            print(f"| {name} {c.get('label', '')} | {c.get('mean', 0):.4f} | {c.get('std', 0):.4f} | {c.get('q01', 0):.4f} | "
                  f"{c.get('q99', 0):.4f} | {c.get('max_abs_log', 0):.4f} | {c.get('frac_outside_0.1', 0):.4f} | "
                  f"{c.get('jl_eps', float('nan')):.4f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
