#pragma once
/// \file shapes.hpp
/// Choosing TT-matrix shapes: prime factorization, balanced factorizations into d factors,
/// and ranked (m_k, n_k) suggestions for a matrix [M, N], padding M or N up to a number with
/// small prime factors when a large prime blocks a balanced factorization
/// (50265 = 3^2 * 5 * 1117 -> 50400 = 2^5 * 3^2 * 5^2 * 7 = 14 * 15 * 15 * 16).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "../core/errors.hpp"
#include "../core/traits.hpp"
#include "tt_matrix.hpp"

namespace tessera::tt
{
    /// Options of tt_shape_suggestions.
    struct tt_shape_options
    {
        std::size_t rank = 16;         ///< uniform TT rank at which parameter counts are compared (>= 1)
        std::size_t max_results = 8;   ///< at most this many suggestions
        std::size_t max_prime = 7;     ///< padding targets have no prime factor above this (>= 2)
        double imbalance_limit = 4.0;  ///< pad when the best factorization has max/min factor above this
        std::size_t candidates = 6;    ///< balanced factorizations tried per side
    };

    /// One suggested TT-matrix shape.
    struct tt_shape
    {
        std::size_t rows = 0, cols = 0;            ///< padded sizes prod m_k, prod n_k (>= M, N)
        std::vector<std::size_t> row_modes;        ///< (m_1, ..., m_d)
        std::vector<std::size_t> col_modes;        ///< (n_1, ..., n_d)
        std::size_t params = 0;                    ///< interleaved TT parameters at options.rank
        double param_fraction = 0.0;               ///< params / (M N) of the unpadded matrix
        double rel_error = std::numeric_limits<double>::quiet_NaN();  ///< ||W - TT|| / ||W|| (matrix overload only)
    };

    namespace detail
    {
        /// Prime factors of n in ascending order with multiplicity (1 -> {}). Trial division, O(sqrt n).
        /// \throws tessera::invalid_argument if n == 0.
        inline std::vector<std::uint64_t> prime_factors(std::uint64_t n)
        {
            require(n >= 1, "tt::prime_factors", "n=0 has no prime factorization; expected n >= 1");
            std::vector<std::uint64_t> f;
            for (std::uint64_t p = 2; p <= n / p; p += (p == 2 ? 1 : 2))
                while (n % p == 0)
                {
                    f.push_back(p);
                    n /= p;
                }
            if (n > 1)
                f.push_back(n);
            return f;
        }

        /// Sum of squared log deviations from the geometric mean: 0 for perfectly balanced factors.
        inline double imbalance(const std::vector<std::size_t>& f)
        {
            double mean = 0;
            for (std::size_t x : f)
                mean += std::log(double(x));
            mean /= double(f.size());
            double s = 0;
            for (std::size_t x : f)
                s += (std::log(double(x)) - mean) * (std::log(double(x)) - mean);
            return s;
        }

        inline void enumerate_factorizations(std::size_t n, std::size_t d, std::size_t min_factor,
                                             std::vector<std::size_t>& cur, std::vector<std::vector<std::size_t>>& out)
        {
            if (d == 1)
            {
                if (n >= min_factor)
                {
                    cur.push_back(n);
                    out.push_back(cur);
                    cur.pop_back();
                }
                return;
            }
            for (std::size_t f = min_factor; f <= n; ++f)
            {
                // Remaining d - 1 factors are >= f: need f^(d) <= n.
                double pw = std::pow(double(f), double(d));
                if (pw > double(n) * (1 + 1e-12))
                    break;
                if (n % f != 0)
                    continue;
                cur.push_back(f);
                enumerate_factorizations(n / f, d - 1, f, cur, out);
                cur.pop_back();
            }
        }

