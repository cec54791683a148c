#pragma once
/// \file llama2_checkpoint.hpp
/// Reading llama2.c transformer checkpoints ("v0" legacy format) into llama2_weights, and
/// llama2_config, the hyper-parameters of the llama forward pass (model/forward.hpp).
///
/// Checkpoint layout: 7 little-endian int32 `dim, hidden_dim, n_layers, n_heads, n_kv_heads,
/// vocab_size, seq_len` (vocab_size > 0: the classifier shares the token embedding; < 0: an
/// unshared classifier follows the other arrays), then float32 arrays token_embedding
/// [vocab, dim], rms_att [L, dim], wq [L, dim, dim], wk [L, kv_dim, dim], wv [L, kv_dim, dim],
/// wo [L, dim, dim], rms_ffn [L, dim], w1 [L, hidden, dim], w2 [L, dim, hidden],
/// w3 [L, hidden, dim], rms_final [dim], freq_cis_real [seq_len, head/2], freq_cis_imag
/// [seq_len, head/2], (classifier [vocab, dim]). Weight matrices are stored [out, in].

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "../core/errors.hpp"
#include "../core/traits.hpp"
#include "../io/dtype.hpp"
#include "../io/mapped_file.hpp"

namespace tessera::model
{
    namespace detail
    {
        using tessera::concat;
        using tessera::require;

        /// Hyper-parameters of a llama-family model as the forward pass needs them
        /// (llama_model::config): the seven fields of a llama2.c checkpoint header, plus the rotary
        /// base and the RMSNorm epsilon, which a llama2.c file does not store.
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
            /// Rotary base theta (pair i of a head turns by pos * theta^(-2i/head_size)); > 0.
            /// Not stored in a llama2.c file: llama2.c's 10000. load_llama takes it from the
            /// checkpoint's config (config.json rope_theta, GGUF <arch>.rope.freq_base).
            double rope_theta = 10000.0;
            /// RMSNorm epsilon: x / sqrt(mean(x^2) + rms_norm_eps); >= 0. Not stored in a llama2.c
            /// file: llama2.c's 1e-5. load_llama takes it from the checkpoint's config
            /// (config.json rms_norm_eps, GGUF <arch>.attention.layer_norm_rms_epsilon).
            double rms_norm_eps = 1e-5;

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
            static_assert(is_real_v<T>, "tessera::model::llama2_weights<T>: T must be float or double");

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
                require(layers.size() == c.n_layers, "model::llama2_weights::validate", "layers.size()=", layers.size(),
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
                throw invalid_argument(concat("model::llama2_weights::matrix: name=\"", name,
                                              "\" is not one of matrix_names() (e.g. \"layers.0.w1\")"));
            }
            static void check1(const xt::xtensor<T, 1>& a, std::size_t n, const std::string& what)
            {
                require(a.size() == n, "model::llama2_weights::validate", what, " must have shape [", n, "], got ",
                        shape_to_string(a.shape()));
            }
            static void check2(const xt::xtensor<T, 2>& a, std::size_t r, std::size_t c, const std::string& what)
            {
                require(a.shape(0) == r && a.shape(1) == c, "model::llama2_weights::validate", what, " must have shape [",
                        r, ", ", c, "], got ", shape_to_string(a.shape()));
            }
        };

        /// One float32 array of a llama2.c checkpoint: its name (llama2_weights::matrix_names()
        /// style, plus "layers.<l>.rms_att", "layers.<l>.rms_ffn", "rms_final", "freq_cis_real",
        /// "freq_cis_imag"), shape, and first byte in the file.
        struct llama2_array
        {
            std::string name;                ///< e.g. "layers.3.wk"
            std::vector<std::size_t> shape;  ///< [rows, cols] or [n]
            std::size_t offset = 0;          ///< byte offset of the first float in the file
        };

        /// A validated llama2.c header: the config and every array in file order.
        struct llama2_header
        {
            llama2_config config;              ///< hyper-parameters
            std::vector<llama2_array> arrays;  ///< file order; their bytes tile [28, file size)
        };

