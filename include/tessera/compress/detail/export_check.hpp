#pragma once
/// \file export_check.hpp
/// The reading side of compress/export.hpp: the "tessera.objects" metadata of a compressed-matrix
/// safetensors file parsed and checked against the file's tensors (kind, dtype, shapes, modes,
/// ranks, strides), and a packed ternary object rebuilt with its bytes checked canonical. Every
/// problem is a tessera::io_error naming the file, the byte, the object, what was expected and
/// what was found.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "../../core/errors.hpp"
#include "../../core/half.hpp"
#include "../../io/safetensors.hpp"
#include "../../ternary/pack.hpp"
#include "../../ternary/packed.hpp"

namespace tessera::compress
{
    namespace detail
    {
        /// Version tag written in "tessera.format"; the loader refuses any other.
        inline constexpr const char* export_format = "tessera.compressed.v1";
        inline constexpr const char* export_format_key = "tessera.format";
        inline constexpr const char* export_objects_key = "tessera.objects";

        /// What a saved object is.
        enum class export_kind
        {
            low_rank,       ///< spectral::low_rank: `.US`, `.Vt`
            svd,            ///< spectral::svd_result: `.U`, `.S`, `.Vt`
            tt_matrix,      ///< tt::tt_matrix: `.core.<k>`
            packed_ternary  ///< ternary::packed_ternary: `.codes`, `.scales`
        };

        /// "low_rank", "svd", "tt_matrix" or "packed_ternary" (the "kind" written in the file).
        inline const char* to_string(export_kind k) noexcept
        {
            switch (k)
            {
                case export_kind::low_rank: return "low_rank";
                case export_kind::svd: return "svd";
                case export_kind::tt_matrix: return "tt_matrix";
                case export_kind::packed_ternary: return "packed_ternary";
            }
            return "unknown";
        }

        /// One object of a compressed file, as its metadata describes it (checked against the
        /// tensors at open).
        struct export_object
        {
            export_kind kind = export_kind::low_rank;  ///< what it is
            std::string dtype;                         ///< "F32" or "F64" (float kinds), "U8" (packed_ternary)
            std::size_t rows = 0;                      ///< m (rows of the matrix it stands for)
            std::size_t cols = 0;                      ///< n
            std::size_t rank = 0;                      ///< r (low_rank, svd)
            std::vector<std::size_t> row_modes;        ///< tt_matrix: (m_1, ..., m_d)
            std::vector<std::size_t> col_modes;        ///< tt_matrix: (n_1, ..., n_d)
            std::vector<std::size_t> ranks;            ///< tt_matrix: (1, r_1, ..., r_{d-1}, 1)
            ternary::packed_layout layout = ternary::packed_layout::two_bit;  ///< packed_ternary
            std::size_t row_stride = 0;                ///< packed_ternary: bytes per packed row
            std::size_t group_size = 0;                ///< packed_ternary: weights per scale (0: bare codes)
            std::size_t n_groups = 0;                  ///< packed_ternary: scales per row
            std::string scale_storage;                 ///< packed_ternary: "f32", "f16" or "none"
            std::vector<std::string> tensors;          ///< names of its tensors, in the file
        };

