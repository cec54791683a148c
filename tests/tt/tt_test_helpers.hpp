#pragma once
// Helpers shared by the tt tests: random trains with chosen ranks, dense norms in double.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include <tessera/core/random.hpp>
#include <tessera/tt/tensor_train.hpp>
#include <xtensor/xarray.hpp>

namespace tt_test
{
    /// A random train with modes `shape` and bond ranks `bonds` (d - 1 values), N(0,1) cores.
    template <class T>
    tessera::tt::tensor_train<T> random_train(const std::vector<std::size_t>& shape,
                                              const std::vector<std::size_t>& bonds, std::uint64_t seed)
    {
        std::vector<xt::xtensor<T, 3>> cores;
        for (std::size_t k = 0; k < shape.size(); ++k)
        {
            const std::size_t r0 = k == 0 ? 1 : bonds[k - 1], r1 = k + 1 == shape.size() ? 1 : bonds[k];
            auto flat = tessera::random_normal<T>(1, r0 * shape[k] * r1, seed, k);
            xt::xtensor<T, 3> G = xt::xtensor<T, 3>::from_shape({r0, shape[k], r1});
            std::copy(flat.begin(), flat.end(), G.begin());
            cores.push_back(std::move(G));
        }
        return tessera::tt::tensor_train<T>(std::move(cores));
    }

    template <class A, class B>
    double diff_norm(const A& a, const B& b)  // ||a - b||_F over the flat entries, in double
    {
        double s = 0;
        auto ia = a.begin();
        for (auto ib = b.begin(); ib != b.end(); ++ib, ++ia)
        {
            const double d = double(*ia) - double(*ib);
            s += d * d;
        }
        return std::sqrt(s);
    }

    template <class A>
    double fro(const A& a)
    {
        double s = 0;
        for (auto v : a)
            s += double(v) * double(v);
        return std::sqrt(s);
    }
}  // namespace tt_test
