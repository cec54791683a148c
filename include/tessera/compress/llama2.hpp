#pragma once
/// \file llama2.hpp
/// The llama2.c transformer forward pass (RMSNorm, rotary attention with grouped key/value
/// heads, SwiGLU FFN, classifier) over llama2_weights<T>, and greedy generation. Used to ask
/// whether a model whose matrices were compressed still produces the same text.

#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "../core/errors.hpp"
#include "../core/parallel.hpp"
#include "llama2_checkpoint.hpp"

namespace tessera::compress
{
    namespace detail
    {
        /// out[i] = sum_j W(i, j) x[j] for W [rows, cols] (the llama2.c `matmul`), accumulated in
        /// T in index order; rows split across threads, so the result is the same at any
        /// thread count.
        template <class T>
        void llama2_matvec(T* out, const xt::xtensor<T, 2>& W, const T* x)
        {
            const std::size_t rows = W.shape(0), cols = W.shape(1);
            const T* w = W.data();
            tessera::detail::parallel_for(
                0, static_cast<std::ptrdiff_t>(rows),
                [&](std::ptrdiff_t i) {
                    const T* wi = w + static_cast<std::size_t>(i) * cols;
                    T acc = T(0);
                    for (std::size_t j = 0; j < cols; ++j)
                        acc += wi[j] * x[j];
                    out[i] = acc;
                },
                rows * cols >= 65536 ? 2 : std::numeric_limits<std::ptrdiff_t>::max());
        }

        /// o = g * x / sqrt(mean(x^2) + 1e-5) (RMSNorm), n = g.size().
        template <class T>
        void llama2_rmsnorm(T* o, const T* x, const xt::xtensor<T, 1>& g)
        {
            const std::size_t n = g.size();
            T ss = T(0);
            for (std::size_t j = 0; j < n; ++j)
                ss += x[j] * x[j];
            ss = ss / static_cast<T>(n) + static_cast<T>(1e-5);
            ss = T(1) / std::sqrt(ss);
            for (std::size_t j = 0; j < n; ++j)
                o[j] = g[j] * (ss * x[j]);
        }

        /// In-place softmax of x[0..n) (max subtracted first).
        template <class T>
        void llama2_softmax(T* x, std::size_t n)
        {
            T mx = x[0];
            for (std::size_t i = 1; i < n; ++i)
                mx = x[i] > mx ? x[i] : mx;
            T sum = T(0);
            for (std::size_t i = 0; i < n; ++i)
            {
                x[i] = std::exp(x[i] - mx);
                sum += x[i];
            }
            for (std::size_t i = 0; i < n; ++i)
                x[i] /= sum;
        }

        /// Runs a llama2.c model one token at a time with a key/value cache.
        /// \note Borrows the weights: they must outlive the runner and not change while it runs.
        template <class T>
        class llama2_runner
        {
        public:
            /// Validates `weights` (see llama2_weights::validate) and allocates the cache
            /// (2 * n_layers * seq_len * kv_dim values of T).
            /// \throws tessera::invalid_argument when an array has the wrong shape.
            explicit llama2_runner(const llama2_weights<T>& weights) : m_w(&weights)
            {
                weights.validate();
                const auto& c = weights.config;
                m_x.resize(c.dim);
                m_xb.resize(c.dim);
                m_xb2.resize(c.dim);
                m_q.resize(c.dim);
                m_hb.resize(c.hidden_dim);
                m_hb2.resize(c.hidden_dim);
                m_att.resize(c.seq_len);
                m_key_cache.assign(c.n_layers * c.seq_len * c.kv_dim(), T(0));
                m_value_cache.assign(c.n_layers * c.seq_len * c.kv_dim(), T(0));
                m_logits = xt::xtensor<T, 1>::from_shape({c.vocab_size});
            }

            /// The model's configuration.
            const llama2_config& config() const noexcept { return m_w->config; }

