#pragma once
/// \file version.hpp
/// The one place tessera's version is defined; CMake reads it from here.

#define TESSERA_VERSION_MAJOR 0
#define TESSERA_VERSION_MINOR 1
#define TESSERA_VERSION_PATCH 0

namespace tessera
{
    /// tessera's version as "major.minor.patch".
    inline constexpr const char* version_string = "0.1.0";
    inline constexpr int version_major = TESSERA_VERSION_MAJOR;
    inline constexpr int version_minor = TESSERA_VERSION_MINOR;
    inline constexpr int version_patch = TESSERA_VERSION_PATCH;
}  // namespace tessera
