// Compress a 1024 x 256 weight matrix into a TT-matrix, inspect its bonds, multiply without
// densifying, and ask the shape helpers how to factor a 50265-token vocabulary.
// Usage: tt_layer [--export PATH]   (--export: the TT-matrix as safetensors, compress/export.hpp)
#include <cstdio>
#include <filesystem>
#include <string>

#include <tessera/compress/export.hpp>
#include <tessera/core.hpp>
#include <tessera/tt.hpp>

#include "cli.hpp"

int main(int argc, char** argv)
{
    return example::cli::run("tt_layer", [&] {
        std::string export_path;
        example::cli cli("tt_layer", "A weight matrix as a TT-matrix, and TT shapes for a 50265-token vocabulary.");
        cli.add("--export", export_path, "write the TT-matrix to this safetensors file (cores and modes)", "PATH");
        if (!cli.parse(argc, argv))
            return 0;
        namespace tt = tessera::tt;
        // A weight with TT structure plus noise: the dense form of random rank-(6, 10, 6) cores.
        std::vector<xt::xtensor<float, 3>> cores;
        const std::size_t s[4] = {32, 64, 32, 4}, r[5] = {1, 6, 10, 6, 1};  // s_k = m_k n_k
        for (std::size_t k = 0; k < 4; ++k)
        {
            auto flat = tessera::random_normal<float>(1, r[k] * s[k] * r[k + 1], 1, k);
            xt::xtensor<float, 3> G = xt::xtensor<float, 3>::from_shape({r[k], s[k], r[k + 1]});
            std::copy(flat.begin(), flat.end(), G.begin());
            cores.push_back(G);
        }
        tt::tt_matrix<float> truth({8, 8, 8, 2}, {4, 8, 4, 2}, tt::tensor_train<float>(cores));
        xt::xtensor<float, 2> W = truth.to_dense() + tessera::random_normal<float>(1024, 256, 2, 0, 0.01f);

        // TT-SVD with a 5% relative Frobenius error budget.
        auto A = tt::to_tt_matrix(W, {8, 8, 8, 2}, {4, 8, 4, 2}, {/*max_rank=*/64, /*rel_eps=*/0.05});
        std::printf("W [%zu, %zu] -> TT-matrix with %zu parameters (%.1fx smaller), status %s\n", A.rows(),
                    A.cols(), A.parameter_count(), A.compression_ratio(), tessera::to_string(A.status().code));
        for (const auto& b : A.bonds())
            std::printf("  bond: rank %zu of %zu, discarded energy %.3g, %zu parameters\n", b.rank, b.full_rank,
                        b.discarded_energy, b.params);

        // y = W x core by core, checked against the dense product.
        xt::xtensor<float, 1> x = xt::ones<float>({std::size_t(256)});
        auto y = A.matvec(x);
        auto yd = tessera::blas::matvec(W, x);
        double e = 0, n = 0;
        for (std::size_t i = 0; i < y.size(); ++i)
        {
            e += (double(y(i)) - double(yd(i))) * (double(y(i)) - double(yd(i)));
            n += double(yd(i)) * double(yd(i));
        }
        std::printf("||W_tt x - W x|| / ||W x|| = %.4f\n", std::sqrt(e / n));

        if (!export_path.empty())
        {
            // all or nothing: written as PATH.partial, reloaded and compared, then renamed
            example::output_file out(export_path);
            tessera::compress::save_compressed(out.temp(), {{"w", A}}, {{"source", "tt_layer: W [1024, 256], seed 1"}});
            const auto back = tessera::compress::compressed_file(out.temp()).load_tt_matrix<float>("w");
            bool same = back.ranks() == A.ranks();
            for (std::size_t k = 0; same && k < A.row_modes().size(); ++k)
                same = back.core(k) == A.core(k);
            if (!same)
                throw std::runtime_error(export_path + ": the reloaded TT-matrix differs from the saved one");
            out.commit();
            std::printf("exported to %s (%ju bytes; reloaded bit for bit)\n", export_path.c_str(),
                        static_cast<std::uintmax_t>(std::filesystem::file_size(export_path)));
        }

        // 50265 = 3^2 * 5 * 1117: no balanced 4-way factorization, so pad to 50400.
        std::printf("prime factors of 50265:");
        for (auto p : tt::prime_factors(50265))
            std::printf(" %llu", static_cast<unsigned long long>(p));
        std::printf("\n");
        for (const auto& t : tt::tt_shape_suggestions(50265, 768, 4, {/*rank=*/16, /*max_results=*/3}))
            std::printf("  %zu x %zu as %s x %s: %zu parameters at rank 16 (%.4f of dense)\n", t.rows, t.cols,
                        tessera::shape_to_string(t.row_modes).c_str(), tessera::shape_to_string(t.col_modes).c_str(),
                        t.params, t.param_fraction);
        return 0;
    });
}
