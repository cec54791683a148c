#pragma once
/// \file model.hpp
/// The model module: model checkpoints (Hugging Face folders and shards, safetensors, llama2.c,
/// GGUF) behind one type, their architecture config, the catalog of tensor roles, the llama2.c
/// reader and tokenizer, the llama forward pass over linear operators (dense, low-rank, TT,
/// packed ternary), next-token divergence, and the weight-terrain battery.

#include "model/battery.hpp"
#include "model/catalog.hpp"
#include "model/checkpoint.hpp"
#include "model/config.hpp"
#include "model/divergence.hpp"
#include "model/forward.hpp"
#include "model/linear_operator.hpp"
#include "model/llama.hpp"
#include "model/llama2_checkpoint.hpp"
#include "model/llama2_tokenizer.hpp"
