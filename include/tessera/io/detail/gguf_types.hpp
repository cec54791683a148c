#pragma once
/// \file gguf_types.hpp
/// The two type enumerations of llama.cpp's GGUF format: `ggml_type` (a tensor's element or
/// block encoding, numbered as in ggml.h) with each type's block geometry, and
/// `gguf_value_type` (a metadata value's type, numbered as in gguf.h).

#include <cstddef>
#include <cstdint>

namespace tessera::io
{
    namespace detail
    {
        /// A ggml tensor type, with ggml's numbering (ggml.h `enum ggml_type`). Numbers that ggml
        /// retired (4, 5, 31-33, 36-38) are not enumerators; the reader refuses them as unknown.
        enum class ggml_type : std::uint32_t
        {
            f32 = 0,
            f16 = 1,
            q4_0 = 2,
            q4_1 = 3,
            q5_0 = 6,
            q5_1 = 7,
            q8_0 = 8,
            q8_1 = 9,
            q2_k = 10,
            q3_k = 11,
            q4_k = 12,
            q5_k = 13,
            q6_k = 14,
            q8_k = 15,
            iq2_xxs = 16,
            iq2_xs = 17,
            iq3_xxs = 18,
            iq1_s = 19,
            iq4_nl = 20,
            iq3_s = 21,
            iq2_s = 22,
            iq4_xs = 23,
            i8 = 24,
            i16 = 25,
            i32 = 26,
            i64 = 27,
            f64 = 28,
            iq1_m = 29,
            bf16 = 30,
            tq1_0 = 34,
            tq2_0 = 35,
            mxfp4 = 39
        };

        /// Block geometry of a ggml type: `block` elements are stored in `bytes` bytes
        /// (1 and the element size for the plain types). `name` is ggml's spelling ("Q4_K").
        struct ggml_type_traits
        {
            const char* name = nullptr;  ///< ggml's name, nullptr for a number that is not a type
            std::size_t block = 0;       ///< elements per block
            std::size_t bytes = 0;       ///< bytes per block
        };

        /// The traits of type number `t` (name == nullptr when `t` is not a ggml type).
        inline ggml_type_traits ggml_traits(std::uint32_t t) noexcept
        {
            constexpr std::size_t k = 256;  // QK_K
            switch (t)
            {
                case 0: return {"F32", 1, 4};
                case 1: return {"F16", 1, 2};
                case 2: return {"Q4_0", 32, 18};
                case 3: return {"Q4_1", 32, 20};
                case 6: return {"Q5_0", 32, 22};
                case 7: return {"Q5_1", 32, 24};
                case 8: return {"Q8_0", 32, 34};
                case 9: return {"Q8_1", 32, 36};
                case 10: return {"Q2_K", k, 2 + 2 + k / 16 + k / 4};
                case 11: return {"Q3_K", k, 2 + k / 4 + k / 8 + 12};
                case 12: return {"Q4_K", k, 2 + 2 + k / 2 + 12};
                case 13: return {"Q5_K", k, 2 + 2 + k / 2 + k / 8 + 12};
                case 14: return {"Q6_K", k, 2 + k / 2 + k / 4 + k / 16};
                case 15: return {"Q8_K", k, 4 + k + k / 8};
                case 16: return {"IQ2_XXS", k, 2 + k / 4};
                case 17: return {"IQ2_XS", k, 2 + k / 4 + k / 32};
                case 18: return {"IQ3_XXS", k, 2 + k / 4 + k / 8};
                case 19: return {"IQ1_S", k, 2 + k / 8 + k / 16};
                case 20: return {"IQ4_NL", 32, 18};
                case 21: return {"IQ3_S", k, 2 + k / 4 + k / 8 + k / 32 + 4};
                case 22: return {"IQ2_S", k, 2 + k / 4 + k / 16};
                case 23: return {"IQ4_XS", k, 2 + 2 + k / 2 + k / 64};
                case 24: return {"I8", 1, 1};
                case 25: return {"I16", 1, 2};
                case 26: return {"I32", 1, 4};
                case 27: return {"I64", 1, 8};
                case 28: return {"F64", 1, 8};
                case 29: return {"IQ1_M", k, k / 8 + k / 16 + k / 32};
                case 30: return {"BF16", 1, 2};
                case 34: return {"TQ1_0", k, 2 + 4 * 13};
                case 35: return {"TQ2_0", k, 2 + 64};
                case 39: return {"MXFP4", 32, 17};
                default: return {};
            }
        }