        /// All factorizations of n into d factors >= 2 (ascending within each), most balanced
        /// first (smallest variance of log factors), at most `limit`.
        /// \throws tessera::invalid_argument if n == 0 or d == 0.
        inline std::vector<std::vector<std::size_t>> balanced_factorizations(std::size_t n, std::size_t d,
                                                                             std::size_t limit = 16)
        {
            require(n >= 1, "tt::balanced_factorizations", "n=0; expected n >= 1");
            require(d >= 1, "tt::balanced_factorizations", "d=0; expected d >= 1");
            std::vector<std::vector<std::size_t>> out;
            std::vector<std::size_t> cur;
            if (n >= 2)
                enumerate_factorizations(n, d, 2, cur, out);
            std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
                return imbalance(a) < imbalance(b) - 1e-12;
            });
            if (out.size() > limit)
                out.resize(limit);
            return out;
        }

        /// True when every prime factor of m >= 1 is <= max_prime (trial division to sqrt).
        inline bool is_smooth(std::size_t m, std::size_t max_prime)
        {
            for (std::size_t p = 2; p <= max_prime && p <= m / p; ++p)
                while (m % p == 0)
                    m /= p;
            return m <= max_prime || m == 1;
        }

        /// Smallest m >= n (n = 0 counts as 1) whose prime factors are all <= max_prime. For
        /// max_prime <= 13 a search over the products of those primes (exact, fast up to 2^64:
        /// such numbers are sparse there); above, a scan upwards from n.
        /// 	hrows tessera::invalid_argument if max_prime < 2 or the answer exceeds SIZE_MAX.
        inline std::size_t next_smooth(std::size_t n, std::size_t max_prime)
        {
            require(max_prime >= 2, "tt::next_smooth", "max_prime=", max_prime, " must be >= 2");
            n = std::max<std::size_t>(n, 1);
            constexpr std::size_t top = std::numeric_limits<std::size_t>::max();
            auto overflow = [&] {
                return invalid_argument(concat("tt::next_smooth: no number >= n=", n, " with prime factors <= ", max_prime,
                                               " fits in std::size_t (max ", top, ")"));
            };
            if (max_prime > 13)
            {
                for (std::size_t m = n;; ++m)
                {
                    if (is_smooth(m, max_prime))
                        return m;
                    if (m == top)
                        throw overflow();
                }
            }
            std::vector<std::size_t> primes;
            for (std::size_t p : {2, 3, 5, 7, 11, 13})
                if (p <= max_prime)
                    primes.push_back(p);
            std::size_t best = top;
            bool found = false;
            // Products v * p_j * ... with non-decreasing prime index; stop at the first >= n.
            auto visit = [&](auto& self, std::size_t v, std::size_t i) -> void {
                if (v >= n)
                {
                    best = std::min(best, v), found = true;
                    return;
                }
                for (std::size_t j = i; j < primes.size(); ++j)
                {
                    if (v > top / primes[j] || (found && v * primes[j] >= best))
                        break;  // the larger primes give larger products
                    self(self, v * primes[j], j);
                }
            };
            visit(visit, 1, 0);
            if (!found)
                throw overflow();
            return best;
        }

        inline double max_over_min(const std::vector<std::size_t>& f)
        {
            return double(*std::max_element(f.begin(), f.end())) / double(*std::min_element(f.begin(), f.end()));
        }

        /// Candidate factorizations of one side: those of n, plus those of the nearest smooth
        /// size above n when n's best one is too unbalanced (or n has too few prime factors).
        inline std::vector<std::vector<std::size_t>> side_candidates(std::size_t n, std::size_t d,
                                                                     const tt_shape_options& o)
        {
            auto c = balanced_factorizations(n, d, o.candidates);
            if (c.empty() || max_over_min(c.front()) > o.imbalance_limit)
            {
                std::size_t m = next_smooth(n, o.max_prime);
                std::vector<std::vector<std::size_t>> p;
                for (; m < n * 2 + 64; m = next_smooth(m + 1, o.max_prime))
                {
                    p = balanced_factorizations(m, d, o.candidates);
                    if (!p.empty() && max_over_min(p.front()) <= o.imbalance_limit)
                        break;
                }
                c.insert(c.end(), p.begin(), p.end());
            }
            return c;
        }

        /// Interleaved TT-matrix parameter count at uniform rank r (ranks capped by the mode products).
        inline std::size_t interleaved_params(const std::vector<std::size_t>& m, const std::vector<std::size_t>& n,
                                              std::size_t r)
        {
            const std::size_t d = m.size();
            std::vector<double> s(d);
            double right = 1;
            for (std::size_t k = 0; k < d; ++k)
                right *= s[k] = double(m[k]) * double(n[k]);
            double left = 1, prev = 1, total = 0;
            for (std::size_t k = 0; k < d; ++k)
            {
                left *= s[k];
                right /= s[k];
                const double next = k + 1 == d ? 1.0 : std::min({double(r), left, right});
                total += prev * s[k] * next;
                prev = next;
            }
            return static_cast<std::size_t>(total);
        }

        /// Ranked TT-matrix shapes for an M x N matrix with d cores: see tessera::tt::tt_shape_suggestions.
        inline std::vector<tt_shape> tt_shape_suggestions(std::size_t M, std::size_t N, std::size_t d,
                                                          const tt_shape_options& o = {})
        {
            const char* fn = "tt::tt_shape_suggestions";
            require(M >= 1 && N >= 1, fn, "M=", M, " and N=", N, " must be >= 1");
            require(d >= 2, fn, "d=", d, " must be >= 2");
            require(o.rank >= 1, fn, "options.rank=0 must be >= 1");
            require(o.max_prime >= 2, fn, "options.max_prime=", o.max_prime, " must be >= 2");
            const auto rows = side_candidates(M, d, o), cols = side_candidates(N, d, o);
            std::vector<tt_shape> out;
            for (const auto& m : rows)
                for (const auto& nc : cols)
                    for (int flip = 0; flip < 2; ++flip)  // pair big m_k with small n_k, or with big n_k
                    {
                        std::vector<std::size_t> n = nc;
                        if (flip)
                            std::reverse(n.begin(), n.end());
                        tt_shape s{1, 1, m, n, 0, 0.0, std::numeric_limits<double>::quiet_NaN()};
                        for (std::size_t k = 0; k < d; ++k)
                        {
                            s.rows *= m[k];
                            s.cols *= n[k];
                        }
                        s.params = interleaved_params(m, n, o.rank);
                        s.param_fraction = double(s.params) / (double(M) * double(N));
                        bool dup = false;
                        for (const auto& t : out)
                            dup = dup || (t.row_modes == s.row_modes && t.col_modes == s.col_modes);
                        if (!dup)
                            out.push_back(std::move(s));
                    }
            std::stable_sort(out.begin(), out.end(), [](const tt_shape& a, const tt_shape& b) {
                if (a.params != b.params)  // fewest parameters first, then least padding
                    return a.params < b.params;
                return a.rows * a.cols < b.rows * b.cols;
            });
            if (out.size() > o.max_results)
                out.resize(o.max_results);
            return out;
        }

        /// Largest uniform rank whose interleaved parameter count fits `budget` (at least 1).
        inline std::size_t rank_for_budget(const std::vector<std::size_t>& m, const std::vector<std::size_t>& n,
                                           std::size_t budget)
        {
            std::size_t lo = 1, hi = 1;
            while (hi < (std::size_t(1) << 20) && interleaved_params(m, n, hi * 2) <= budget &&
                   interleaved_params(m, n, hi * 2) != interleaved_params(m, n, hi))
                hi *= 2;
            hi *= 2;
            while (lo + 1 < hi)
            {
                const std::size_t mid = lo + (hi - lo) / 2;
                (interleaved_params(m, n, mid) <= budget ? lo : hi) = mid;
            }
            return lo;
        }

        /// Matrix-aware ranking: see tessera::tt::tt_shape_suggestions (W overload).
        template <class E>
        std::vector<tt_shape> tt_shape_suggestions(const xt::xexpression<E>& W, std::size_t d, std::size_t budget,
                                                   const tt_shape_options& o = {})
        {
            using T = value_type_t<E>;
            const char* fn = "tt::tt_shape_suggestions";
            auto ev = tessera::detail::evaluate<T, 2>(W, fn, "W");
            const auto& A = ev.get();
            require(budget >= 1, fn, "budget=0 parameters; expected >= 1");
            auto shapes = tt_shape_suggestions(A.shape(0), A.shape(1), d, o);
            double nw = 0;
            for (T v : A)
                nw += double(v) * double(v);
            nw = std::sqrt(nw);
            for (auto& s : shapes)
            {
                xt::xtensor<T, 2> P = xt::zeros<T>({s.rows, s.cols});  // zero padding keeps ||W||
                for (std::size_t i = 0; i < A.shape(0); ++i)
                    std::copy(&A(i, 0), &A(i, 0) + A.shape(1), &P(i, 0));
                auto tt = to_tt_matrix(P, s.row_modes, s.col_modes, {rank_for_budget(s.row_modes, s.col_modes, budget), 0.0});
                auto D = tt.to_dense();
                double e = 0;
                for (std::size_t i = 0; i < A.shape(0); ++i)
                    for (std::size_t j = 0; j < A.shape(1); ++j)
                        e += (double(D(i, j)) - double(A(i, j))) * (double(D(i, j)) - double(A(i, j)));
                s.params = tt.parameter_count();
                s.param_fraction = double(s.params) / double(A.size());
                s.rel_error = nw > 0 ? std::sqrt(e) / nw : 0.0;
            }
            std::stable_sort(shapes.begin(), shapes.end(),
                             [](const tt_shape& a, const tt_shape& b) { return a.rel_error < b.rel_error; });
            return shapes;
        }
    }  // namespace detail

    /// Prime factors with multiplicity, ascending: prime_factors(50265) = {3, 3, 5, 1117}.
    /// \throws tessera::invalid_argument if n == 0.
    using detail::prime_factors;
    /// Factorizations of n into d factors >= 2, most balanced first (variance of log factors):
    /// balanced_factorizations(4096, 4)[0] = {8, 8, 8, 8}. Empty when n has fewer than d prime
    /// factors. \throws tessera::invalid_argument if n == 0 or d == 0.
    using detail::balanced_factorizations;
    /// Smallest size >= n with no prime factor above max_prime: next_smooth(50265, 7) = 50400.
    using detail::next_smooth;
    /// Interleaved TT-matrix parameter count at uniform rank r (ranks capped by mode products).
    using detail::interleaved_params;
    /// Ranked TT-matrix shapes (m_k, n_k) for an M x N matrix with d cores. Each side uses its
    /// balanced factorizations, plus those of the nearest max_prime-smooth size above it when
    /// the best one has max/min > imbalance_limit (50265 -> 50400, padded with zero rows).
    /// Without W: fewest parameters at options.rank first, then least padding. With W and a
    /// parameter budget: each shape's TT-SVD at the largest uniform rank fitting the budget,
    /// ranked by measured relative error (zero padding; error measured on the M x N block).
    /// \throws tessera::invalid_argument if M, N, options.rank or budget is 0, or d < 2.
    using detail::tt_shape_suggestions;
}  // namespace tessera::tt
