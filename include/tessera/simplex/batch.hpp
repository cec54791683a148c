#pragma once
/// \file batch.hpp
/// Random simplices from the rows of a matrix and their volumes in batch (OpenMP).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "../core/errors.hpp"
#include "../core/parallel.hpp"
#include "../core/random.hpp"
#include "../core/status.hpp"
#include "../core/traits.hpp"
#include "../core/validate.hpp"
#include "regular.hpp"
#include "volume.hpp"

namespace tessera::simplex
{
    /// Options of simplex_volumes(); defaults documented per member.
    struct simplex_volume_options
    {
        volume_method method = volume_method::qr;  ///< volume algorithm (QR unless comparing with the seeds)
        bool squared = false;                      ///< return V^2 instead of V in `volume`
        double degenerate_threshold = 1e-6;        ///< flag a simplex when normalized_volume <= this
    };

    /// Per-simplex volumes of a batch.
    struct simplex_volumes_result
    {
        xt::xtensor<double, 1> volume;             ///< [B] V (or V^2 when options.squared)
        xt::xtensor<double, 1> normalized_volume;  ///< [B] V / V_regular(mean edge length), scale-invariant, 0 for a point
        xt::xtensor<std::uint8_t, 1> degenerate;   ///< [B] 1 when normalized_volume <= degenerate_threshold
        xt::xtensor<double, 1> mean_edge;          ///< [B] mean of the k(k+1)/2 edge lengths
        std::size_t degenerate_count = 0;          ///< number of flagged simplices
        tessera::status status;                    ///< `degenerate` when any simplex is flagged
    };

    namespace detail
    {
        /// `count` random k-simplices of the rows of an n_rows-row matrix: row s holds k+1
        /// distinct row indices, drawn by sample_without_replacement(n_rows, k+1) at counter
        /// positions s(k+1) .. s(k+1)+k of counter_rng(seed, 3): identical at any thread count.
        /// \return [count, k+1] row indices.
        /// \throws tessera::invalid_argument if k == 0, k+1 > n_rows or count == 0.
        inline xt::xtensor<std::uint64_t, 2> sample_simplices(std::uint64_t n_rows, std::size_t k, std::size_t count,
                                                              std::uint64_t seed = 0)
        {
            const char* fn = "simplex::sample_simplices";
            require(k >= 1, fn, "k must be >= 1, got 0");
            require(k + 1 <= n_rows, fn, "a ", k, "-simplex needs ", k + 1, " distinct rows, got n_rows=", n_rows);
            require(count > 0, fn, "count must be positive, got 0");
            const std::size_t m = k + 1;
            xt::xtensor<std::uint64_t, 2> out = xt::xtensor<std::uint64_t, 2>::from_shape({count, m});
            const counter_rng rng(seed, 3);
            tessera::parallel_for(0, static_cast<std::ptrdiff_t>(count), [&](std::ptrdiff_t s) {
                const auto u = static_cast<std::uint64_t>(s);
                tessera::sample_without_replacement(n_rows, m, rng, u * m, out.data() + u * m);
            }, 1024);
            return out;
        }

        /// Runs `f(s, v2, mean_edge)` for each simplex s of `indices` [B, k+1] over the rows of A,
        /// in parallel chunks, with the unrolled kernel for k = 1..8.
        template <std::size_t K, class T, class F>
        void for_each_simplex_k(const xt::xtensor<T, 2>& A, const std::uint64_t* idx, std::size_t B, std::size_t k,
                                volume_method method, F&& f)
        {
            const std::size_t d = A.shape(1), m = k + 1;
            constexpr std::ptrdiff_t chunk = 256;
            const auto chunks = static_cast<std::ptrdiff_t>((B + chunk - 1) / chunk);
            tessera::parallel_for(0, chunks, [&](std::ptrdiff_t c) {
                simplex_workspace ws;
                ws.reserve(k, d);
                std::vector<const T*> rows(m);
                const std::size_t begin = static_cast<std::size_t>(c * chunk);
                const std::size_t end = std::min(B, begin + static_cast<std::size_t>(chunk));
                for (std::size_t s = begin; s < end; ++s)
                {
                    if (s + 1 < end)  // prefetch the next simplex's rows (their first cache lines)
                        for (std::size_t v = 0; v < m; ++v)
                            for (std::size_t off = 0; off < d * sizeof(T); off += 64)
                                __builtin_prefetch(reinterpret_cast<const char*>(A.data() + idx[(s + 1) * m + v] * d) + off);
                    for (std::size_t v = 0; v < m; ++v)
                        rows[v] = A.data() + idx[s * m + v] * d;
                    double v2 = 0.0, me = 0.0;
                    simplex_volume_raw<K>(rows.data(), k, d, method, ws, v2, me, nullptr, false);  // Householder accuracy
                    f(s, v2, me);
                }
            });
        }

