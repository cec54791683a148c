#pragma once
/// \file compress.hpp
/// The compress module: one quality report for any approximation of an embedding matrix,
/// word-similarity evaluation, and a llama2.c transformer whose matrices can be compressed
/// and re-run (next-token KL divergence, top-1 agreement).

#include "compress/llama2.hpp"
#include "compress/llama2_checkpoint.hpp"
#include "compress/llama2_divergence.hpp"
#include "compress/llama2_tokenizer.hpp"
#include "compress/report.hpp"
#include "compress/word_similarity.hpp"
