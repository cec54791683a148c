#pragma once
/// \file export_gguf.hpp
/// Ternary matrices to llama.cpp's GGUF as TQ1_0 or TQ2_0 tensors (through the ternary module's
/// bit-exact converters and io's GGUF writer), and back. A [rows, cols] matrix becomes one tensor
/// of ne = [cols, rows] (gguf-py shape (rows, cols) after its reversal), rows * cols / 256 blocks
/// of 54 (TQ1_0) or 66 (TQ2_0) bytes: the codes exactly, and per 256-block the scale of its group
/// rounded to fp16 (d). Dequantized by any reader: \f$\hat w = \mathrm{fp16}(s) q\f$, so
/// \f$|\hat w_{gguf} - \hat w| \le 2^{-11} |\hat w|\f$ for scales in fp16's normal range
/// (\f$|s| \ge 2^{-14}\f$), \f$\le 2^{-25}\f$ below it, and 0 when s is an fp16 value.

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "../core/errors.hpp"
#include "../core/version.hpp"
#include "../io/gguf.hpp"
#include "../ternary/formats.hpp"
#include "../ternary/quantize.hpp"

namespace tessera::compress
{
    /// The ggml ternary block format of a GGUF export.
    enum class tq_format
    {
        tq1_0,  ///< 54 bytes per 256 weights (1.6875 bits per weight), base-3 codes
        tq2_0   ///< 66 bytes per 256 weights (2.0625 bits per weight), 2-bit codes (faster kernels)
    };

    namespace detail
    {
        /// One ternary matrix to export to GGUF: the tensor name and a reference to the matrix,
        /// held for the duration of save_ternary_gguf (build it in the call: `{{"blk.0.w", m}}`).
        class ternary_gguf_item
        {
        public:
            template <class T>
            ternary_gguf_item(std::string name, const ternary::ternary_matrix<T>& m) : m_name(std::move(name)), m_ref(&m)
            {
            }
            const std::string& name() const noexcept { return m_name; }
            /// The TQ bytes (ternary::to_tq1_0 / to_tq2_0) and shape of the matrix.
            io::gguf_tensor<float> encode(tq_format f) const
            {
                return std::visit(
                    [&](const auto* m) {
                        io::gguf_tensor<float> t;
                        t.name = m_name;
                        t.type = f == tq_format::tq1_0 ? io::detail::ggml_type::tq1_0 : io::detail::ggml_type::tq2_0;
                        t.shape = {m->rows(), m->cols()};
                        const std::vector<std::uint8_t> b = f == tq_format::tq1_0 ? ternary::to_tq1_0(*m) : ternary::to_tq2_0(*m);
                        t.raw.assign(b.begin(), b.end());
                        return t;
                    },
                    m_ref);
            }

        private:
            std::string m_name;
            std::variant<const ternary::ternary_matrix<float>*, const ternary::ternary_matrix<double>*> m_ref;
        };

        /// Writes `items` as a GGUF v3 file of `format` tensors with `metadata` (plus
        /// "tessera.version" unless given). Readable by io::gguf_file, gguf-py and ggml.
        /// O(rows * cols) per matrix.
        /// \param items matrices with cols a positive multiple of 256 and group_size a multiple of
        ///        256 (one scale per TQ block: quantize with group_size 256, or per_row / per_tensor
        ///        when cols is a multiple of 256), every nonzero scale below 65520 and above 2^-25.
        /// \throws tessera::invalid_argument naming to_tq1_0 / to_tq2_0 (shape, group size, scale
        ///         range, with row and block) or write_gguf (names); tessera::io_error when writing fails.
        inline void save_ternary_gguf(const std::string& path, const std::vector<ternary_gguf_item>& items,
                                      tq_format format = tq_format::tq2_0, io::gguf_metadata metadata = {})
        {
            std::vector<io::gguf_tensor<float>> tensors;
            tensors.reserve(items.size());
            for (const auto& it : items)
                tensors.push_back(it.encode(format));
            if (!metadata.contains("tessera.version"))
                metadata.set("tessera.version", io::gguf_value(std::string(version_string)));
            io::write_gguf(path, metadata, tensors);
        }

        /// Tensor `name` (TQ1_0 or TQ2_0, 2-D) of the GGUF file `path` as a ternary matrix: codes
        /// exactly, scales = the blocks' fp16 d as float, group_size 256. O(rows * cols).
        /// \throws tessera::invalid_argument naming load_ternary_gguf if `name` is absent or not a
        ///         2-D TQ1_0 / TQ2_0 tensor; tessera::io_error (file, byte) for an invalid file,
        ///         a code 3 or a non-finite d.
        inline ternary::ternary_matrix<float> load_ternary_gguf(const std::string& path, const std::string& name)
        {
            const char* fn = "compress::load_ternary_gguf";
            const io::gguf_file g(path);
            require(g.contains(name), fn, "name='", name, "' is not a tensor of ", path);
            const io::gguf_tensor_info& t = g.info(name);
            using io::detail::ggml_type;
            require(t.type == ggml_type::tq1_0 || t.type == ggml_type::tq2_0, fn, "tensor '", name, "' is ",
                    io::detail::ggml_type_name(t.type), ", expected TQ1_0 or TQ2_0");
            require(t.shape.size() == 2, fn, "tensor '", name, "' has shape ", shape_to_string(t.shape), ", expected 2-D");
            const io::gguf_bytes b = g.raw(name);
            try
            {
                return ternary::detail::from_tq(b.data, b.size, t.shape[0], t.shape[1],
                                                t.type == ggml_type::tq1_0 ? ternary::detail::tq_kind::tq1_0
                                                                           : ternary::detail::tq_kind::tq2_0,
                                                fn);
            }
            catch (const invalid_argument& e)
            {
                throw io_error(path, t.offset, e.what());
            }
        }
    }  // namespace detail

    using detail::load_ternary_gguf, detail::save_ternary_gguf, detail::ternary_gguf_item;
}  // namespace tessera::compress
