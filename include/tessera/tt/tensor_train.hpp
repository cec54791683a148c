#pragma once
/// \file tensor_train.hpp
/// `tensor_train<T>`: a d-way tensor A (n_1 x ... x n_d) stored as a train of cores
/// \f$ A(i_1, ..., i_d) = G_1[:, i_1, :] G_2[:, i_2, :] \cdots G_d[:, i_d, :] \f$.
///
/// Layout: core k is an `xt::xtensor<T, 3>` of shape (r_{k-1}, n_k, r_k), row-major (r_k
/// fastest), with r_0 = r_d = 1. Dense tensors are flattened row-major (i_d fastest), the same
/// as numpy's C order. Build one from a dense tensor with `tt_svd` (tt_svd.hpp).

#include <cmath>
#include <cstddef>
#include <initializer_list>
#include <limits>
#include <type_traits>
#include <utility>
#include <vector>

#include <xtensor/xadapt.hpp>
#include <xtensor/xarray.hpp>
#include <xtensor/xtensor.hpp>

#include "../core/errors.hpp"
#include "../core/status.hpp"
#include "../core/traits.hpp"
#include "detail/sweeps.hpp"
#include "options.hpp"

namespace tessera::tt
{
    namespace detail
    {
        /// A tensor in TT format; see the file comment for the layout.
        template <class T>
        class tensor_train
        {
            static_assert(std::is_floating_point_v<T> && is_real_v<T>,
                          "tessera::tt::tensor_train<T>: T must be float or double");

        public:
            using value_type = T;
            using core_type = xt::xtensor<T, 3>;

            tensor_train() = default;

            /// Takes the cores G_k of shape (r_{k-1}, n_k, r_k).
            /// \throws tessera::invalid_argument if there are no cores, r_0 or r_d != 1, a rank
            ///   or mode size is 0, or consecutive ranks disagree.
            explicit tensor_train(std::vector<core_type> cores) : m_cores(std::move(cores))
            {
                const char* fn = "tt::tensor_train";
                require(!m_cores.empty(), fn, "cores must not be empty");
                for (std::size_t k = 0; k < m_cores.size(); ++k)
                {
                    const auto& G = m_cores[k];
                    require(G.shape(0) >= 1 && G.shape(1) >= 1 && G.shape(2) >= 1, fn, "core ", k,
                            " must have non-zero extents, got ", shape_to_string(G.shape()));
                    if (k == 0)
                        require(G.shape(0) == 1, fn, "core 0 must have r_0 = 1, got shape ", shape_to_string(G.shape()));
                    else
                        require(G.shape(0) == m_cores[k - 1].shape(2), fn, "core ", k, " has shape ",
                                shape_to_string(G.shape()), " but core ", k - 1, " ends with rank ",
                                m_cores[k - 1].shape(2));
                }
                require(m_cores.back().shape(2) == 1, fn, "last core must have r_d = 1, got shape ",
                        shape_to_string(m_cores.back().shape()));
            }

            /// Number of cores d.
            std::size_t order() const noexcept { return m_cores.size(); }
            /// Mode sizes (n_1, ..., n_d).
            std::vector<std::size_t> shape() const
            {
                std::vector<std::size_t> s;
                for (const auto& G : m_cores)
                    s.push_back(G.shape(1));
                return s;
            }
            /// TT ranks (r_0 = 1, r_1, ..., r_d = 1): d + 1 values.
            std::vector<std::size_t> ranks() const
            {
                std::vector<std::size_t> r{1};
                for (const auto& G : m_cores)
                    r.push_back(G.shape(2));
                return r;
            }
            /// Largest TT rank.
            std::size_t max_rank() const
            {
                std::size_t r = 1;
                for (const auto& G : m_cores)
                    r = std::max(r, G.shape(2));
                return r;
            }
            /// Core k, shape (r_{k-1}, n_k, r_k). \throws tessera::invalid_argument if k >= d.
            const core_type& core(std::size_t k) const
            {
                require(k < m_cores.size(), "tt::tensor_train::core", "k=", k, " must be < order()=", m_cores.size());
                return m_cores[k];
            }
            /// All cores.
            const std::vector<core_type>& cores() const noexcept { return m_cores; }
            /// Number of entries of the dense tensor, prod n_k (as double: it may overflow size_t).
            double dense_size() const
            {
                double s = 1;
                for (const auto& G : m_cores)
                    s *= static_cast<double>(G.shape(1));
                return s;
            }
            /// Number of stored values, sum_k r_{k-1} n_k r_k.
            std::size_t parameter_count() const noexcept
            {
                std::size_t p = 0;
                for (const auto& G : m_cores)
                    p += G.size();
                return p;
            }
            /// Bytes of the stored values, parameter_count() * sizeof(T).
            std::size_t storage_bytes() const noexcept { return parameter_count() * sizeof(T); }
            /// Dense entries per stored value, prod n_k / parameter_count() (0 when empty).
            double compression_ratio() const
            {
                return m_cores.empty() ? 0.0 : dense_size() / static_cast<double>(parameter_count());
            }

