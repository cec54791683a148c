#pragma once
/// \file divergence.hpp
/// How far a compressed copy of a llama_model drifts from the original: next-token KL
/// divergence and top-1 agreement on the same token sequences (teacher forcing), plus seeded
/// temperature sampling to draw those sequences from the original model.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "../core/errors.hpp"
#include "../core/random.hpp"
#include "../core/validate.hpp"
#include "forward.hpp"

namespace tessera::model
{
    /// Per-position agreement between a reference and a candidate model.
    struct next_token_divergence_result
    {
        double mean_kl = 0.0;          ///< mean over positions of KL(p_ref || p_cand), in nats
        double max_kl = 0.0;           ///< largest per-position KL
        double top1_agreement = 1.0;   ///< fraction of positions whose arg-max tokens agree
        std::size_t positions = 0;     ///< positions compared (all sequences)
        std::vector<double> kl;        ///< per-position KL, sequences concatenated
    };

    namespace detail
    {
        /// Checks that a candidate model has the reference model's config.
        /// \throws tessera::invalid_argument `"model::next_token_divergence: candidate config must equal the
        ///         reference config"` unless every field of `a` and `b` is equal.
        inline void require_same_config(const llama2_config& a, const llama2_config& b)
        {
            require(a.dim == b.dim && a.hidden_dim == b.hidden_dim && a.n_layers == b.n_layers &&
                        a.n_heads == b.n_heads && a.n_kv_heads == b.n_kv_heads && a.vocab_size == b.vocab_size &&
                        a.seq_len == b.seq_len && a.shared_classifier == b.shared_classifier &&
                        a.rope_theta == b.rope_theta && a.rms_norm_eps == b.rms_norm_eps,
                    "model::next_token_divergence", "candidate config must equal the reference config");
        }

        /// log-softmax of `logits` in double: z_i - max - log(sum_j exp(z_j - max)).
        template <class T>
        std::vector<double> log_softmax(const xt::xtensor<T, 1>& logits)
        {
            const std::size_t n = logits.size();
            std::vector<double> out(n);
            double mx = static_cast<double>(logits[0]);
            for (std::size_t i = 1; i < n; ++i)
                mx = std::max(mx, static_cast<double>(logits[i]));
            double sum = 0.0;
            for (std::size_t i = 0; i < n; ++i)
                sum += std::exp(static_cast<double>(logits[i]) - mx);
            const double lse = mx + std::log(sum);
            for (std::size_t i = 0; i < n; ++i)
                out[i] = static_cast<double>(logits[i]) - lse;
            return out;
        }

        /// Compares the next-token distributions of `reference` and `candidate` (same config) at
        /// every position of every sequence: both models are fed the same tokens, and at each
        /// position \f$KL = \sum_v p_v (\log p_v - \log q_v)\f$ is accumulated in double from
        /// the log-softmax of the logits; top-1 agreement counts equal arg-max tokens.
        /// Sequences longer than seq_len are cut at seq_len.
        /// \return mean/max KL in nats, top-1 agreement in [0, 1], and the per-position KLs.
        /// \throws tessera::invalid_argument when the configurations differ, a sequence is
        ///         empty, or a token is out of range.
        /// \note Identical weights give KL = 0 exactly (the forward pass is deterministic). A
        ///       candidate with compressed operators runs them as stored (never densified).
        /// Cost: two forward passes per position.
        template <class T>
        next_token_divergence_result next_token_divergence(const llama_model<T>& reference, const llama_model<T>& candidate,
                                                           const std::vector<std::vector<int>>& sequences)
        {
            require_same_config(reference.config, candidate.config);
            const auto& a = reference.config;
            next_token_divergence_result res;
            std::size_t agree = 0;
            double total = 0.0;
            for (std::size_t s = 0; s < sequences.size(); ++s)
            {
                const auto& seq = sequences[s];
                require(!seq.empty(), "model::next_token_divergence", "sequences[", s, "] is empty");
                llama_runner<T> ra(reference), rb(candidate);
                const std::size_t n = std::min(seq.size(), a.seq_len);
                for (std::size_t pos = 0; pos < n; ++pos)
                {
                    const auto lp = log_softmax(ra.forward(seq[pos], pos));
                    const auto& logits_b = rb.forward(seq[pos], pos);
                    const auto lq = log_softmax(logits_b);
                    double kl = 0.0;
                    std::size_t arg_p = 0;
                    for (std::size_t v = 0; v < lp.size(); ++v)
                    {
                        kl += std::exp(lp[v]) * (lp[v] - lq[v]);
                        if (lp[v] > lp[arg_p])
                            arg_p = v;
                    }
                    kl = std::max(kl, 0.0);  // rounding can leave -1e-17 for near-identical models
                    if (static_cast<int>(arg_p) == argmax(logits_b))
                        ++agree;
                    res.kl.push_back(kl);
                    total += kl;
                    res.max_kl = std::max(res.max_kl, kl);
                }
            }
            res.positions = res.kl.size();
            if (res.positions > 0)
            {
                res.mean_kl = total / static_cast<double>(res.positions);
                res.top1_agreement = static_cast<double>(agree) / static_cast<double>(res.positions);
            }
            return res;
        }

        /// Samples a sequence from the model at `temperature` > 0 (softmax of logits /
        /// temperature, inverse-CDF draw with uniform number `pos` of counter_rng(seed)), starting
        /// from BOS, for at most `steps` forward passes (capped at seq_len), stopping early when
        /// the model emits BOS. temperature == 0 is greedy decoding.
        /// \return BOS followed by the sampled tokens; same seed => same sequence.
        /// \throws tessera::invalid_argument when temperature is negative or not finite.
        template <class T>
        std::vector<int> generate_sampled(const llama_model<T>& m, std::size_t steps, double temperature,
                                          std::uint64_t seed = 0)
        {
            require_finite_value(temperature, "model::generate_sampled", "temperature");
            require(temperature >= 0.0, "model::generate_sampled", "temperature=", temperature, " must be >= 0");
            if (temperature == 0.0)
                return generate_greedy(m, steps);
            const counter_rng rng(seed);
            llama_runner<T> run(m);
            std::vector<int> tokens{1};
            const std::size_t limit = std::min(steps, m.config.seq_len);
            for (std::size_t pos = 0; pos < limit; ++pos)
            {
                const auto& logits = run.forward(tokens.back(), pos);
                std::vector<double> p(logits.size());
                double mx = static_cast<double>(logits[0]) / temperature;
                for (std::size_t v = 0; v < p.size(); ++v)
                    mx = std::max(mx, static_cast<double>(logits[v]) / temperature);
                double sum = 0.0;
                for (std::size_t v = 0; v < p.size(); ++v)
                    sum += (p[v] = std::exp(static_cast<double>(logits[v]) / temperature - mx));
                const double u = rng.uniform<double>(pos) * sum;
                double cdf = 0.0;
                std::size_t next = p.size() - 1;
                for (std::size_t v = 0; v < p.size(); ++v)
                {
                    cdf += p[v];
                    if (u < cdf)
                    {
                        next = v;
                        break;
                    }
                }
                if (next == 1)
                    break;
                tokens.push_back(static_cast<int>(next));
            }
            return tokens;
        }
    }  // namespace detail

    using detail::generate_sampled, detail::log_softmax, detail::next_token_divergence;
}  // namespace tessera::model
