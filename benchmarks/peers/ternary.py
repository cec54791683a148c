#!/usr/bin/env python3
"""Peers of bench_ternary: the same ternary GEMV/GEMM workloads in numpy and PyTorch.

Usage: python3 benchmarks/peers/ternary.py --bench-json bench_ternary.json --limits limits.json [--quick]

Workloads (same shapes, same thread counts as bench_ternary):
  * fp32 GEMV / GEMM on the dense weights (numpy -> OpenBLAS sgemv/sgemm; torch.mv / torch.mm);
  * "unpack-then-matmul": the packed 2-bit weights (tessera layout) unpacked with numpy / torch
    bit operations to float32, scaled per group of 128, then multiplied (what a Python user
    without a packed kernel does);
  * absmean quantize + 2-bit pack of fp32 weights in numpy (bytes/s of fp32 input);
  * with --ggml BIN (built by scripts/fetch_ggml.sh): llama.cpp's ggml TQ2_0 / TQ1_0 kernels
    (ggml_mul_mat, the activation quantized to Q8_K inside) and ggml's TQ2_0 quantizer, measured
    in this run; without it, ggml's figures from issue 7 are quoted and labelled as such.
Prints a Markdown section for docs/performance.md: medians of repeated runs; the ratio column
is peer time / tessera time (> 1: tessera is faster); the fraction of limit is the weight bytes
streamed per second over the machine's read bandwidth (from --limits).
"""
import argparse
import json
import statistics
import time

import numpy as np

try:
    import torch
except ImportError:  # torch is optional
    torch = None
try:
    from threadpoolctl import threadpool_limits
except ImportError:
    threadpool_limits = None

SHAPES = [(4096, 4096), (8192, 8192), (2048, 8192)]
GROUP = 128
GGML_TQ2_GEMV_8192 = {1: 0.946, 2: 0.483}  # ms, ggml TQ2_0 quoted from issue 7 (fallback without --ggml)
GGML_TQ1_GEMV_8192 = {1: 1.95, 2: 0.98}


def interleaved_times(ggml_bin, bench_bin, quick, rounds):
    """ggml and tessera timed alternately (ggml, tessera, ggml, ...) on the ggml workloads, so a
    neighbour's load on this shared machine hits both sides alike. Returns (ggml, tessera) dicts
    of per-workload medians over the rounds (each round itself a median of repetitions)."""
    import subprocess
    import tempfile
    flt = ("^ternary_(gemv/[0-9]+/[0-9]+/[12]/[01]|gemv_base3/[0-9]+/[0-9]+/[12]/[01]|gemv_f16/[0-9]+/[0-9]+/[12]/[01]|"
           "gemm/[0-9]+/[0-9]+/[0-9]+/[12]|"
           "quantize_pack/[0-9]+/[0-9]+/[12])/")
    g_runs, t_runs = [], []
    for _ in range(rounds):
        g_runs.append(ggml_times(ggml_bin, quick))
        if bench_bin:
            with tempfile.NamedTemporaryFile(suffix=".json") as f:
                args = [bench_bin, f"--benchmark_filter={flt}", f"--benchmark_out={f.name}", "--benchmark_out_format=json",
                        "--benchmark_repetitions=" + ("1" if quick else "3"),
                        "--benchmark_report_aggregates_only=" + ("false" if quick else "true")]
                if quick:
                    args.append("--benchmark_min_time=0.05")
                subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                t_runs.append(tessera_times(f.name))
    med = lambda runs: {k: statistics.median(r[k] for r in runs if k in r) for k in set().union(*runs)}
    return med(g_runs), (med(t_runs) if t_runs else {})


def ggml_times(binary, quick):
    """(op, type, N, K, batch, threads) -> median ms, from the ggml peer binary."""
    import subprocess
    r = subprocess.run([binary] + (["--quick"] if quick else []), capture_output=True, text=True, check=True)
    out = {}
    for line in r.stdout.splitlines():
        d = json.loads(line)
        out[(d["op"], d["type"], d["N"], d["K"], d["batch"], d["threads"])] = d["median_ms"]
    return out


