#pragma once
/// \file pentachoron.hpp
/// Internal stand-in for tessera::simplex (not yet on main when align was written): volumes of
/// 4-simplices (pentachora) whose vertices are rows of a matrix, and seeded sampling of their
/// vertex sets. TO BE REPLACED by tessera::simplex::sample_simplices / simplex_volumes once the
/// simplex module lands; alignment_report only calls the two functions below.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "../../core/parallel.hpp"
#include "../../core/random.hpp"

namespace tessera::align::detail
{
    /// `count` sets of 5 distinct row indices of an n-row matrix, set s drawn by
    /// sample_without_replacement(n, 5) at counter positions 5s .. 5s+4 of counter_rng(seed, 3).
    inline std::vector<std::uint64_t> sample_pentachora(std::uint64_t n, std::size_t count, std::uint64_t seed)
    {
        std::vector<std::uint64_t> idx(count * 5);
        const tessera::counter_rng rng(seed, 3);
        tessera::parallel_for(0, static_cast<std::ptrdiff_t>(count), [&](std::ptrdiff_t s) {
            const auto su = static_cast<std::size_t>(s);
            tessera::sample_without_replacement(n, 5, rng, su * 5, idx.data() + su * 5);
        }, 64);
        return idx;
    }

    /// Volume of each pentachoron: V = sqrt(det G) / 4!, G = E E^T the 4 x 4 Gram matrix of the
    /// edge vectors x_1 - x_0, ..., x_4 - x_0 (double; Cholesky with a zero volume when G is not
    /// numerically positive definite).
    template <class T>
    std::vector<double> pentachoron_volumes(const xt::xtensor<T, 2>& X, const std::vector<std::uint64_t>& idx)
    {
        const std::size_t d = X.shape(1), count = idx.size() / 5;
        std::vector<double> vol(count, 0.0);
        tessera::parallel_for(0, static_cast<std::ptrdiff_t>(count), [&](std::ptrdiff_t s) {
            const std::uint64_t* v = idx.data() + static_cast<std::size_t>(s) * 5;
            const T* x0 = X.data() + v[0] * d;
            double G[4][4] = {};
            for (std::size_t a = 0; a < 4; ++a)
                for (std::size_t b = 0; b <= a; ++b)
                {
                    const T* xa = X.data() + v[a + 1] * d;
                    const T* xb = X.data() + v[b + 1] * d;
                    double acc = 0.0;
                    for (std::size_t j = 0; j < d; ++j)
                        acc += (static_cast<double>(xa[j]) - static_cast<double>(x0[j])) *
                               (static_cast<double>(xb[j]) - static_cast<double>(x0[j]));
                    G[a][b] = acc;
                }
            double det = 1.0;  // Cholesky: det G = prod L_ii^2
            for (std::size_t a = 0; a < 4 && det > 0.0; ++a)
            {
                for (std::size_t b = 0; b <= a; ++b)
                {
                    double sum = G[a][b];
                    for (std::size_t c = 0; c < b; ++c)
                        sum -= G[a][c] * G[b][c];
                    if (a == b)
                    {
                        if (!(sum > 0.0))
                        {
                            det = 0.0;
                            break;
                        }
                        G[a][a] = std::sqrt(sum);
                        det *= sum;
                    }
                    else
                        G[a][b] = sum / G[b][b];
                }
            }
            vol[static_cast<std::size_t>(s)] = std::sqrt(det) / 24.0;
        }, 64);
        return vol;
    }
}  // namespace tessera::align::detail
