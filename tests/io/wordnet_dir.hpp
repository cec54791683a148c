#pragma once
// Where the tests find WordNet 3.0: $TESSERA_WORDNET_DIR, else Debian wordnet-base's
// /usr/share/wordnet (installed by scripts/bootstrap.sh); empty when data.noun is absent.
#include <cstdlib>
#include <filesystem>
#include <string>

namespace tessera_test
{
    inline std::filesystem::path wordnet_dir()
    {
        const char* env = std::getenv("TESSERA_WORDNET_DIR");
        const std::filesystem::path p = env && *env ? env : "/usr/share/wordnet";
        return std::filesystem::exists(p / "data.noun") ? p : std::filesystem::path();
    }
}  // namespace tessera_test
