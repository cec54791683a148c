#pragma once
/// \file options.hpp
/// Truncation options shared by tt_svd, tensor_train::round and the TT-matrix builders,
/// and the checks and thresholds derived from them.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "../core/errors.hpp"
#include "../core/status.hpp"
#include "../spectral/svd_result.hpp"

namespace tessera::tt
{
    /// How each unfolding is factored: spectral's svd_method, the one method enum of tessera
    /// (`tt::svd_method` names the same type). `exact`: a full LAPACK SVD (gesdd). `randomized`:
    /// the top cap + 10 singular triplets from spectral's randomized range finder (seeded
    /// Gaussian sketch, 2 power iterations renormalized on both sides; Halko, Martinsson, Tropp
    /// 2011); the discarded energy is computed exactly as ||C||^2 - ||kept||^2, so the eps
    /// guarantee and the error bound still hold (the kept rank may exceed the exact one
    /// slightly). `automatic` (default): randomized when the bond's rank cap is at most a
    /// quarter of min(rows, cols) and min(rows, cols) >= 256, else exact. `gram` is not
    /// supported by tt (rejected by check_options).
    using spectral::svd_method;

    /// Truncation options of tt_svd and tensor_train::round.
    struct tt_options
    {
        /// Cap on every TT rank (applied on top of the eps criterion). Must be >= 1.
        std::size_t max_rank = std::numeric_limits<std::size_t>::max();
        /// Relative Frobenius accuracy: the result B satisfies ||A - B||_F <= rel_eps ||A||_F
        /// unless max_rank binds first (then `status` says so). Must be >= 0; 0 keeps every
        /// non-zero singular value (exact up to rounding).
        double rel_eps = 0.0;
        /// Optional per-bond caps (r_1, ..., r_{d-1}) applied on top of max_rank, e.g. the
        /// `bond_dims` of a TT layer; empty (the default) means no per-bond cap. When given it
        /// must have d - 1 entries, each >= 1.
        std::vector<std::size_t> bond_ranks{};
        /// Factorization of each unfolding (see svd_method).
        svd_method method = svd_method::automatic;
        /// Seed of the randomized sketches (stream = bond index).
        std::uint64_t seed = 0x7e55e7a;
    };

    namespace detail
    {
        inline void check_options(const tt_options& o, const char* fn)
        {
            require(o.max_rank >= 1, fn, "options.max_rank=", o.max_rank, " must be >= 1");
            require(o.method != svd_method::gram, fn,
                    "options.method=gram is not supported by tt; expected exact, randomized or automatic");
            require(o.rel_eps >= 0.0 && std::isfinite(o.rel_eps), fn, "options.rel_eps=", o.rel_eps,
                    " must be finite and >= 0");
            for (std::size_t k = 0; k < o.bond_ranks.size(); ++k)
                require(o.bond_ranks[k] >= 1, fn, "options.bond_ranks[", k, "]=0 must be >= 1");
        }

        /// The rank cap of bond k (0-based): min(max_rank, bond_ranks[k]).
        inline std::size_t bond_cap(const tt_options& o, std::size_t k)
        {
            return k < o.bond_ranks.size() ? std::min(o.max_rank, o.bond_ranks[k]) : o.max_rank;
        }

        inline void check_bond_count(const tt_options& o, std::size_t d, const char* fn)
        {
            require(o.bond_ranks.empty() || o.bond_ranks.size() + 1 == d, fn, "options.bond_ranks has ",
                    o.bond_ranks.size(), " entries; expected d - 1 = ", d - 1, " (or none)");
        }

        /// Per-bond absolute threshold delta = rel_eps ||A||_F / sqrt(d - 1) (Oseledets 2011).
        inline double bond_delta(double rel_eps, double norm, std::size_t d)
        {
            return d > 1 ? rel_eps * norm / std::sqrt(static_cast<double>(d - 1)) : 0.0;
        }

        /// Sets st to accuracy_limited when the discarded energy exceeds the eps target.
        inline void check_accuracy(tessera::status& st, const std::vector<double>& discarded, double rel_eps,
                                   double norm)
        {
            double total = 0.0;
            for (double x : discarded)
                total += x;
            const double bound = std::sqrt(total), target = rel_eps * norm;
            if (st.ok() && bound > target * (1.0 + 1e-12) && bound > 0.0)
                st = {status_code::accuracy_limited,
                      concat("rank caps bind (max_rank/bond_ranks): error bound ", bound, " exceeds rel_eps*||A||_F = ", target,
                             " (relative ", norm > 0 ? bound / norm : 0.0, ")")};
        }
    }  // namespace detail
}  // namespace tessera::tt
