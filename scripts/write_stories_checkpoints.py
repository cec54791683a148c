#!/usr/bin/env python3
"""Writes a llama2.c "v0" checkpoint (default: ../shared/data/stories260K/stories260K.bin) as a
Hugging Face llama-layout folder: config.json (LlamaConfig fields) and model.safetensors (or
shards model-0000k-of-0000n.safetensors with model.safetensors.index.json), using only numpy.

    python3 scripts/write_stories_checkpoints.py --out DIR [--bin FILE] [--dtype F32|F16|BF16]
                                                 [--shards N]

Tensor names follow transformers' LlamaForCausalLM:
    model.embed_tokens.weight                          token_embedding [vocab, dim]
    model.layers.L.input_layernorm.weight              rms_att[L]
    model.layers.L.self_attn.{q,k,v,o}_proj.weight     wq, wk, wv, wo [out, in]
    model.layers.L.post_attention_layernorm.weight     rms_ffn[L]
    model.layers.L.mlp.{gate,down,up}_proj.weight      w1, w2, w3 [out, in]
    model.norm.weight                                  rms_final
    lm_head.weight                                     classifier (absent when tied)
freq_cis_* are not written: HF recomputes them from rope_theta (10000, as llama2.c's export).

Rotary convention. llama2.c rotates the interleaved pairs (2i, 2i+1) of each head; HF's
rotate_half rotates the pairs (i, i + head/2). As transformers' convert_llama_weights_to_hf.py
does, the rows of q_proj and k_proj are permuted within each head,

    permute(w, heads) = w.reshape(heads, head // 2, 2, in).transpose(0, 2, 1, 3).reshape(out, in)

(row h*head + 2i + j goes to row h*head + j*head/2 + i), so an HF forward pass with these
weights computes the same attention as llama2.c's. k_proj uses num_key_value_heads. The inverse
(for checking) is w.reshape(heads, 2, head // 2, in).transpose(0, 2, 1, 3).reshape(out, in).
"""
import argparse
import json
import os
import sys

import numpy as np

HEADER = ("dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads", "vocab_size", "seq_len")


