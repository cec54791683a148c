// The example of docs/projection.md (included from this file, so it is compiled and run).
// Compress a [2000, 256] matrix to k = 64 codes with a very sparse projection, reconstruct it
// with the pseudoinverse, and compare with the scale-corrected variant and the JL bound.
#include <cmath>
#include <iostream>

#include <doctest/doctest.h>
#include <tessera/core/random.hpp>
#include <tessera/projection.hpp>

namespace tp = tessera::projection;

double relative_error(const xt::xtensor<float, 2>& W, const xt::xtensor<float, 2>& R)
{
    double e = 0, w = 0;
    for (std::size_t i = 0; i < W.size(); ++i)
    {
        const double diff = double(W.data()[i]) - double(R.data()[i]);
        e += diff * diff;
        w += double(W.data()[i]) * double(W.data()[i]);
    }
    return std::sqrt(e / w);
}

TEST_CASE("docs example: very sparse projection, pinv reconstruction, distortion")
{
    const auto W = tessera::random_normal<float>(2000, 256, /*seed=*/1);  // rows are vectors

    // P [256, 64]: Li's very sparse kind (1 in 16 entries non-zero), regenerable from the seed.
    const tp::random_projection<float> proj(256, 64, tp::projection_kind::very_sparse, /*seed=*/42);
    const auto Y = proj.project(W);             // [2000, 64], never densifies P
    const auto W_hat = proj.reconstruct(Y);     // Y pinv(P): orthogonal projection onto 64 dims
    const auto W_scaled = proj.reconstruct_scaled(Y);  // the seed's (d/k) correction

    const double err = relative_error(W, W_hat), err_scaled = relative_error(W, W_scaled);
    std::cout << "pinv error " << err << " (sqrt(1 - k/d) = " << std::sqrt(1 - 64.0 / 256) << "), scaled "
              << err_scaled << " (sqrt(d/k - 1) = " << std::sqrt(256.0 / 64 - 1) << ")\n";
    CHECK(err == doctest::Approx(std::sqrt(0.75)).epsilon(0.01));
    CHECK(err_scaled == doctest::Approx(std::sqrt(3.0)).epsilon(0.02));

    // The compressed form stores only the codes and the seed.
    const auto c = tp::compress(W, 64, tp::projection_kind::very_sparse, 42);
    std::cout << "storage " << c.storage_bytes() << " bytes, ratio " << c.compression_ratio() << "\n";
    CHECK(c.compression_ratio() == doctest::Approx(4.0).epsilon(1e-3));

    // Squared distances: measured spread vs the Johnson-Lindenstrauss guarantee.
    const auto st = tp::distortion_report(W, proj, tp::distortion_options{20000, 0.1}, /*seed=*/7);
    std::cout << "ratio mean " << st.ratio.mean << ", std " << st.ratio.stddev << ", 98% in ["
              << st.ratio.percentile(1) << ", " << st.ratio.percentile(99)
              << "], JL needs k >= " << st.jl_min_dim << " for eps = 0.1\n";
    CHECK(st.ratio.mean == doctest::Approx(1.0).epsilon(0.02));
    CHECK(st.jl_min_dim == tp::johnson_lindenstrauss_min_dim(2000, 0.1));

    // P pinv(P) = f I + R: a rank-64 orthogonal projector, f = k/d.
    const auto op = tp::operator_report(proj);
    std::cout << "f = " << op.f << " (k/d = " << op.expected_f << "), ||O - O^2|| / ||O|| = "
              << op.idempotence_error << "\n";
    CHECK(op.idempotence_error < 1e-10);
}
