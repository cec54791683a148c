#pragma once
/// \file llama2_divergence.hpp
/// Next-token divergence and seeded sampling on llama2_weights: thin users of
/// model/divergence.hpp on dense views of the weights (model::llama2_view, no copy).

#include <cstddef>
#include <cstdint>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "../model/divergence.hpp"
#include "llama2.hpp"

namespace tessera::compress
{
    namespace detail
    {
        /// log-softmax of `logits` in double (model::log_softmax).
        template <class T>
        std::vector<double> llama2_log_softmax(const xt::xtensor<T, 1>& logits)
        {
            return model::log_softmax(logits);
        }

        /// model::next_token_divergence of two llama2_weights (views, no copy): per-position
        /// KL(p_ref || p_cand) in nats and top-1 agreement on the same token sequences.
        /// \throws tessera::invalid_argument when the configurations differ, a sequence is empty, a token is out of range, or an array has the
        ///         wrong shape.
        template <class T>
        model::next_token_divergence_result next_token_divergence(const llama2_weights<T>& reference,
                                                                  const llama2_weights<T>& candidate,
                                                                  const std::vector<std::vector<int>>& sequences)
        {
            model::detail::require_same_config(reference.config, candidate.config);  // before the views validate
            return model::next_token_divergence(model::llama2_view(reference), model::llama2_view(candidate), sequences);
        }

        /// model::generate_sampled on llama2_weights: BOS then tokens drawn at `temperature` with
        /// uniform number `pos` of counter_rng(seed); temperature 0 is greedy.
        /// \throws tessera::invalid_argument when temperature is negative or not finite.
        template <class T>
        std::vector<int> llama2_generate_sampled(const llama2_weights<T>& weights, std::size_t steps, double temperature,
                                                 std::uint64_t seed = 0)
        {
            return model::generate_sampled(model::llama2_view(weights), steps, temperature, seed);
        }
    }  // namespace detail

    using detail::llama2_generate_sampled;
    using detail::llama2_log_softmax;
    using detail::next_token_divergence;
    /// Result of next_token_divergence (model::next_token_divergence_result).
    using next_token_divergence_result = model::next_token_divergence_result;
}  // namespace tessera::compress
