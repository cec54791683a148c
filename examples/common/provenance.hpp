#pragma once
// Provenance of an example's report: what produced it, from which input, when. Written into the
// HTML, CSV (`# key: value` lines) and JSON outputs so a result can be traced and re-run.
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include <tessera/core/version.hpp>

#ifndef TESSERA_GIT_COMMIT
#define TESSERA_GIT_COMMIT "unknown"
#endif

namespace example
{
    /// FNV-1a 64-bit hash of a file's bytes, as 16 hex digits (a fast identity check of the
    /// input, not a cryptographic digest; scripts/fetch_data.sh keeps sha256 for downloads).
    /// Empty when the file cannot be read.
    inline std::string fnv1a64_file(const std::string& path)
    {
        std::ifstream in(path, std::ios::binary);
        if (!in)
            return "";
        std::uint64_t h = 0xcbf29ce484222325ull;
        std::vector<char> buf(1 << 20);
        while (in.read(buf.data(), static_cast<std::streamsize>(buf.size())) || in.gcount() > 0)
        {
            const auto n = static_cast<std::size_t>(in.gcount());
            for (std::size_t i = 0; i < n; ++i)
                h = (h ^ static_cast<unsigned char>(buf[i])) * 0x100000001b3ull;
        }
        char hex[17];
        std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
        return hex;
    }

    /// The current UTC time as ISO 8601, e.g. 2026-12-04T03:15:00Z.
    inline std::string utc_now()
    {
        const std::time_t t = std::time(nullptr);
        std::tm tm{};
        gmtime_r(&t, &tm);
        char buf[32];
        std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
        return buf;
    }

    /// The command line, arguments joined by spaces (arguments with spaces single-quoted).
    inline std::string command_line(int argc, char** argv)
    {
        std::string s;
        for (int i = 0; i < argc; ++i)
        {
            const std::string a = argv[i];
            s += (i ? " " : "") + (a.find_first_of(" \t'\"") == std::string::npos ? a : "'" + a + "'");
        }
        return s;
    }

    /// Ordered key/value pairs: seed, tessera version, git commit (at configure time; "unknown"
    /// outside a git checkout), command line, input path and FNV-1a 64 checksum, UTC date.
    inline std::vector<std::pair<std::string, std::string>> provenance(int argc, char** argv, const std::string& input,
                                                                       std::uint64_t seed)
    {
        return {{"tessera_version", tessera::version_string},
                {"git_commit", TESSERA_GIT_COMMIT},
                {"command", command_line(argc, argv)},
                {"input", input},
                {"input_fnv1a64", fnv1a64_file(input)},
                {"seed", std::to_string(seed)},
                {"date_utc", utc_now()}};
    }
}  // namespace example
