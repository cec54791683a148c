// model: the whole weight-terrain battery (model::run_battery) on a synthetic 0.5B-parameter
// llama-layout checkpoint (Qwen2-0.5B shapes: hidden 896, ffn 4864, 14 heads, 2 KV heads, vocab
// 151936, tied embedding), float32, one .safetensors file written here with a fixed seed.
// BM_model_write_checkpoint/L writes the file (L layers; streamed, 1 MB buffer) and is the raw
// baseline (bytes/s of plain sequential writing); BM_model_battery/L runs the battery on it.
// L = 2 is the quick size (bench.sh --quick), L = 24 the real model (~2 GB on disk).
// It is written as a Hugging Face folder (model.safetensors + config.json with the head counts)
// into $TESSERA_BENCH_MODEL_DIR when set (kept: peers/model.py reads it), else into a temporary
// folder removed at exit.
// Counters: peak_rss_MB (getrusage ru_maxrss: the process's lifetime peak, file-backed mapped
// pages of the checkpoint included), peak_anon_MB (the largest RssAnon — anonymous memory: heap,
// OpenBLAS buffers, thread stacks; no file pages — sampled every 2 ms by a thread during the
// battery, minus RssAnon before it: what the battery itself holds), largest_tensor_MB (the
// embedding, 545 MB as float32) and anon_over_largest = peak_anon_MB / largest_tensor_MB (goal < 2).
// Peer: benchmarks/peers/model.py (numpy/torch on the same file).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <sys/resource.h>
#include <unistd.h>

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>
#include <tessera/core/errors.hpp>
#include <tessera/core/random.hpp>
#include <tessera/model/battery.hpp>

namespace mdl = tessera::model;

namespace
{
    constexpr std::size_t hidden = 896, ffn = 4864, heads = 14, kv_heads = 2, vocab = 151936;
    constexpr std::size_t head_dim = hidden / heads;

    struct tensor_spec
    {
        std::string name;
        std::size_t rows, cols;
    };

    std::vector<tensor_spec> layout(std::size_t layers)
    {
        std::vector<tensor_spec> t{{"model.embed_tokens.weight", vocab, hidden}};
        for (std::size_t l = 0; l < layers; ++l)
        {
            const std::string p = "model.layers." + std::to_string(l) + ".";
            t.push_back({p + "input_layernorm.weight", hidden, 0});
            t.push_back({p + "self_attn.q_proj.weight", heads * head_dim, hidden});
            t.push_back({p + "self_attn.k_proj.weight", kv_heads * head_dim, hidden});
            t.push_back({p + "self_attn.v_proj.weight", kv_heads * head_dim, hidden});
            t.push_back({p + "self_attn.o_proj.weight", hidden, heads * head_dim});
            t.push_back({p + "post_attention_layernorm.weight", hidden, 0});
            t.push_back({p + "mlp.gate_proj.weight", ffn, hidden});
            t.push_back({p + "mlp.up_proj.weight", ffn, hidden});
            t.push_back({p + "mlp.down_proj.weight", hidden, ffn});
        }
        t.push_back({"model.norm.weight", hidden, 0});
        return t;
    }