        /// ggml's name of a type ("Q4_K"), "unknown" for a number that is not a ggml type.
        inline const char* ggml_type_name(ggml_type t) noexcept
        {
            const char* n = ggml_traits(static_cast<std::uint32_t>(t)).name;
            return n ? n : "unknown";
        }

        /// True for the types gguf_file::read dequantizes: F32, F16, BF16, F64, Q4_0, Q8_0, Q4_K,
        /// Q6_K, TQ1_0, TQ2_0.
        inline bool ggml_type_readable(ggml_type t) noexcept
        {
            switch (t)
            {
                case ggml_type::f32:
                case ggml_type::f16:
                case ggml_type::bf16:
                case ggml_type::f64:
                case ggml_type::q4_0:
                case ggml_type::q8_0:
                case ggml_type::q4_k:
                case ggml_type::q6_k:
                case ggml_type::tq1_0:
                case ggml_type::tq2_0: return true;
                default: return false;
            }
        }

        /// The type of a GGUF metadata value (gguf.h `enum gguf_type`).
        enum class gguf_value_type : std::uint32_t
        {
            // numbered as gguf.h's enum gguf_type, consecutively from 0
            uint8,
            int8,
            uint16,
            int16,
            uint32,
            int32,
            float32,
            boolean,  ///< GGUF_TYPE_BOOL (one byte, 0 or 1)
            string,
            array,
            uint64,
            int64,
            float64
        };
        static_assert(static_cast<std::uint32_t>(gguf_value_type::uint8) == 0 &&
                          static_cast<std::uint32_t>(gguf_value_type::boolean) == 7 &&
                          static_cast<std::uint32_t>(gguf_value_type::string) == 8 &&
                          static_cast<std::uint32_t>(gguf_value_type::float64) == 12,
                      "gguf_value_type: numbered as gguf.h's enum gguf_type, consecutively from 0");

        /// Name of a metadata value type ("uint32", "string", ...), "unknown" otherwise.
        inline const char* gguf_value_type_name(gguf_value_type t) noexcept
        {
            static constexpr const char* names[] = {"uint8",  "int8",  "uint16", "int16",  "uint32", "int32",  "float32",
                                                    "bool",   "string", "array", "uint64", "int64",  "float64"};
            const auto i = static_cast<std::uint32_t>(t);
            return i < 13 ? names[i] : "unknown";
        }

        /// Size in bytes of a fixed-size metadata value type (0 for string, array and unknown).
        inline std::size_t gguf_value_size(gguf_value_type t) noexcept
        {
            switch (t)
            {
                case gguf_value_type::uint8:
                case gguf_value_type::int8:
                case gguf_value_type::boolean: return 1;
                case gguf_value_type::uint16:
                case gguf_value_type::int16: return 2;
                case gguf_value_type::uint32:
                case gguf_value_type::int32:
                case gguf_value_type::float32: return 4;
                case gguf_value_type::uint64:
                case gguf_value_type::int64:
                case gguf_value_type::float64: return 8;
                default: return 0;
            }
        }
    }  // namespace detail

    using detail::ggml_traits, detail::ggml_type, detail::ggml_type_name, detail::ggml_type_readable,
        detail::ggml_type_traits, detail::gguf_value_size, detail::gguf_value_type,
        detail::gguf_value_type_name;
}  // namespace tessera::io
