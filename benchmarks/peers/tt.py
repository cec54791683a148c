#!/usr/bin/env python3
"""Peer for bench_tt: the same TT workloads in plain numpy (tensorly is not packaged in Debian).

  python3 benchmarks/peers/tt.py --bench-json <bench_tt.json> --limits <limits.json> [--quick]

The numpy TT-SVD follows tensorly's `tensor_train_matrix` (tensorly/decomposition/_tt.py):
permute the tensorized matrix (m1..md, n1..nd) to (m1, n1, ..., md, nd), reshape to
(m1 n1, ..., md nd), one full `np.linalg.svd` per unfolding, keep min(rows, cols, max_rank).
The numpy TT matvec contracts core by core with `np.tensordot` (what a numpy user writes;
tensorly itself densifies with `tt_matrix_to_matrix` and then multiplies, timed as a second peer).
The power-law matrix has the same spectrum as bench_tt's (sigma_i = 1/(i+1), random orthonormal
bases from numpy's generator: same sizes and spectrum, different bits). Prints the Markdown
section `## tt` for docs/performance.md.
"""
import argparse
import json
import os
import struct
import time

import numpy as np

M, N = 4096, 1024
ROWS, COLS = [8, 8, 8, 8], [4, 8, 8, 4]


def power_law(seed=2026):
    rng = np.random.default_rng(seed)
    u, _ = np.linalg.qr(rng.standard_normal((M, N)).astype(np.float32))
    v, _ = np.linalg.qr(rng.standard_normal((N, N)).astype(np.float32))
    s = (1.0 / np.arange(1, N + 1)).astype(np.float32)
    return ((u * s) @ v.T).astype(np.float32)


def tt_svd_matrix(W, rows, cols, max_rank=None, rel_eps=0.0):
    d = len(rows)
    t = W.reshape(tuple(rows) + tuple(cols))
    idx = [i for pair in zip(range(d), range(d, 2 * d)) for i in pair]
    modes = [a * b for a, b in zip(rows, cols)]
    t = np.transpose(t, idx).reshape(modes)
    delta = rel_eps * np.linalg.norm(W) / np.sqrt(d - 1)
    rank, factors, c = 1, [], t
    for k in range(d - 1):
        c = c.reshape(rank * modes[k], -1)
        u, s, vt = np.linalg.svd(c, full_matrices=False)
        tail = np.sqrt(np.cumsum((s ** 2)[::-1])[::-1])  # tail[r] = ||s[r:]||
        r = len(s)
        while r > 1 and tail[r - 1] <= delta:
            r -= 1
        if max_rank is not None:
            r = min(r, max_rank)
        factors.append(u[:, :r].reshape(rank, rows[k], cols[k], r))
        c = s[:r, None] * vt[:r]
        rank = r
    factors.append(c.reshape(rank, rows[-1], cols[-1], 1))
    return factors


def tt_to_matrix(factors):  # tensorly's tt_matrix_to_matrix
    d = len(factors)
    res = factors[0]
    for f in factors[1:]:
        res = np.tensordot(res, f, axes=([-1], [0]))
    shape = sum(((f.shape[1], f.shape[2]) for f in factors), ())
    order = list(range(0, 2 * d, 2)) + list(range(1, 2 * d, 2))
    rows = int(np.prod([f.shape[1] for f in factors]))
    return np.transpose(res.reshape(shape), order).reshape(rows, -1)


def tt_matmat(factors, X):
    """Y = W X core by core: Z[(o_1..o_k), r_k, (i_{k+1}..), b], contracting (r, i_k) each step."""
    b = X.shape[1]
    cols = [f.shape[2] for f in factors]
    z = X.reshape([1] + cols + [b])  # (o-block, r, i_1, ..., i_d, b) with o-block = 1
    z = z[None]  # (P=1, r=1, i_1, ..., b)
    for f in factors:
        # z: (P, r, i_k, rest...) ; f: (r, o, i, r')
        z = np.tensordot(z, f, axes=([1, 2], [0, 2]))  # (P, rest..., o, r')
        nd = z.ndim
        z = np.moveaxis(z, [nd - 2, nd - 1], [1, 2])  # (P, o, r', rest...)
        z = z.reshape((z.shape[0] * z.shape[1],) + z.shape[2:])
    return z.reshape(-1, b)


def median_time(fn, reps):
    ts = []
    out = None
    for _ in range(reps):
        t0 = time.perf_counter()
        out = fn()
        ts.append(time.perf_counter() - t0)
    return float(np.median(ts)), out


