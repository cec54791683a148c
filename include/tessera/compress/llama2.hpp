#pragma once
/// \file llama2.hpp
/// The llama2.c forward pass over llama2_weights<T> and greedy generation: thin users of the one
/// forward pass, model::llama_runner (model/forward.hpp), on dense views of the weights (no
/// copy). Used to ask whether a model whose matrices were compressed (and densified back into
/// llama2_weights) still produces the same text; to run compressed matrices as stored, build a
/// model::llama_model with compressed operators instead.

#include <cstddef>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "../model/forward.hpp"
#include "../model/llama.hpp"
#include "llama2_checkpoint.hpp"

namespace tessera::compress
{
    namespace detail
    {
        /// model::llama_runner on a borrowing view of llama2_weights (model::llama2_view): the
        /// same forward pass, bit for bit, with argument errors naming `llama2_runner::forward`.
        /// \note Borrows the weights: they must outlive the runner and not change while it runs.
        template <class T>
        class llama2_runner : public model::llama_runner<T>
        {
        public:
            /// Validates `weights` (llama2_weights::validate) and allocates the cache
            /// (2 * n_layers * seq_len * kv_dim values of T).
            /// \throws tessera::invalid_argument when an array has the wrong shape.
            explicit llama2_runner(const llama2_weights<T>& weights)
                : model::llama_runner<T>(model::llama2_view(weights), "llama2_runner::forward")
            {
            }
        };

        /// Index of the largest logit (the first on ties): model::argmax.
        template <class T>
        int llama2_argmax(const xt::xtensor<T, 1>& logits)
        {
            return model::argmax(logits);
        }

        /// model::generate_greedy on llama2_weights: feed the prompt (default BOS), append the
        /// arg-max token for at most `steps` forward passes (capped at seq_len), stop at BOS.
        /// \return the prompt followed by the generated tokens.
        /// \throws tessera::invalid_argument when the prompt is empty, holds an invalid token, or
        ///         an array has the wrong shape.
        template <class T>
        std::vector<int> llama2_generate_greedy(const llama2_weights<T>& weights, std::size_t steps,
                                                std::vector<int> prompt = {1})
        {
            return model::generate_greedy(model::llama2_view(weights), steps, std::move(prompt));
        }
    }  // namespace detail

    using detail::llama2_argmax;
    using detail::llama2_generate_greedy;
    using detail::llama2_runner;
}  // namespace tessera::compress