            /// Squared Frobenius norm discarded at each bond by the truncation that built this
            /// train (tt_svd or round); d - 1 values, zeros for a train built from cores.
            const std::vector<double>& discarded_energy() const noexcept { return m_discarded; }
            /// Numerical outcome of the truncation that built this train.
            const tessera::status& status() const noexcept { return m_status; }

            /// Entry A(i_1, ..., i_d): a product of d core slices, O(d r^2).
            /// \throws tessera::invalid_argument on a wrong count or an out-of-range index.
            T operator()(const std::vector<std::size_t>& index) const
            {
                const char* fn = "tt::tensor_train::operator()";
                require(index.size() == m_cores.size(), fn, "index must have ", m_cores.size(), " entries, got ",
                        index.size());
                std::vector<double> v{1.0}, next;
                for (std::size_t k = 0; k < m_cores.size(); ++k)
                {
                    const auto& G = m_cores[k];
                    require(index[k] < G.shape(1), fn, "index[", k, "]=", index[k], " must be < n_", k, "=",
                            G.shape(1));
                    const std::size_t r0 = G.shape(0), r1 = G.shape(2), i = index[k];
                    next.assign(r1, 0.0);
                    for (std::size_t a = 0; a < r0; ++a)
                        for (std::size_t b = 0; b < r1; ++b)
                            next[b] += v[a] * double(G(a, i, b));
                    v.swap(next);
                }
                return static_cast<T>(v[0]);
            }
            T operator()(std::initializer_list<std::size_t> index) const
            {
                return (*this)(std::vector<std::size_t>(index));
            }

            /// The dense tensor, shape (n_1, ..., n_d). Cost O(prod n_k * r) time and memory.
            xt::xarray<T> full() const
            {
                nonempty("tt::tensor_train::full");
                auto flat = detail::full<T>(m_cores);
                const auto s = shape();
                xt::xarray<T> out = xt::adapt(flat, s);
                return out;
            }
            /// Same as full() (the name every compressed form of tessera shares).
            xt::xarray<T> reconstruct() const { return full(); }

            /// <A, B> = sum_i A(i) B(i) without densifying, accumulated in double.
            /// Cost O(d n r^3). \throws tessera::invalid_argument if the mode sizes differ.
            double dot(const tensor_train& other) const
            {
                nonempty("tt::tensor_train::dot");
                require(shape() == other.shape(), "tt::tensor_train::dot", "shapes must match, got ",
                        shape_to_string(shape()), " and ", shape_to_string(other.shape()));
                return detail::dot<T>(m_cores, other.m_cores);
            }
            /// ||A||_F = sqrt(<A, A>) without densifying (double accumulation).
            /// \note via the Gram recursion: relative accuracy ~ machine eps * ||A||^2 / ||A||^2
            ///   of the cores' scale; for a nearly cancelling sum call round() first.
            double norm() const
            {
                nonempty("tt::tensor_train::norm");
                const double s = detail::dot<T>(m_cores, m_cores);
                return std::sqrt(std::max(0.0, s));
            }

