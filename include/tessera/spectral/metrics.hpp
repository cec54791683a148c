#pragma once
/// \file metrics.hpp
/// Scalar summaries of a spectrum, each named after its convention: rank for an energy
/// fraction, stable rank, two participation ratios (on sigma and on covariance eigenvalues
/// lambda), two entropy effective ranks (p = sigma / sum sigma and p = sigma^2 / sum sigma^2),
/// spectral entropy, active fraction and condition number.
///
/// Every function takes a 1-D expression of non-negative finite values, evaluated once and
/// accumulated in double; the all-zero spectrum gives 0 (and condition_number infinity).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <optional>

#include <xtensor/xtensor.hpp>

#include "../core/errors.hpp"
#include "../core/traits.hpp"

namespace tessera::spectral
{
    namespace detail
    {
        /// Evaluates a spectrum into doubles and checks it: non-empty, finite, >= 0.
        template <class E>
        xt::xtensor<double, 1> checked_spectrum(const xt::xexpression<E>& e, const char* fn, const char* param)
        {
            using T = value_type_t<E>;
            auto held = tessera::detail::evaluate<T, 1>(e, fn, param);
            const auto& s = held.get();
            require(s.size() > 0, fn, param, " must be non-empty, got shape [0]");
            xt::xtensor<double, 1> out = xt::xtensor<double, 1>::from_shape({s.size()});
            for (std::size_t i = 0; i < s.size(); ++i)
            {
                const double v = static_cast<double>(s(i));
                require(std::isfinite(v) && v >= 0.0, fn, param, " must hold finite non-negative values, got ", v,
                        " at index ", i);
                out(i) = v;
            }
            return out;
        }

        inline double sum_of(const xt::xtensor<double, 1>& s, int power) noexcept
        {
            double t = 0.0;
            for (double v : s)
                t += power == 1 ? v : (power == 2 ? v * v : v * v * v * v);
            return t;
        }

        /// H(p) = -sum p_i log p_i of p_i = s_i^power / sum_j s_j^power (power 1 or 2), with
        /// 0 log 0 = 0; nullopt for an all-zero spectrum (every entropy measure of it is 0).
        inline std::optional<double> spectrum_entropy(const xt::xtensor<double, 1>& s, int power) noexcept
        {
            const double total = sum_of(s, power);
            if (!(total > 0.0))
                return std::nullopt;
            double h = 0.0;
            for (double x : s)
                if (const double v = power == 1 ? x : x * x; v > 0.0)
                {
                    const double p = v / total;
                    h -= p * std::log(p);
                }
            return h;
        }

        /// Energy rank against a given total energy (use ||A||_F^2 when S is a truncated
        /// spectrum). Returns S.size() when the given values do not reach tau * total.
        /// \throws tessera::invalid_argument as above, or when total_energy <= 0 or is not finite.
        template <class E, requires_t<is_real_expression_v<E>> = true>
        std::size_t energy_rank(const xt::xexpression<E>& S, double tau, double total_energy)
        {
            const char* fn = "spectral::energy_rank";
            require(tau > 0.0 && tau <= 1.0, fn, "tau=", tau, " must be in (0, 1]");
            require(std::isfinite(total_energy) && total_energy > 0.0, fn, "total_energy=", total_energy,
                    " must be finite and > 0");
            auto s = checked_spectrum(S, fn, "S");
            for (std::size_t i = 1; i < s.size(); ++i)
                require(s(i) <= s(i - 1), fn, "S must be sorted in descending order, got S[", i - 1, "]=", s(i - 1),
                        " < S[", i, "]=", s(i));
            const double target = tau * total_energy;
            double acc = 0.0;
            for (std::size_t k = 0; k < s.size(); ++k)
            {
                acc += s(k) * s(k);
                if (acc >= target)
                    return k + 1;
            }
            return s.size();
        }

        /// Energy rank: the smallest k with sum_{i<k} sigma_i^2 >= tau * total, where total is
        /// ||A||_F^2 = sum sigma_i^2 (this overload) — the rank that keeps a fraction tau of the
        /// energy. \param S singular values, descending. \param tau in (0, 1].
        /// \return k in [1, S.size()] (0 for the all-zero spectrum). \throws tessera::invalid_argument for tau outside (0, 1],
        /// an empty, negative, non-finite or unsorted S.
        template <class E, requires_t<is_real_expression_v<E>> = true>
        std::size_t energy_rank(const xt::xexpression<E>& S, double tau)
        {
            require(tau > 0.0 && tau <= 1.0, "spectral::energy_rank", "tau=", tau, " must be in (0, 1]");
            auto s = checked_spectrum(S, "spectral::energy_rank", "S");
            const double total = sum_of(s, 2);
            return total > 0.0 ? energy_rank(s, tau, total) : 0;
        }

