#pragma once
/// \file forward.hpp
/// The llama-family forward pass (RMSNorm, rotary attention with grouped key/value heads,
/// SwiGLU FFN, classifier), one token at a time with a key/value cache, over a llama_model whose
/// weight matrices are linear operators: dense, low-rank, TT-matrix or packed ternary, each run
/// as stored. This is the one forward pass of tessera; llama2_view (model/llama.hpp) runs a
/// llama2.c model's llama2_weights through it.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "../core/errors.hpp"
#include "../core/traits.hpp"
#include "linear_operator.hpp"
#include "llama2_checkpoint.hpp"

namespace tessera::model
{
    namespace detail
    {
        /// One transformer block. Operators are [out, in] (rows = outputs).
        template <class T>
        struct llama_block
        {
            xt::xtensor<T, 1> rms_att;  ///< [dim] RMSNorm gain before attention
            linear_operator<T> wq;      ///< [dim, dim] query projection (llama2.c / Meta interleaved rotary order)
            linear_operator<T> wk;      ///< [kv_dim, dim] key projection (same order)
            linear_operator<T> wv;      ///< [kv_dim, dim] value projection
            linear_operator<T> wo;      ///< [dim, dim] attention output projection
            xt::xtensor<T, 1> rms_ffn;  ///< [dim] RMSNorm gain before the FFN
            linear_operator<T> w1;      ///< [hidden, dim] gate projection (SiLU branch)
            linear_operator<T> w2;      ///< [dim, hidden] down projection
            linear_operator<T> w3;      ///< [hidden, dim] up projection
        };

        /// A llama-family model whose weight matrices are linear operators. Copies share the
        /// operators and the embedding. Replace `layers[l].w1` (etc.) by a compressed operator to
        /// run the compressed model as stored; `storage_bytes()` then counts its compressed size.
        template <class T>
        struct llama_model
        {
            static_assert(is_real_v<T>, "tessera::model::llama_model<T>: T must be float or double");

            llama2_config config;  ///< hyper-parameters (shared_classifier: classifier is the embedding; rms_norm_eps)
            std::shared_ptr<const xt::xtensor<T, 2>> token_embedding;  ///< [vocab, dim] rows looked up per token
            std::vector<llama_block<T>> layers;                        ///< n_layers blocks
            xt::xtensor<T, 1> rms_final;                               ///< [dim] final RMSNorm gain
            linear_operator<T> classifier;                             ///< [vocab, dim] output projection
            xt::xtensor<T, 2> rope_cos;  ///< [seq_len, head_size/2] cos(pos * theta_i) of pair (2i, 2i+1) of each head
            xt::xtensor<T, 2> rope_sin;  ///< [seq_len, head_size/2] sin(pos * theta_i)

            /// Bytes of every weight: the operators' storage_bytes() plus the embedding unless the
            /// classifier is the embedding (shared_classifier), plus the norm gains.
            std::size_t storage_bytes() const
            {
                std::size_t b = (token_embedding && !config.shared_classifier ? token_embedding->size() * sizeof(T) : 0) +
                                classifier.storage_bytes() + rms_final.size() * sizeof(T);
                for (const auto& y : layers)
                    b += y.wq.storage_bytes() + y.wk.storage_bytes() + y.wv.storage_bytes() + y.wo.storage_bytes() +
                         y.w1.storage_bytes() + y.w2.storage_bytes() + y.w3.storage_bytes() +
                         (y.rms_att.size() + y.rms_ffn.size()) * sizeof(T);
                return b;
            }

