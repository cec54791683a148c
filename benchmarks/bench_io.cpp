// io: reading the 341,479 x 100 float32 GloVe .npy (136.6 MB, warm page cache) through the
// copying reader (read_npy) and the zero-copy mapped view (map_npy + one pass over the data),
// beside raw baselines (fread of the whole file; a plain sum over an in-memory copy), plus the
// float16 decode of the bundled 10,000 x 100 matrix against a memcpy of the same byte count.
// GGUF: dequantizing a synthetic 4096 x 4096 Q4_K / Q6_K / Q8_0 tensor to float32 (bytes/s of
// float output) beside a memcpy of the same output size.
// Peer: benchmarks/peers/io.py (numpy.load, numpy.load(mmap_mode='r'), gguf-py's numpy dequantize).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <tessera/io/gguf.hpp>
#include <tessera/io/npy.hpp>

namespace io = tessera::io;

namespace
{
    std::string glove_path()
    {
        const char* env = std::getenv("TESSERA_DATA_DIR");
        return std::string(env && *env ? env : TESSERA_SOURCE_DIR "/data") + "/glove100d.npy";
    }
    std::string bundled_path() { return std::string(TESSERA_SOURCE_DIR) + "/examples/data/glove100d_top10k.npy"; }
    bool exists(const std::string& p)
    {
        std::FILE* f = std::fopen(p.c_str(), "rb");
        if (f)
            std::fclose(f);
        return f != nullptr;
    }

    // One pass over n floats with 16 independent accumulators (vectorizes without -ffast-math).
    double sum(const float* p, std::size_t n)
    {
        float acc[16] = {};
        std::size_t i = 0;
        for (; i + 16 <= n; i += 16)
            for (std::size_t j = 0; j < 16; ++j)
                acc[j] += p[i + j];
        double s = 0;
        for (; i < n; ++i)
            s += p[i];
        for (float a : acc)
            s += a;
        return s;
    }

    // Library: copying read into a fresh xt::xtensor<float, 2>.
    void BM_io_read_npy_copy(benchmark::State& state)
    {
        const std::string p = glove_path();
        if (!exists(p))
            return state.SkipWithError("glove100d.npy missing: run scripts/fetch_data.sh");
        std::size_t bytes = 0;
        for (auto _ : state)
        {
            auto m = io::read_npy<float>(p);
            benchmark::DoNotOptimize(m.data());
            bytes = m.size() * sizeof(float);
        }
        state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
    }
    BENCHMARK(BM_io_read_npy_copy)->Unit(benchmark::kMillisecond)->UseRealTime();