    /// Writes the checkpoint folder: config.json, and model.safetensors with each tensor's float32 values: uniform with std 0.02 / sqrt(fan-in / 896) (norms: 1), drawn from
    /// counter_rng(seed 16, stream = tensor index) by position.
    std::uint64_t write_checkpoint(const std::string& dir, std::size_t layers)
    {
        std::filesystem::create_directories(dir);
        std::ofstream(dir + "/config.json")
            << nlohmann::json{{"architectures", {"Qwen2ForCausalLM"}}, {"model_type", "qwen2"}, {"hidden_size", hidden},
                              {"intermediate_size", ffn}, {"num_hidden_layers", layers}, {"num_attention_heads", heads},
                              {"num_key_value_heads", kv_heads}, {"vocab_size", vocab}, {"tie_word_embeddings", true}}
                   .dump(1);
        const std::string path = dir + "/model.safetensors";
        const auto specs = layout(layers);
        nlohmann::json h;
        std::uint64_t off = 0;
        for (const auto& s : specs)
        {
            const std::uint64_t n = s.cols ? s.rows * s.cols : s.rows;
            h[s.name] = {{"dtype", "F32"},
                         {"shape", s.cols ? nlohmann::json::array({s.rows, s.cols}) : nlohmann::json::array({s.rows})},
                         {"data_offsets", {off, off + 4 * n}}};
            off += 4 * n;
        }
        std::string header = h.dump();
        header.append((8 - header.size() % 8) % 8, ' ');
        std::FILE* f = std::fopen(path.c_str(), "wb");
        tessera::require(f != nullptr, "bench_model", "cannot write ", path);
        const std::uint64_t hs = header.size();
        std::fwrite(&hs, 8, 1, f);
        std::fwrite(header.data(), 1, header.size(), f);
        std::vector<float> buf(1 << 18);
        for (std::size_t ti = 0; ti < specs.size(); ++ti)
        {
            const auto& s = specs[ti];
            const tessera::counter_rng rng(16, ti);
            const std::uint64_t n = s.cols ? s.rows * s.cols : s.rows;
            const double a = s.cols ? 0.02 * std::sqrt(3.0 * 896.0 / static_cast<double>(s.cols)) : 0.0;
            for (std::uint64_t i0 = 0; i0 < n; i0 += buf.size())
            {
                const std::size_t m = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), n - i0));
                for (std::size_t i = 0; i < m; ++i)
                    buf[i] = s.cols ? static_cast<float>(a * (2.0 * rng.uniform<double>(i0 + i) - 1.0)) : 1.0f;
                tessera::require(std::fwrite(buf.data(), 4, m, f) == m, "bench_model", "short write to ", path);
            }
        }
        tessera::require(std::fclose(f) == 0, "bench_model", "cannot close ", path);
        return 8 + hs + off;
    }

    /// One checkpoint file per layer count, written on first use, removed at exit unless
    /// $TESSERA_BENCH_MODEL_FILE names it.
    struct checkpoint_file
    {
        std::string path;
        bool keep = false;
        ~checkpoint_file()
        {
            if (!keep && !path.empty())
                std::filesystem::remove_all(path);
        }
    };

    std::string path_for(std::size_t layers, bool& keep)
    {
        const char* env = std::getenv("TESSERA_BENCH_MODEL_DIR");
        keep = env && *env;
        return keep ? std::string(env) : (std::filesystem::temp_directory_path() /
                                          ("tessera_bench_model_" + std::to_string(::getpid()) + "_" + std::to_string(layers)))
                                             .string();
    }

    const std::string& checkpoint_path(std::size_t layers)
    {
        static std::map<std::size_t, std::unique_ptr<checkpoint_file>> files;
        auto& f = files[layers];
        if (!f)
        {
            f = std::make_unique<checkpoint_file>();
            f->path = path_for(layers, f->keep);
            write_checkpoint(f->path, layers);
        }
        return f->path;
    }

    double rss_field_mb(const char* field)
    {
        std::ifstream in("/proc/self/status");
        for (std::string line; std::getline(in, line);)
            if (line.rfind(field, 0) == 0)
                return std::stod(line.substr(std::string(field).size())) * 1024.0 / 1e6;
        return 0.0;
    }

    void BM_model_write_checkpoint(benchmark::State& state)
    {
        const auto layers = static_cast<std::size_t>(state.range(0));
        bool keep = false;
        const std::string path = path_for(layers, keep);
        std::uint64_t bytes = 0;
        for (auto _ : state)
            bytes = write_checkpoint(path, layers);
        if (!keep)
            std::filesystem::remove_all(path);
        state.SetBytesProcessed(static_cast<std::int64_t>(bytes) * state.iterations());
        state.counters["file_MB"] = static_cast<double>(bytes) / 1e6;
    }
    BENCHMARK(BM_model_write_checkpoint)->Arg(2)->Arg(24)->Unit(benchmark::kSecond)->Iterations(1)->Repetitions(1);

    void BM_model_battery(benchmark::State& state)
    {
        const auto layers = static_cast<std::size_t>(state.range(0));
        const std::string& path = checkpoint_path(layers);
        double peak_anon = 0.0;
        std::size_t weights = 0;
        for (auto _ : state)
        {
            const double base = rss_field_mb("RssAnon:");
            std::atomic<bool> stop{false};
            std::atomic<double> peak{0.0};
            std::thread sampler([&] {
                while (!stop.load())
                {
                    peak.store(std::max(peak.load(), rss_field_mb("RssAnon:")));
                    std::this_thread::sleep_for(std::chrono::milliseconds(2));
                }
            });
            const mdl::checkpoint ck(path);
            const auto rep = mdl::run_battery(ck);
            weights = rep.tensors.size();
            benchmark::DoNotOptimize(rep.tensors.data());
            stop.store(true);
            sampler.join();
            peak_anon = std::max(peak_anon, peak.load() - base);
        }
        rusage ru{};
        getrusage(RUSAGE_SELF, &ru);
        state.counters["peak_rss_MB"] = static_cast<double>(ru.ru_maxrss) * 1024.0 / 1e6;
        state.counters["peak_anon_MB"] = peak_anon;
        state.counters["largest_tensor_MB"] = static_cast<double>(vocab * hidden * 4) / 1e6;
        state.counters["anon_over_largest"] = peak_anon / (static_cast<double>(vocab * hidden * 4) / 1e6);
        state.counters["weights"] = static_cast<double>(weights);
        state.counters["layers"] = static_cast<double>(layers);
    }
    BENCHMARK(BM_model_battery)->Arg(2)->Unit(benchmark::kSecond)->Iterations(1)->Repetitions(3);
    BENCHMARK(BM_model_battery)->Arg(24)->Unit(benchmark::kSecond)->Iterations(1)->Repetitions(1);
}  // namespace
