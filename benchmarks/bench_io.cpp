// io: reading the 341,479 x 100 float32 GloVe .npy (136.6 MB, warm page cache) through the
// copying reader (read_npy) and the zero-copy mapped view (map_npy + one pass over the data),
// beside raw baselines (fread of the whole file; a plain sum over an in-memory copy), plus the
// float16 decode of the bundled 10,000 x 100 matrix against a memcpy of the same byte count.
// Peer: benchmarks/peers/io.py (numpy.load, numpy.load(mmap_mode='r')).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
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
            io::half_to(h.data(), f.data(), n);
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
            io::to_half(f.data(), h.data(), n);
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
}  // namespace