    // Raw baseline: fread of the whole file into a preallocated buffer.
    void BM_io_raw_fread(benchmark::State& state)
    {
        const std::string p = glove_path();
        if (!exists(p))
            return state.SkipWithError("glove100d.npy missing: run scripts/fetch_data.sh");
        const auto h = io::read_npy_header(p);
        std::vector<char> buf(h.data_offset + h.data_bytes);
        for (auto _ : state)
        {
            std::FILE* f = std::fopen(p.c_str(), "rb");
            const std::size_t got = std::fread(buf.data(), 1, buf.size(), f);
            std::fclose(f);
            benchmark::DoNotOptimize(got);
        }
        state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * h.data_bytes));
    }
    BENCHMARK(BM_io_raw_fread)->Unit(benchmark::kMillisecond)->UseRealTime();

    // Library: map only (header validated, no data touched): O(1).
    void BM_io_map_npy_open(benchmark::State& state)
    {
        const std::string p = glove_path();
        if (!exists(p))
            return state.SkipWithError("glove100d.npy missing: run scripts/fetch_data.sh");
        for (auto _ : state)
        {
            auto m = io::map_npy<float>(p);
            benchmark::DoNotOptimize(m.data());
        }
    }
    BENCHMARK(BM_io_map_npy_open)->Unit(benchmark::kMicrosecond)->UseRealTime();

    // Library: map + one pass over every value (touches every page of the mapping).
    void BM_io_map_npy_sum(benchmark::State& state)
    {
        const std::string p = glove_path();
        if (!exists(p))
            return state.SkipWithError("glove100d.npy missing: run scripts/fetch_data.sh");
        std::size_t bytes = 0;
        for (auto _ : state)
        {
            auto m = io::map_npy<float>(p);
            benchmark::DoNotOptimize(sum(m.data(), m.view().size()));
            bytes = m.view().size() * sizeof(float);
        }
        state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
    }
    BENCHMARK(BM_io_map_npy_sum)->Unit(benchmark::kMillisecond)->UseRealTime();

    // Raw baseline: the same pass over an in-memory copy (no page faults): the pass's own cost.
    void BM_io_raw_sum_in_memory(benchmark::State& state)
    {
        const std::string p = glove_path();
        if (!exists(p))
            return state.SkipWithError("glove100d.npy missing: run scripts/fetch_data.sh");
        const auto m = io::read_npy<float>(p);
        for (auto _ : state)
            benchmark::DoNotOptimize(sum(m.data(), m.size()));
        state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * m.size() * sizeof(float)));
    }
    BENCHMARK(BM_io_raw_sum_in_memory)->Unit(benchmark::kMillisecond)->UseRealTime();

    // Library: float16 .npy -> float (the bundled 10,000 x 100 matrix, 2 MB).
    void BM_io_read_npy_f16(benchmark::State& state)
    {
        const std::string p = bundled_path();
        std::size_t n = 0;
        for (auto _ : state)
        {
            auto m = io::read_npy<float>(p);
            benchmark::DoNotOptimize(m.data());
            n = m.size();
        }
        state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n));
    }
    BENCHMARK(BM_io_read_npy_f16)->Unit(benchmark::kMicrosecond)->UseRealTime();

    // Library kernels: bulk float16 <-> float over 1M values; raw baseline: memcpy of 4 MB.
    void BM_io_half_to_float(benchmark::State& state)
    {
        const std::size_t n = 1 << 20;
        std::vector<std::uint16_t> h(n);
        for (std::size_t i = 0; i < n; ++i)
            h[i] = static_cast<std::uint16_t>((i * 2654435761u) & 0x7bffu);
        std::vector<float> f(n);
        for (auto _ : state)
        {
            tessera::half_to(h.data(), f.data(), n);
            benchmark::DoNotOptimize(f.data());
        }
        state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n));
    }
    BENCHMARK(BM_io_half_to_float)->Unit(benchmark::kMicrosecond)->UseRealTime();

    void BM_io_float_to_half(benchmark::State& state)
    {
        const std::size_t n = 1 << 20;
        std::vector<float> f(n);
        for (std::size_t i = 0; i < n; ++i)
            f[i] = static_cast<float>(i % 4099) * 0.37f - 700.0f;
        std::vector<std::uint16_t> h(n);
        for (auto _ : state)
        {
            tessera::to_half(f.data(), h.data(), n);
            benchmark::DoNotOptimize(h.data());
        }
        state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n));
    }
    BENCHMARK(BM_io_float_to_half)->Unit(benchmark::kMicrosecond)->UseRealTime();

    void BM_io_raw_memcpy_4mb(benchmark::State& state)
    {
        const std::size_t n = 1 << 20;
        std::vector<float> a(n, 1.0f), b(n);
        for (auto _ : state)
        {
            std::memcpy(b.data(), a.data(), n * sizeof(float));
            benchmark::DoNotOptimize(b.data());
        }
        state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n));
    }
    BENCHMARK(BM_io_raw_memcpy_4mb)->Unit(benchmark::kMicrosecond)->UseRealTime();
    // GGUF dequantization of a 4096 x 4096 tensor held in memory (the mapped file's bytes): byte i
    // = (i * 2654435761) >> 13, every block's fp16 scale fields set to 1.0 (0x3C00).
    std::vector<unsigned char> gguf_synthetic(io::ggml_type t, std::size_t count)
    {
        const io::ggml_type_traits tr = io::ggml_traits(static_cast<std::uint32_t>(t));
        std::vector<unsigned char> b(count / tr.block * tr.bytes);
        for (std::size_t i = 0; i < b.size(); ++i)
            b[i] = static_cast<unsigned char>((i * 2654435761u) >> 13);
        const std::vector<std::size_t> fields = t == io::ggml_type::q4_k ? std::vector<std::size_t>{0, 2}
                                                : t == io::ggml_type::q6_k ? std::vector<std::size_t>{208}
                                                                           : std::vector<std::size_t>{0};
        for (std::size_t k = 0; k < b.size(); k += tr.bytes)
            for (std::size_t f : fields)
            {
                b[k + f] = 0x00;
                b[k + f + 1] = 0x3C;
            }
        return b;
    }
    void BM_io_gguf_dequantize(benchmark::State& state)
    {
        const auto t = static_cast<io::ggml_type>(state.range(0));
        const std::size_t n = std::size_t(4096) * 4096;
        const std::vector<unsigned char> q = gguf_synthetic(t, n);
        std::vector<float> out(n);
        for (auto _ : state)
        {
            io::dequantize(t, q.data(), n, out.data());
            benchmark::DoNotOptimize(out.data());
        }
        state.SetLabel(io::ggml_type_name(t));
        state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * n * sizeof(float)));
    }
    BENCHMARK(BM_io_gguf_dequantize)->Arg(12)->Arg(14)->Arg(8)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(0.5);

    void BM_io_raw_memcpy_64mb(benchmark::State& state)
    {
        const std::size_t n = std::size_t(4096) * 4096;
        std::vector<float> a(n, 1.0f), b(n, 0.0f);
        for (auto _ : state)
        {
            std::memcpy(b.data(), a.data(), n * sizeof(float));
            benchmark::DoNotOptimize(b.data());
        }
        state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * n * sizeof(float)));
    }
    BENCHMARK(BM_io_raw_memcpy_64mb)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(0.5);
}  // namespace

