#pragma once
// One call per compression method, each returning the dense reconstruction and the bytes the
// compressed form stores, for examples that compress many matrices the same way.
#include <string>

#include <tessera/tessera.hpp>
#include <xtensor/xview.hpp>

#include "cli.hpp"

namespace example
{
    struct approximation
    {
        xt::xtensor<float, 2> matrix;  ///< the reconstruction, same shape as the input
        std::size_t bytes = 0;         ///< storage of the compressed form
    };

    /// Truncated SVD at rank min(r, rows, cols), stored as the two factors.
    inline approximation svd(const xt::xtensor<float, 2>& A, std::size_t r)
    {
        r = std::min({r, A.shape(0), A.shape(1)});
        const tessera::spectral::low_rank<float> f(tessera::spectral::truncated_svd(A, r));
        return {f.reconstruct(), f.storage_bytes()};
    }

    /// Random projection codes A P [rows, k] (k capped at cols), reconstructed by pinv(P);
    /// `scaled` uses the (d/k)-scaled reconstruction instead.
    inline approximation projection(const xt::xtensor<float, 2>& A, std::size_t k, std::uint64_t seed,
                                    bool scaled = false,
                                    tessera::projection::projection_kind kind = tessera::projection::projection_kind::gaussian)
    {
        const auto c = tessera::projection::compress(A, std::min(k, A.shape(1)), kind, seed);
        return {scaled ? c.reconstruct_scaled() : c.reconstruct(), c.storage_bytes()};
    }

    /// TT-matrix with `cores` cores on the fewest-parameter suggested shape (zero padding when the
    /// shape is larger than A), every bond capped at `bond`.
    inline approximation tensor_train(const xt::xtensor<float, 2>& A, std::size_t cores, std::size_t bond,
                                      std::string* shape_label = nullptr)
    {
        const std::size_t n = A.shape(0), d = A.shape(1);
        const auto shapes = tessera::tt::tt_shape_suggestions(n, d, cores);
        if (shapes.empty())
            throw usage_error("no TT shape with " + std::to_string(cores) + " cores for a " + std::to_string(n) + " x " +
                              std::to_string(d) + " matrix");
        const auto& s = shapes.front();
        xt::xtensor<float, 2> padded = xt::zeros<float>({s.rows, s.cols});
        xt::view(padded, xt::range(0, n), xt::range(0, d)) = A;
        tessera::tt::tt_options o;
        o.max_rank = bond;
        o.rel_eps = 0.0;
        const auto t = tessera::tt::to_tt_matrix(padded, s.row_modes, s.col_modes, o);
        if (shape_label)
            *shape_label = tessera::shape_to_string(s.row_modes) + "x" + tessera::shape_to_string(s.col_modes);
        xt::xtensor<float, 2> back = xt::view(t.reconstruct(), xt::range(0, n), xt::range(0, d));
        return {std::move(back), t.storage_bytes()};
    }

    /// Absmean ternary codes with one scale per `group` weights of a row (2-bit packed storage).
    inline approximation ternary(const xt::xtensor<float, 2>& A, std::size_t group)
    {
        tessera::ternary::quantize_options o;
        o.group_size = group;
        const auto q = tessera::ternary::quantize_absmean(A, o);
        return {q.reconstruct(), q.storage_bytes()};
    }
}  // namespace example