            /// TT-rounding: right-to-left QR orthogonalization, then a left-to-right truncated
            /// SVD sweep with delta = rel_eps ||A||_F / sqrt(d - 1) per bond and max_rank cap, so
            /// ||A - round(A)||_F <= rel_eps ||A||_F unless max_rank binds (status says so).
            /// Cost O(d n r^3). \throws tessera::invalid_argument on bad options.
            tensor_train round(const tt_options& options = {}) const
            {
                check_options(options, "tt::tensor_train::round");
                nonempty("tt::tensor_train::round");
                check_bond_count(options, order(), "tt::tensor_train::round");
                auto cores = m_cores;
                detail::orthogonalize_right<T>(cores);
                double nrm = 0.0;  // all the norm now sits in core 0
                for (T v : cores[0])
                    nrm += double(v) * double(v);
                nrm = std::sqrt(nrm);
                tensor_train out;
                out.m_cores = std::move(cores);
                detail::truncate_left_to_right<T>(out.m_cores, bond_delta(options.rel_eps, nrm, order()),
                                                  options, out.m_discarded, out.m_status);
                check_accuracy(out.m_status, out.m_discarded, options.rel_eps, nrm);
                return out;
            }

            /// alpha * A (scales core 0).
            tensor_train scaled(T alpha) const
            {
                tensor_train out = *this;
                out.m_cores[0] *= alpha;
                return out;
            }

            /// Sum of two trains of the same shape: ranks add (block-diagonal cores); call
            /// round() to recompress. \throws tessera::invalid_argument if the shapes differ.
            friend tensor_train operator+(const tensor_train& a, const tensor_train& b)
            {
                require(a.shape() == b.shape(), "tt::tensor_train::operator+", "shapes must match, got ",
                        shape_to_string(a.shape()), " and ", shape_to_string(b.shape()));
                const std::size_t d = a.order();
                std::vector<core_type> cores;
                for (std::size_t k = 0; k < d; ++k)
                {
                    const auto& A = a.m_cores[k];
                    const auto& B = b.m_cores[k];
                    const std::size_t n = A.shape(1);
                    const std::size_t ra0 = A.shape(0), ra1 = A.shape(2), rb0 = B.shape(0), rb1 = B.shape(2);
                    const std::size_t r0 = k == 0 ? 1 : ra0 + rb0, r1 = k + 1 == d ? 1 : ra1 + rb1;
                    const std::size_t b0 = k == 0 ? 0 : ra0, b1 = k + 1 == d ? 0 : ra1;  // offsets of B's block
                    core_type G = xt::zeros<T>({r0, n, r1});
                    for (std::size_t i = 0; i < n; ++i)
                    {
                        for (std::size_t x = 0; x < ra0; ++x)
                            for (std::size_t y = 0; y < ra1; ++y)
                                G(x, i, y) = A(x, i, y);
                        for (std::size_t x = 0; x < rb0; ++x)
                            for (std::size_t y = 0; y < rb1; ++y)
                                G(b0 + x, i, b1 + y) += B(x, i, y);
                    }
                    cores.push_back(std::move(G));
                }
                return tensor_train(std::move(cores));
            }
            /// a - b, ranks add.
            friend tensor_train operator-(const tensor_train& a, const tensor_train& b) { return a + b.scaled(T(-1)); }

            /// Used by tt_svd: a train with its truncation record.
            static tensor_train from_truncation(std::vector<core_type> cores, std::vector<double> discarded,
                                                tessera::status st)
            {
                tensor_train out(std::move(cores));
                out.m_discarded = std::move(discarded);
                out.m_status = std::move(st);
                return out;
            }

        private:
            void nonempty(const char* fn) const
            {
                require(!m_cores.empty(), fn, "the train is empty (default-constructed): it has no cores");
            }

            std::vector<core_type> m_cores;
            std::vector<double> m_discarded;
            tessera::status m_status;
        };
    }  // namespace detail

    using detail::tensor_train;
}  // namespace tessera::tt
