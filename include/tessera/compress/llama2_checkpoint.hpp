#pragma once
/// \file llama2_checkpoint.hpp
/// Reading llama2.c transformer checkpoints ("v0" legacy format) and their tokenizers, so that
/// the weight matrices of a real language model can be compressed and the model re-run.
///
/// Checkpoint layout: 7 little-endian int32 `dim, hidden_dim, n_layers, n_heads, n_kv_heads,
/// vocab_size, seq_len` (vocab_size > 0: the classifier shares the token embedding; < 0: an
/// unshared classifier follows the other arrays), then float32 arrays token_embedding
/// [vocab, dim], rms_att [L, dim], wq [L, dim, dim], wk [L, kv_dim, dim], wv [L, kv_dim, dim],
/// wo [L, dim, dim], rms_ffn [L, dim], w1 [L, hidden, dim], w2 [L, dim, hidden],
/// w3 [L, hidden, dim], rms_final [dim], freq_cis_real [seq_len, head/2], freq_cis_imag
/// [seq_len, head/2], (classifier [vocab, dim]). Weight matrices are stored [out, in].

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "../core/errors.hpp"
#include "../core/traits.hpp"

namespace tessera::compress
{
    namespace detail
    {
        using tessera::concat;
        using tessera::require;

        /// Hyper-parameters of a llama2.c model, as stored in the checkpoint header.
        struct llama2_config
        {
            std::size_t dim = 0;          ///< model (residual stream) width
            std::size_t hidden_dim = 0;   ///< SwiGLU FFN width
            std::size_t n_layers = 0;     ///< transformer blocks
            std::size_t n_heads = 0;      ///< query heads
            std::size_t n_kv_heads = 0;   ///< key/value heads (grouped-query attention when < n_heads)
            std::size_t vocab_size = 0;   ///< tokens
            std::size_t seq_len = 0;      ///< maximum context length
            bool shared_classifier = true;  ///< the output classifier is the token embedding

            /// Width of one attention head, dim / n_heads.
            std::size_t head_size() const noexcept { return n_heads ? dim / n_heads : 0; }
            /// Width of the key/value projections, n_kv_heads * head_size.
            std::size_t kv_dim() const noexcept { return n_kv_heads * head_size(); }
        };

        /// The weights of one transformer block. Matrices are [out, in] (row i produces output i).
        template <class T>
        struct llama2_layer
        {
            xt::xtensor<T, 1> rms_att;  ///< [dim] RMSNorm gain before attention
            xt::xtensor<T, 2> wq;       ///< [dim, dim] query projection
            xt::xtensor<T, 2> wk;       ///< [kv_dim, dim] key projection
            xt::xtensor<T, 2> wv;       ///< [kv_dim, dim] value projection
            xt::xtensor<T, 2> wo;       ///< [dim, dim] attention output projection
            xt::xtensor<T, 1> rms_ffn;  ///< [dim] RMSNorm gain before the FFN
            xt::xtensor<T, 2> w1;       ///< [hidden, dim] gate projection (SiLU branch)
            xt::xtensor<T, 2> w2;       ///< [dim, hidden] down projection
            xt::xtensor<T, 2> w3;       ///< [hidden, dim] up projection
        };

        /// All weights of a llama2.c model. Copyable: a compressed copy of a model is a copy
        /// whose matrices were replaced (see `matrix()` and `matrix_names()`).
        template <class T>
        struct llama2_weights
        {
            static_assert(is_real_v<T>, "tessera::compress::llama2_weights<T>: T must be float or double");

            llama2_config config;                 ///< hyper-parameters
            xt::xtensor<T, 2> token_embedding;    ///< [vocab, dim]; also the classifier when shared
            std::vector<llama2_layer<T>> layers;  ///< n_layers blocks
            xt::xtensor<T, 1> rms_final;          ///< [dim] final RMSNorm gain
            xt::xtensor<T, 2> freq_cis_real;      ///< [seq_len, head_size / 2] rotary cosines
            xt::xtensor<T, 2> freq_cis_imag;      ///< [seq_len, head_size / 2] rotary sines
            xt::xtensor<T, 2> classifier;         ///< [vocab, dim] when not shared, else empty [0, 0]

