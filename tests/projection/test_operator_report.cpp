#include <cmath>

#include <doctest/doctest.h>
#include <tessera/projection/operator_report.hpp>

#include "test_support.hpp"

using tessera::projection::operator_report;
using tessera::projection::projection_kind;
using tessera::projection::random_projection;

TEST_CASE_TEMPLATE("O = P pinv(P) is a symmetric idempotent with trace k and f = k/d", T, float, double)
{
    const std::size_t d = 192;
    for (auto kind : {projection_kind::gaussian, projection_kind::orthonormal, projection_kind::achlioptas,
                      projection_kind::very_sparse})
        for (std::size_t k : {16, 96, 180})
        {
            INFO("kind=" << tessera::projection::to_string(kind) << " k=" << k);
            random_projection<T> proj(d, k, kind, 3);
            const auto st = operator_report(proj);
            CHECK(st.status.ok());
            // The orthonormal kind's pinv is P^T, exact only to T's precision.
            const double tol = (kind == projection_kind::orthonormal && std::is_same_v<T, float>) ? 1e-6 : 1e-11;
            CHECK(st.trace == doctest::Approx(double(k)).epsilon(tol * 10));
            CHECK(st.f == doctest::Approx(double(k) / double(d)).epsilon(tol * 10));
            CHECK(st.expected_f == doctest::Approx(double(k) / double(d)));
            CHECK(st.idempotence_error < tol);
            CHECK(st.asymmetry < tol);
        }
}

TEST_CASE_TEMPLATE("the noise R = O - f I has the spread of a random rank-k projector", T, float, double)
{
    // Gaussian and orthonormal kinds span a Haar-random subspace: E[R_ij^2] = k(d-k)/(d(d-1)(d+2))
    // and Var(O_ii) = 2 f (1-f)/(d+2). With d = 256 there are 65280 off-diagonal samples.
    const std::size_t d = 256, k = 64;
    for (auto kind : {projection_kind::gaussian, projection_kind::orthonormal})
    {
        random_projection<T> proj(d, k, kind, 12);
        const auto st = operator_report(proj);
        CHECK(st.offdiag_rms == doctest::Approx(st.expected_offdiag_rms).epsilon(0.03));
        CHECK(st.diagonal_std == doctest::Approx(st.expected_diagonal_std).epsilon(0.2));
        CHECK(st.offdiag_max_abs > 3 * st.offdiag_rms);
        CHECK(st.offdiag_max_abs < 8 * st.offdiag_rms);
    }
    CHECK(operator_report(random_projection<T>(d, k, projection_kind::gaussian, 12)).expected_offdiag_rms ==
          doctest::Approx(std::sqrt(64.0 * 192.0 / (256.0 * 255.0 * 258.0))));
}

TEST_CASE_TEMPLATE("f -> k/d for a rank-deficient P (k > d) stays min(k, d)/d", T, float, double)
{
    random_projection<T> proj(32, 48, projection_kind::gaussian, 5);
    const auto st = operator_report(proj);
    CHECK(st.status.code == tessera::status_code::fallback_used);
    CHECK(st.f == doctest::Approx(1.0).epsilon(1e-9));
    CHECK(st.idempotence_error < 1e-9);
}
