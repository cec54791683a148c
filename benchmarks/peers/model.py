#!/usr/bin/env python3
"""Peer of benchmarks/bench_model.cpp: the weight-terrain battery (model::run_battery) in numpy/torch.

    python3 benchmarks/peers/model.py --bench-json model.json --limits limits.json [--quick]
                                      [--bench-binary build/benchmarks/bench_model]

The checkpoint is the same file: bench_model writes it (BM_model_write_checkpoint/L with
$TESSERA_BENCH_MODEL_DIR set keeps the folder), then this script reads model.safetensors through
numpy.memmap and computes the battery's metrics the straightforward way:
  * every 2-D weight: singular values (torch.linalg.svdvals when torch is installed, else
    numpy.linalg.svd(compute_uv=False)), stable rank, participation ratio, entropy effective rank,
    90 % energy rank, condition number, active fraction, sparsity at 1e-4..1e-1, mean, std, max |w|,
    row-norm mean/std;
  * per layer, per query head h: M = W_Q,h^T W_K,g ([896, 896]), its singular values, symmetry
    ||M - M^T|| / ||M|| and eigvalsh((M + M^T) / 2) sign balance, and the same symmetry and sign
    balance of the layer's full M = W_Q^T W_K; FFN neuron norms, importance and dead neurons
    (norm < 1 % of the mean);
  * cross-layer cosine of the flattened weights of each type;
  * the embedding: row norms, 100,000 sampled pair cosines, covariance participation ratio
    (eigvalsh of np.cov), 20,000 pentachoron volumes (Gram determinants) against Gaussian ones.
L = 24 layers (the real 0.5B shapes) or 2 with --quick. One timed run (the full one takes minutes),
peak RSS from getrusage (file-backed pages of the mapping included, as for bench_model).
Prints the Markdown section for docs/performance.md to stdout.
"""
import argparse
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

from spectral import load_bench  # name -> (median seconds, row), shared with the other peers

try:
    import torch
except ImportError:  # Debian's python3-torch is optional
    torch = None


def open_safetensors(path):
    with open(path, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(n))
    raw = np.memmap(path, dtype=np.uint8, mode="r")
    out = {}
    for name, v in header.items():
        if name == "__metadata__":
            continue
        assert v["dtype"] == "F32", v["dtype"]
        b0, b1 = v["data_offsets"]
        out[name] = raw[8 + n + b0:8 + n + b1].view(np.float32).reshape(v["shape"])
    return out


def svdvals(W):
    if torch is not None:
        return torch.linalg.svdvals(torch.from_numpy(np.ascontiguousarray(W, dtype=np.float32))).double().numpy()
    return np.linalg.svd(W, compute_uv=False).astype(np.float64)


def spectral(s):
    p = s / s.sum()
    p = p[p > 0]
    e = np.cumsum(s**2) / np.sum(s**2)
    return {"stable_rank": np.sum(s**2) / s[0]**2, "participation_ratio": s.sum()**2 / np.sum(s**2),
            "effective_rank": float(np.exp(-np.sum(p * np.log(p)))), "energy_rank": int(np.searchsorted(e, 0.9) + 1),
            "condition_number": s[0] / s[-1] if s[-1] > 0 else np.inf, "active_fraction": float(np.mean(s > 0.01 * s[0]))}


def measure_weight(W):
    A = np.asarray(W)
    a = np.abs(A)
    m = spectral(svdvals(A))
    rn = np.linalg.norm(A.astype(np.float64), axis=1)
    m.update(sparsity=[float(np.mean(a < t)) for t in (1e-4, 1e-3, 1e-2, 1e-1)], mean=float(A.mean(dtype=np.float64)),
             std=float(A.std(dtype=np.float64)), max_abs=float(a.max()), row_norm_mean=rn.mean(), row_norm_std=rn.std())
    return m