        /// Parses "tessera.objects" of `f` and checks each object's tensors.
        /// \throws tessera::io_error (file, byte 8: the header) on any inconsistency.
        inline std::map<std::string, export_object> parse_export_objects(const io::safetensors_file& f)
        {
            const std::string& file = f.path();
            auto fail = [&](const std::string& what) { return io_error(file, 8, concat("compressed_file: ", what)); };
            const auto& meta = f.metadata();
            const auto fmt = meta.find(export_format_key);
            if (fmt == meta.end())
                throw fail(concat("__metadata__ has no '", export_format_key, "' (expected '", export_format,
                                  "'): not a file written by tessera::compress::save_compressed"));
            if (fmt->second != export_format)
                throw fail(concat("'", export_format_key, "' is '", fmt->second, "', expected '", export_format, "'"));
            const auto obj = meta.find(export_objects_key);
            if (obj == meta.end())
                throw fail(concat("__metadata__ has no '", export_objects_key, "'"));
            nlohmann::json j;
            try
            {
                j = nlohmann::json::parse(obj->second);
            }
            catch (const nlohmann::json::exception& e)
            {
                throw fail(concat("'", export_objects_key, "' is not valid JSON: ", e.what()));
            }
            if (!j.is_object())
                throw fail(concat("'", export_objects_key, "' must be a JSON object {name: description}"));
            std::map<std::string, export_object> out;
            for (auto it = j.begin(); it != j.end(); ++it)
            {
                const std::string& name = it.key();
                const nlohmann::json& d = it.value();
                auto bad = [&](const std::string& what) { return fail(concat("object '", name, "': ", what)); };
                if (!d.is_object() || !d.contains("kind") || !d["kind"].is_string())
                    throw bad("description must be a JSON object with a string 'kind'");
                auto uint_of = [&](const nlohmann::json& v, const char* key) {
                    if (!v.is_number_unsigned())
                        throw bad(concat("'", key, "' must be a non-negative integer, got ", v.dump()));
                    return v.get<std::size_t>();
                };
                auto num = [&](const char* key) {
                    if (!d.contains(key))
                        throw bad(concat("metadata has no '", key, "'"));
                    return uint_of(d[key], key);
                };
                auto list = [&](const char* key) {
                    if (!d.contains(key) || !d[key].is_array() || d[key].size() > 64)
                        throw bad(concat("'", key, "' must be an array of at most 64 non-negative integers"));
                    std::vector<std::size_t> v;
                    for (const auto& x : d[key])
                        v.push_back(uint_of(x, key));
                    return v;
                };
                auto str = [&](const char* key) {
                    if (!d.contains(key) || !d[key].is_string())
                        throw bad(concat("metadata has no string '", key, "'"));
                    return d[key].get<std::string>();
                };
                export_object o;
                const std::string kind = d["kind"].get<std::string>();
                // Checks that tensor `suffix` exists with dtype `dt` and shape `shape`.
                auto expect = [&](const std::string& suffix, const std::string& dt, const std::vector<std::size_t>& shape) {
                    const std::string t = name + suffix;
                    if (!f.contains(t))
                        throw bad(concat("tensor '", t, "' is missing (a ", kind, " has it)"));
                    const io::tensor_info& info = f.info(t);
                    if (info.dtype_name != dt)
                        throw bad(concat("tensor '", t, "' has dtype ", info.dtype_name, ", expected ", dt));
                    if (info.shape != shape)
                        throw bad(concat("tensor '", t, "' has shape ", shape_to_string(info.shape), ", expected ",
                                         shape_to_string(shape), " from the metadata"));
                    o.tensors.push_back(t);
                };
                const std::vector<std::size_t> shape = list("shape");
                if (shape.size() != 2)
                    throw bad(concat("'shape' must be [rows, cols], got ", shape_to_string(shape)));
                o.rows = shape[0];
                o.cols = shape[1];
                if (kind == "low_rank" || kind == "svd" || kind == "tt_matrix")
                {
                    o.dtype = str("dtype");
                    if (o.dtype != "F32" && o.dtype != "F64")
                        throw bad(concat("'dtype' must be F32 or F64, got '", o.dtype, "'"));
                }
                if (kind == "low_rank" || kind == "svd")
                {
                    o.kind = kind == "svd" ? export_kind::svd : export_kind::low_rank;
                    o.rank = num("rank");
                    if (o.kind == export_kind::low_rank)
                        expect(".US", o.dtype, {o.rows, o.rank});
                    else
                    {
                        expect(".U", o.dtype, {o.rows, o.rank});
                        expect(".S", o.dtype, {o.rank});
                    }
                    expect(".Vt", o.dtype, {o.rank, o.cols});
                }
                else if (kind == "tt_matrix")
                {
                    o.kind = export_kind::tt_matrix;
                    o.row_modes = list("row_modes");
                    o.col_modes = list("col_modes");
                    o.ranks = list("ranks");
                    const std::size_t dd = o.row_modes.size();
                    if (dd == 0 || o.col_modes.size() != dd || o.ranks.size() != dd + 1)
                        throw bad(concat("row_modes ", shape_to_string(o.row_modes), ", col_modes ",
                                         shape_to_string(o.col_modes), " and ranks ", shape_to_string(o.ranks),
                                         " must have d >= 1, d and d + 1 entries"));
                    if (o.ranks.front() != 1 || o.ranks.back() != 1)
                        throw bad(concat("ranks ", shape_to_string(o.ranks), " must start and end with 1"));
                    std::size_t M = 1, N = 1;
                    for (std::size_t k = 0; k < dd; ++k)
                    {
                        if (o.row_modes[k] == 0 || o.col_modes[k] == 0 || o.ranks[k + 1] == 0)
                            throw bad(concat("modes and ranks must be >= 1: row_modes ", shape_to_string(o.row_modes),
                                             ", col_modes ", shape_to_string(o.col_modes), ", ranks ", shape_to_string(o.ranks)));
                        // the core's byte count was checked against the file, so its shape bounds m_k n_k
                        expect(".core." + std::to_string(k), o.dtype, {o.ranks[k], o.row_modes[k], o.col_modes[k], o.ranks[k + 1]});
                        if (M > shape[0] / o.row_modes[k] || N > shape[1] / o.col_modes[k])
                            throw bad(concat("prod(row_modes ", shape_to_string(o.row_modes), ") x prod(col_modes ",
                                             shape_to_string(o.col_modes), ") exceeds 'shape' ", shape_to_string(shape)));
                        M *= o.row_modes[k];
                        N *= o.col_modes[k];
                    }
                    if (M != o.rows || N != o.cols)
                        throw bad(concat("prod(row_modes) x prod(col_modes) = [", M, ", ", N, "] but 'shape' is ",
                                         shape_to_string(shape)));
                }
                else if (kind == "packed_ternary")
                {
                    o.kind = export_kind::packed_ternary;
                    o.dtype = "U8";
                    const std::string layout = str("layout");
                    if (layout != "two_bit" && layout != "base3")
                        throw bad(concat("'layout' must be two_bit or base3, got '", layout, "'"));
                    o.layout = layout == "two_bit" ? ternary::packed_layout::two_bit : ternary::packed_layout::base3;
                    if (o.cols >= (std::size_t(1) << 40))
                        throw bad(concat("rows of ", o.cols, " weights: at most 2^40 are accepted"));
                    o.row_stride = num("row_stride");
                    const std::size_t want = layout == "two_bit" ? ternary::detail::stride_2bit(o.cols)
                                                                 : ternary::detail::stride_base3(o.cols);
                    if (o.row_stride != want)
                        throw bad(concat("row_stride=", o.row_stride, " but ", layout, " rows of ", o.cols,
                                         " weights take ", want, " bytes"));
                    o.group_size = num("group_size");
                    o.n_groups = num("n_groups");
                    o.scale_storage = str("scale_storage");
                    expect(".codes", "U8", {o.rows, o.row_stride});
                    if (o.scale_storage == "none")
                    {
                        if (o.group_size != 0 || o.n_groups != 0)
                            throw bad(concat("scale_storage 'none' (bare codes) needs group_size=0 and n_groups=0, got ",
                                             o.group_size, " and ", o.n_groups));
                    }
                    else if (o.scale_storage == "f32" || o.scale_storage == "f16")
                    {
                        const std::size_t ng = o.group_size == 0 ? 0 : o.cols / o.group_size + (o.cols % o.group_size != 0);
                        if (o.group_size == 0 || o.n_groups != ng)
                            throw bad(concat("group_size=", o.group_size, " and n_groups=", o.n_groups,
                                             " disagree: rows of ", o.cols, " weights need group_size >= 1 and n_groups = ",
                                             "ceil(cols / group_size)"));
                        expect(".scales", o.scale_storage == "f32" ? "F32" : "F16", {o.rows, o.n_groups});
                    }
                    else
                        throw bad(concat("'scale_storage' must be f32, f16 or none, got '", o.scale_storage, "'"));
                }
                else
                    throw bad(concat("unknown kind '", kind, "' (low_rank, svd, tt_matrix, packed_ternary)"));
                out.emplace(name, std::move(o));
            }
            return out;
        }

