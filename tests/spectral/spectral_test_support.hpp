#pragma once
// Helpers for the spectral tests: the text fixtures written by tests/fixtures/generate_spectral.py
// (first line: the shape; then one value per line) and a few matrix checks.
#include <cmath>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <tessera/core/blas.hpp>
#include <tessera/core/lapack.hpp>
#include <tessera/core/random.hpp>
#include <tessera/spectral/truncated_svd.hpp>
#include <xtensor/xtensor.hpp>

#include "test_support.hpp"

namespace spectral_test
{
    /// Reads tests/fixtures/spectral/<name>.txt as a matrix (a vector becomes [n, 1]).
    template <class T>
    xt::xtensor<T, 2> load_matrix(const std::string& name)
    {
        const auto path = tessera_test::fixture("spectral/" + name + ".txt");
        std::ifstream in(path);
        if (!in)
            throw std::runtime_error("missing fixture " + path.string());
        std::string header;
        std::getline(in, header);
        std::size_t rows = 0, cols = 1;
        std::size_t pos = 0;
        rows = std::stoul(header, &pos);
        if (pos < header.size() && header.find_first_not_of(' ', pos) != std::string::npos)
            cols = std::stoul(header.substr(pos));
        xt::xtensor<T, 2> out = xt::xtensor<T, 2>::from_shape({rows, cols});
        for (auto& v : out)
        {
            double d = 0;
            if (!(in >> d))
                throw std::runtime_error("short fixture " + path.string());
            v = static_cast<T>(d);
        }
        return out;
    }

    template <class T>
    xt::xtensor<T, 1> load_vector(const std::string& name)
    {
        auto m = load_matrix<T>(name);
        xt::xtensor<T, 1> v = xt::xtensor<T, 1>::from_shape({m.size()});
        std::copy(m.begin(), m.end(), v.begin());
        return v;
    }

    template <class T>
    double max_abs_diff(const xt::xtensor<T, 2>& a, const xt::xtensor<T, 2>& b)
    {
        double d = 0;
        for (std::size_t i = 0; i < a.size(); ++i)
            d = std::max(d, std::abs(double(a.data()[i]) - double(b.data()[i])));
        return d;
    }

    /// || Q^T Q - I ||_max for the columns of Q, computed in double.
    template <class T>
    double orthonormality_error(const xt::xtensor<T, 2>& Q)
    {
        const std::size_t m = Q.shape(0), k = Q.shape(1);
        double worst = 0;
        for (std::size_t a = 0; a < k; ++a)
            for (std::size_t b = a; b < k; ++b)
            {
                double s = 0;
                for (std::size_t i = 0; i < m; ++i)
                    s += double(Q(i, a)) * double(Q(i, b));
                worst = std::max(worst, std::abs(s - (a == b ? 1.0 : 0.0)));
            }
        return worst;
    }

    /// Max over columns of min(|a_j - b_j|, |a_j + b_j|)_max: equality up to the sign of each column.
    template <class T, class U>
    double column_diff_up_to_sign(const xt::xtensor<T, 2>& a, const xt::xtensor<U, 2>& b, std::size_t cols)
    {
        double worst = 0;
        for (std::size_t j = 0; j < cols; ++j)
        {
            double plus = 0, minus = 0;
            for (std::size_t i = 0; i < a.shape(0); ++i)
            {
                plus = std::max(plus, std::abs(double(a(i, j)) - double(b(i, j))));
                minus = std::max(minus, std::abs(double(a(i, j)) + double(b(i, j))));
            }
            worst = std::max(worst, std::min(plus, minus));
        }
        return worst;
    }

    /// ||A - U diag(S) Vt||_F in double.
    template <class T>
    double reconstruction_error(const xt::xtensor<T, 2>& A, const xt::xtensor<T, 2>& U, const xt::xtensor<T, 1>& S,
                                const xt::xtensor<T, 2>& Vt)
    {
        const std::size_t m = A.shape(0), n = A.shape(1), r = S.size();
        double e = 0;
        for (std::size_t i = 0; i < m; ++i)
            for (std::size_t j = 0; j < n; ++j)
            {
                double s = double(A(i, j));
                for (std::size_t t = 0; t < r; ++t)
                    s -= double(U(i, t)) * double(S(t)) * double(Vt(t, j));
                e += s * s;
            }
        return std::sqrt(e);
    }

    /// Q [m, k] with orthonormal columns (from a seeded Gaussian), in double.
    inline xt::xtensor<double, 2> random_orthonormal(std::size_t m, std::size_t k, std::uint64_t seed)
    {
        return tessera::lapack::qr<double>(tessera::random_normal<double>(m, k, seed)).Q;
    }

