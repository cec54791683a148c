#!/usr/bin/env python3
"""Writes a llama2.c "v0" checkpoint (default: ../shared/data/stories260K/stories260K.bin) as a
Hugging Face llama-layout folder: config.json (LlamaConfig fields) and model.safetensors (or
shards model-0000k-of-0000n.safetensors with model.safetensors.index.json), or as a GGUF file
(--gguf FILE, llama.cpp's llama layout, F32 or F16), using only numpy.

    python3 scripts/write_stories_checkpoints.py --out DIR [--bin FILE] [--dtype F32|F16|BF16]
                                                 [--shards N]
    python3 scripts/write_stories_checkpoints.py --gguf FILE [--bin FILE] [--tokenizer tok512.bin]
                                                 [--dtype F32|F16]

Tensor names follow transformers' LlamaForCausalLM:
    model.embed_tokens.weight                          token_embedding [vocab, dim]
    model.layers.L.input_layernorm.weight              rms_att[L]
    model.layers.L.self_attn.{q,k,v,o}_proj.weight     wq, wk, wv, wo [out, in]
    model.layers.L.post_attention_layernorm.weight     rms_ffn[L]
    model.layers.L.mlp.{gate,down,up}_proj.weight      w1, w2, w3 [out, in]
    model.norm.weight                                  rms_final
    lm_head.weight                                     classifier (absent when tied)
freq_cis_* are not written: HF recomputes them from rope_theta (10000, as llama2.c's export).
config.json (rope_theta, rms_norm_eps) and the GGUF metadata (llama.rope.freq_base,
llama.attention.layer_norm_rms_epsilon) record llama2.c's values, 10000 and 1e-5 (constants of its
run.c, not stored in the .bin); model::load_llama reads them from there.

Rotary convention. llama2.c rotates the interleaved pairs (2i, 2i+1) of each head; HF's
rotate_half rotates the pairs (i, i + head/2). As transformers' convert_llama_weights_to_hf.py
does, the rows of q_proj and k_proj are permuted within each head,

    permute(w, heads) = w.reshape(heads, head // 2, 2, in).transpose(0, 2, 1, 3).reshape(out, in)

(row h*head + 2i + j goes to row h*head + j*head/2 + i), so an HF forward pass with these
weights computes the same attention as llama2.c's. k_proj uses num_key_value_heads. The inverse
(for checking) is w.reshape(heads, 2, head // 2, in).transpose(0, 2, 1, 3).reshape(out, in).

GGUF (version 3, alignment 32) follows llama.cpp's convert_hf_to_gguf.py for llama: tensors
token_embd, blk.L.{attn_norm,attn_q,attn_k,attn_v,attn_output,ffn_norm,ffn_gate,ffn_down,ffn_up},
output_norm (output absent when tied), ne = [in, out]; norms always F32. That script permutes HF's
q/k rows back to Meta's order, so GGUF holds wq and wk exactly as llama2.c does (no permutation
here). Metadata: general.architecture = "llama", llama.{context_length, embedding_length,
block_count, feed_forward_length, rope.dimension_count, attention.head_count,
attention.head_count_kv, attention.layer_norm_rms_epsilon, rope.freq_base}, and, when the
llama2.c tokenizer is given, tokenizer.ggml.{model, tokens, scores, token_type, bos/eos ids}.
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


GGUF_TYPES = {"u32": 4, "i32": 5, "f32": 6, "str": 8, "arr": 9}


def gguf_str(v):
    b = v.encode("utf-8")
    return np.uint64(len(b)).astype("<u8").tobytes() + b


def gguf_kv(key, kind, value):
    """One GGUF key/value: key, value type, value (arrays: (element kind, list))."""
    out = gguf_str(key) + np.uint32(GGUF_TYPES[kind]).astype("<u4").tobytes()
    if kind == "arr":
        ek, vals = value
        out += np.uint32(GGUF_TYPES[ek]).astype("<u4").tobytes() + np.uint64(len(vals)).astype("<u8").tobytes()
        if ek == "str":
            return out + b"".join(gguf_str(v) for v in vals)
        return out + np.asarray(vals, dtype={"u32": "<u4", "i32": "<i4", "f32": "<f4"}[ek]).tobytes()
    if kind == "str":
        return out + gguf_str(value)
    return out + np.asarray(value, dtype={"u32": "<u4", "i32": "<i4", "f32": "<f4"}[kind]).tobytes()


def read_tokenizer(path, vocab):
    """Tokens and scores of a llama2.c tokenizer (tok512.bin), in sentencepiece spelling."""
    raw = open(path, "rb").read()
    at, tokens, scores = 4, [], []
    for _ in range(vocab):
        score, n = np.frombuffer(raw, "<f4", 1, at)[0], int(np.frombuffer(raw, "<i4", 1, at + 4)[0])
        tokens.append(raw[at + 8:at + 8 + n].decode("utf-8").replace(" ", "\u2581"))
        scores.append(float(score))
        at += 8 + n
    tokens[0:3] = ["<unk>", "<s>", "</s>"]  # llama2.c's export spells these "\n<s>\n", "\n</s>\n"
    return tokens, scores


def write_gguf(path, h, shared, w, dtype, tokenizer=None):
    """llama2.c arrays as a GGUF llama file (see the module doc)."""
    L, head = h["n_layers"], h["dim"] // h["n_heads"]
    tensors = [("token_embd.weight", w["token_embedding"])]
    for l in range(L):
        p = f"blk.{l}."
        tensors += [(p + "attn_norm.weight", w["rms_att"][l]), (p + "attn_q.weight", w["wq"][l]),
                    (p + "attn_k.weight", w["wk"][l]), (p + "attn_v.weight", w["wv"][l]),
                    (p + "attn_output.weight", w["wo"][l]), (p + "ffn_norm.weight", w["rms_ffn"][l]),
                    (p + "ffn_gate.weight", w["w1"][l]), (p + "ffn_down.weight", w["w2"][l]),
                    (p + "ffn_up.weight", w["w3"][l])]
    tensors.append(("output_norm.weight", w["rms_final"]))
    if not shared:
        tensors.append(("output.weight", w["classifier"]))
    kv = [gguf_kv("general.architecture", "str", "llama"), gguf_kv("general.name", "str", "stories260K"),
          gguf_kv("general.alignment", "u32", 32), gguf_kv("general.file_type", "u32", 0 if dtype == "F32" else 1),
          gguf_kv("llama.context_length", "u32", h["seq_len"]), gguf_kv("llama.embedding_length", "u32", h["dim"]),
          gguf_kv("llama.block_count", "u32", L), gguf_kv("llama.feed_forward_length", "u32", h["hidden_dim"]),
          gguf_kv("llama.rope.dimension_count", "u32", head), gguf_kv("llama.attention.head_count", "u32", h["n_heads"]),
          gguf_kv("llama.attention.head_count_kv", "u32", h["n_kv_heads"]),
          gguf_kv("llama.attention.layer_norm_rms_epsilon", "f32", 1e-5), gguf_kv("llama.rope.freq_base", "f32", 10000.0)]
    if tokenizer:
        tokens, scores = read_tokenizer(tokenizer, abs(h["vocab_size"]))
        types = [2 if i == 0 else 3 if i < 3 else 6 if t.startswith("<0x") and t.endswith(">") else 1
                 for i, t in enumerate(tokens)]
        kv += [gguf_kv("tokenizer.ggml.model", "str", "llama"), gguf_kv("tokenizer.ggml.tokens", "arr", ("str", tokens)),
               gguf_kv("tokenizer.ggml.scores", "arr", ("f32", scores)),
               gguf_kv("tokenizer.ggml.token_type", "arr", ("i32", types)),
               gguf_kv("tokenizer.ggml.bos_token_id", "u32", 1), gguf_kv("tokenizer.ggml.eos_token_id", "u32", 2)]
    infos, blobs, off = [], [], 0
    for name, a in tensors:
        t = "F32" if a.ndim == 1 else dtype  # llama.cpp keeps norms in F32
        b = np.ascontiguousarray(a, dtype="<f4" if t == "F32" else "<f2").tobytes()
        infos.append(gguf_str(name) + np.uint32(a.ndim).astype("<u4").tobytes() +
                     np.asarray(a.shape[::-1], dtype="<u8").tobytes() +
                     np.uint32(0 if t == "F32" else 1).astype("<u4").tobytes() + np.uint64(off).astype("<u8").tobytes())
        blobs.append(b + b"\0" * (-len(b) % 32))
        off += len(blobs[-1])
    head_bytes = (b"GGUF" + np.uint32(3).astype("<u4").tobytes() + np.uint64(len(tensors)).astype("<u8").tobytes() +
                  np.uint64(len(kv)).astype("<u8").tobytes() + b"".join(kv) + b"".join(infos))
    with open(path, "wb") as f:
        f.write(head_bytes + b"\0" * (-len(head_bytes) % 32))
        for b in blobs:
            f.write(b)
    return len(tensors)


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
    ap.add_argument("--out", help="output folder (created)")
    ap.add_argument("--gguf", help="write a GGUF file instead of a folder")
    ap.add_argument("--tokenizer", help="llama2.c tokenizer (tok512.bin) to embed in the GGUF file")
    ap.add_argument("--dtype", choices=("F32", "F16", "BF16"), default="F32")
    ap.add_argument("--shards", type=int, default=1, help="N > 1 writes N shards and model.safetensors.index.json")
    a = ap.parse_args()
    if bool(a.out) == bool(a.gguf):
        ap.error("give exactly one of --out DIR and --gguf FILE")
    h, shared, w = read_llama2c(a.bin)
    if a.gguf:
        if a.dtype == "BF16":
            ap.error("--gguf writes F32 or F16")
        n = write_gguf(a.gguf, h, shared, w, a.dtype, a.tokenizer)
        print(f"{a.gguf}: {n} tensors, {a.dtype}, tie_word_embeddings={shared}")
        return
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
