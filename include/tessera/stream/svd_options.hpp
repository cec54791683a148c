#pragma once
/// \file svd_options.hpp
/// The options and result types of stream::pca / truncated_svd / covariance_spectrum, and the
/// single-process reducer (stream/mpi.hpp has the MPI one).

#include <cstddef>
#include <cstdint>
#include <vector>

#include "../spectral/pca.hpp"
#include "../spectral/svd_result.hpp"
#include "../stats/spectrum.hpp"
#include "moments.hpp"
#include "pass.hpp"

namespace tessera::stream
{
    /// How the sign of each principal axis / singular vector pair is fixed.
    enum class sign_rule
    {
        /// The largest-|.| entry of each component (row of Vt) is positive (first on ties): no
        /// extra pass (sklearn >= 1.5's PCA rule, svd_flip(u_based_decision=False)).
        components,
        /// The largest-|.| entry of each score column (U) is positive, as the in-memory
        /// spectral::pca / truncated_svd (svd_flip u-based): one more pass over the rows.
        scores
    };

    /// Which algorithm a streaming PCA / SVD runs.
    enum class stream_method
    {
        gram,        ///< one pass, n x n scatter in double, exact to the tail rule
        randomized   ///< `passes` passes, n x l sketch (block power iteration, Rayleigh-Ritz)
    };

    /// Options of stream::pca and stream::truncated_svd.
    struct svd_options
    {
        stream_method method = stream_method::gram;  ///< algorithm
        sign_rule signs = sign_rule::components;      ///< sign convention (scores: one extra pass)
        std::size_t passes = 4;       ///< randomized: passes over the rows (>= 1); power iterations = passes - 1
        std::size_t oversampling = 10;  ///< randomized: extra sketch columns p (l = min(r + p, n))
        std::uint64_t seed = 0x5eed5eedULL;  ///< randomized: Gaussian start
        /// Largest acceptable estimated relative error of the smallest requested singular value
        /// (gram: eps_double (sigma_1/sigma_r)^2; randomized: min(rho, rho^2 / gap) / (2 sigma_r^2)
        /// from the Ritz residual rho = ||X^T X v_r - sigma_r^2 v_r||, the gap to the next Ritz
        /// value); 0 = 1e-4 for float, 1e-8 for double (gram) and 1e-3 (randomized).
        double tolerance = 0.0;
        bool whiten = false;           ///< pca: as spectral::pca_options::whiten
        bool left_vectors = false;     ///< truncated_svd: also compute U [rows, r] (one more pass)
        stream_options stream{};       ///< budget, block size, prefetch, progress
    };

    /// A streamed PCA: spectral::pca_result (transform/inverse_transform work as in memory) plus
    /// what the passes cost.
    template <class T>
    struct pca_result : spectral::pca_result<T>
    {
        pass_report report;  ///< passes, bytes, time, memory held
    };

    /// A streamed truncated SVD: spectral::svd_result (U empty unless left_vectors) plus the cost.
    template <class T>
    struct svd_result : spectral::svd_result<T>
    {
        pass_report report;  ///< passes, bytes, time, memory held
    };

    /// A streamed covariance spectrum (stats::covariance_spectrum_result) plus the cost.
    struct covariance_spectrum_result : stats::covariance_spectrum_result
    {
        pass_report report;  ///< passes, bytes, time, memory held
    };

    /// The reductions a streaming routine needs across the processes that hold its rows. This
    /// one is a single process (every reduction is the identity); stream/mpi.hpp has the MPI one.
    struct local_reducer
    {
        /// Sums `n` doubles over the processes, in place.
        void sum(double*, std::size_t) const {}
        /// Moments of all processes' rows (each process passes its own).
        moments all_moments(moments m) const { return m; }
        /// For each column j, the (|value|, row, value) triple of largest |value| over the
        /// processes (the smallest row on ties); `best` holds 3 doubles per column.
        void argmax_abs(std::vector<double>&) const {}
        /// Rows of all processes together.
        std::size_t total_rows(std::size_t local) const { return local; }
    };
}  // namespace tessera::stream