        /// Parses and validates the llama2.c "v0" header of the image `data[0, size)` against its size,
        /// before anything is allocated: each field in [1, 2^24] (|vocab_size|), dim % n_heads == 0,
        /// n_heads % n_kv_heads == 0, even head size; then, in file order, each array's end (checked
        /// arithmetic) must lie within the file, and the last must end exactly at `size`.
        /// \return the config and the arrays with their offsets. O(n_layers) time and memory.
        /// \throws tessera::io_error naming `file`, the byte offset and the offending header fields.
        inline llama2_header parse_llama2_header(const unsigned char* data, std::size_t size, const std::string& file)
        {
            if (size >= 4 && std::memcmp(data, "24ka", 4) == 0)  // the magic 0x616b3432, little-endian
                throw io_error(file, 0, "versioned llama2.c export (magic \"ak42\") is not supported; export with "
                                        "--version 0 (legacy format)");
            if (size < 28)
                throw io_error(file, size, concat("truncated: the header needs 28 bytes, file has ", size));
            const char* names[7] = {"dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads", "vocab_size", "seq_len"};
            std::int64_t h[7];
            for (int i = 0; i < 7; ++i)
            {
                std::int32_t v32;
                std::memcpy(&v32, data + 4 * i, 4);
                h[i] = v32;
                const std::int64_t v = i == 5 ? (h[i] < 0 ? -h[i] : h[i]) : h[i];
                if (v <= 0 || v > (std::int64_t(1) << 24))
                    throw io_error(file, static_cast<std::uint64_t>(4 * i),
                                   concat("header field ", names[i], "=", h[i], " must be in [1, 2^24]",
                                          i == 5 ? " in absolute value" : ""));
            }
            llama2_header out;
            auto& c = out.config;
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
                throw io_error(file, 0,
                               concat("inconsistent header: dim=", c.dim, ", n_heads=", c.n_heads, ", n_kv_heads=",
                                      c.n_kv_heads, " (need dim % n_heads == 0, n_heads % n_kv_heads == 0, even "
                                      "head size)"));
            std::size_t at = 28;
            // Appends `count` arrays of `shape` (per layer when `layered`) after `at`; each end is
            // checked against the file size before the next is added, so nothing can wrap.
            auto add = [&](bool layered, std::vector<std::size_t> shape, const char* base, const std::string& fields) {
                const std::size_t count = layered ? c.n_layers : 1;
                std::size_t bytes = 4;
                for (const std::size_t d : shape)
                    if (__builtin_mul_overflow(bytes, d, &bytes))
                        bytes = size + 1;  // only compared below: fails like any size past the end
                if (bytes > size - at || count > (size - at) / bytes)
                    throw io_error(file, size, concat("header fields ", fields, " imply ", count, " x ", base, " ",
                                                      shape_to_string(shape), " from byte ", at,
                                                      ", past the end of the file (", size, " bytes)"));
                for (std::size_t i = 0; i < count; ++i, at += bytes)
                    out.arrays.push_back({layered ? concat("layers.", i, ".", base) : std::string(base), shape, at});
            };
            const std::size_t D = c.dim, Hd = c.hidden_dim, K = c.kv_dim(), half = c.head_size() / 2;
            const std::string sd = concat("dim=", D), sl = concat("n_layers=", c.n_layers, ", ", sd);
            const std::string sk = concat(sl, ", n_kv_heads=", c.n_kv_heads), sh = concat(sl, ", hidden_dim=", Hd);
            const std::string sr = concat("seq_len=", c.seq_len, ", n_heads=", c.n_heads);
            add(false, {c.vocab_size, D}, "token_embedding", concat("vocab_size=", h[5], ", ", sd));
            add(true, {D}, "rms_att", sl);
            add(true, {D, D}, "wq", sl);
            add(true, {K, D}, "wk", sk);
            add(true, {K, D}, "wv", sk);
            add(true, {D, D}, "wo", sl);
            add(true, {D}, "rms_ffn", sl);
            add(true, {Hd, D}, "w1", sh);
            add(true, {D, Hd}, "w2", sh);
            add(true, {Hd, D}, "w3", sh);
            add(false, {D}, "rms_final", sd);
            add(false, {c.seq_len, half}, "freq_cis_real", sr);
            add(false, {c.seq_len, half}, "freq_cis_imag", sr);
            if (!c.shared_classifier)
                add(false, {c.vocab_size, D}, "classifier", concat("vocab_size=", h[5], ", ", sd));
            if (at != size)
                throw io_error(file, at,
                               concat("file has ", size, " bytes, the header [dim=", c.dim, ", hidden_dim=", c.hidden_dim,
                                      ", n_layers=", c.n_layers, ", n_heads=", c.n_heads, ", n_kv_heads=", c.n_kv_heads,
                                      ", vocab_size=", h[5], ", seq_len=", c.seq_len, "] implies ", at));
            return out;
        }

        /// Reads a llama2.c "v0" checkpoint into llama2_weights<T> (float32 on disk, converted to T).
        /// \param path the `.bin` file written by llama2.c's legacy export (e.g. stories260K.bin).
        /// \return the weights, validated against the header. Cost: one pass over the mapped file.
        /// \throws tessera::io_error (file and byte offset) as parse_llama2_header, which runs first:
        ///         nothing is allocated for a header the file size does not bear out.
        /// \note The newer "ak42" versioned exports are recognised and rejected with a message.
        template <class T = float>
        llama2_weights<T> read_llama2_checkpoint(const std::string& path)
        {
            const io::mapped_file f(path);
            const llama2_header h = parse_llama2_header(f.data(), f.size(), path);
            llama2_weights<T> w;
            w.config = h.config;
            w.layers.resize(h.config.n_layers);
            auto next = h.arrays.begin();
            auto take = [&](auto& dst) {  // arrays come in file order, the order of the calls below
                dst = std::decay_t<decltype(dst)>::from_shape(next->shape);
                io::decode(f.data() + next->offset, io::dtype::float32, false, dst.data(), dst.size());
                ++next;
            };
            take(w.token_embedding);
            using layer = llama2_layer<T>;
            auto per_layer = [&](auto member) {
                for (auto& y : w.layers)
                    take(y.*member);
            };
            per_layer(&layer::rms_att);
            per_layer(&layer::wq);
            per_layer(&layer::wk);
            per_layer(&layer::wv);
            per_layer(&layer::wo);
            per_layer(&layer::rms_ffn);
            per_layer(&layer::w1);
            per_layer(&layer::w2);
            per_layer(&layer::w3);
            take(w.rms_final);
            take(w.freq_cis_real);
            take(w.freq_cis_imag);
            if (!h.config.shared_classifier)
                take(w.classifier);
            else
                w.classifier = xt::xtensor<T, 2>::from_shape({0, 0});
            return w;
        }
    }  // namespace detail

    using detail::llama2_array, detail::llama2_config, detail::llama2_header, detail::llama2_layer,
        detail::llama2_weights, detail::parse_llama2_header, detail::read_llama2_checkpoint;
}  // namespace tessera::model
