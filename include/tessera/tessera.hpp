#pragma once
/// \file tessera.hpp
/// Umbrella header: includes every tessera module. Each module also has its own umbrella
/// (tessera/<module>.hpp) and each concept its own header, for finer-grained includes.

#include "core.hpp"
#include "io.hpp"
#include "spectral.hpp"
#include "stats.hpp"
