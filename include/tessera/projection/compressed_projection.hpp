#pragma once
/// \file compressed_projection.hpp
/// A matrix stored as its random-projection codes Y = W P plus (kind, seed): the projection
/// is regenerated from the seed, never stored. Plugs into a compression report through
/// reconstruct(), storage_bytes(), compression_ratio(), rows() and cols(), like
/// spectral::low_rank.

#include <array>
#include <cstddef>
#include <cstdint>
#include <utility>

#include <xtensor/xtensor.hpp>

#include "../core/errors.hpp"
#include "../core/traits.hpp"
#include "../core/validate.hpp"
#include "random_projection.hpp"

namespace tessera::projection
{
    namespace detail
    {
        /// W [n, d] compressed to codes Y = W P [n, k]; see the public alias.
        template <class T>
        class compressed_projection
        {
            static_assert(is_real_v<T>, "tessera::projection::compressed_projection<T>: T must be float or double");

        public:
            /// Bytes of metadata counted by storage_bytes(): rows, cols, k, seed and kind as
            /// five 64-bit words.
            static constexpr std::size_t metadata_bytes = 5 * sizeof(std::uint64_t);

            /// \param codes [n, k] = W P. \param d columns of the original matrix.
            /// \throws tessera::invalid_argument if k == 0, d == 0, or kind=orthonormal with k > d.
            compressed_projection(xt::xtensor<T, 2> codes, std::size_t d, projection_kind kind, std::uint64_t seed,
                                  reconstruct_options options = {})
                : m_codes(std::move(codes)), m_d(d), m_kind(kind), m_seed(seed), m_options(options)
            {
                const char* fn = "projection::compressed_projection";
                require(m_codes.shape(1) > 0, fn, "codes must have at least one column, got shape ",
                        shape_to_string(m_codes.shape()));
                require(d > 0, fn, "d=", d, " must be positive");
                require(kind != projection_kind::orthonormal || m_codes.shape(1) <= d, fn, "k=", m_codes.shape(1),
                        " must not exceed d=", d, " for kind=orthonormal");
            }

            std::size_t rows() const noexcept { return m_codes.shape(0); }  ///< n
            std::size_t cols() const noexcept { return m_d; }               ///< d
            std::array<std::size_t, 2> shape() const noexcept { return {rows(), cols()}; }
            std::size_t k() const noexcept { return m_codes.shape(1); }
            projection_kind kind() const noexcept { return m_kind; }
            std::uint64_t seed() const noexcept { return m_seed; }
            const xt::xtensor<T, 2>& codes() const noexcept { return m_codes; }

            /// The projection P [d, k], regenerated from (d, k, kind, seed).
            random_projection<T> projection() const { return random_projection<T>(m_d, k(), m_kind, m_seed); }

            /// Y pinv(P) [n, d]: the best reconstruction from the codes (orthogonal projection of
            /// each row onto the k-dim subspace). Cost: regenerating P, the pinv and one GEMM.
            xt::xtensor<T, 2> reconstruct() const { return projection().reconstruct(m_codes, m_options); }

            /// (d/k) Y pinv(P): the seed's scale-corrected variant (unbiased, larger error).
            xt::xtensor<T, 2> reconstruct_scaled() const { return projection().reconstruct_scaled(m_codes, m_options); }

            /// Bytes stored: the codes n k sizeof(T) plus metadata_bytes. The projection is not
            /// counted: it is regenerated from the seed.
            std::size_t storage_bytes() const noexcept { return m_codes.size() * sizeof(T) + metadata_bytes; }

            /// Bytes of the uncompressed matrix, n d sizeof(T).
            std::size_t original_bytes() const noexcept { return rows() * cols() * sizeof(T); }

            /// original_bytes() / storage_bytes() (about d / k).
            double compression_ratio() const noexcept
            {
                return static_cast<double>(original_bytes()) / static_cast<double>(storage_bytes());
            }

        private:
            xt::xtensor<T, 2> m_codes;
            std::size_t m_d;
            projection_kind m_kind;
            std::uint64_t m_seed;
            reconstruct_options m_options;
        };

        /// Compresses W [n, d] to the k-dim codes W P of random_projection(d, k, kind, seed).
        /// Cost: one projection (see random_projection::project).
        /// \throws tessera::invalid_argument as random_projection's constructor, or if W holds NaN / Inf.
        template <class E, requires_t<is_real_expression_v<E>> = true>
        compressed_projection<value_type_t<E>> compress(const xt::xexpression<E>& W, std::size_t k,
                                                        projection_kind kind = projection_kind::gaussian,
                                                        std::uint64_t seed = 0, reconstruct_options options = {})
        {
            using T = value_type_t<E>;
            // Checked here so that a bad W is named for the caller (project() checks again).
            auto ev = tessera::detail::evaluate_finite<T, 2>(W, "projection::compress", "W");
            const auto& w = ev.get();
            const random_projection<T> proj(w.shape(1), k, kind, seed);
            return compressed_projection<T>(proj.project(w), w.shape(1), kind, seed, options);
        }
    }  // namespace detail

    /// A matrix W [n, d] stored as codes W P [n, k] plus (kind, seed); P is regenerated.
    template <class T>
    using compressed_projection = detail::compressed_projection<T>;

    using detail::compress;
}  // namespace tessera::projection