        /// Rebuilds packed_ternary object `name` (described by `o`, checked) of `f`: code bytes
        /// verified to be the canonical packing of their codes, scales verified finite.
        /// \throws tessera::io_error (file, byte) naming the first bad byte or scale.
        inline ternary::packed_ternary read_packed(const io::safetensors_file& f, const export_object& o,
                                                   const std::string& name)
        {
            const char* fn = "compress::compressed_file::load_packed_ternary";
            ternary::packed_ternary p;
            p.layout = o.layout;
            p.rows = o.rows;
            p.cols = o.cols;
            p.row_stride = o.row_stride;
            p.group_size = o.group_size;
            p.n_groups = o.n_groups;
            const io::tensor_info& ct = f.info(name + ".codes");
            const std::size_t at = f.data_offset() + ct.begin;
            p.bytes = ternary::detail::aligned_bytes(p.rows * p.row_stride);
            if (p.rows * p.row_stride != 0)
                std::memcpy(p.bytes.data(), f.bytes(ct), p.rows * p.row_stride);
            // Canonical bytes: no code 3 among the weights, padding weights 0, exact base-3 bytes.
            xt::xtensor<std::int8_t, 2> codes;
            try
            {
                codes = ternary::detail::unpack_codes(p, p.layout, fn);
            }
            catch (const invalid_argument& e)
            {
                std::string why = e.what();  // "<fn>: byte for weight (i, k) holds invalid code 3"
                why.erase(0, why.rfind(": ", why.find(" byte")) + 2);
                throw io_error(f.path(), at, concat(fn, ": object '", name, "': ", why));
            }
            const ternary::packed_ternary canon = ternary::detail::pack_codes(codes, p.layout, fn);
            for (std::size_t b = 0; b < p.rows * p.row_stride; ++b)
                if (canon.bytes.data()[b] != p.bytes.data()[b])
                    throw io_error(f.path(), at + b, concat(fn, ": object '", name, "': byte ", b % p.row_stride, " of row ",
                                                            b / p.row_stride, " is ", int(p.bytes.data()[b]),
                                                            " but the canonical packing of its codes is ",
                                                            int(canon.bytes.data()[b]), " (padding weights must be 0)"));
            if (o.scale_storage == "none")
                return p;
            p.scale_stride = p.n_groups + 16;
            const io::tensor_info& st = f.info(name + ".scales");
            const unsigned char* src = f.bytes(st);
            const bool f16 = o.scale_storage == "f16";
            const std::size_t isz = f16 ? 2 : 4;
            unsigned char* dst;
            if (f16)
            {
                p.scale_type = ternary::scale_storage::f16;
                p.scales_f16.assign(p.rows * p.scale_stride, 0);
                dst = reinterpret_cast<unsigned char*>(p.scales_f16.data());
            }
            else
            {
                p.scales.assign(p.rows * p.scale_stride, 0.0f);
                dst = reinterpret_cast<unsigned char*>(p.scales.data());
            }
            for (std::size_t i = 0; i < p.rows; ++i)
            {
                std::memcpy(dst + i * p.scale_stride * isz, src + i * p.n_groups * isz, p.n_groups * isz);
                for (std::size_t g = 0; g < p.n_groups; ++g)
                {
                    const std::size_t k = i * p.scale_stride + g;
                    const float v = f16 ? half_to_float(p.scales_f16[k]) : p.scales[k];
                    if (!std::isfinite(v))
                        throw io_error(f.path(), f.data_offset() + st.begin + (i * p.n_groups + g) * isz,
                                       concat(fn, ": object '", name, "': scale of row ", i, ", group ", g, " is ", v,
                                              ", expected a finite value"));
                }
            }
            return p;
        }
    }  // namespace detail
}  // namespace tessera::compress