            /// Names of every weight matrix, in checkpoint order: "token_embedding",
            /// "layers.<l>.{wq,wk,wv,wo,w1,w2,w3}", and "classifier" when it is not shared.
            std::vector<std::string> matrix_names() const
            {
                std::vector<std::string> names{"token_embedding"};
                static const char* per_layer[] = {"wq", "wk", "wv", "wo", "w1", "w2", "w3"};
                for (const char* m : per_layer)
                    for (std::size_t l = 0; l < layers.size(); ++l)
                        names.push_back(concat("layers.", l, ".", m));
                if (!config.shared_classifier)
                    names.emplace_back("classifier");
                return names;
            }

            /// The matrix called `name` (see matrix_names()).
            /// \throws tessera::invalid_argument for an unknown name.
            xt::xtensor<T, 2>& matrix(const std::string& name) { return lookup(*this, name); }
            /// \copydoc matrix
            const xt::xtensor<T, 2>& matrix(const std::string& name) const { return lookup(*this, name); }

            /// Checks every array against `config` (use after replacing matrices).
            /// \throws tessera::invalid_argument naming the first array of the wrong shape.
            void validate() const
            {
                const auto& c = config;
                const std::size_t D = c.dim, H = c.hidden_dim, K = c.kv_dim();
                check2(token_embedding, c.vocab_size, D, "token_embedding");
                require(layers.size() == c.n_layers, "llama2_weights::validate", "layers.size()=", layers.size(),
                        " must equal n_layers=", c.n_layers);
                for (std::size_t l = 0; l < layers.size(); ++l)
                {
                    const auto& y = layers[l];
                    const std::string p = concat("layers.", l, ".");
                    check1(y.rms_att, D, p + "rms_att");
                    check1(y.rms_ffn, D, p + "rms_ffn");
                    check2(y.wq, D, D, p + "wq");
                    check2(y.wk, K, D, p + "wk");
                    check2(y.wv, K, D, p + "wv");
                    check2(y.wo, D, D, p + "wo");
                    check2(y.w1, H, D, p + "w1");
                    check2(y.w2, D, H, p + "w2");
                    check2(y.w3, H, D, p + "w3");
                }
                check1(rms_final, D, "rms_final");
                check2(freq_cis_real, c.seq_len, c.head_size() / 2, "freq_cis_real");
                check2(freq_cis_imag, c.seq_len, c.head_size() / 2, "freq_cis_imag");
                if (!c.shared_classifier)
                    check2(classifier, c.vocab_size, D, "classifier");
            }

        private:
            template <class Self>
            static auto& lookup(Self& self, const std::string& name)
            {
                if (name == "token_embedding")
                    return self.token_embedding;
                if (name == "classifier" && !self.config.shared_classifier)
                    return self.classifier;
                if (name.rfind("layers.", 0) == 0)
                {
                    const std::size_t dot = name.find('.', 7);
                    const std::string idx = name.substr(7, dot == std::string::npos ? std::string::npos : dot - 7);
                    const bool digits = !idx.empty() && idx.size() < 10 &&
                                        std::all_of(idx.begin(), idx.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
                    if (digits && dot != std::string::npos)
                    {
                        const std::size_t l = std::stoul(idx);
                        const std::string m = name.substr(dot + 1);
                        if (l < self.layers.size())
                        {
                            auto& y = self.layers[l];
                            if (m == "wq") return y.wq;
                            if (m == "wk") return y.wk;
                            if (m == "wv") return y.wv;
                            if (m == "wo") return y.wo;
                            if (m == "w1") return y.w1;
                            if (m == "w2") return y.w2;
                            if (m == "w3") return y.w3;
                        }
                    }
                }
                throw invalid_argument(concat("llama2_weights::matrix: name=\"", name,
                                              "\" is not one of matrix_names() (e.g. \"layers.0.w1\")"));
            }
            static void check1(const xt::xtensor<T, 1>& a, std::size_t n, const std::string& what)
            {
                require(a.size() == n, "llama2_weights::validate", what, " must have shape [", n, "], got ",
                        shape_to_string(a.shape()));
            }
            static void check2(const xt::xtensor<T, 2>& a, std::size_t r, std::size_t c, const std::string& what)
            {
                require(a.shape(0) == r && a.shape(1) == c, "llama2_weights::validate", what, " must have shape [",
                        r, ", ", c, "], got ", shape_to_string(a.shape()));
            }
        };

