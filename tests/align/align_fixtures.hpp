#pragma once
// Readers for tests/fixtures/align/*.txt (written by tests/fixtures/generate_align.py) and
// small matrix helpers shared by the align tests.
#include <cmath>
#include <fstream>
#include <map>
#include <string>

#include <tessera/core/blas.hpp>
#include <tessera/core/errors.hpp>
#include <tessera/core/lapack.hpp>
#include <tessera/core/random.hpp>
#include <xtensor/xtensor.hpp>

#include "test_support.hpp"

namespace align_test
{
    /// A matrix fixture: first line "rows cols", then the values row by row.
    template <class T>
    xt::xtensor<T, 2> load(const std::string& name)
    {
        const auto path = tessera_test::fixture("align/" + name + ".txt");
        std::ifstream in(path);
        REQUIRE_MESSAGE(in.good(), "missing fixture " << path.string());
        std::size_t r = 0, c = 0;
        in >> r >> c;
        xt::xtensor<T, 2> m = xt::xtensor<T, 2>::from_shape({r, c});
        for (std::size_t i = 0; i < r * c; ++i)
        {
            double v = 0;
            in >> v;
            m.data()[i] = static_cast<T>(v);
        }
        REQUIRE(!in.fail());
        return m;
    }

    inline double scalar(const std::string& name)
    {
        std::ifstream in(tessera_test::fixture("align/scalars.txt"));
        std::string k;
        double v;
        while (in >> k >> v)
            if (k == name)
                return v;
        FAIL("missing scalar " << name);
        return 0.0;
    }

    template <class A, class B>
    double max_abs_diff(const A& a, const B& b)
    {
        REQUIRE(a.shape() == b.shape());
        double m = 0.0;
        for (std::size_t i = 0; i < a.size(); ++i)
            m = std::max(m, std::abs(static_cast<double>(a.data()[i]) - static_cast<double>(b.data()[i])));
        return m;
    }

    template <class T>
    double determinant(const xt::xtensor<T, 2>& X)
    {
        const std::size_t d = X.shape(0);
        xt::xtensor<double, 2> lu = xt::cast<double>(X);
        double det = 1.0;
        for (std::size_t k = 0; k < d; ++k)
        {
            std::size_t piv = k;
            for (std::size_t i = k + 1; i < d; ++i)
                if (std::abs(lu(i, k)) > std::abs(lu(piv, k)))
                    piv = i;
            if (piv != k)
            {
                for (std::size_t j = 0; j < d; ++j)
                    std::swap(lu(k, j), lu(piv, j));
                det = -det;
            }
            det *= lu(k, k);
            if (lu(k, k) == 0.0)
                return 0.0;
            for (std::size_t i = k + 1; i < d; ++i)
            {
                const double f2 = lu(i, k) / lu(k, k);
                for (std::size_t j = k; j < d; ++j)
                    lu(i, j) -= f2 * lu(k, j);
            }
        }
        return det;
    }
    /// Haar-random orthogonal [d, d] (QR of a Gaussian, signs fixed) with det = +1 (proper)
    /// or -1 (a reflection).
    template <class T>
    xt::xtensor<T, 2> random_rotation(std::size_t d, std::uint64_t seed, bool proper = true)
    {
        auto G = tessera::random_normal<double>(d, d, seed);
        auto f = tessera::lapack::qr<double>(G);
        for (std::size_t j = 0; j < d; ++j)
            if (f.R(j, j) < 0)
                for (std::size_t i = 0; i < d; ++i)
                    f.Q(i, j) = -f.Q(i, j);
        if ((determinant(f.Q) > 0) != proper)
            for (std::size_t i = 0; i < d; ++i)
                f.Q(i, 0) = -f.Q(i, 0);
        return xt::cast<T>(f.Q);
    }

    /// max |X^T X - I| (orthonormal columns) for [m, n] X with m >= n, else max |X X^T - I|.
    template <class T>
    double semi_orthogonality_error(const xt::xtensor<T, 2>& X)
    {
        using tessera::blas::op;
        const bool tall = X.shape(0) >= X.shape(1);
        auto G = tall ? tessera::blas::matmul(X, X, op::transpose, op::none)
                      : tessera::blas::matmul(X, X, op::none, op::transpose);
        xt::xtensor<T, 2> I = xt::eye<T>(G.shape(0));
        return max_abs_diff(G, I);
    }

}  // namespace align_test
