// Every invalid_argument names its function the same way, in every module: "module::function: "
// (the name below tessera::, module first; core's blas::, lapack:: and tessera:: for its root
// namespace). A sample of public functions of each module, each given one bad argument.
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <tessera/tessera.hpp>
#include <xtensor/xbuilder.hpp>
#include <xtensor/xtensor.hpp>

namespace
{
    /// The message of the tessera::invalid_argument that `f` throws (a note when it throws none).
    template <class F>
    std::string invalid_argument_message(F&& f)
    {
        try
        {
            f();
        }
        catch (const tessera::invalid_argument& e)
        {
            return e.what();
        }
        catch (const std::exception& e)
        {
            return std::string("(not a tessera::invalid_argument: ") + e.what() + ")";
        }
        return "(nothing thrown)";
    }

    xt::xtensor<double, 2> matrix(std::size_t rows, std::size_t cols, std::uint64_t seed = 1)
    {
        return tessera::random_normal<double>(rows, cols, seed);
    }
}  // namespace

// `function` is the expected prefix without ": "; the check also names the module on failure.
#define CHECK_ERROR_PREFIX(function, expr)                                                              \
    do                                                                                                   \
    {                                                                                                    \
        const std::string msg_ = invalid_argument_message([&] { (void)(expr); });                        \
        INFO(#expr " threw: " << msg_);                                                                  \
        CHECK(msg_.rfind(std::string(function) + ": ", 0) == 0);                                         \
    } while (0)

TEST_CASE("core: blas::, lapack:: and tessera:: prefixes")
{
    const auto A = matrix(4, 3), B = matrix(3, 5);
    xt::xtensor<double, 2> C = xt::zeros<double>({4, 4});
    using tessera::blas::op;
    CHECK_ERROR_PREFIX("blas::gemm", tessera::blas::gemm(op::none, op::none, 1.0, A, B, 0.0, C));
    CHECK_ERROR_PREFIX("blas::matvec", tessera::blas::matvec(A, xt::xtensor<double, 1>(xt::zeros<double>({2}))));
    CHECK_ERROR_PREFIX("lapack::eigh", tessera::lapack::eigh<double>(A));
    CHECK_ERROR_PREFIX("lapack::lu_permuted_lower", tessera::lapack::lu_permuted_lower<double>(matrix(2, 3)));
    CHECK_ERROR_PREFIX("tessera::sample_without_replacement", tessera::sample_without_replacement(3, 4, 1));
}

TEST_CASE("io:: prefixes")
{
    tessera::io::vocabulary v;
    v.words = {"a", "b\nc"};
    v.index = {{"a", 0}, {"b\nc", 1}};
    CHECK_ERROR_PREFIX("io::vocabulary::row", v.row("absent"));
    CHECK_ERROR_PREFIX("io::write_words", tessera::io::write_words("/nonexistent-dir/words.txt", v));
    CHECK_ERROR_PREFIX("io::write_safetensors",
                       tessera::io::write_safetensors("/nonexistent-dir/t.safetensors",
                                                      std::vector<tessera::io::named_tensor<double>>{{"", xt::xarray<double>{1.0}}}));
}

TEST_CASE("stats:: prefixes")
{
    const xt::xtensor<double, 1> a = {1.0, 2.0, 3.0}, b = {1.0, 2.0};
    CHECK_ERROR_PREFIX("stats::pearson", tessera::stats::pearson(a, b));
    CHECK_ERROR_PREFIX("stats::spearman", tessera::stats::spearman(a, b));
    CHECK_ERROR_PREFIX("stats::interval_of_mean", tessera::stats::interval_of_mean({1.0, 2.0}, 1.0));
}

TEST_CASE("simplex:: prefixes")
{
    CHECK_ERROR_PREFIX("simplex::sample_simplices", tessera::simplex::sample_simplices(4, 4, 10));
    CHECK_ERROR_PREFIX("simplex::sample_simplices", tessera::simplex::sample_simplices(40, 4, 0));
    const auto X = matrix(6, 3);
    const xt::xtensor<std::uint64_t, 2> idx = {{0, 1, 6}};
    CHECK_ERROR_PREFIX("simplex::simplex_volumes", tessera::simplex::simplex_volumes(X, idx));
}

TEST_CASE("spectral:: prefixes")
{
    const auto A = matrix(10, 4);
    CHECK_ERROR_PREFIX("spectral::truncated_svd", tessera::spectral::truncated_svd(A, 5));
    CHECK_ERROR_PREFIX("spectral::pca", tessera::spectral::pca(A, 0));
    CHECK_ERROR_PREFIX("spectral::adaptive_svd", tessera::spectral::adaptive_svd(A, 0.0));
    const xt::xtensor<double, 1> s = {3.0, 2.0, 1.0};
    CHECK_ERROR_PREFIX("spectral::energy_rank", tessera::spectral::energy_rank(s, 0.0));
}

TEST_CASE("projection:: prefixes")
{
    using tessera::projection::projection_kind;
    CHECK_ERROR_PREFIX("projection::johnson_lindenstrauss_min_dim", tessera::projection::johnson_lindenstrauss_min_dim(100, 0.0));
    CHECK_ERROR_PREFIX("projection::random_projection",
                       tessera::projection::random_projection<double>(10, 11, projection_kind::orthonormal, 1));
    const tessera::projection::random_projection<double> P(16, 4, projection_kind::gaussian, 1);
    CHECK_ERROR_PREFIX("projection::random_projection::reconstruct", P.reconstruct(matrix(3, 5)));
}

TEST_CASE("ternary:: prefixes")
{
    const xt::xtensor<float, 2> W = xt::ones<float>({2, 300});
    tessera::ternary::activation_options o;
    o.block_size = 0;
    CHECK_ERROR_PREFIX("ternary::quantize_activations_int8", tessera::ternary::quantize_activations_int8(W, o));
    CHECK_ERROR_PREFIX("ternary::to_tq2_0", tessera::ternary::to_tq2_0(tessera::ternary::quantize_absmean(W)));
    CHECK_ERROR_PREFIX("ternary::encode_tq2_0", tessera::ternary::encode_tq2_0(W));
}

TEST_CASE("tt:: prefixes")
{
    CHECK_ERROR_PREFIX("tt::next_smooth", tessera::tt::next_smooth(10, 1));
    CHECK_ERROR_PREFIX("tt::prime_factors", tessera::tt::prime_factors(0));
    CHECK_ERROR_PREFIX("tt::tensor_train", tessera::tt::tensor_train<double>(std::vector<xt::xtensor<double, 3>>{}));
    CHECK_ERROR_PREFIX("tt::to_tt_matrix_sequential", tessera::tt::to_tt_matrix_sequential(matrix(20, 6), {4, 5}, {4}));
}

TEST_CASE("align:: prefixes")
{
    const auto A = matrix(10, 3), B9 = matrix(9, 3);
    CHECK_ERROR_PREFIX("align::procrustes", tessera::align::procrustes(A, B9));
    CHECK_ERROR_PREFIX("align::split_anchors", tessera::align::split_anchors(10, 1.5));
    CHECK_ERROR_PREFIX("align::generalized_procrustes",
                       tessera::align::generalized_procrustes(std::vector<xt::xtensor<double, 2>>{A}));
}

TEST_CASE("compress:: prefixes")
{
    const auto W = matrix(4, 8);
    CHECK_ERROR_PREFIX("compress::add_gaussian_noise", tessera::compress::add_gaussian_noise(W, -0.1));
    tessera::compress::int4_options zero;
    zero.group_size = 0;
    CHECK_ERROR_PREFIX("compress::quantize_int4_per_group", tessera::compress::quantize_int4_per_group(W, zero));
    CHECK_ERROR_PREFIX("compress::compression_report", tessera::compress::compression_report(W, matrix(4, 7)));
}

TEST_CASE("model:: prefixes")
{
    const auto up = matrix(20, 8);
    CHECK_ERROR_PREFIX("model::measure_ffn", tessera::model::measure_ffn(up, up));
    CHECK_ERROR_PREFIX("model::measure_qk", tessera::model::measure_qk(matrix(12, 10), matrix(6, 10), 4, 3));
    xt::xtensor<double, 2> bad = matrix(3, 3);
    bad(1, 2) = std::nan("");
    CHECK_ERROR_PREFIX("model::measure_weight", tessera::model::measure_weight(bad));
}

TEST_CASE("stream:: prefixes")
{
    const auto X = matrix(40, 6);
    const auto src = tessera::stream::from_matrix(X);
    CHECK_ERROR_PREFIX("stream::pca", tessera::stream::pca<double>(src, 7));
    CHECK_ERROR_PREFIX("stream::row_source::slice", src.slice(30, 11));
    tessera::stream::stream_options tiny;
    tiny.memory_budget = 10;
    CHECK_ERROR_PREFIX("stream::covariance_moments", tessera::stream::covariance_moments(src, tiny));
    CHECK_ERROR_PREFIX("stream::open_shards", tessera::stream::open_shards({}));
    CHECK_ERROR_PREFIX("stream::volume_statistics", tessera::stream::volume_statistics<double>(src, 7, 10));
}