            /// Checks every array and operator shape against `config` (use after replacing one), and
            /// config.rms_norm_eps (finite, >= 0) and config.rope_theta (finite, > 0).
            /// \throws tessera::invalid_argument naming the first of the wrong shape or value.
            void validate() const
            {
                const auto& c = config;
                const std::size_t D = c.dim, H = c.hidden_dim, K = c.kv_dim(), half = c.head_size() / 2;
                const char* fn = "model::llama_model::validate";
                require(c.n_heads > 0 && c.n_kv_heads > 0 && D % c.n_heads == 0 && c.n_heads % c.n_kv_heads == 0 &&
                            c.head_size() % 2 == 0,
                        fn, "config dim=", D, ", n_heads=", c.n_heads, ", n_kv_heads=", c.n_kv_heads,
                        " must give an even head size and n_heads % n_kv_heads == 0");
                require(std::isfinite(c.rms_norm_eps) && c.rms_norm_eps >= 0.0, fn, "config.rms_norm_eps=",
                        c.rms_norm_eps, " must be finite and >= 0");
                require(std::isfinite(c.rope_theta) && c.rope_theta > 0.0, fn, "config.rope_theta=", c.rope_theta,
                        " must be finite and > 0");
                require(token_embedding != nullptr, fn, "token_embedding must be set");
                shape(token_embedding->shape(0), token_embedding->shape(1), c.vocab_size, D, "token_embedding");
                require(layers.size() == c.n_layers, fn, "layers.size()=", layers.size(), " must equal n_layers=",
                        c.n_layers);
                for (std::size_t l = 0; l < layers.size(); ++l)
                {
                    const auto& y = layers[l];
                    const std::string p = concat("layers.", l, ".");
                    shape(y.rms_att.size(), 1, D, 1, p + "rms_att");
                    shape(y.rms_ffn.size(), 1, D, 1, p + "rms_ffn");
                    shape(y.wq.rows(), y.wq.cols(), D, D, p + "wq");
                    shape(y.wk.rows(), y.wk.cols(), K, D, p + "wk");
                    shape(y.wv.rows(), y.wv.cols(), K, D, p + "wv");
                    shape(y.wo.rows(), y.wo.cols(), D, D, p + "wo");
                    shape(y.w1.rows(), y.w1.cols(), H, D, p + "w1");
                    shape(y.w2.rows(), y.w2.cols(), D, H, p + "w2");
                    shape(y.w3.rows(), y.w3.cols(), H, D, p + "w3");
                }
                shape(rms_final.size(), 1, D, 1, "rms_final");
                shape(classifier.rows(), classifier.cols(), c.vocab_size, D, "classifier");
                shape(rope_cos.shape(0), rope_cos.shape(1), c.seq_len, half, "rope_cos");
                shape(rope_sin.shape(0), rope_sin.shape(1), c.seq_len, half, "rope_sin");
            }

        private:
            static void shape(std::size_t r, std::size_t k, std::size_t er, std::size_t ek, const std::string& what)
            {
                require(r == er && k == ek, "model::llama_model::validate", what, " must have shape [", er, ", ", ek, "], got [",
                        r, ", ", k, "]");
            }
        };

        /// o = g * x / sqrt(mean(x^2) + eps) (RMSNorm; eps is llama2_config::rms_norm_eps rounded
        /// to T), n = g.size(); o may alias x.
        template <class T>
        void rmsnorm(T* o, const T* x, const xt::xtensor<T, 1>& g, T eps)
        {
            const std::size_t n = g.size();
            T ss = T(0);
            for (std::size_t j = 0; j < n; ++j)
                ss += x[j] * x[j];
            ss = ss / static_cast<T>(n) + eps;
            ss = T(1) / std::sqrt(ss);
            for (std::size_t j = 0; j < n; ++j)
                o[j] = g[j] * (ss * x[j]);
        }

        /// In-place softmax of x[0..n) (max subtracted first).
        template <class T>
        void softmax(T* x, std::size_t n)
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