        template <class T, class F>
        void for_each_simplex(const xt::xtensor<T, 2>& A, const std::uint64_t* idx, std::size_t B, std::size_t k,
                              volume_method method, F&& f)
        {
            if (!with_unrolled_k(k, [&](auto kc) { for_each_simplex_k<decltype(kc)::value>(A, idx, B, k, method, f); }))
                for_each_simplex_k<0>(A, idx, B, k, method, f);
        }

        /// Converts an integer index expression [B, k+1] to uint64, checking range.
        template <class EI>
        xt::xtensor<std::uint64_t, 2> checked_indices(const xt::xexpression<EI>& indices, std::size_t n_rows,
                                                      const char* fn)
        {
            using I = value_type_t<EI>;
            static_assert(std::is_integral_v<I>, "tessera::simplex: indices must be an integer expression");
            const auto& e = indices.derived_cast();
            require(e.dimension() == 2, fn, "indices must be a matrix [B, k+1], got shape ", shape_to_string(e.shape()));
            xt::xtensor<std::uint64_t, 2> out = xt::xtensor<std::uint64_t, 2>::from_shape({e.shape(0), e.shape(1)});
            std::size_t pos = 0;
            for (const auto v : xt::xtensor<I, 2>(e))
            {
                bool ok = true;
                if constexpr (std::is_signed_v<I>)
                    ok = v >= 0;
                require(ok && static_cast<std::uint64_t>(v) < n_rows, fn, "indices(", pos / e.shape(1), ", ",
                        pos % e.shape(1), ") = ", +v, " is out of range for X with ", n_rows, " rows");
                out.data()[pos++] = static_cast<std::uint64_t>(v);
            }
            return out;
        }

        /// Volumes of B simplices whose vertices are rows of X [n, d]: simplex s has vertices
        /// X(indices(s, 0)), ..., X(indices(s, k)). OpenMP-parallel over simplices, unrolled kernels
        /// for k = 1..8, double arithmetic. Also returns the scale-invariant degeneracy measure
        /// \f$\nu = V / V_{reg}(\bar e)\f$ (\f$\bar e\f$ the mean edge length; \f$\nu = 1\f$ for a regular
        /// simplex, 0 when flat) and a flag \f$\nu \le\f$ options.degenerate_threshold.
        /// \param indices integer matrix [B, k+1], 1 <= k <= d, entries in [0, n). Repeated vertices
        ///        are allowed (volume 0, flagged).
        /// \return simplex_volumes_result with arrays of length B. Cost 2 k^2 d flops per simplex (QR).
        /// \throws tessera::invalid_argument if X or indices is not a matrix, B == 0, k == 0, k > d, or
        ///         an index is out of range, or X holds NaN / Inf.
        template <class E, class EI, requires_t<is_real_expression_v<E>> = true>
        simplex_volumes_result simplex_volumes(const xt::xexpression<E>& X, const xt::xexpression<EI>& indices,
                                               const simplex_volume_options& options = {})
        {
            using T = value_type_t<E>;
            const char* fn = "simplex::simplex_volumes";
            const auto ev = tessera::detail::evaluate_finite<T, 2>(X, fn, "X");
            const auto& A = ev.get();
            const auto idx = checked_indices(indices, A.shape(0), fn);
            const std::size_t B = idx.shape(0), m = idx.shape(1);
            require(B > 0, fn, "indices must hold at least one simplex, got shape ", shape_to_string(idx.shape()));
            require(m >= 2, fn, "indices must have k+1 >= 2 columns, got shape ", shape_to_string(idx.shape()));
            const std::size_t k = m - 1;
            require(k <= A.shape(1), fn, "k=", k, " exceeds the dimension d=", A.shape(1), " of X");
            require(options.degenerate_threshold >= 0.0, fn, "options.degenerate_threshold must be >= 0, got ",
                    options.degenerate_threshold);
            simplex_volumes_result r;
            r.volume = xt::xtensor<double, 1>::from_shape({B});
            r.normalized_volume = xt::xtensor<double, 1>::from_shape({B});
            r.degenerate = xt::xtensor<std::uint8_t, 1>::from_shape({B});
            r.mean_edge = xt::xtensor<double, 1>::from_shape({B});
            const double unit = regular_simplex_volume(k, 1.0);
            for_each_simplex(A, idx.data(), B, k, options.method, [&](std::size_t s, double v2, double me) {
                r.volume(s) = options.squared ? v2 : std::sqrt(std::max(v2, 0.0));
                r.mean_edge(s) = me;
                const double nu = normalized_volume(v2, me, k, unit);
                r.normalized_volume(s) = nu;
                r.degenerate(s) = nu <= options.degenerate_threshold ? 1 : 0;
            });
            for (std::size_t s = 0; s < B; ++s)
                r.degenerate_count += r.degenerate(s);
            if (r.degenerate_count > 0)
                r.status = {status_code::degenerate,
                            concat(r.degenerate_count, " of ", B, " simplices have normalized volume <= ",
                                   options.degenerate_threshold)};
            return r;
        }
    }  // namespace detail

    using detail::sample_simplices, detail::simplex_volumes;
}  // namespace tessera::simplex