        /// Stable rank ||A||_F^2 / ||A||_2^2 = sum sigma_i^2 / max sigma_i^2, in [1, rank(A)].
        /// \throws tessera::invalid_argument for an empty, negative or non-finite S.
        template <class E, requires_t<is_real_expression_v<E>> = true>
        double stable_rank(const xt::xexpression<E>& S)
        {
            auto s = checked_spectrum(S, "spectral::stable_rank", "S");
            const double top = *std::max_element(s.begin(), s.end());
            return top > 0.0 ? sum_of(s, 2) / (top * top) : 0.0;
        }

        /// Participation ratio on singular values, (sum sigma_i)^2 / sum sigma_i^2 (the
        /// convention used for weight matrices). \throws as stable_rank.
        template <class E, requires_t<is_real_expression_v<E>> = true>
        double participation_ratio_sigma(const xt::xexpression<E>& S)
        {
            auto s = checked_spectrum(S, "spectral::participation_ratio_sigma", "S");
            const double s2 = sum_of(s, 2), s1 = sum_of(s, 1);
            return s2 > 0.0 ? s1 * s1 / s2 : 0.0;
        }

        /// Participation ratio on covariance eigenvalues, (sum lambda_i)^2 / sum lambda_i^2 (the
        /// convention used for embeddings; lambda_i = sigma_i^2 / (m - 1) of the *centred* matrix,
        /// so this equals (sum sigma^2)^2 / sum sigma^4 of A - mean).
        /// \param lambda eigenvalues (non-negative). \throws as stable_rank.
        template <class E, requires_t<is_real_expression_v<E>> = true>
        double participation_ratio_lambda(const xt::xexpression<E>& lambda)
        {
            auto l = checked_spectrum(lambda, "spectral::participation_ratio_lambda", "lambda");
            const double l2 = sum_of(l, 2), l1 = sum_of(l, 1);
            return l2 > 0.0 ? l1 * l1 / l2 : 0.0;
        }

        /// Entropy effective rank (Roy & Vetterli 2007; "RankMe"): exp(-sum p_i log p_i) with
        /// p_i = sigma_i / sum sigma. \throws as stable_rank.
        template <class E, requires_t<is_real_expression_v<E>> = true>
        double effective_rank_entropy(const xt::xexpression<E>& S)
        {
            const auto h = spectrum_entropy(checked_spectrum(S, "spectral::effective_rank_entropy", "S"), 1);
            return h ? std::exp(*h) : 0.0;
        }

        /// Von Neumann effective rank: exp(-sum p_i log p_i) with p_i = sigma_i^2 / sum sigma^2
        /// (the eigenvalues of A^T A / tr(A^T A) as a density matrix); = exp(spectral_entropy).
        /// \throws as stable_rank.
        template <class E, requires_t<is_real_expression_v<E>> = true>
        double effective_rank_vonneumann(const xt::xexpression<E>& S)
        {
            const auto h = spectrum_entropy(checked_spectrum(S, "spectral::effective_rank_vonneumann", "S"), 2);
            return h ? std::exp(*h) : 0.0;
        }

        /// Spectral entropy in nats, -sum p_i log p_i with p_i = sigma_i^2 / sum sigma^2; in
        /// [0, log k]. \throws as stable_rank.
        template <class E, requires_t<is_real_expression_v<E>> = true>
        double spectral_entropy(const xt::xexpression<E>& S)
        {
            return spectrum_entropy(checked_spectrum(S, "spectral::spectral_entropy", "S"), 2).value_or(0.0);
        }

        /// Fraction of singular values above threshold * max sigma (strictly), in [0, 1].
        /// \param threshold relative threshold in [0, 1) (default 1e-3).
        /// \throws tessera::invalid_argument for threshold outside [0, 1) or a bad S.
        template <class E, requires_t<is_real_expression_v<E>> = true>
        double active_fraction(const xt::xexpression<E>& S, double threshold = 1e-3)
        {
            const char* fn = "spectral::active_fraction";
            require(threshold >= 0.0 && threshold < 1.0, fn, "threshold=", threshold, " must be in [0, 1)");
            auto s = checked_spectrum(S, fn, "S");
            const double cut = threshold * *std::max_element(s.begin(), s.end());
            std::size_t active = 0;
            for (double v : s)
                active += v > cut ? 1u : 0u;
            return static_cast<double>(active) / static_cast<double>(s.size());
        }

        /// 2-norm condition number max sigma / min sigma (infinity when min sigma is 0).
        /// \note Pass the full spectrum: on a truncated one this is sigma_1 / sigma_r.
        /// \throws as stable_rank.
        template <class E, requires_t<is_real_expression_v<E>> = true>
        double condition_number(const xt::xexpression<E>& S)
        {
            auto s = checked_spectrum(S, "spectral::condition_number", "S");
            const auto [lo, hi] = std::minmax_element(s.begin(), s.end());
            return *lo > 0.0 ? *hi / *lo : std::numeric_limits<double>::infinity();
        }
    }  // namespace detail

    using detail::active_fraction, detail::condition_number, detail::effective_rank_entropy,
        detail::effective_rank_vonneumann, detail::energy_rank, detail::participation_ratio_lambda,
        detail::participation_ratio_sigma, detail::spectral_entropy, detail::stable_rank;
}  // namespace tessera::spectral
