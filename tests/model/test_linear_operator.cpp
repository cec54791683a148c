// model::linear_operator: every storage applies y = W x equal to its densified matrix (to
// rounding), never densifying; storage_bytes is the stored size; batch rows equal single applies.
#include <cmath>
#include <cstdint>
#include <string>

#include <doctest/doctest.h>
#include <tessera/model/linear_operator.hpp>
#include <tessera/spectral/truncated_svd.hpp>
#include <tessera/ternary/pack.hpp>
#include <tessera/tt/tt_matrix.hpp>

#include "test_support.hpp"

namespace mdl = tessera::model;

namespace
{
    template <class T>
    xt::xtensor<T, 2> wave(std::size_t r, std::size_t c, double f)
    {
        xt::xtensor<T, 2> W = xt::xtensor<T, 2>::from_shape({r, c});
        for (std::size_t i = 0; i < r; ++i)
            for (std::size_t j = 0; j < c; ++j)
                W(i, j) = T(std::sin(f * double(i * c + j) + 0.3) * 0.5 + 0.1 * std::cos(0.7 * double(j)));
        return W;
    }

    /// max_i |y_i - (D x)_i| / max_i |(D x)_i| with D x summed in long double.
    template <class T>
    double rel_error(const xt::xtensor<T, 1>& y, const xt::xtensor<T, 2>& D, const xt::xtensor<T, 1>& x)
    {
        double worst = 0, scale = 0;
        for (std::size_t i = 0; i < D.shape(0); ++i)
        {
            long double s = 0;
            for (std::size_t j = 0; j < D.shape(1); ++j)
                s += static_cast<long double>(D(i, j)) * static_cast<long double>(x(j));
            worst = std::max(worst, std::abs(double(y(i)) - double(s)));
            scale = std::max(scale, std::abs(double(s)));
        }
        return worst / scale;
    }

    template <class T>
    void check_batch(const mdl::linear_operator<T>& op, std::size_t batch)
    {
        const xt::xtensor<T, 2> X = wave<T>(batch, op.cols(), 0.11);
        const xt::xtensor<T, 2> Y = op.apply(X);
        REQUIRE(Y.shape(0) == batch);
        REQUIRE(Y.shape(1) == op.rows());
        for (std::size_t b = 0; b < batch; ++b)
            CHECK(xt::xtensor<T, 1>(xt::view(Y, b)) == op.apply(xt::xtensor<T, 1>(xt::view(X, b))));
    }
}  // namespace