        /// A whole file in memory with bounds-checked little-endian reads that throw
        /// tessera::io_error naming the file and the byte offset.
        class byte_reader
        {
        public:
            explicit byte_reader(const std::string& path) : m_path(path)
            {
                std::ifstream in(path, std::ios::binary);
                if (!in)
                    throw io_error(path, 0, "cannot open file");
                m_bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
                if (in.bad())
                    throw io_error(path, m_bytes.size(), "read failed");
            }
            std::size_t size() const noexcept { return m_bytes.size(); }
            std::size_t offset() const noexcept { return m_pos; }
            const std::string& path() const noexcept { return m_path; }

            void need(std::uint64_t count, const char* what) const
            {
                if (count > m_bytes.size() - m_pos)
                    throw io_error(m_path, m_pos,
                                   concat("truncated: ", what, " needs ", count, " bytes, only ", m_bytes.size() - m_pos,
                                          " remain (file has ", m_bytes.size(), ")"));
            }
            std::uint32_t peek_u32() const
            {
                need(4, "peek");
                std::uint32_t v;
                std::memcpy(&v, m_bytes.data() + m_pos, 4);
                return v;
            }
            std::int32_t i32(const char* what)
            {
                need(4, what);
                std::int32_t v;
                std::memcpy(&v, m_bytes.data() + m_pos, 4);
                m_pos += 4;
                return v;
            }
            float f32(const char* what)
            {
                need(4, what);
                float v;
                std::memcpy(&v, m_bytes.data() + m_pos, 4);
                m_pos += 4;
                return v;
            }
            std::string bytes(std::size_t n, const char* what)
            {
                need(n, what);
                std::string s(m_bytes.data() + m_pos, n);
                m_pos += n;
                return s;
            }
            template <class T, std::size_t N>
            xt::xtensor<T, N> floats(const std::array<std::size_t, N>& shape, const char* what)
            {
                std::size_t n = 1;
                for (auto s : shape)
                    n *= s;
                need(static_cast<std::uint64_t>(n) * 4u, what);
                xt::xtensor<T, N> out = xt::xtensor<T, N>::from_shape(shape);
                const char* src = m_bytes.data() + m_pos;
                for (std::size_t i = 0; i < n; ++i)
                {
                    float v;
                    std::memcpy(&v, src + 4 * i, 4);
                    out.data()[i] = static_cast<T>(v);
                }
                m_pos += 4 * n;
                return out;
            }

        private:
            std::string m_path;
            std::vector<char> m_bytes;
            std::size_t m_pos = 0;
        };

