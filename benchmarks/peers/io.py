#!/usr/bin/env python3
"""Peer for bench_io: the same reads in numpy (numpy.load, numpy.load(mmap_mode='r')), and GGUF
dequantization in llama.cpp's gguf-py (gguf.quants.dequantize, numpy) when the llama.cpp tree that
scripts/fetch_ggml.sh clones is found ($TESSERA_GGML_SRC, or <build>/_peers/llama.cpp).

python3 benchmarks/peers/io.py --bench-json <bench_io.json> --limits <limits.json> [--quick]
Prints the `## io` section of docs/performance.md: medians of repeated runs, ratios measured in
the same run (ratio = peer time / tessera time, > 1 means tessera is faster).
"""
import argparse
import json
import os
import statistics
import sys
import time

try:
    import numpy as np
except ImportError:  # a python3 on PATH without numpy: fall back to Debian's interpreter
    if os.path.exists("/usr/bin/python3") and os.path.realpath(sys.executable) != os.path.realpath("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    raise

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


CPU = {}  # workload -> median CPU seconds of the peer


def median_time(fn, reps, key=None):
    """Median wall time of fn over reps runs (after one warm-up); records the median CPU time."""
    fn()  # warm (page cache, allocator)
    ts, cs = [], []
    for _ in range(reps):
        c0, t0 = time.process_time(), time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
        cs.append(time.process_time() - c0)
    if key:
        CPU[key] = statistics.median(cs)
    return statistics.median(ts)


def tessera_median(bench, name, field="real_time"):
    """Median time in seconds of benchmark `name` (tolerates /repeats:N and aggregates)."""
    rows = []
    for b in bench.get("benchmarks", []):
        run = b.get("run_name", b["name"]).replace("/repeats:5", "").replace("/repeats:3", "")
        if (run.split("/")[0] != name and "/".join(run.split("/")[:2]) != name) or b.get("error_occurred"):
            continue
        if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
            continue
        unit = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[b.get("time_unit", "ns")]
        rows.append(b[field] * unit)
    return statistics.median(rows) if rows else None


def gguf_rows(rows, reps):
    """gguf-py's numpy dequantization of the synthetic 4096x4096 tensors of BM_io_gguf_dequantize."""
    tree = os.environ.get("TESSERA_GGML_SRC") or next(
        (os.path.join(ROOT, b, "_peers", "llama.cpp") for b in sorted(os.listdir(ROOT))
         if os.path.isdir(os.path.join(ROOT, b, "_peers", "llama.cpp", "gguf-py"))), None)
    if not tree:
        print("io.py: no llama.cpp tree (scripts/fetch_ggml.sh): GGUF rows skipped", file=sys.stderr)
        return
    sys.path.insert(0, os.path.join(tree, "gguf-py"))
    from gguf import GGMLQuantizationType as Q, GGML_QUANT_SIZES, quants
    n = 4096 * 4096
    for qt, arg, fields in ((Q.Q4_K, 12, (0, 2)), (Q.Q6_K, 14, (208,)), (Q.Q8_0, 8, (0,))):
        block, bb = GGML_QUANT_SIZES[qt]
        i = np.arange(n // block * bb, dtype=np.uint64)
        b = ((i * 2654435761) >> 13).astype(np.uint8).reshape(-1, bb)
        for f in fields:
            b[:, f], b[:, f + 1] = 0x00, 0x3C
        q = b.reshape(4096, -1)
        rows.append((f"dequantize 4096x4096 {qt.name} to f32", f"BM_io_gguf_dequantize/{arg}", "gguf-py quants.dequantize",
                     median_time(lambda: quants.dequantize(q, qt), reps, f"BM_io_gguf_dequantize/{arg}"), n * 4))


def wordnet_rows(rows, reps):
    """nltk 3.8 (Debian python3-nltk) on the same WordNet files: a fresh WordNetCorpusReader that
    parses every noun synset, and word path similarity (max over noun senses) on the noun pairs
    of tests/fixtures/wordnet/pairs.tsv, as BM_io_wordnet_*."""
    if not os.path.exists("/usr/share/wordnet/data.noun"):
        print("io.py: /usr/share/wordnet missing (wordnet-base): WordNet rows skipped", file=sys.stderr)
        return
    try:
        sys.path.insert(0, os.path.join(ROOT, "tests", "fixtures"))
        from generate_wordnet import open_wordnet  # the reader plus the lexnames file Debian lacks
    except ImportError as e:
        print(f"io.py: nltk unavailable ({e}; scripts/bootstrap.sh --peers): WordNet rows skipped", file=sys.stderr)
        return
    import warnings
    warnings.filterwarnings("ignore")
    rows.append(("WordNet 3.0 nouns: parse 82,115 synsets + index", "BM_io_wordnet_read_nouns",
                 "nltk WordNetCorpusReader + all_synsets('n')",
                 median_time(lambda: sum(1 for _ in open_wordnet().all_synsets("n")), max(3, reps // 2),
                             "BM_io_wordnet_read_nouns"), None))
    wn = open_wordnet()
    pairs = [l.split("\t")[1:3] for l in open(os.path.join(ROOT, "tests", "fixtures", "wordnet", "pairs.tsv"))
             if l.startswith("n\t")]

    def path_sims():
        for a, b in pairs:
            max((s.path_similarity(t) or 0.0 for s in wn.synsets(a, "n") for t in wn.synsets(b, "n")), default=None)
    rows.append((f"word path similarity, {len(pairs)} noun pairs", "BM_io_wordnet_word_path_similarity",
                 "nltk max(path_similarity) over wn.synsets", median_time(path_sims, reps, "BM_io_wordnet_word_path_similarity"),
                 None))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench-json", required=True)
    ap.add_argument("--limits", required=True)
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    bench = json.load(open(a.bench_json))
    limits = json.load(open(a.limits))
    bw = limits.get("read_bandwidth_gbs")
    reps = 3 if a.quick else 7
    data_dir = os.environ.get("TESSERA_DATA_DIR") or os.path.join(ROOT, "data")
    glove = os.path.join(data_dir, "glove100d.npy")
    bundled = os.path.join(ROOT, "examples", "data", "glove100d_top10k.npy")

    rows = []  # (workload, tessera bench, peer name, peer seconds, bytes or None)
    if os.path.exists(glove):
        nbytes = np.load(glove, mmap_mode="r").nbytes
        rows.append(("read 341,479x100 f32 .npy into memory", "BM_io_read_npy_copy", "numpy.load",
                     median_time(lambda: np.load(glove), reps, "BM_io_read_npy_copy"), nbytes))
        rows.append(("map it (no data touched)", "BM_io_map_npy_open", "numpy.load(mmap_mode='r')",
                     median_time(lambda: np.load(glove, mmap_mode="r"), reps * 5, "BM_io_map_npy_open"), None))
        rows.append(("map + one pass over every value", "BM_io_map_npy_sum", "np.load(mmap_mode='r').sum()",
                     median_time(lambda: np.load(glove, mmap_mode="r").sum(dtype=np.float32), reps, "BM_io_map_npy_sum"), nbytes))
    h = np.load(bundled)
    rows.append(("read 10,000x100 f16 .npy as float32", "BM_io_read_npy_f16", "np.load(...).astype(float32)",
                 median_time(lambda: np.load(bundled).astype(np.float32), reps * 5, "BM_io_read_npy_f16"), None))
    n = 1 << 20
    hv = ((np.arange(n, dtype=np.uint64) * 2654435761) & 0x7BFF).astype(np.uint16).view(np.float16)
    fv = (np.arange(n) % 4099).astype(np.float32) * np.float32(0.37) - np.float32(700.0)
    out32 = np.empty(n, dtype=np.float32)
    out16 = np.empty(n, dtype=np.float16)
    rows.append(("float16 -> float32, 1M values", "BM_io_half_to_float", "ndarray.astype (copyto)",
                 median_time(lambda: np.copyto(out32, hv), reps * 5, "BM_io_half_to_float"), None))
    rows.append(("float32 -> float16 (RNE), 1M values", "BM_io_float_to_half", "ndarray.astype (copyto)",
                 median_time(lambda: np.copyto(out16, fv, casting="unsafe"), reps * 5, "BM_io_float_to_half"), None))

    gguf_rows(rows, reps)
    wordnet_rows(rows, reps)

    fmt_t = lambda s: "n/a" if s is None else (f"{s * 1e3:.2f} ms" if s >= 1e-3 else f"{s * 1e6:.1f} us")
    print("## io\n")
    print("| workload | tessera (median) | peer | peer (median) | ratio | fraction of limit |")
    print("|---|---|---|---|---|---|")
    for work, bname, peer, ps, nbytes in rows:
        ts = tessera_median(bench, bname)
        ratio = f"{ps / ts:.2f}x" if ts else "n/a"
        frac = f"{nbytes / ts / (bw * 1e9):.2f} of {bw:.1f} GB/s" if (nbytes and ts and bw) else "-"
        print(f"| {work} | {fmt_t(ts)} | {peer} | {fmt_t(ps)} | {ratio} | {frac} |")
    cpu = []
    for work, bname, peer, ps, nbytes in rows:
        tc = tessera_median(bench, bname, "cpu_time")
        if tc and CPU.get(bname):
            cpu.append(f"{work}: {CPU[bname] / tc:.2f}x")
    if cpu:
        print("\nSame workloads by CPU time (robust when the machine is shared and loaded): " + "; ".join(cpu) + ".")
    if not os.path.exists(glove):
        print("\nglove100d.npy is not fetched (scripts/fetch_data.sh): the GloVe rows are missing.")
    print("""
Ratio = peer time / tessera time (> 1: tessera faster). The reads run on a warm page cache, so
they measure the copy and page-fault cost, not the disk. `read_npy` reads the data with pread(2)
straight into the result when the stored dtype is the requested one, like numpy.load's
readinto; the mapped path costs one mmap and a header parse, and the pass over the mapped
values pays the page faults that numpy's memmap pays too. The float16 kernels use the F16C
instructions (8 values per instruction, round-to-nearest-even, bit-identical to the scalar
fallback); numpy 1.24's float16 casts go element by element through its own bit manipulation.
GGUF rows: bytes are float32 output; both sides produce ggml's values bit for bit (gguf-py
vectorizes each block layout in numpy, tessera runs ggml's scalar order on 2 threads).
WordNet rows: nltk's reader also loads the index of all four parts of speech at construction;
tessera's read_wordnet parses one part of speech (nouns) completely, pointers resolved. Both give
the same path similarities (tests/io/test_wordnet.cpp checks every fixture pair exactly).""")


if __name__ == "__main__":
    main()