def measure_qk(Wq, Wk, heads, kv):
    dh = Wq.shape[0] // heads
    out = []
    for h in range(heads):
        g = h // (heads // kv)
        M = Wq[h * dh:(h + 1) * dh].T.astype(np.float64) @ Wk[g * dh:(g + 1) * dh].astype(np.float64)
        s = np.linalg.svd(M, compute_uv=False)[:dh]
        lam = np.linalg.eigvalsh((M + M.T) / 2)
        nz = lam[np.abs(lam) > 1e-9 * np.abs(lam).max()]
        out.append(dict(spectral(s), symmetry=np.linalg.norm(M - M.T) / np.linalg.norm(M),
                        positive_fraction=float(np.mean(nz > 0)), positive_mass=nz[nz > 0].sum() / np.abs(nz).sum()))
    # the layer's full M = W_Q^T W_K (keys repeated per group): the headline sign balance
    Wk_rep = np.repeat(np.asarray(Wk, dtype=np.float64).reshape(kv, dh, -1), heads // kv, axis=0).reshape(heads * dh, -1)
    M = np.asarray(Wq, dtype=np.float64).T @ Wk_rep
    lam = np.linalg.eigvalsh((M + M.T) / 2)
    nz = lam[np.abs(lam) > 1e-9 * np.abs(lam).max()]
    full = {"symmetry": np.linalg.norm(M - M.T) / np.linalg.norm(M), "positive_fraction": float(np.mean(nz > 0)),
            "positive_mass": nz[nz > 0].sum() / np.abs(nz).sum()}
    return {"heads": out, "full": full}


def measure_ffn(gate, up, down):
    un = np.linalg.norm(up.astype(np.float64), axis=1)
    gn = np.linalg.norm(gate.astype(np.float64), axis=1)
    dn = np.linalg.norm(down.astype(np.float64), axis=0)
    dead = (un < 0.01 * un.mean()) | (gn < 0.01 * gn.mean()) | (dn < 0.01 * dn.mean())
    return {"importance": un * dn, "gate_importance": gn * dn, "dead": np.flatnonzero(dead)}


def cross_layer(Ws):
    L = len(Ws)
    flat = [np.asarray(W).reshape(-1).astype(np.float64) for W in Ws]
    C = np.empty((L, L))
    for a in range(L):
        for b in range(a, L):
            C[a, b] = C[b, a] = flat[a] @ flat[b] / np.sqrt((flat[a] @ flat[a]) * (flat[b] @ flat[b]))
    return C


def measure_embedding(E, seed=0, pairs=100000, simplices=20000, k=4):
    rng = np.random.default_rng(seed)
    E64 = np.asarray(E, dtype=np.float64)
    rn = np.linalg.norm(E64, axis=1)
    i, j = rng.integers(0, E.shape[0], pairs), rng.integers(0, E.shape[0], pairs)
    cos = np.einsum("ij,ij->i", E64[i], E64[j]) / (rn[i] * rn[j])
    lam = np.linalg.eigvalsh(np.cov(E64, rowvar=False))

    def volumes(P):  # P [count, k + 1, d]
        D = P[:, 1:] - P[:, :1]
        G = D @ D.transpose(0, 2, 1)
        return np.sqrt(np.maximum(np.linalg.det(G), 0)) / math.factorial(k)

    v = volumes(E64[rng.integers(0, E.shape[0], (simplices, k + 1))])
    gv = volumes(rng.standard_normal((simplices, k + 1, E.shape[1])) * E64.std())
    return {"row_norm_mean": rn.mean(), "cosine_mean": cos.mean(), "covariance_pr": lam.sum()**2 / np.sum(lam**2),
            "volume_cv": v.std() / v.mean(), "gaussian_ratio": v.mean() / gv.mean()}


def battery(path, heads=14, kv=2):
    T = open_safetensors(path)
    rep = {"tensors": {}, "layers": {}, "cross": {}}
    types = {}
    for name, W in T.items():
        if W.ndim == 2:
            rep["tensors"][name] = measure_weight(W)
            if name.startswith("model.layers."):
                types.setdefault(name.split(".", 3)[3], []).append(W)
    for t, Ws in types.items():
        rep["cross"][t] = cross_layer(Ws)
    layers = sorted({int(n.split(".")[2]) for n in T if n.startswith("model.layers.")})
    for l in layers:
        p = f"model.layers.{l}."
        rep["layers"][l] = {"qk": measure_qk(T[p + "self_attn.q_proj.weight"], T[p + "self_attn.k_proj.weight"], heads, kv),
                            "ffn": measure_ffn(T[p + "mlp.gate_proj.weight"], T[p + "mlp.up_proj.weight"],
                                               T[p + "mlp.down_proj.weight"])}
    rep["embedding"] = measure_embedding(T["model.embed_tokens.weight"])
    return rep


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench-json")
    ap.add_argument("--limits")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--bench-binary", help="default: <bench-json dir>/../benchmarks/bench_model")
    args = ap.parse_args()
    layers = 2 if args.quick else 24
    bench = load_bench(args.bench_json)
    binary = args.bench_binary or os.path.join(os.path.dirname(os.path.abspath(args.bench_json or ".")), "..",
                                               "benchmarks", "bench_model")
    tmp = tempfile.mkdtemp(prefix="tessera_model_peer_")
    try:
        subprocess.run([binary, f"--benchmark_filter=BM_model_write_checkpoint/{layers}/"], check=True,
                       stdout=subprocess.DEVNULL, env=dict(os.environ, TESSERA_BENCH_MODEL_DIR=tmp))
        path = os.path.join(tmp, "model.safetensors")
        t0 = time.perf_counter()
        rep = battery(path)
        peer_s = time.perf_counter() - t0
        peer_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    ours = bench.get(f"BM_model_battery/{layers}")
    ours_s = ours[0] if ours else None
    c = ours[1] if ours else {}
    largest = 151936 * 896 * 4 / 1e6
    lib = "torch.linalg.svdvals" if torch is not None else "numpy.linalg.svd(compute_uv=False)"
    print("## model\n")
    print(f"The whole weight-terrain battery (`model::run_battery`) on a synthetic Qwen2-0.5B-layout checkpoint "
          f"({layers} layers, hidden 896, ffn 4864, 14 heads / 2 KV, vocab 151936, tied, float32 safetensors written "
          f"by bench_model), against numpy ({lib} per weight, the explicit [896, 896] QK^T matrices) on the same file, "
          f"same session. Largest tensor: the embedding, {largest:.0f} MB.\n")
    print("| workload | tessera (median) | peer | peer (median) | ratio | fraction of limit |")
    print("|---|---|---|---|---|---|")
    ratio = f"{peer_s / ours_s:.1f}x" if ours_s else "n/a"
    ts = f"{ours_s:.1f} s" if ours_s else "n/a"
    print(f"| run_battery, {layers} layers ({len(rep['tensors'])} weights) | {ts} | numpy{'/torch' if torch else ''} | "
          f"{peer_s:.1f} s (1 run) | {ratio} | n/a |")
    print()
    if c:
        print(f"- peak memory, tessera: {c.get('peak_rss_MB', 0):.0f} MB RSS (mapped file pages included), "
              f"{c.get('peak_anon_MB', 0):.0f} MB heap (RssAnon) = {c.get('peak_anon_MB', 0) / largest:.2f}x the largest "
              f"tensor; peer: {peer_rss:.0f} MB RSS = {peer_rss / largest:.2f}x.")
    print(f"- goal (issue 16): >= 5x faster, peak memory < 2x the largest tensor.")


if __name__ == "__main__":
    main()
