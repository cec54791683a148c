// The determinism statement of README.md and docs/index.md, checked on the library calls that
// examples/compression_sweep makes, on the bundled GloVe 10k x 100, at 1 and 2 threads
// (thread_count_guard sets tessera's OpenMP team and, with the OpenMP build of OpenBLAS, BLAS's):
//  - bitwise at any thread count: everything seeded (projection matrices, Gaussian test
//    matrices, query and pair samples), tessera's own parallel loops, and so ternary
//    quantization and every compression_report field computed from a given approximation
//    except recall@k (its similarities are a BLAS product);
//  - equal to rounding: whatever goes through an OpenBLAS level-3 product (truncated SVD,
//    projection codes and reconstruction, TT-SVD, the kNN similarities): OpenBLAS splits a
//    product differently for another thread count, and the last bits of float sums move.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <tessera/compress/report.hpp>
#include <tessera/core/parallel.hpp>
#include <tessera/core/random.hpp>
#include <tessera/io.hpp>
#include <tessera/projection.hpp>
#include <tessera/spectral.hpp>
#include <tessera/ternary.hpp>
#include <tessera/tt.hpp>

#include "test_support.hpp"

namespace tc = tessera::compress;
namespace tp = tessera::projection;

namespace
{
    using matrix = xt::xtensor<float, 2>;

    bool bitwise(const matrix& a, const matrix& b)
    {
        return a.shape() == b.shape() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
    }

    /// max |a - b| / max |a|: how far two runs of the same float computation drifted.
    double drift(const matrix& a, const matrix& b)
    {
        double num = 0.0, den = 0.0;
        for (std::size_t i = 0; i < a.size(); ++i)
        {
            num = std::max(num, std::abs(double(a.data()[i]) - double(b.data()[i])));
            den = std::max(den, std::abs(double(a.data()[i])));
        }
        return num / den;
    }

    struct configuration
    {
        std::string name;
        matrix approximation;
        std::uint64_t bytes = 0;
    };

    /// The sweep's approximations (a subset of its grid), computed at `threads` threads.
    std::vector<configuration> sweep(const matrix& A, int threads)
    {
        const tessera::thread_count_guard guard(threads);
        std::vector<configuration> out;
        for (std::size_t r : {10, 50})
        {
            const tessera::spectral::low_rank<float> lr(tessera::spectral::truncated_svd(A, r));
            out.push_back({"svd rank=" + std::to_string(r), lr.reconstruct(), lr.storage_bytes()});
        }
        for (auto kind : {tp::projection_kind::gaussian, tp::projection_kind::very_sparse})
        {
            const auto c = tp::compress(A, 25, kind, 0);
            const std::string name = std::string("rp-") + tp::to_string(kind) + " k=25";
            out.push_back({name, c.reconstruct(), c.storage_bytes()});
            out.push_back({name + " scaled", c.reconstruct_scaled(), c.storage_bytes()});
        }
        const auto shapes = tessera::tt::tt_shape_suggestions(A.shape(0), A.shape(1), 3);
        REQUIRE(!shapes.empty());
        const auto& s = shapes.front();
        matrix padded = xt::zeros<float>({s.rows, s.cols});
        xt::view(padded, xt::range(0, A.shape(0)), xt::range(0, A.shape(1))) = A;
        tessera::tt::tt_options o;
        o.max_rank = 8;
        o.rel_eps = 0.0;
        const auto t = tessera::tt::to_tt_matrix(padded, s.row_modes, s.col_modes, o);
        out.push_back({"tt bond=8", xt::view(t.reconstruct(), xt::range(0, A.shape(0)), xt::range(0, A.shape(1))),
                       t.storage_bytes()});
        tessera::ternary::quantize_options q;
        q.group_size = 64;
        const auto tq = tessera::ternary::quantize_absmean(A, q);
        out.push_back({"ternary group=64", tq.reconstruct(), tq.storage_bytes()});
        return out;
    }

    tc::report_options report_opts()
    {
        tc::report_options o;
        o.knn_queries = 200;
        o.pairs = 20000;
        o.seed = 0;
        return o;
    }

    tc::quality_report report_at(const matrix& A, const configuration& c, int threads)
    {
        const tessera::thread_count_guard guard(threads);
        return tc::compression_report(A, c.approximation, c.bytes, report_opts());
    }

