#pragma once
/// \file compress.hpp
/// The compress module: one quality report for any approximation of an embedding matrix, and
/// word-similarity evaluation. (Compressed transformers are run and compared by the model
/// module: model/forward.hpp, model/divergence.hpp.) The shipped baselines (fp16, int8, int4)
/// and additive noise are compressed forms the report scores like any other.

#include "compress/baselines.hpp"
#include "compress/noise.hpp"
#include "compress/report.hpp"
#include "compress/word_similarity.hpp"
#include "compress/wordnet_probe.hpp"
