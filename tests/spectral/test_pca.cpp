#include <doctest/doctest.h>
#include <tessera/spectral/pca.hpp>

#include "spectral_test_support.hpp"

using namespace spectral_test;
namespace sp = tessera::spectral;

namespace
{
    template <class T>
    void check_close(const xt::xtensor<T, 2>& got, const xt::xtensor<double, 2>& ref, double rel)
    {
        REQUIRE(got.shape(0) == ref.shape(0));
        REQUIRE(got.shape(1) == ref.shape(1));
        double scale = 0;
        for (double v : ref)
            scale = std::max(scale, std::abs(v));
        xt::xtensor<double, 2> g = xt::cast<double>(got);
        CHECK(max_abs_diff(g, ref) <= rel * scale);
    }
}  // namespace

TEST_CASE_TEMPLATE("pca matches sklearn.decomposition.PCA (full solver) on the fixture", T, float, double)
{
    auto X = load_matrix<T>("pca_X");
    const double rel = std::is_same_v<T, float> ? 2e-5 : 1e-11;
    for (auto method : {sp::svd_method::automatic, sp::svd_method::exact, sp::svd_method::gram})
    {
        sp::pca_options o;
        o.svd.method = method;
        auto p = sp::pca(X, 4, o);
        CHECK(p.status.ok());
        CHECK(p.n_samples == 80);
        xt::xtensor<T, 2> mean2 = xt::view(p.mean, xt::newaxis(), xt::all());
        xt::xtensor<double, 2> mean_ref = xt::transpose(load_matrix<double>("pca_mean"));
        check_close(mean2, mean_ref, rel);
        // sklearn 1.2 flips signs with svd_flip(U, Vt) as we do: components match with their signs.
        check_close(p.components, load_matrix<double>("pca_components"), 10 * rel);
        xt::xtensor<T, 2> ev = xt::view(p.explained_variance, xt::newaxis(), xt::all());
        check_close(ev, xt::xtensor<double, 2>(xt::transpose(load_matrix<double>("pca_explained_variance"))), rel);
        xt::xtensor<T, 2> evr = xt::view(p.explained_variance_ratio, xt::newaxis(), xt::all());
        check_close(evr,
                    xt::xtensor<double, 2>(xt::transpose(load_matrix<double>("pca_explained_variance_ratio"))), rel);
        xt::xtensor<T, 2> sv = xt::view(p.singular_values, xt::newaxis(), xt::all());
        check_close(sv, xt::xtensor<double, 2>(xt::transpose(load_matrix<double>("pca_singular_values"))), rel);
        auto Z = p.transform(X);
        check_close(Z, load_matrix<double>("pca_transform"), 10 * rel);
        // inverse_transform(transform(X)) is the projection of X on the 4 components: idempotent.
        auto Xp = p.inverse_transform(Z);
        check_close(p.transform(Xp), xt::xtensor<double, 2>(xt::cast<double>(Z)), 10 * rel);
    }
}

TEST_CASE_TEMPLATE("pca whitening matches sklearn and inverts", T, float, double)
{
    auto X = load_matrix<T>("pca_X");
    const double rel = std::is_same_v<T, float> ? 2e-5 : 1e-11;
    sp::pca_options o;
    o.whiten = true;
    auto p = sp::pca(X, 4, o);
    auto Z = p.transform(X);
    check_close(Z, load_matrix<double>("pca_whiten_transform"), 10 * rel);
    // Whitened scores have unit sample variance (ddof = 1) and zero mean.
    for (std::size_t j = 0; j < 4; ++j)
    {
        double s = 0, ss = 0;
        for (std::size_t i = 0; i < 80; ++i)
        {
            s += double(Z(i, j));
            ss += double(Z(i, j)) * double(Z(i, j));
        }
        CHECK(std::abs(s / 80) < 10 * rel);
        CHECK(ss / 79 == doctest::Approx(1.0).epsilon(10 * rel));
    }
    xt::xtensor<T, 2> Z5 = xt::view(Z, xt::range(0, 5), xt::all());
    check_close(p.inverse_transform(Z5), load_matrix<double>("pca_whiten_inverse"), 10 * rel);
}

TEST_CASE_TEMPLATE("pca bad input", T, float, double)
{
    auto X = tessera::random_normal<T>(6, 3, 2);
    SPECTRAL_CHECK_THROWS_WITH_SUBSTR(sp::pca(X, 0), "spectral::pca: k=0 must be at least 1");
    SPECTRAL_CHECK_THROWS_WITH_SUBSTR(sp::pca(X, 4), "spectral::pca: k=4 exceeds min(rows, cols)=3");
    xt::xtensor<T, 2> one = xt::ones<T>({1, 3});
    SPECTRAL_CHECK_THROWS_WITH_SUBSTR(sp::pca(one, 1), "spectral::pca: A must have at least 2 rows");
    auto p = sp::pca(X, 2);
    xt::xtensor<T, 2> wrong = xt::zeros<T>({2, 4});
    SPECTRAL_CHECK_THROWS_WITH_SUBSTR(p.transform(wrong), "spectral::pca_result::transform: X must have 3 columns, got shape [2, 4]");
    SPECTRAL_CHECK_THROWS_WITH_SUBSTR(p.inverse_transform(wrong), "spectral::pca_result::inverse_transform: Z must have 2 columns");
    X(0, 0) = std::numeric_limits<T>::quiet_NaN();
    SPECTRAL_CHECK_THROWS_WITH_SUBSTR(sp::pca(X, 1), "spectral::pca: A must be finite, got nan at [0, 0]");
}