        /// Reads a llama2.c "v0" checkpoint into llama2_weights<T> (float32 on disk, converted to T).
        /// \param path the `.bin` file written by llama2.c's legacy export (e.g. stories260K.bin).
        /// \return the weights, validated against the header. Cost: one pass over the file.
        /// \throws tessera::io_error (file and byte offset) when the file cannot be read, the header
        ///         is not a consistent v0 header (non-positive sizes, dim not divisible by n_heads,
        ///         n_heads not divisible by n_kv_heads, odd head size, sizes above 2^24), the file
        ///         is truncated, or bytes are left over after the last array.
        /// \note The newer "ak42" versioned exports are recognised and rejected with a message.
        template <class T = float>
        llama2_weights<T> read_llama2_checkpoint(const std::string& path)
        {
            byte_reader r(path);
            if (r.size() >= 4 && r.peek_u32() == 0x616b3432u)
                throw io_error(path, 0, "versioned llama2.c export (magic \"ak42\") is not supported; export with "
                                        "--version 0 (legacy format)");
            const char* names[7] = {"dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads", "vocab_size", "seq_len"};
            std::int64_t h[7];
            for (int i = 0; i < 7; ++i)
            {
                h[i] = r.i32(names[i]);
                const std::int64_t v = i == 5 ? (h[i] < 0 ? -h[i] : h[i]) : h[i];
                if (v <= 0 || v > (std::int64_t(1) << 24))
                    throw io_error(path, static_cast<std::uint64_t>(4 * i),
                                   concat("header field ", names[i], "=", h[i], " must be in [1, 2^24]",
                                          i == 5 ? " in absolute value" : ""));
            }
            llama2_weights<T> w;
            auto& c = w.config;
            c.dim = static_cast<std::size_t>(h[0]);
            c.hidden_dim = static_cast<std::size_t>(h[1]);
            c.n_layers = static_cast<std::size_t>(h[2]);
            c.n_heads = static_cast<std::size_t>(h[3]);
            c.n_kv_heads = static_cast<std::size_t>(h[4]);
            c.shared_classifier = h[5] > 0;
            c.vocab_size = static_cast<std::size_t>(h[5] > 0 ? h[5] : -h[5]);
            c.seq_len = static_cast<std::size_t>(h[6]);
            if (c.dim % c.n_heads != 0 || c.n_kv_heads > c.n_heads || c.n_heads % c.n_kv_heads != 0 ||
                c.head_size() % 2 != 0)
                throw io_error(path, 0,
                               concat("inconsistent header: dim=", c.dim, ", n_heads=", c.n_heads, ", n_kv_heads=",
                                      c.n_kv_heads, " (need dim % n_heads == 0, n_heads % n_kv_heads == 0, even "
                                      "head size)"));
            // Expected size in 64-bit arithmetic (each factor <= 2^24, so no product overflows).
            const std::uint64_t D = c.dim, Hd = c.hidden_dim, L = c.n_layers, V = c.vocab_size, K = c.kv_dim();
            const std::uint64_t floats = V * D + L * (2 * D + 2 * D * D + 2 * K * D + 3 * Hd * D) + D +
                                         std::uint64_t(c.seq_len) * (c.head_size() / 2) * 2 +
                                         (c.shared_classifier ? 0 : V * D);
            if (28 + 4 * floats != r.size())
                throw io_error(path, r.size(),
                               concat("file has ", r.size(), " bytes, the header [dim=", c.dim, ", hidden_dim=",
                                      c.hidden_dim, ", n_layers=", c.n_layers, ", n_heads=", c.n_heads,
                                      ", n_kv_heads=", c.n_kv_heads, ", vocab_size=", h[5], ", seq_len=", c.seq_len,
                                      "] implies ", 28 + 4 * floats));
            const std::size_t Ds = c.dim, Hs = c.hidden_dim, Ks = c.kv_dim(), Ls = c.n_layers;
            w.token_embedding = r.floats<T, 2>({c.vocab_size, Ds}, "token_embedding");
            w.layers.resize(Ls);
            auto per_layer2 = [&](auto member, std::size_t rows, std::size_t cols, const char* what) {
                for (auto& y : w.layers)
                    y.*member = r.floats<T, 2>({rows, cols}, what);
            };
            auto per_layer1 = [&](auto member, const char* what) {
                for (auto& y : w.layers)
                    y.*member = r.floats<T, 1>({Ds}, what);
            };
            using layer = llama2_layer<T>;
            per_layer1(&layer::rms_att, "rms_att");
            per_layer2(&layer::wq, Ds, Ds, "wq");
            per_layer2(&layer::wk, Ks, Ds, "wk");
            per_layer2(&layer::wv, Ks, Ds, "wv");
            per_layer2(&layer::wo, Ds, Ds, "wo");
            per_layer1(&layer::rms_ffn, "rms_ffn");
            per_layer2(&layer::w1, Hs, Ds, "w1");
            per_layer2(&layer::w2, Ds, Hs, "w2");
            per_layer2(&layer::w3, Hs, Ds, "w3");
            w.rms_final = r.floats<T, 1>({Ds}, "rms_final");
            w.freq_cis_real = r.floats<T, 2>({c.seq_len, c.head_size() / 2}, "freq_cis_real");
            w.freq_cis_imag = r.floats<T, 2>({c.seq_len, c.head_size() / 2}, "freq_cis_imag");
            if (!c.shared_classifier)
                w.classifier = r.floats<T, 2>({c.vocab_size, Ds}, "classifier");
            else
                w.classifier = xt::xtensor<T, 2>::from_shape({0, 0});
            return w;
        }
    }  // namespace detail

    using detail::llama2_config;
    using detail::llama2_layer;
    using detail::llama2_weights;
    using detail::read_llama2_checkpoint;
}  // namespace tessera::compress
