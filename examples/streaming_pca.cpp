// PCA of an activation matrix larger than memory: writes a synthetic [rows, cols] float32
// activation matrix as .npy shards (a planted spectrum of `--planted` directions, a large shared
// mean, noise) in a few MB of memory, then fits tessera::stream::pca over the folder within
// --budget-mb, and reports time, GB/s, passes, explained variance and the process's peak RSS.
//
//   streaming_pca --gb 40 --dir /var/tmp/acts --peer --peer-shards 2   # the 40 GB run of docs/scale.md
//   streaming_pca --gb 1 --peer                      # plus sklearn IncrementalPCA on the same files
#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <tessera/core/blas.hpp>
#include <tessera/core/random.hpp>
#include <tessera/io/npy.hpp>
#include <tessera/stream.hpp>

#include "cli.hpp"

namespace fs = std::filesystem;

namespace
{
    /// Peak resident set of this process (VmHWM), in bytes.
    std::size_t peak_rss()
    {
        std::ifstream f("/proc/self/status");
        std::string line;
        while (std::getline(f, line))
            if (line.rfind("VmHWM:", 0) == 0)
                return static_cast<std::size_t>(std::stoull(line.substr(6))) * 1024;
        return 0;
    }

    double seconds_since(std::chrono::steady_clock::time_point t0)
    {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }

    /// The planted model: x = mean + sum_j z_j s_j r_j + noise, s_j = 4 * 0.9^j for j < planted,
    /// r_j rows of a fixed Gaussian [planted, cols] / sqrt(cols), noise N(0, 0.05^2). Rows are a
    /// pure function of (seed, row), so any shard can be regenerated alone.
    struct planted_model
    {
        std::size_t cols, planted;
        std::uint64_t seed;
        xt::xtensor<float, 2> R;  // [planted, cols], scaled by s_j
        std::vector<float> mean;

        planted_model(std::size_t c, std::size_t k, std::uint64_t s) : cols(c), planted(k), seed(s)
        {
            R = tessera::random_normal<float>(k, c, s, 1, 1.0f / std::sqrt(static_cast<float>(c)));
            for (std::size_t j = 0; j < k; ++j)
                for (std::size_t i = 0; i < c; ++i)
                    R(j, i) *= 4.0f * static_cast<float>(std::pow(0.9, static_cast<double>(j)));
            mean.resize(c);
            for (std::size_t i = 0; i < c; ++i)
                mean[i] = 3.0f + 0.5f * std::sin(static_cast<float>(i));
        }

        /// Rows [first, first + count) into out [count, cols].
        void rows(std::size_t first, std::size_t count, float* out) const
        {
            const tessera::counter_rng zr(seed, 2), nr(seed, 3);
            std::vector<float> Z(count * planted);
            tessera::fill_normal(Z.data(), Z.size(), zr, 1.0f, 2 * ((first * planted + 1) / 2));
            tessera::fill_normal(out, count * cols, nr, 0.05f, 2 * ((first * cols + 1) / 2));
            for (std::size_t i = 0; i < count; ++i)
                for (std::size_t c = 0; c < cols; ++c)
                    out[i * cols + c] += mean[c];
            tessera::blas::detail::gemm_raw(tessera::blas::op::none, tessera::blas::op::none, count, cols, planted, 1.0f,
                                            Z.data(), planted, R.data(), cols, 1.0f, out, cols);
        }

        /// Fraction of the total variance the planted directions hold (in expectation).
        double planted_fraction() const
        {
            double s = 0.0;
            for (std::size_t j = 0; j < planted; ++j)
                for (std::size_t i = 0; i < cols; ++i)
                    s += static_cast<double>(R(j, i)) * static_cast<double>(R(j, i));
            return s / (s + 0.05 * 0.05 * static_cast<double>(cols));
        }
    };