        /// Runs a llama_model one token at a time with a key/value cache. Holds a copy of the
        /// model (operators shared, not copied).
        template <class T>
        class llama_runner
        {
        public:
            /// Validates `m` (llama_model::validate) and allocates the cache (2 n_layers seq_len
            /// kv_dim values of T). \throws tessera::invalid_argument when a shape is wrong.
            explicit llama_runner(llama_model<T> m) : m_m(std::move(m))
            {
                m_m.validate();
                const auto& c = m_m.config;
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
            const llama2_config& config() const noexcept { return m_m.config; }
            /// The model run.
            const llama_model<T>& model() const noexcept { return m_m; }

            /// Feeds `token` at position `pos` and returns the next-token logits [vocab_size]
            /// (valid until the next call). Positions must be fed in order: pos <= positions fed so
            /// far (a smaller pos rewinds the cache). Per layer: x += wo(attn(rope(wq n1), rope(wk n1),
            /// wv n1)), x += w2(silu(w1 n2) * w3 n2) with n = RMSNorm(x); logits = classifier(RMSNorm(x)).
            /// Dense weights: bitwise the same logits at any thread count. Cost: the operators'
            /// applies plus 2 pos n_layers dim flops.
            /// \throws tessera::invalid_argument when token is not in [0, vocab_size), pos >=
            ///         seq_len, or pos skips ahead of the cache.
            const xt::xtensor<T, 1>& forward(int token, std::size_t pos)
            {
                const llama_model<T>& w = m_m;
                const auto& c = w.config;
                const char* fn = "model::llama_runner::forward";
                require(token >= 0 && static_cast<std::size_t>(token) < c.vocab_size, fn, "token=", token,
                        " must be in [0, ", c.vocab_size, ")");
                require(pos < c.seq_len, fn, "pos=", pos, " must be < seq_len=", c.seq_len);
                require(pos <= m_filled, fn, "pos=", pos, " skips ahead: positions [0, ", m_filled, ") are cached");
                const std::size_t D = c.dim, K = c.kv_dim(), hs = c.head_size(), half = hs / 2;
                const std::size_t group = c.n_heads / c.n_kv_heads;
                const T* emb = w.token_embedding->data() + static_cast<std::size_t>(token) * D;
                std::copy(emb, emb + D, m_x.begin());
                const T* fr = w.rope_cos.data() + pos * half;
                const T* fi = w.rope_sin.data() + pos * half;
                const T inv_sqrt_hs = T(1) / std::sqrt(static_cast<T>(hs));
                const T eps = static_cast<T>(c.rms_norm_eps);
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
                for (std::size_t l = 0; l < c.n_layers; ++l)
                {
                    const auto& y = w.layers[l];
                    rmsnorm(m_xb.data(), m_x.data(), y.rms_att, eps);
                    T* kc = m_key_cache.data() + (l * c.seq_len) * K;
                    T* vc = m_value_cache.data() + (l * c.seq_len) * K;
                    y.wq.apply(m_xb.data(), m_q.data());
                    y.wk.apply(m_xb.data(), kc + pos * K);
                    y.wv.apply(m_xb.data(), vc + pos * K);
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
                        softmax(m_att.data(), pos + 1);
                        T* out = m_xb.data() + h * hs;
                        std::fill(out, out + hs, T(0));
                        for (std::size_t t = 0; t <= pos; ++t)
                        {
                            const T* v = vc + t * K + kvh;
                            for (std::size_t i = 0; i < hs; ++i)
                                out[i] += m_att[t] * v[i];
                        }
                    }
                    y.wo.apply(m_xb.data(), m_xb2.data());
                    for (std::size_t i = 0; i < D; ++i)
                        m_x[i] += m_xb2[i];
                    // SwiGLU FFN: w2(silu(w1 x) * w3 x).
                    rmsnorm(m_xb.data(), m_x.data(), y.rms_ffn, eps);
                    y.w1.apply(m_xb.data(), m_hb.data());
                    y.w3.apply(m_xb.data(), m_hb2.data());
                    for (std::size_t i = 0; i < c.hidden_dim; ++i)
                    {
                        const T g = m_hb[i];
                        m_hb[i] = g * (T(1) / (T(1) + std::exp(-g))) * m_hb2[i];
                    }
                    y.w2.apply(m_hb.data(), m_xb.data());
                    for (std::size_t i = 0; i < D; ++i)
                        m_x[i] += m_xb[i];
                }
                rmsnorm(m_x.data(), m_x.data(), w.rms_final, eps);
                w.classifier.apply(m_x.data(), m_logits.data());
                m_filled = pos + 1;
                return m_logits;
            }

        private:
            llama_model<T> m_m;
            std::vector<T> m_x, m_xb, m_xb2, m_q, m_hb, m_hb2, m_att, m_key_cache, m_value_cache;
            xt::xtensor<T, 1> m_logits;
            std::size_t m_filled = 0;
        };

        /// Index of the largest logit (the first on ties), i.e. temperature-0 sampling.
        template <class T>
        int argmax(const xt::xtensor<T, 1>& logits)
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
        /// the model emits BOS (token 1, the sequence delimiter, which is not appended).
        /// \return the prompt followed by the generated tokens.
        /// \throws tessera::invalid_argument when the prompt is empty or holds an invalid token.
        template <class T>
        std::vector<int> generate_greedy(const llama_model<T>& m, std::size_t steps, std::vector<int> prompt = {1})
        {
            require(!prompt.empty(), "model::generate_greedy", "prompt must hold at least one token (e.g. BOS=1)");
            llama_runner<T> run(m);
            const std::size_t limit = std::min(steps, m.config.seq_len);
            std::vector<int> tokens = std::move(prompt);
            for (std::size_t pos = 0; pos < limit && pos < tokens.size(); ++pos)
            {
                const auto& logits = run.forward(tokens[pos], pos);
                if (pos + 1 < tokens.size())
                    continue;
                const int next = argmax(logits);
                if (next == 1)
                    break;
                tokens.push_back(next);
            }
            return tokens;
        }
    }  // namespace detail

    using detail::argmax, detail::generate_greedy, detail::llama_block, detail::llama_model,
        detail::llama_runner;
}  // namespace tessera::model
