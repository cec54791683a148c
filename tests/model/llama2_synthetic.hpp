#pragma once
// A tiny synthetic llama2.c checkpoint written byte by byte from the format description, so
// the reader and forward pass are tested without ../shared/data.
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace llama2_test
{
    struct tiny
    {
        std::int32_t dim = 8, hidden = 12, layers = 2, heads = 2, kv_heads = 1, vocab = 10, seq_len = 6;
    };

    /// Number of float32 values after the header (classifier included when !shared).
    inline std::size_t float_count(const tiny& t, bool shared)
    {
        const std::size_t D = std::size_t(t.dim), H = std::size_t(t.hidden), L = std::size_t(t.layers),
                          V = std::size_t(t.vocab), K = std::size_t(t.kv_heads) * (D / std::size_t(t.heads));
        const std::size_t half = D / std::size_t(t.heads) / 2;
        return V * D + L * (2 * D + 2 * D * D + 2 * K * D + 3 * H * D) + D + 2 * std::size_t(t.seq_len) * half +
               (shared ? 0 : V * D);
    }

    /// Header (vocab negated when !shared) then float i = value(i).
    template <class F>
    std::vector<char> bytes(const tiny& t, bool shared, F value)
    {
        std::vector<char> out;
        auto put = [&](const void* p, std::size_t n) {
            const char* c = static_cast<const char*>(p);
            out.insert(out.end(), c, c + n);
        };
        const std::int32_t h[7] = {t.dim, t.hidden, t.layers, t.heads, t.kv_heads, shared ? t.vocab : -t.vocab,
                                   t.seq_len};
        put(h, sizeof h);
        const std::size_t n = float_count(t, shared);
        for (std::size_t i = 0; i < n; ++i)
        {
            const float v = value(i);
            put(&v, 4);
        }
        return out;
    }

    inline std::string write(const std::string& name, const std::vector<char>& b)
    {
        const auto p = std::filesystem::temp_directory_path() / ("tessera_llama2_" + name);
        std::ofstream(p, std::ios::binary).write(b.data(), static_cast<std::streamsize>(b.size()));
        return p.string();
    }
}  // namespace llama2_test