    /// Writes shard `path` with rows [first, first + count) of the model, 4096 rows at a time.
    void write_shard(const std::string& path, const planted_model& model, std::size_t first, std::size_t count)
    {
        const std::string header = tessera::io::format_npy_header(tessera::io::dtype::float32, {count, model.cols}, false);
        example::output_file out(path);
        std::FILE* f = std::fopen(out.temp().c_str(), "wb");
        if (!f)
            throw std::runtime_error("cannot write " + out.temp());
        bool ok = std::fwrite(header.data(), 1, header.size(), f) == header.size();
        std::vector<float> block(4096 * model.cols);
        for (std::size_t r = 0; r < count && ok; r += 4096)
        {
            const std::size_t n = std::min<std::size_t>(4096, count - r);
            model.rows(first + r, n, block.data());
            ok = std::fwrite(block.data(), sizeof(float), n * model.cols, f) == n * model.cols;
        }
        ok = std::fclose(f) == 0 && ok;
        if (!ok)
            throw std::runtime_error("write failed (disk full?): " + out.temp());
        out.commit();
    }
}  // namespace

int main(int argc, char** argv)
{
    return example::cli::run("streaming_pca", [&] {
        double gb = 1.0, shard_gb = 1.0;
        std::size_t cols = 1024, k = 32, planted = 32, budget_mb = 512, passes = 3, peer_shards = 0;
        std::string dir = (fs::temp_directory_path() / "tessera_activations").string(), method = "gram";
        bool keep = false, reuse = false, peer = false, progress = false;
        example::cli cli("streaming_pca",
                         "PCA of a synthetic activation matrix written to disk as .npy shards, read in blocks within a memory budget.");
        cli.add("--gb", gb, "size of the matrix to write, in GB (1e9 bytes of float32)", "G", 0.001, 1e4);
        cli.add("--cols", cols, "hidden size (columns)", "N", std::size_t(2), std::size_t(65536));
        cli.add("--rank", k, "principal components to fit", "K", std::size_t(1), std::size_t(4096));
        cli.add("--planted", planted, "planted directions of the synthetic data", "P", std::size_t(1), std::size_t(4096));
        cli.add("--shard-gb", shard_gb, "size of one .npy shard, in GB", "G", 0.001, 1e4);
        cli.add("--budget-mb", budget_mb, "memory budget of the fit (block buffers + accumulators)", "MB", std::size_t(1),
                std::size_t(1) << 20);
        cli.add("--method", method, "gram (one pass) or randomized (1 + --passes passes)", "M");
        cli.add("--passes", passes, "randomized: power passes", "Q", std::size_t(1), std::size_t(100));
        cli.add("--dir", dir, "folder for the shards", "PATH");
        cli.add("--reuse", reuse, "fit the shards already in --dir (written by an earlier run with the same sizes)");
        cli.add("--keep", keep, "leave the shards on disk");
        cli.add("--peer", peer, "also run sklearn IncrementalPCA on the same shards (benchmarks/peers/stream.py)");
        cli.add("--peer-shards", peer_shards, "--peer: time IncrementalPCA on the first N shards only (0 = all; it is ~100x slower)",
                "N", std::size_t(0), std::size_t(1) << 20);
        cli.add("--progress", progress, "draw the library's progress bar on stderr");
        if (!cli.parse(argc, argv))
            return 0;
        if (method != "gram" && method != "randomized")
            throw example::usage_error("--method expects gram or randomized, got '" + example::printable(method) + "'");
        if (k > cols)
            throw example::usage_error("--rank " + std::to_string(k) + " exceeds --cols " + std::to_string(cols));
        if (planted > cols)
            throw example::usage_error("--planted " + std::to_string(planted) + " exceeds --cols " + std::to_string(cols));
        const std::size_t row_bytes = cols * sizeof(float);
        const auto rows = static_cast<std::size_t>(gb * 1e9 / static_cast<double>(row_bytes));
        const auto n_shards = std::max<std::size_t>(1, static_cast<std::size_t>(std::llround(gb / shard_gb)));
        const std::size_t shard_rows = (rows + n_shards - 1) / n_shards;
        if (rows < 2)
            throw example::usage_error("--gb is too small for 2 rows of " + std::to_string(cols) + " columns");
        planted_model model(cols, planted, 20261204);

        fs::create_directories(dir);
        const auto t0 = std::chrono::steady_clock::now();
        if (!reuse)
        {
            for (const auto& e : fs::directory_iterator(dir))
                if (e.path().extension() == ".npy")
                    fs::remove(e.path());
            const auto space = fs::space(dir).available;
            if (space < rows * row_bytes + (std::size_t(1) << 30))
                throw std::runtime_error("--dir " + dir + " has " + std::to_string(space / 1000000000) + " GB free, the matrix needs " +
                                         std::to_string(rows * row_bytes / 1000000000 + 1) + " GB");
            example::progress bar("writing shards", n_shards);
            for (std::size_t first = 0, s = 0; first < rows; first += shard_rows, ++s)
            {
                char name[32];
                std::snprintf(name, sizeof name, "/part-%05zu.npy", s);
                write_shard(dir + name, model, first, std::min(shard_rows, rows - first));
                bar.tick();
            }
        }
        const double write_s = seconds_since(t0);
        const auto src = tessera::stream::open_folder(dir);
        if (src.cols() != cols || (!reuse && src.rows() != rows))
            throw std::runtime_error("the shards in " + dir + " hold [" + std::to_string(src.rows()) + ", " +
                                     std::to_string(src.cols()) + "], not [" + std::to_string(rows) + ", " + std::to_string(cols) + "]");
        const std::size_t rss_before = peak_rss();

        tessera::stream::svd_options o;
        o.method = method == "gram" ? tessera::stream::stream_method::gram : tessera::stream::stream_method::randomized;
        o.passes = passes;
        o.stream.memory_budget = budget_mb << 20;
        o.stream.progress_bar = progress;
        const auto t1 = std::chrono::steady_clock::now();
        const auto p = tessera::stream::pca<float>(src, k, o);
        const double fit_s = seconds_since(t1);
        double explained = 0.0;
        for (std::size_t j = 0; j < k; ++j)
            explained += static_cast<double>(p.explained_variance_ratio(j));

        std::printf("matrix          [%zu, %zu] float32, %.2f GB in %zu shards (%s)\n", src.rows(), src.cols(),
                    static_cast<double>(src.stored_bytes()) / 1e9, src.parts().size(), dir.c_str());
        if (!reuse)
            std::printf("written in      %.1f s (%.2f GB/s)\n", write_s, static_cast<double>(src.stored_bytes()) / 1e9 / write_s);
        std::printf("stream::pca     %s, k=%zu: %.1f s, %zu pass%s, %.2f GB/s read, block %zu rows\n", method.c_str(), k, fit_s,
                    p.report.passes, p.report.passes == 1 ? "" : "es", p.report.gb_per_second(), p.report.block_rows);
        std::printf("explained       %.4f of the variance by %zu components (planted: %.4f in %zu directions)\n", explained, k,
                    model.planted_fraction(), planted);
        std::printf("status          %s\n", p.status.ok() ? "ok" : example::printable(p.status.message).c_str());
        std::printf("memory          budget %zu MB, held %.1f MB (buffers %.1f + accumulators %.1f)\n", budget_mb,
                    static_cast<double>(p.report.peak_bytes()) / 1048576.0, static_cast<double>(p.report.buffer_bytes) / 1048576.0,
                    static_cast<double>(p.report.accumulator_bytes) / 1048576.0);
        std::printf("peak RSS        %.1f MB for the whole process (%.1f MB before the fit); the matrix is %.1f GB\n",
                    static_cast<double>(peak_rss()) / 1048576.0, static_cast<double>(rss_before) / 1048576.0,
                    static_cast<double>(src.stored_bytes()) / 1e9);
        std::printf("OpenBLAS        %s, %d threads\n", tessera::blas::core_name(), tessera::blas::num_threads());
        int rc = 0;
        if (peer)
        {
            const std::string cmd = "/usr/bin/python3 '" + (example::checkout_dir() / "benchmarks" / "peers" / "stream.py").string() +
                                    "' --incremental '" + dir + "' --rank " + std::to_string(k) + " --max-shards " +
                                    std::to_string(peer_shards) + " --tessera-seconds " + std::to_string(fit_s) +
                                    " --tessera-gb " + std::to_string(static_cast<double>(src.stored_bytes()) / 1e9) +
                                    " --tessera-explained " + std::to_string(explained);
            std::fflush(stdout);
            rc = std::system(cmd.c_str()) == 0 ? 0 : 1;
        }
        if (!keep && !reuse)
            fs::remove_all(dir);
        return rc;
    });
}
