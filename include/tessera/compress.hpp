#pragma once
/// \file compress.hpp
/// The compress module: one quality report for any approximation of an embedding matrix, and
/// word-similarity evaluation. (Compressed transformers are run and compared by the model
/// module: model/forward.hpp, model/divergence.hpp.) The shipped baselines (fp16, int8, int4)
/// and additive noise are compressed forms the report scores like any other. Compressed forms
/// are saved and loaded bit for bit as safetensors (export.hpp) and ternary ones as GGUF
/// TQ1_0 / TQ2_0 (export_gguf.hpp).

#include "compress/baselines.hpp"
#include "compress/export.hpp"
#include "compress/export_gguf.hpp"
#include "compress/noise.hpp"
#include "compress/report.hpp"
#include "compress/word_similarity.hpp"
#include "compress/wordnet_probe.hpp"
