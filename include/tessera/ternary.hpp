#pragma once
/// \file ternary.hpp
/// The ternary module: absmean ternary quantization (BitNet b1.58), tessera's 2-bit and
/// base-3 packed layouts, bit-exact converters for ggml TQ2_0/TQ1_0 and bitnet.cpp I2_S,
/// int8 activation quantization, and packed GEMV/GEMM kernels (scalar, AVX2, AVX-512 VNNI).

#include "ternary/activations.hpp"
#include "ternary/formats.hpp"
#include "ternary/matmul.hpp"
#include "ternary/pack.hpp"
#include "ternary/packed.hpp"
#include "ternary/quantize.hpp"
