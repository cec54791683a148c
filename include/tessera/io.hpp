#pragma once
/// \file io.hpp
/// The io module: .npy (read, write, memory-mapped view), float16/bfloat16 conversion,
/// safetensors, GGUF (llama.cpp models), word-vector text/binary formats, the importers for the fetched datasets, and the WordNet
/// database reader with path similarity.

#include "io/dtype.hpp"
#include "io/gguf.hpp"
#include "io/mapped_file.hpp"
#include "io/npy.hpp"
#include "io/npy_header.hpp"
#include "io/safetensors.hpp"
#include "io/tfjs.hpp"
#include "io/wink.hpp"
#include "io/word_vectors.hpp"
#include "io/wordnet.hpp"
#include "io/wordnet_path.hpp"