    /// A [m, n] = Q1 diag(s) Q2^T with the given singular values (length min(m, n)), cast to T.
    template <class T>
    xt::xtensor<T, 2> with_spectrum(std::size_t m, std::size_t n, const std::vector<double>& s, std::uint64_t seed)
    {
        const std::size_t k = s.size();
        auto Q1 = random_orthonormal(m, k, seed);
        auto Q2 = random_orthonormal(n, k, seed + 1);
        for (std::size_t i = 0; i < m; ++i)
            for (std::size_t j = 0; j < k; ++j)
                Q1(i, j) *= s[j];
        auto A = tessera::blas::matmul(Q1, Q2, tessera::blas::op::none, tessera::blas::op::transpose);
        xt::xtensor<T, 2> out = xt::xtensor<T, 2>::from_shape({m, n});
        std::copy(A.begin(), A.end(), out.begin());
        return out;
    }

    /// sigma_i = cond^(-i / (k - 1)), i = 0..k-1: geometric decay from 1 to 1 / cond.
    inline std::vector<double> geometric(std::size_t k, double cond)
    {
        std::vector<double> s(k);
        for (std::size_t i = 0; i < k; ++i)
            s[i] = std::pow(cond, -double(i) / double(k - 1));
        return s;
    }

    /// sigma_i = scale (i + 1)^-alpha, i = 0..k-1.
    inline std::vector<double> power_law(std::size_t k, double alpha, double scale = 1.0)
    {
        std::vector<double> s(k);
        for (std::size_t i = 0; i < k; ++i)
            s[i] = scale * std::pow(double(i + 1), -alpha);
        return s;
    }

    /// sqrt(sum_{i >= r} s_i^2): the optimal rank-r Frobenius error of a matrix with spectrum s.
    inline double tail(const std::vector<double>& s, std::size_t r)
    {
        double t = 0;
        for (std::size_t i = r; i < s.size(); ++i)
            t += s[i] * s[i];
        return std::sqrt(t);
    }

    /// A seeded route: the same options give the same bits, another seed other factors, and
    /// both stay within `bound` of the optimal error tail(s, r).
    template <class T>
    void check_seeded(const xt::xtensor<T, 2>& A, const std::vector<double>& s, std::size_t r,
                      tessera::spectral::truncated_svd_options o, double bound)
    {
        auto svd = [](const xt::xtensor<T, 2>& M, std::size_t k, const tessera::spectral::truncated_svd_options& opt) {
            return tessera::spectral::truncated_svd(M, k, opt);
        };
        auto f1 = svd(A, r, o);
        CHECK(reconstruction_error(A, f1.U, f1.S, f1.Vt) <= bound * tail(s, r));
        auto f2 = svd(A, r, o);
        CHECK(f1.U == f2.U);
        CHECK(f1.S == f2.S);
        CHECK(f1.Vt == f2.Vt);
        o.seed = 99;
        auto f3 = svd(A, r, o);
        CHECK_FALSE(f1.U == f3.U);
        CHECK(reconstruction_error(A, f3.U, f3.S, f3.Vt) <= bound * tail(s, r));
    }

    /// The token embedding [512, 64] float32 of the shared stories260K checkpoint at `path`
    /// (llama2.c layout: 7 int32 header fields, then the embedding); empty if it cannot be read.
    inline xt::xtensor<float, 2> stories260k_embedding(const std::string& path)
    {
        std::ifstream in(path, std::ios::binary);
        in.seekg(28);
        xt::xtensor<float, 2> E = xt::xtensor<float, 2>::from_shape({512, 64});
        in.read(reinterpret_cast<char*>(E.data()), static_cast<std::streamsize>(E.size() * sizeof(float)));
        return in.good() ? E : xt::xtensor<float, 2>::from_shape({0, 64});
    }

    /// Singular values of A by LAPACK in double (the reference truth for float inputs).
    template <class T>
    std::vector<double> reference_sigma(const xt::xtensor<T, 2>& A)
    {
        xt::xtensor<double, 2> Ad = xt::xtensor<double, 2>::from_shape({A.shape(0), A.shape(1)});
        std::copy(A.begin(), A.end(), Ad.begin());
        auto f = tessera::lapack::svd<double>(std::move(Ad));
        return std::vector<double>(f.S.begin(), f.S.end());
    }

    /// Checks that evaluating `expr` throws tessera::invalid_argument whose message contains `needle`.
#define SPECTRAL_CHECK_THROWS_WITH_SUBSTR(expr, needle)                                              \
    do                                                                                               \
    {                                                                                                \
        std::string _msg;                                                                            \
        try                                                                                          \
        {                                                                                            \
            (void)(expr);                                                                            \
        }                                                                                            \
        catch (const tessera::invalid_argument& _e)                                                  \
        {                                                                                            \
            _msg = _e.what();                                                                        \
        }                                                                                            \
        INFO("message: " << _msg);                                                                   \
        CHECK(_msg.find(needle) != std::string::npos);                                               \
    } while (0)
}  // namespace spectral_test