    matrix bundled()
    {
        return tessera::io::read_npy<float>(std::string(TESSERA_SOURCE_DIR) + "/examples/data/glove100d_top10k.npy");
    }
}  // namespace

TEST_CASE("seeded draws and tessera's own loops are bitwise identical at 1 and 2 threads")
{
    const matrix A = bundled();
    auto at = [&](int threads, auto f) {
        const tessera::thread_count_guard guard(threads);
        return f();
    };
    for (auto kind : {tp::projection_kind::gaussian, tp::projection_kind::orthonormal, tp::projection_kind::achlioptas,
                      tp::projection_kind::very_sparse})
    {
        auto P = [&] { return tp::random_projection<float>(100, 25, kind, 3).template matrix<float>(); };
        CHECK_MESSAGE(bitwise(at(1, P), at(2, P)), std::string(tp::to_string(kind)));
    }
    auto G = [] { return tessera::random_normal<float>(10000, 100, 7, 0, 0.5f); };
    CHECK(bitwise(at(1, G), at(2, G)));
    auto ternary = [&] {
        tessera::ternary::quantize_options q;
        q.group_size = 32;
        return tessera::ternary::quantize_absmean(A, q).reconstruct();
    };
    CHECK(bitwise(at(1, ternary), at(2, ternary)));

    // A report of one given approximation: every field but recall@k is bitwise.
    const configuration fixed{"ternary", ternary(), 1};
    const auto r1 = report_at(A, fixed, 1), r2 = report_at(A, fixed, 2);
    CHECK(r1.relative_frobenius_error == r2.relative_frobenius_error);
    CHECK(r1.row_cosine.mean == r2.row_cosine.mean);
    CHECK(r1.row_cosine.min == r2.row_cosine.min);
    CHECK(r1.relational_spearman == r2.relational_spearman);
    CHECK(r1.relational_pearson == r2.relational_pearson);
    CHECK(r1.knn_queries == r2.knn_queries);
    CHECK(std::abs(r1.knn_recall - r2.knn_recall) <= 0.01);
}

TEST_CASE("compression_sweep's BLAS-backed results agree to rounding at 1 and 2 threads")
{
    const matrix A = bundled();
    const auto one = sweep(A, 1), two = sweep(A, 2);
    REQUIRE(one.size() == two.size());
    std::size_t differing = 0;
    for (std::size_t i = 0; i < one.size(); ++i)
    {
        CAPTURE(one[i].name);
        REQUIRE(one[i].name == two[i].name);
        CHECK(one[i].bytes == two[i].bytes);
        // Float products summed in another order: float rounding of the largest entry, amplified
        // by the truncations (TT-SVD's chain of float SVDs: 1.8e-5 measured at bond 8).
        const double d = drift(one[i].approximation, two[i].approximation);
        INFO("max |B1 - B2| / max |B1| = " << d);
        CHECK(d <= 1e-4);
        differing += bitwise(one[i].approximation, two[i].approximation) ? 0 : 1;
        const auto r1 = report_at(A, one[i], 1), r2 = report_at(A, two[i], 2);
        CHECK(r1.relative_frobenius_error == doctest::Approx(r2.relative_frobenius_error).epsilon(1e-6));
        CHECK(r1.row_cosine.mean == doctest::Approx(r2.row_cosine.mean).epsilon(1e-6));
        CHECK(std::abs(r1.relational_spearman - r2.relational_spearman) <= 1e-5);
        CHECK(std::abs(r1.knn_recall - r2.knn_recall) <= 0.01);  // a near-tie may swap one neighbour
        CHECK(r1.storage_bytes == r2.storage_bytes);
        CHECK(r1.compression_ratio == r2.compression_ratio);
    }
    // The ternary row involves no BLAS call: bitwise, whatever OpenBLAS does.
    CHECK(bitwise(one.back().approximation, two.back().approximation));
    MESSAGE(differing << " of " << one.size() << " approximations differ in their last bits between 1 and 2 "
                      << "threads (OpenBLAS " << std::string(tessera::blas::core_name()) << ", "
                      << std::string(tessera::blas::threading()) << ")");
}