TEST_CASE_TEMPLATE("dense operator: owned and borrowed apply W x, bytes rows*cols*sizeof(T)", T, float, double)
{
    const xt::xtensor<T, 2> W = wave<T>(300, 257, 0.013);  // >= 65536 weights: the parallel path
    const xt::xtensor<T, 1> x = xt::view(wave<T>(1, 257, 0.07), 0);
    const mdl::linear_operator<T> own(W), view = mdl::linear_operator<T>::view(W);
    CHECK(own.rows() == 300);
    CHECK(own.cols() == 257);
    CHECK(own.storage_bytes() == 300 * 257 * sizeof(T));
    CHECK(own.apply(x) == view.apply(x));
    CHECK(own.densify() == W);
    CHECK(rel_error(own.apply(x), W, x) < (std::is_same_v<T, float> ? 1e-5 : 1e-13));
    check_batch(own, 3);
    const mdl::linear_operator<T> empty;
    CHECK(empty.rows() == 0);
    CHECK(empty.storage_bytes() == 0);
    CHECK_THROWS_WITH_AS(own.apply(xt::xtensor<T, 1>::from_shape({5})),
                         "model::linear_operator::apply: x must have length cols()=257, got 5", tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(own.apply(xt::xtensor<T, 2>::from_shape({2, 5})),
                         "model::linear_operator::apply: X must have shape [batch, cols()=257], got [2, 5]",
                         tessera::invalid_argument);
}

TEST_CASE_TEMPLATE("low-rank operator applies L (R x): equal to L R x, bytes (m + n) r sizeof(T)", T, float, double)
{
    const xt::xtensor<T, 2> W = wave<T>(96, 80, 0.021);
    const tessera::spectral::low_rank<T> f(tessera::spectral::truncated_svd(W, 12));
    const mdl::linear_operator<T> op(f);
    const xt::xtensor<T, 1> x = xt::view(wave<T>(1, 80, 0.05), 0);
    CHECK(op.rows() == 96);
    CHECK(op.cols() == 80);
    CHECK(op.storage_bytes() == (96 + 80) * 12 * sizeof(T));
    CHECK(op.storage_bytes() == f.storage_bytes());
    CHECK(rel_error(op.apply(x), f.reconstruct(), x) < (std::is_same_v<T, float> ? 1e-5 : 1e-12));
    CHECK(op.densify() == f.reconstruct());
    check_batch(op, 2);
}

TEST_CASE_TEMPLATE("TT operator applies tt_matrix::matvec: equal to its dense form, bytes of the cores", T, float,
                   double)
{
    const xt::xtensor<T, 2> W = wave<T>(64, 172, 0.017);
    tessera::tt::tt_options o;
    o.max_rank = 6;
    const auto m = tessera::tt::to_tt_matrix(W, {8, 8}, {4, 43}, o);
    const mdl::linear_operator<T> op(m);
    const xt::xtensor<T, 1> x = xt::view(wave<T>(1, 172, 0.09), 0);
    CHECK(op.rows() == 64);
    CHECK(op.cols() == 172);
    CHECK(op.storage_bytes() == m.storage_bytes());
    CHECK(op.storage_bytes() < 64 * 172 * sizeof(T));
    CHECK(op.apply(x) == m.matvec(x));
    CHECK(rel_error(op.apply(x), m.reconstruct(), x) < (std::is_same_v<T, float> ? 1e-5 : 1e-12));
    check_batch(op, 2);
}

TEST_CASE_TEMPLATE("ternary operator: int8 input is ternary::gemv, exact float input is the dequantized W x", T, float,
                   double)
{
    namespace tn = tessera::ternary;
    const xt::xtensor<T, 2> W = wave<T>(70, 172, 0.031);  // 172 columns: one scale group per row
    tn::quantize_options q;
    q.granularity = tn::scale_granularity::per_row;
    const tn::packed_ternary P = tn::quantize_pack_2bit(W, q);
    const xt::xtensor<T, 1> x = xt::view(wave<T>(1, 172, 0.19), 0);
    const mdl::linear_operator<T> i8(P), fl(P, mdl::ternary_input::exact_float);
    CHECK(i8.storage_bytes() == P.storage_bytes());
    CHECK(i8.storage_bytes() == 70 * 43 + 70 * 4);  // 2 bits per weight + one float scale per row
    tn::activation_options a;
    a.per_token = true;
    const xt::xtensor<float, 1> ref = tn::gemv(P, tn::quantize_activations_int8(x, a));
    CHECK(xt::xtensor<float, 1>(xt::cast<float>(i8.apply(x))) == ref);
    CHECK(xt::xtensor<float, 1>(xt::cast<float>(fl.apply(x))) == tn::gemv_float(P, x));
    // The dequantized matrix: codes times the row scale, exact in float.
    const xt::xtensor<T, 2> D = fl.densify();
    CHECK(rel_error(fl.apply(x), D, x) < 1e-5);
    CHECK(xt::amax(xt::abs(D - W))() < 0.6 * xt::amax(xt::abs(W))());
    check_batch(i8, 2);
    CHECK_THROWS_WITH_AS(mdl::linear_operator<T>(tn::pack_base3(tn::unpack_2bit(P)), mdl::ternary_input::exact_float),
                         doctest::Contains("model::linear_operator: the packed ternary matrix must carry scales"),
                         tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(mdl::linear_operator<T>(tn::pack_base3(tn::quantize_absmean(W, q)), mdl::ternary_input::exact_float),
                         "model::linear_operator: input=exact_float needs the 2-bit layout (gemv_float), got base-3",
                         tessera::invalid_argument);
}
