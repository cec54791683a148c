#pragma once
/// \file gguf_write.hpp
/// Writer of GGUF version 3 files: metadata of any value type, tensors stored as F32, F16, BF16
/// or Q8_0 (ggml's quantize_row_q8_0_ref) or given as pre-encoded blocks of any ggml type (the
/// ternary module's TQ1_0 / TQ2_0), data aligned to `general.alignment` (default 32).

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <set>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <xtensor/xarray.hpp>

#include "../../core/errors.hpp"
#include "../../core/traits.hpp"
#include "../../core/half.hpp"
#include "gguf_metadata.hpp"
#include "gguf_parse.hpp"
#include "gguf_types.hpp"

namespace tessera::io
{
    namespace detail
    {
        /// A tensor to write: name, values (numpy order, rank 1..4), and the stored type
        /// (F32, F16, BF16 or Q8_0) -- or, when `raw` is not empty, the already-encoded blocks of
        /// `type` (any ggml type, e.g. TQ2_0 bytes from ternary::to_tq2_0) of shape `shape`.
        template <class T>
        struct gguf_tensor
        {
            std::string name;                ///< unique, non-empty
            xt::xarray<T> values;            ///< row-major values; shape [.., rows, cols] is written as ne = [cols, rows, ..]
            ggml_type type = ggml_type::f32; ///< F32, F16, BF16 or Q8_0 (cols a multiple of 32); any type with `raw`
            std::vector<std::size_t> shape;  ///< with `raw`: the tensor's shape in numpy order (`values` is then unused)
            std::vector<unsigned char> raw;  ///< pre-encoded bytes: prod(shape) / block * block bytes of `type`

            gguf_tensor() = default;
            /// `{name, values}` or `{name, values, type}` as before `shape` and `raw` existed.
            /// (Constructors, not aggregate initialization: GCC 12 fails with an internal compiler
            /// error on default member initializers of these vectors in nested brace lists.)
            gguf_tensor(std::string n, xt::xarray<T> v, ggml_type t = ggml_type::f32)
                : name(std::move(n)), values(std::move(v)), type(t)
            {
            }
        };

        inline void gguf_put_uint(std::vector<unsigned char>& out, std::uint64_t v, std::size_t n)
        {
            for (std::size_t i = 0; i < n; ++i)
                out.push_back(static_cast<unsigned char>((v >> (8 * i)) & 0xffu));
        }
        inline void gguf_put_string(std::vector<unsigned char>& out, const std::string& s)
        {
            gguf_put_uint(out, s.size(), 8);
            out.insert(out.end(), s.begin(), s.end());
        }
        inline void gguf_put_value(std::vector<unsigned char>& out, const gguf_value& v)
        {
            std::visit(
                [&](const auto& x) {
                    using V = std::decay_t<decltype(x)>;
                    if constexpr (std::is_same_v<V, std::string>)
                        gguf_put_string(out, x);
                    else if constexpr (std::is_same_v<V, gguf_array>)
                    {
                        gguf_put_uint(out, static_cast<std::uint32_t>(x.type), 4);
                        gguf_put_uint(out, x.values.size(), 8);
                        for (const auto& e : x.values)
                        {
                            require(e.type() == x.type, "io::write_gguf", "array of ", gguf_value_type_name(x.type),
                                    " holds an element of type ", gguf_value_type_name(e.type()));
                            gguf_put_value(out, e);
                        }
                    }
                    else if constexpr (std::is_same_v<V, bool>)
                        out.push_back(x ? 1 : 0);
                    else
                    {
                        unsigned char b[sizeof(V)];
                        std::memcpy(b, &x, sizeof(V));
                        out.insert(out.end(), b, b + sizeof(V));
                    }
                },
                v.value());
        }

        /// ggml's quantize_row_q8_0_ref on `n` floats (n % 32 == 0): per block d = max|x|/127,
        /// q = roundf(x / d), stored as fp16 d then 32 int8.
        inline void quantize_q8_0(const float* x, std::size_t n, unsigned char* out) noexcept
        {
            for (std::size_t b = 0; b < n / 32; ++b, x += 32, out += 34)
            {
                float amax = 0.0f;
                for (int j = 0; j < 32; ++j)
                    amax = std::fmax(amax, std::fabs(x[j]));
                const float d = amax / 127.0f;
                const float id = d != 0.0f ? 1.0f / d : 0.0f;
                const std::uint16_t h = float_to_half(d);
                out[0] = static_cast<unsigned char>(h & 0xff);
                out[1] = static_cast<unsigned char>(h >> 8);
                for (int j = 0; j < 32; ++j)
                    out[2 + j] = static_cast<unsigned char>(static_cast<std::int8_t>(std::round(x[j] * id)));
            }
        }

        /// Encodes `n` values as ggml type `t` into `out` (resized).
        template <class T>
        void gguf_encode(const T* src, std::size_t n, ggml_type t, std::vector<unsigned char>& out)
        {
            out.resize(n / ggml_traits(static_cast<std::uint32_t>(t)).block * ggml_traits(static_cast<std::uint32_t>(t)).bytes);
            if (t == ggml_type::f16)
                to_half_bytes(src, out.data(), n);
            else if (t == ggml_type::bf16)
            {
                std::vector<std::uint16_t> h(n);
                to_bfloat16(src, h.data(), n);
                for (std::size_t i = 0; i < n; ++i)
                {
                    out[2 * i] = static_cast<unsigned char>(h[i] & 0xff);
                    out[2 * i + 1] = static_cast<unsigned char>(h[i] >> 8);
                }
            }
            else
            {
                std::vector<float> f(src, src + n);
                if (t == ggml_type::f32)
                    std::memcpy(out.data(), f.data(), 4 * n);
                else
                    quantize_q8_0(f.data(), n, out.data());
            }
        }