            /// Feeds `token` at position `pos` and returns the next-token logits [vocab_size]
            /// (valid until the next call). Positions must be fed in order: pos <= number of
            /// positions fed so far (a smaller pos rewinds the cache). Cost: about
            /// 2 * (parameters + pos * n_layers * dim) flops.
            /// \throws tessera::invalid_argument when token is not in [0, vocab_size), pos >=
            ///         seq_len, or pos skips ahead of the cache.
            const xt::xtensor<T, 1>& forward(int token, std::size_t pos)
            {
                const llama2_weights<T>& w = *m_w;
                const auto& c = w.config;
                require(token >= 0 && static_cast<std::size_t>(token) < c.vocab_size, "llama2_runner::forward",
                        "token=", token, " must be in [0, ", c.vocab_size, ")");
                require(pos < c.seq_len, "llama2_runner::forward", "pos=", pos, " must be < seq_len=", c.seq_len);
                require(pos <= m_filled, "llama2_runner::forward", "pos=", pos, " skips ahead: positions [0, ",
                        m_filled, ") are cached");
                const std::size_t D = c.dim, K = c.kv_dim(), hs = c.head_size(), half = hs / 2;
                const std::size_t group = c.n_heads / c.n_kv_heads;
                const T* emb = w.token_embedding.data() + static_cast<std::size_t>(token) * D;
                std::copy(emb, emb + D, m_x.begin());
                const T* fr = w.freq_cis_real.data() + pos * half;
                const T* fi = w.freq_cis_imag.data() + pos * half;
                const T inv_sqrt_hs = T(1) / std::sqrt(static_cast<T>(hs));
                for (std::size_t l = 0; l < c.n_layers; ++l)
                {
                    const auto& y = w.layers[l];
                    llama2_rmsnorm(m_xb.data(), m_x.data(), y.rms_att);
                    T* kc = m_key_cache.data() + (l * c.seq_len) * K;
                    T* vc = m_value_cache.data() + (l * c.seq_len) * K;
                    llama2_matvec(m_q.data(), y.wq, m_xb.data());
                    llama2_matvec(kc + pos * K, y.wk, m_xb.data());
                    llama2_matvec(vc + pos * K, y.wv, m_xb.data());
                    // Rotary embedding of each (even, odd) pair of every query and key head.
                    auto rotate = [&](T* v, std::size_t n) {
                        for (std::size_t i = 0; i < n; i += 2)
                        {
                            const std::size_t f = (i % hs) / 2;
                            const T v0 = v[i], v1 = v[i + 1];
                            v[i] = v0 * fr[f] - v1 * fi[f];
                            v[i + 1] = v0 * fi[f] + v1 * fr[f];
                        }
                    };
                    rotate(m_q.data(), D);
                    rotate(kc + pos * K, K);
                    for (std::size_t h = 0; h < c.n_heads; ++h)
                    {
                        const T* q = m_q.data() + h * hs;
                        const std::size_t kvh = (h / group) * hs;
                        for (std::size_t t = 0; t <= pos; ++t)
                        {
                            const T* k = kc + t * K + kvh;
                            T s = T(0);
                            for (std::size_t i = 0; i < hs; ++i)
                                s += q[i] * k[i];
                            m_att[t] = s * inv_sqrt_hs;
                        }
                        llama2_softmax(m_att.data(), pos + 1);
                        T* out = m_xb.data() + h * hs;
                        std::fill(out, out + hs, T(0));
                        for (std::size_t t = 0; t <= pos; ++t)
                        {
                            const T* v = vc + t * K + kvh;
                            for (std::size_t i = 0; i < hs; ++i)
                                out[i] += m_att[t] * v[i];
                        }
                    }
                    llama2_matvec(m_xb2.data(), y.wo, m_xb.data());
                    for (std::size_t i = 0; i < D; ++i)
                        m_x[i] += m_xb2[i];
                    // SwiGLU FFN: w2(silu(w1 x) * w3 x).
                    llama2_rmsnorm(m_xb.data(), m_x.data(), y.rms_ffn);
                    llama2_matvec(m_hb.data(), y.w1, m_xb.data());
                    llama2_matvec(m_hb2.data(), y.w3, m_xb.data());
                    for (std::size_t i = 0; i < c.hidden_dim; ++i)
                    {
                        const T g = m_hb[i];
                        m_hb[i] = g * (T(1) / (T(1) + std::exp(-g))) * m_hb2[i];
                    }
                    llama2_matvec(m_xb.data(), y.w2, m_hb.data());
                    for (std::size_t i = 0; i < D; ++i)
                        m_x[i] += m_xb[i];
                }
                llama2_rmsnorm(m_x.data(), m_x.data(), w.rms_final);
                llama2_matvec(m_logits.data(), c.shared_classifier ? w.token_embedding : w.classifier, m_x.data());
                m_filled = pos + 1;
                return m_logits;
            }

        private:
            const llama2_weights<T>* m_w;
            std::vector<T> m_x, m_xb, m_xb2, m_q, m_hb, m_hb2, m_att, m_key_cache, m_value_cache;
            xt::xtensor<T, 1> m_logits;
            std::size_t m_filled = 0;
        };

        /// Index of the largest logit (the first on ties), i.e. temperature-0 sampling.
        template <class T>
        int llama2_argmax(const xt::xtensor<T, 1>& logits)
        {
            std::size_t best = 0;
            for (std::size_t i = 1; i < logits.size(); ++i)
                if (logits[i] > logits[best])
                    best = i;
            return static_cast<int>(best);
        }

        /// Greedy (temperature 0) generation as llama2.c's `run` does it: feed the prompt
        /// (default: BOS alone), then repeatedly append the arg-max token of the last position,
        /// running at most `steps` forward passes (capped at seq_len), and stopping early when
        /// the model emits BOS (the sequence delimiter, which is not appended).
        /// \return the prompt followed by the generated tokens.
        /// \throws tessera::invalid_argument when the prompt is empty or holds an invalid token.
        template <class T>
        std::vector<int> llama2_generate_greedy(const llama2_weights<T>& weights, std::size_t steps,
                                                std::vector<int> prompt = {1})
        {
            require(!prompt.empty(), "llama2_generate_greedy", "prompt must hold at least one token (e.g. BOS=1)");
            llama2_runner<T> run(weights);
            const std::size_t limit = std::min(steps, weights.config.seq_len);
            std::vector<int> tokens = std::move(prompt);
            for (std::size_t pos = 0; pos < limit && pos < tokens.size(); ++pos)
            {
                const auto& logits = run.forward(tokens[pos], pos);
                if (pos + 1 < tokens.size())
                    continue;
                const int next = llama2_argmax(logits);
                if (next == 1)
                    break;
                tokens.push_back(next);
            }
            return tokens;
        }
    }  // namespace detail

    using detail::llama2_argmax;
    using detail::llama2_generate_greedy;
    using detail::llama2_runner;
}  // namespace tessera::compress
