#pragma once
/// \file model.hpp
/// The model module: model checkpoints (Hugging Face folders and shards, safetensors, llama2.c,
/// GGUF) behind one type, their architecture config, and the catalog of tensor roles.

#include "model/battery.hpp"
#include "model/catalog.hpp"
#include "model/checkpoint.hpp"
#include "model/config.hpp"
