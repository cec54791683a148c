#pragma once
/// \file tessera.hpp
/// Umbrella header: includes every tessera module. Each module also has its own umbrella
/// (tessera/<module>.hpp) and each concept its own header, for finer-grained includes.

#include "core.hpp"
#include "io.hpp"
#include "stats.hpp"
#include "simplex.hpp"
#include "spectral.hpp"
#include "projection.hpp"
#include "tt.hpp"
#include "ternary.hpp"
#include "align.hpp"
#include "compress.hpp"
#include "model.hpp"
#include "stream.hpp"