def bench_row(data, name):
    rows = [b for b in data.get("benchmarks", []) if b.get("run_name", b["name"]) == name]
    med = [b for b in rows if b.get("aggregate_name") == "median"]
    rows = med or [b for b in rows if "aggregate_name" not in b] or rows
    return rows[0] if rows else None


def to_seconds(row):
    unit = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[row.get("time_unit", "ns")]
    return row["real_time"] * unit


def fmt(t):
    if t is None:
        return "n/a"
    return f"{t * 1e3:.1f} ms" if t >= 1e-3 else f"{t * 1e6:.0f} us"


def read_safetensors(path, name):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        h = json.loads(f.read(n))
        t = h[name]
        a, b = t["data_offsets"]
        f.seek(8 + n + a)
        return np.frombuffer(f.read(b - a), dtype=np.float32).reshape(t["shape"])


FFN = ["module_apply_default/Encoder_en/KonaTransformer/Encode/TransformerStack/Layer_1/TransformerLayer/FFN/"
       f"{c}/Tensordot/Reshape_1" for c in ("conv1", "conv2")]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench-json", required=True)
    ap.add_argument("--limits", required=True)
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    with open(a.bench_json) as f:
        data = json.load(f)
    with open(a.limits) as f:
        limits = json.load(f)
    reps = 1 if a.quick else 3
    W = power_law()
    rows, notes = [], []

    def add(workload, tname, peer, peer_t, limit=""):
        row = bench_row(data, tname)
        t = to_seconds(row) if row else None
        ratio = f"{peer_t / t:.2f}x" if (t and peer_t) else "n/a"
        rows.append(f"| {workload} | {fmt(t)} | {peer} | {fmt(peer_t)} | {ratio} | {limit} |")
        return row

    peer_err = {}
    for r in (32, 64):
        t, fac = median_time(lambda: tt_svd_matrix(W, ROWS, COLS, max_rank=r), reps)
        peer_err[r] = float(np.linalg.norm(tt_to_matrix(fac) - W) / np.linalg.norm(W))
        add(f"TT-SVD 4096x1024 power-law, 4 cores, max rank {r} (automatic: randomized capped bonds)",
            f"BM_tt_svd_powerlaw/{r}/iterations:1/real_time", "numpy TT-SVD (tensorly algorithm)", t)
        add(f"TT-SVD 4096x1024 power-law, 4 cores, max rank {r} (svd_method::exact)",
            f"BM_tt_svd_powerlaw_exact/{r}/iterations:1/real_time", "numpy TT-SVD (tensorly algorithm)", t)
    x = np.random.default_rng(5).standard_normal((N, 1)).astype(np.float32)
    X64 = np.random.default_rng(6).standard_normal((N, 64)).astype(np.float32)
    t_gemv, _ = median_time(lambda: [W @ x[:, 0] for _ in range(20)], reps)
    t_gemv /= 20
    bw = limits.get("read_bandwidth_gbs")
    row = add("dense sgemv 4096x1024", "BM_dense_sgemv/real_time", "numpy W @ x", t_gemv,
              f"{(M * N * 4 / to_seconds(bench_row(data, 'BM_dense_sgemv/real_time')) / 1e9) / bw:.0%} of read BW"
              if (bw and bench_row(data, "BM_dense_sgemv/real_time")) else "")
    sgemv_t = to_seconds(row) if row else None
    for r in (4, 8, 16, 32, 64):
        fac = tt_svd_matrix(W, ROWS, COLS, max_rank=r)
        t, y = median_time(lambda: [tt_matmat(fac, x) for _ in range(5)], reps)
        t /= 5
        ref = tt_to_matrix(fac) @ x
        assert np.linalg.norm(y[0] - ref) <= 1e-3 * np.linalg.norm(ref)
        trow = add(f"TT matvec rank {r}", f"BM_tt_matvec/{r}/real_time", "numpy core-by-core tensordot", t)
        if trow and sgemv_t:
            notes.append(f"rank {r}: {trow['param_fraction']:.2%} of the dense parameters, "
                         f"TT matvec {sgemv_t / to_seconds(trow):.2f}x the speed of dense sgemv")
        if r == 32:
            td, _ = median_time(lambda: tt_to_matrix(fac) @ x, reps)
            add("TT matvec rank 32", "BM_tt_matvec/32/real_time", "tensorly-style densify + matvec", td)
    for r in (8, 32, 64):
        fac = tt_svd_matrix(W, ROWS, COLS, max_rank=r)
        t, _ = median_time(lambda: tt_matmat(fac, X64), reps)
        add(f"TT matmat rank {r}, batch 64", f"BM_tt_matmat64/{r}/real_time", "numpy core-by-core tensordot", t)
    t, _ = median_time(lambda: W @ X64, reps)
    add("dense sgemm 4096x1024 x 64", "BM_dense_sgemm64/real_time", "numpy W @ X", t)

    # Error / parameter curve (tessera's counters) beside a truncated SVD with the same parameters.
    s = 1.0 / np.arange(1, N + 1)
    curve = ["| rel_eps | max rank | TT rel. error | TT params / dense | SVD rel. error at same params |",
             "|---|---|---|---|---|"]
    for name, label in [(f"BM_tt_curve_eps/{e}/iterations:1/real_time", f"{e / 1000:g}") for e in (50, 100, 200, 400)] + \
            [(f"BM_tt_svd_powerlaw/{r}/iterations:1/real_time", f"cap {r}") for r in (32, 64)]:
        b = bench_row(data, name)
        if not b:
            continue
        k = int(b["param_fraction"] * M * N / (M + N))
        svd_err = float(np.sqrt(np.sum(s[k:] ** 2) / np.sum(s ** 2))) if k < N else 0.0
        eps = label if not label.startswith("cap") else "0"
        cap = label[4:] if label.startswith("cap") else "none"
        curve.append(f"| {eps} | {cap} | {b['rel_error']:.4f} | {b['param_fraction']:.4f} | {svd_err:.4f} |")

    use = []
    path = os.path.join(os.environ.get("TESSERA_DATA_DIR", "data"), "use_lite.safetensors")
    if os.path.exists(path):
        use = ["| weight | rel_eps | TT rel. error | TT params / dense | SVD rel. error at same params | tessera | numpy |",
               "|---|---|---|---|---|---|---|"]
        for i, (name, shape) in enumerate(zip(FFN, ("512x1536", "1536x512"))):
            Wf = read_safetensors(path, name).astype(np.float32)
            sv = np.linalg.svd(Wf, compute_uv=False).astype(np.float64)
            rws, cls = ([8, 8, 8], [8, 12, 16]) if i == 0 else ([8, 12, 16], [8, 8, 8])
            for e in (100, 300, 500):
                b = bench_row(data, f"BM_tt_svd_use_lite/{i}/{e}/iterations:1/real_time")
                if not b:
                    continue
                t, _ = median_time(lambda: tt_svd_matrix(Wf, rws, cls, rel_eps=e / 1000), reps)
                k = int(b["param_fraction"] * Wf.size / sum(Wf.shape))
                svd_err = float(np.sqrt(np.sum(sv[k:] ** 2) / np.sum(sv ** 2)))
                use.append(f"| FFN {['conv1', 'conv2'][i]} {shape} | {e / 1000:g} | {b['rel_error']:.3f} | "
                           f"{b['param_fraction']:.3f} | {svd_err:.3f} | {fmt(to_seconds(b))} | {fmt(t)} |")

    print("## tt\n")
    print("Power-law 4096 x 1024 (sigma_i = 1/(i+1), random bases), TT-matrix modes (8,8,8,8) x (4,8,8,4). "
          "Ratio = peer median / tessera median (> 1: tessera faster).\n")
    print("| workload | tessera (median) | peer | peer (median) | ratio | fraction of limit |")
    print("|---|---|---|---|---|---|")
    print("\n".join(rows))
    print()
    for n_ in notes:
        print(f"- {n_}")
    print(f"- numpy TT-SVD error at rank 32 / 64 (its own random bases): {peer_err[32]:.4f} / {peer_err[64]:.4f}")
    for r in (32, 64):
        b, e = (bench_row(data, f"BM_tt_svd_powerlaw{x}/{r}/iterations:1/real_time") for x in ("", "_exact"))
        if b and e:
            print(f"- rank {r}: tessera error {b['rel_error']:.4f} (automatic) vs {e['rel_error']:.4f} (exact)")
    print("\nError / parameter curve of the power-law matrix (interleaved TT vs truncated SVD with as many "
          "parameters):\n")
    print("\n".join(curve))
    if use:
        print("\nReal weights: USE-lite FFN (Layer_1), TT-SVD with the eps rule in both libraries, d = 3 "
              "(512 = 8x8x8, 1536 = 8x12x16):\n")
        print("\n".join(use))
    else:
        print("\nUSE-lite weights not present ($TESSERA_DATA_DIR/use_lite.safetensors): skipped.")


if __name__ == "__main__":
    main()