        /// Writes a GGUF v3 file: `metadata` in order, then the tensor infos, then each tensor's data
        /// (encoded one tensor at a time) at offsets aligned to `general.alignment` (32 when absent).
        /// \f$ne = \mathrm{reversed}(\mathrm{shape})\f$, so a [rows, cols] matrix reads back as [rows, cols].
        /// \throws tessera::invalid_argument on an empty or duplicate name, rank outside 1..4, a type
        ///         other than F32/F16/BF16/Q8_0 for values (any block type for raw), a row length
        ///         not a multiple of the type's block, raw bytes of the wrong size, a bad
        ///         general.alignment or a mixed-type array; tessera::io_error (file, byte) when writing fails.
        template <class T>
        void write_gguf(const std::string& path, const gguf_metadata& metadata, const std::vector<gguf_tensor<T>>& tensors)
        {
            static_assert(is_real_v<T>, "tessera::io::write_gguf<T>: T must be float or double");
            const char* fn = "io::write_gguf";
            std::size_t alignment = gguf_default_alignment;
            if (const gguf_value* a = metadata.find("general.alignment"))
            {
                const auto* u = std::get_if<std::uint32_t>(&a->value());
                require(u && *u != 0 && (*u & (*u - 1)) == 0, fn, "general.alignment must be a uint32 power of two");
                alignment = *u;
            }
            std::vector<unsigned char> head{'G', 'G', 'U', 'F'};
            gguf_put_uint(head, 3, 4);
            gguf_put_uint(head, tensors.size(), 8);
            gguf_put_uint(head, metadata.size(), 8);
            for (const auto& [key, value] : metadata.entries())
            {
                gguf_put_string(head, key);
                gguf_put_uint(head, static_cast<std::uint32_t>(value.type()), 4);
                gguf_put_value(head, value);
            }
            std::set<std::string> names;
            std::vector<std::size_t> offsets;
            std::size_t off = 0;
            for (const auto& t : tensors)
            {
                require(!t.name.empty() && names.insert(t.name).second, fn, "tensor names must be non-empty and unique, got '", t.name, "'");
                const bool raw = !t.raw.empty();
                const std::vector<std::size_t> shape =
                    raw ? t.shape : std::vector<std::size_t>(t.values.shape().begin(), t.values.shape().end());
                const std::size_t rank = shape.size();
                require(rank >= 1 && rank <= 4, fn, "tensor '", t.name, "' has rank ", rank, ", must be 1..4");
                const ggml_type_traits tr = ggml_traits(static_cast<std::uint32_t>(t.type));
                require(raw ? tr.name != nullptr && tr.block != 0
                            : t.type == ggml_type::f32 || t.type == ggml_type::f16 || t.type == ggml_type::bf16 || t.type == ggml_type::q8_0,
                        fn, "tensor '", t.name, "': type ", ggml_type_name(t.type), " cannot be written",
                        raw ? " (not a ggml type with a block size)" : " from values (F32, F16, BF16, Q8_0; other types as raw blocks)");
                require(shape.back() % tr.block == 0, fn, "tensor '", t.name, "': row length ", shape.back(),
                        " must be a multiple of the ", ggml_type_name(t.type), " block of ", tr.block);
                std::size_t count = 1;
                for (std::size_t d : shape)
                    count *= d;
                const std::size_t bytes = count / tr.block * tr.bytes;
                require(!raw || t.raw.size() == bytes, fn, "tensor '", t.name, "': raw holds ", t.raw.size(), " bytes, shape ",
                        shape_to_string(shape), " of ", ggml_type_name(t.type), " needs ", bytes);
                gguf_put_string(head, t.name);
                gguf_put_uint(head, rank, 4);
                for (std::size_t d = rank; d-- > 0;)
                    gguf_put_uint(head, shape[d], 8);
                gguf_put_uint(head, static_cast<std::uint32_t>(t.type), 4);
                gguf_put_uint(head, off, 8);
                offsets.push_back(off);
                off += bytes + (alignment - bytes % alignment) % alignment;
            }
            head.resize(head.size() + (alignment - head.size() % alignment) % alignment, 0);
            std::FILE* fp = std::fopen(path.c_str(), "wb");
            if (!fp)
                throw io_error(path, 0, "cannot open for writing");
            std::size_t written = 0;
            auto put = [&](const unsigned char* p, std::size_t n) {
                if (n != 0 && std::fwrite(p, 1, n, fp) != n)
                {
                    std::fclose(fp);
                    throw io_error(path, written, "write failed");
                }
                written += n;
            };
            put(head.data(), head.size());
            std::vector<unsigned char> buf;
            const std::size_t base = written;
            for (std::size_t i = 0; i < tensors.size(); ++i)
            {
                const std::vector<unsigned char> pad(base + offsets[i] - written, 0);
                put(pad.data(), pad.size());
                if (!tensors[i].raw.empty())
                {
                    put(tensors[i].raw.data(), tensors[i].raw.size());
                    continue;
                }
                gguf_encode(tensors[i].values.data(), tensors[i].values.size(), tensors[i].type, buf);
                put(buf.data(), buf.size());
            }
            const std::vector<unsigned char> tail((alignment - written % alignment) % alignment, 0);
            put(tail.data(), tail.size());
            if (std::fclose(fp) != 0)
                throw io_error(path, written, "close failed");
        }
    }  // namespace detail

    using detail::gguf_tensor, detail::quantize_q8_0, detail::write_gguf;
}  // namespace tessera::io