// WordNet 3.0 (Debian wordnet-base, /usr/share/wordnet): parsing every noun synset, pointer and
// index lemma (read_wordnet) beside the raw floor of one memchr pass over the same two files, and
// word path similarity (max over noun senses, nltk's definition) on the noun pairs of
// tests/fixtures/wordnet/pairs.tsv. Peer: nltk 3.8's WordNetCorpusReader (benchmarks/peers/io.py).
#include <fstream>
#include <sstream>

#include <tessera/io/wordnet.hpp>
#include <tessera/io/wordnet_path.hpp>

namespace
{
    const std::string k_wordnet = "/usr/share/wordnet";

    void BM_io_wordnet_read_nouns(benchmark::State& state)
    {
        if (!exists(k_wordnet + "/data.noun"))
            return state.SkipWithError("/usr/share/wordnet/data.noun missing: scripts/bootstrap.sh installs wordnet-base");
        std::size_t synsets = 0;
        for (auto _ : state)
        {
            const auto wn = io::read_wordnet(k_wordnet);
            synsets = wn.size();
            benchmark::DoNotOptimize(synsets);
        }
        state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * synsets));
    }
    BENCHMARK(BM_io_wordnet_read_nouns)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(1.0);

    void BM_io_raw_wordnet_line_scan(benchmark::State& state)
    {
        if (!exists(k_wordnet + "/data.noun"))
            return state.SkipWithError("/usr/share/wordnet/data.noun missing: scripts/bootstrap.sh installs wordnet-base");
        std::size_t bytes = 0;
        for (auto _ : state)
        {
            std::size_t lines = 0;
            bytes = 0;
            for (const char* f : {"/data.noun", "/index.noun"})
            {
                const io::mapped_file m(k_wordnet + f);
                const auto* p = reinterpret_cast<const char*>(m.data());
                const char* end = p + m.size();
                while ((p = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)))) != nullptr)
                    ++p, ++lines;
                bytes += m.size();
            }
            benchmark::DoNotOptimize(lines);
        }
        state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
    }
    BENCHMARK(BM_io_raw_wordnet_line_scan)->Unit(benchmark::kMillisecond)->UseRealTime();

    void BM_io_wordnet_word_path_similarity(benchmark::State& state)
    {
        if (!exists(k_wordnet + "/data.noun"))
            return state.SkipWithError("/usr/share/wordnet/data.noun missing: scripts/bootstrap.sh installs wordnet-base");
        const auto wn = io::read_wordnet(k_wordnet);
        std::vector<std::pair<std::string, std::string>> pairs;
        std::ifstream in(TESSERA_SOURCE_DIR "/tests/fixtures/wordnet/pairs.tsv");
        for (std::string line; std::getline(in, line);)
        {
            std::istringstream f(line);
            std::string pos, a, b;
            if (f >> pos >> a >> b && pos == "n")
                pairs.emplace_back(a, b);
        }
        if (pairs.empty())
            return state.SkipWithError("tests/fixtures/wordnet/pairs.tsv missing");
        for (auto _ : state)
            for (const auto& [a, b] : pairs)
                benchmark::DoNotOptimize(io::word_path_similarity(wn, a, b));
        state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * pairs.size()));
        state.SetLabel(std::to_string(pairs.size()) + " noun pairs");
    }
    BENCHMARK(BM_io_wordnet_word_path_similarity)->Unit(benchmark::kMillisecond)->UseRealTime();
}  // namespace