def median_ms(fn, reps):
    fn()  # warm up
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def quantize_pack(W):
    """numpy absmean ternary quantization (group 128) + tessera 2-bit packing."""
    N, K = W.shape
    g = W.reshape(N, K // GROUP, GROUP).astype(np.float64)
    gamma = np.abs(g).mean(axis=2, keepdims=True)
    q = np.clip(np.sign(g) * np.floor(np.abs(g) / (gamma + 1e-5) + 0.5), -1, 1).astype(np.uint8) + 1
    q = q.reshape(N, K // 4, 4)
    packed = q[:, :, 0] | (q[:, :, 1] << 2) | (q[:, :, 2] << 4) | (q[:, :, 3] << 6)
    return packed, gamma.reshape(N, K // GROUP).astype(np.float32)


def unpack_matmul_numpy(packed, scales, x):
    N = packed.shape[0]
    codes = (packed[:, :, None] >> np.array([0, 2, 4, 6], dtype=np.uint8)) & 3
    Wd = codes.reshape(N, -1).astype(np.float32) - 1.0
    Wd = (Wd.reshape(N, -1, GROUP) * scales[:, :, None]).reshape(N, -1)
    return Wd @ x


def unpack_matmul_torch(packed, scales, x):
    N = packed.shape[0]
    shifts = torch.tensor([0, 2, 4, 6], dtype=torch.uint8)
    codes = (packed.unsqueeze(-1) >> shifts) & 3
    Wd = codes.reshape(N, -1).to(torch.float32) - 1.0
    Wd = (Wd.reshape(N, -1, GROUP) * scales.unsqueeze(-1)).reshape(N, -1)
    return Wd @ x


def tessera_times(path):
    """name -> real_time in ms (the median aggregate when repetitions were run)."""
    with open(path) as f:
        data = json.load(f)
    out = {}
    for b in data.get("benchmarks", []):
        if b.get("error_occurred"):
            continue
        name = b.get("run_name", b["name"])
        if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
            continue
        unit = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}[b.get("time_unit", "ns")]
        key = name.split("/min_time")[0].replace("/real_time", "")
        if b.get("run_type") == "aggregate" or key not in out:
            out[key] = b["real_time"] * unit
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench-json", required=True)
    ap.add_argument("--limits", required=True)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--ggml", help="ggml peer binary (scripts/fetch_ggml.sh); quoted figures without it")
    ap.add_argument("--bench-binary", help="bench_ternary, re-run interleaved with ggml for the ggml rows")
    args = ap.parse_args()
    with open(args.limits) as f:
        limits = json.load(f)
    bw = float(limits.get("read_bandwidth_gbs", 40.0))
    tess = tessera_times(args.bench_json)
    reps = 3 if args.quick else 7
    rows = []
    # quick mode: one ggml run, compared with the bench JSON (no interleaved re-run: QUICK=1 < 5 min)
    ggml, tess_il = (interleaved_times(args.ggml, None if args.quick else args.bench_binary, args.quick,
                                       1 if args.quick else 3)
                     if args.ggml else ({}, {}))

    def row(workload, tkey, peer, peer_ms, weight_bytes):
        # ggml rows compare against tessera timed in the same interleaved rounds as ggml
        t = tess_il.get(tkey, tess.get(tkey)) if "ggml" in peer and "this run" in peer else tess.get(tkey)
        ratio = f"{peer_ms / t:.2f}" if t else "n/a"
        frac = f"{weight_bytes / (t * 1e-3) / 1e9 / bw:.2f}" if t and weight_bytes else ""
        rows.append(f"| {workload} | {t:.3f} ms | {peer} | {peer_ms:.3f} ms | {ratio} | {frac} |" if t else
                    f"| {workload} | n/a | {peer} | {peer_ms:.3f} ms | n/a | |")

    rng = np.random.default_rng(7)
    for N, K in SHAPES if not args.quick else SHAPES[:1] + SHAPES[2:]:
        W = (rng.random((N, K), dtype=np.float32) - 0.5)
        X = (rng.random((128, K), dtype=np.float32) - 0.5)
        packed, scales = quantize_pack(W)
        for threads in (1, 2):
            ctx = threadpool_limits(limits=threads) if threadpool_limits else None
            if torch is not None:
                torch.set_num_threads(threads)
            x = X[0]
            key = f"ternary_gemv/{N}/{K}/{threads}/0"
            wb = N * K / 4
            row(f"GEMV {N}x{K}, {threads} thr", key, "numpy fp32 W@x", median_ms(lambda: W @ x, reps), wb)
            row(f"GEMV {N}x{K}, {threads} thr", key, "numpy unpack+matmul",
                median_ms(lambda: unpack_matmul_numpy(packed, scales, x), max(2, reps // 2)), wb)
            if torch is not None:
                Wt, xt_, pt, st = torch.from_numpy(W), torch.from_numpy(x), torch.from_numpy(packed), torch.from_numpy(scales)
                row(f"GEMV {N}x{K}, {threads} thr", key, "torch fp32 mv", median_ms(lambda: torch.mv(Wt, xt_), reps), wb)
                row(f"GEMV {N}x{K}, {threads} thr", key, "torch unpack+matmul",
                    median_ms(lambda: unpack_matmul_torch(pt, st, xt_), max(2, reps // 2)), wb)
            g2, g3 = ggml.get(("gemv", "tq2_0", N, K, 1, threads)), ggml.get(("gemv", "tq1_0", N, K, 1, threads))
            key3 = f"ternary_gemv_base3/{N}/{K}/{threads}/0"
            if g2 is not None:
                row(f"GEMV {N}x{K}, {threads} thr", key, "ggml TQ2_0 (this run)", g2, wb)
                row(f"base-3 GEMV {N}x{K}, {threads} thr", key3, "ggml TQ1_0 (this run)", g3, N * K / 5)
                # binary16 scales (scale_storage::f16, ggml's TQ formats store fp16 scales too)
                row(f"GEMV {N}x{K}, {threads} thr, f16 scales", f"ternary_gemv_f16/{N}/{K}/{threads}/0",
                    "ggml TQ2_0 (this run)", g2, wb)
                row(f"base-3 GEMV {N}x{K}, {threads} thr, f16 scales", f"ternary_gemv_f16/{N}/{K}/{threads}/1",
                    "ggml TQ1_0 (this run)", g3, N * K / 5)
                # tessera restricted to its AVX2 kernels, against ggml's (which are AVX2 only; full runs)
                for label, k1, g, nbytes in (("GEMV", f"ternary_gemv/{N}/{K}/{threads}/1", "TQ2_0", wb),
                                             ("base-3 GEMV", f"ternary_gemv_base3/{N}/{K}/{threads}/1", "TQ1_0", N * K / 5)):
                    if k1 in tess or k1 in tess_il:
                        row(f"{label} {N}x{K}, {threads} thr, AVX2 kernel", k1, f"ggml {g} (this run)",
                            g2 if g == "TQ2_0" else g3, nbytes)
            elif (N, K) == (8192, 8192):
                row(f"GEMV {N}x{K}, {threads} thr", key, "ggml TQ2_0 (quoted, issue 7)", GGML_TQ2_GEMV_8192[threads], wb)
                row(f"base-3 GEMV {N}x{K}, {threads} thr", key3, "ggml TQ1_0 (quoted, issue 7)",
                    GGML_TQ1_GEMV_8192[threads], N * K / 5)
            row(f"float-act GEMV {N}x{K}, {threads} thr", f"ternary_gemv_float/{N}/{K}/{threads}", "numpy fp32 W@x",
                median_ms(lambda: W @ x, reps), wb)
            for batch in (8, 128):
                Xb = X[:batch]
                key = f"ternary_gemm/{N}/{K}/{batch}/{threads}"
                r = max(2, reps // (4 if batch == 128 else 1))
                row(f"GEMM {N}x{K} batch {batch}, {threads} thr", key, "numpy fp32 X@W.T", median_ms(lambda: Xb @ W.T, r), wb)
                gb = ggml.get(("gemm", "tq2_0", N, K, batch, threads))
                if gb is not None:
                    row(f"GEMM {N}x{K} batch {batch}, {threads} thr", key, "ggml TQ2_0 (this run)", gb, wb)
                if torch is not None:
                    Xt = torch.from_numpy(Xb)
                    row(f"GEMM {N}x{K} batch {batch}, {threads} thr", key, "torch fp32 mm",
                        median_ms(lambda: torch.mm(Xt, Wt.T), r), wb)
            if (N, K) == (8192, 8192):
                row(f"quantize+pack {N}x{K} (fp32 in), {threads} thr", f"ternary_quantize_pack/{N}/{K}/{threads}",
                    "numpy absmean+pack", median_ms(lambda: quantize_pack(W), 2), 0)
                gq = ggml.get(("quantize", "tq2_0", N, K, 0, threads))
                if gq is not None:
                    row(f"quantize+pack {N}x{K} (fp32 in), {threads} thr", f"ternary_quantize_pack/{N}/{K}/{threads}",
                        "ggml quantize TQ2_0 (this run)", gq, 0)
            if ctx is not None:  # restore the BLAS thread count
                (ctx.restore_original_limits if hasattr(ctx, "restore_original_limits") else ctx.unregister)()
    print("## ternary\n")
    print(f"Machine: OpenBLAS core {limits.get('openblas_core', '?')}, read bandwidth {bw:.1f} GB/s "
          f"(fraction of limit = packed weight bytes per second / read bandwidth).\n")
    print("| workload | tessera (median) | peer | peer (median) | ratio | fraction of limit |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(r)
    print()
    print("Ratios are peer time / tessera time from the same run (> 1: tessera faster). The packed 2-bit "
          "weights are 16x smaller than fp32, so GEMV is bounded by streaming 1/16 of the bytes; the "
          "unpack-then-matmul peers pay the unpacking on every call. A fraction of limit above 1 means the "
          "packed matrix stayed in the L3 cache between repetitions (warm cache, as for every peer here). "
          + ("ggml rows: llama.cpp's ggml (node-llama-cpp 3.22.1's source, built with -march=native by "
             "scripts/fetch_ggml.sh), ggml_mul_mat on TQ2_0/TQ1_0 weights of the same shape and distribution, "
             "measured in this run (warm cache; the fp32 activation is quantized to Q8_K inside), " +
             ("in one round after bench_ternary (quick mode). " if args.quick else
              "alternately with bench_ternary on the same workloads (3 rounds, medians; the tessera column of "
              "ggml rows is from those rounds, so it can differ from the other rows'). ") + "Note the "
             "scale granularity differs: tessera's default is one scale per 128 weights and per 64 activations "
             "(finer, so more float work per weight), ggml's one per 256 of each."
             if ggml else "ggml figures are quoted from issue 7 (the ggml peer could not be built in this run)."))


if __name__ == "__main__":
    main()