def read_llama2c(path):
    """The header dict and the arrays of a llama2.c v0 checkpoint, in file order."""
    raw = np.fromfile(path, dtype="<i4", count=7)
    if raw.size != 7:
        sys.exit(f"{path}: shorter than the 28-byte header")
    h = dict(zip(HEADER, (int(v) for v in raw)))
    shared = h["vocab_size"] > 0
    V, D, Hd, L = abs(h["vocab_size"]), h["dim"], h["hidden_dim"], h["n_layers"]
    if min(V, D, Hd, L, h["n_heads"], h["n_kv_heads"], h["seq_len"]) <= 0 or D % h["n_heads"]:
        sys.exit(f"{path}: inconsistent header {h}")
    head = D // h["n_heads"]
    K = h["n_kv_heads"] * head
    shapes = [("token_embedding", (V, D)), ("rms_att", (L, D)), ("wq", (L, D, D)), ("wk", (L, K, D)),
              ("wv", (L, K, D)), ("wo", (L, D, D)), ("rms_ffn", (L, D)), ("w1", (L, Hd, D)),
              ("w2", (L, D, Hd)), ("w3", (L, Hd, D)), ("rms_final", (D,)),
              ("freq_cis_real", (h["seq_len"], head // 2)), ("freq_cis_imag", (h["seq_len"], head // 2))]
    if not shared:
        shapes.append(("classifier", (V, D)))
    data = np.fromfile(path, dtype="<f4", offset=28)
    need = sum(int(np.prod(s)) for _, s in shapes)
    if data.size != need:
        sys.exit(f"{path}: {data.size} floats after the header, the header implies {need}")
    arrays, off = {}, 0
    for name, s in shapes:
        n = int(np.prod(s))
        arrays[name] = data[off:off + n].reshape(s)
        off += n
    return h, shared, arrays


def permute(w, heads):
    """HF's rotary row permutation of a [heads * head, in] projection (see the module doc)."""
    out, inp = w.shape
    return w.reshape(heads, out // heads // 2, 2, inp).transpose(0, 2, 1, 3).reshape(out, inp)


def encode(a, dtype):
    """Little-endian bytes of float32 array `a` as F32, F16 or BF16 (round to nearest even)."""
    a = np.ascontiguousarray(a, dtype="<f4")
    if dtype == "F32":
        return a.tobytes()
    if dtype == "F16":
        return a.astype("<f2").tobytes()
    u = a.view("<u4").astype(np.uint64)
    r = (u + 0x7FFF + ((u >> 16) & 1)) >> 16  # finite inputs only (a checkpoint's weights)
    return r.astype("<u2").tobytes()


def write_safetensors(path, tensors, dtype):
    """tensors: list of (name, float32 array). Header padded with spaces to a multiple of 8."""
    header, off, blobs = {"__metadata__": {"format": "pt"}}, 0, []
    for name, a in tensors:
        b = encode(a, dtype)
        header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        off += len(b)
        blobs.append(b)
    js = json.dumps(header, separators=(",", ":")).encode()
    js += b" " * (-len(js) % 8)
    with open(path, "wb") as f:
        f.write(np.uint64(len(js)).astype("<u8").tobytes())
        f.write(js)
        for b in blobs:
            f.write(b)


def hf_tensors(h, shared, w):
    t = [("model.embed_tokens.weight", w["token_embedding"])]
    for l in range(h["n_layers"]):
        p = f"model.layers.{l}."
        t += [(p + "input_layernorm.weight", w["rms_att"][l]),
              (p + "self_attn.q_proj.weight", permute(w["wq"][l], h["n_heads"])),
              (p + "self_attn.k_proj.weight", permute(w["wk"][l], h["n_kv_heads"])),
              (p + "self_attn.v_proj.weight", w["wv"][l]),
              (p + "self_attn.o_proj.weight", w["wo"][l]),
              (p + "post_attention_layernorm.weight", w["rms_ffn"][l]),
              (p + "mlp.gate_proj.weight", w["w1"][l]),
              (p + "mlp.up_proj.weight", w["w3"][l]),
              (p + "mlp.down_proj.weight", w["w2"][l])]
    t.append(("model.norm.weight", w["rms_final"]))
    if not shared:
        t.append(("lm_head.weight", w["classifier"]))
    return t


def config(h, shared, dtype):
    return {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama",
        "hidden_size": h["dim"], "intermediate_size": h["hidden_dim"], "num_hidden_layers": h["n_layers"],
        "num_attention_heads": h["n_heads"], "num_key_value_heads": h["n_kv_heads"],
        "vocab_size": abs(h["vocab_size"]), "max_position_embeddings": h["seq_len"],
        "hidden_act": "silu", "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "attention_bias": False,
        "tie_word_embeddings": shared, "bos_token_id": 1, "eos_token_id": 2,
        "torch_dtype": {"F32": "float32", "F16": "float16", "BF16": "bfloat16"}[dtype],
    }


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", default=os.path.join(here, "..", "..", "shared", "data", "stories260K", "stories260K.bin"))
    ap.add_argument("--out", required=True, help="output folder (created)")
    ap.add_argument("--dtype", choices=("F32", "F16", "BF16"), default="F32")
    ap.add_argument("--shards", type=int, default=1, help="N > 1 writes N shards and model.safetensors.index.json")
    a = ap.parse_args()
    h, shared, w = read_llama2c(a.bin)
    tensors = hf_tensors(h, shared, w)
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "config.json"), "w") as f:
        json.dump(config(h, shared, a.dtype), f, indent=2)
    n = max(1, min(a.shards, len(tensors)))
    if n == 1:
        write_safetensors(os.path.join(a.out, "model.safetensors"), tensors, a.dtype)
    else:
        per = -(-len(tensors) // n)
        weight_map, total = {}, 0
        for k in range(n):
            part = tensors[k * per:(k + 1) * per]
            fname = f"model-{k + 1:05d}-of-{n:05d}.safetensors"
            write_safetensors(os.path.join(a.out, fname), part, a.dtype)
            for name, arr in part:
                weight_map[name] = fname
                total += len(encode(arr, a.dtype))
        with open(os.path.join(a.out, "model.safetensors.index.json"), "w") as f:
            json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2)
    print(f"{a.out}: {len(tensors)} tensors, {a.dtype}, {n} file(s), tie_word_embeddings={shared}")


if __name__ == "__main__":
    main()
