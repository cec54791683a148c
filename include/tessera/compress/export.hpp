#pragma once
/// \file export.hpp
/// Saving compressed matrices to one safetensors file and loading them back bit for bit:
/// low-rank factors (spectral::low_rank, spectral::svd_result), TT-matrices (tt::tt_matrix) and
/// packed ternary matrices (ternary::packed_ternary), several per file under named prefixes, plus
/// free-form string metadata. Layout (docs/compress.md, "Export"):
///
///   low_rank        `<name>.US` [m, r] = U diag(S), `<name>.Vt` [r, n]         (F32 or F64)
///   svd             `<name>.U` [m, r], `<name>.S` [r], `<name>.Vt` [r, n]      (F32 or F64)
///   tt_matrix       `<name>.core.<k>` [r_{k-1}, m_k, n_k, r_k], k = 0..d-1    (F32 or F64)
///   packed_ternary  `<name>.codes` U8 [rows, row_stride] (the packed rows as in memory),
///                   `<name>.scales` [rows, n_groups] F32 or F16 (absent for bare codes)
///
/// `__metadata__` holds "tessera.format" = "tessera.compressed.v1", "tessera.version", and
/// "tessera.objects": a JSON object {name: {"kind", "dtype", shapes, modes, ranks, layout ...}}
/// from which the loader rebuilds each object and against which it checks every tensor. Every
/// other key is the caller's (provenance: source tensor, tool, ...).

#include <cstddef>
#include <cstring>
#include <map>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>
#include <xtensor/xtensor.hpp>

#include "../core/errors.hpp"
#include "../core/version.hpp"
#include "../io/safetensors.hpp"
#include "../spectral/low_rank.hpp"
#include "../spectral/svd_result.hpp"
#include "../ternary/pack.hpp"
#include "../ternary/packed.hpp"
#include "../tt/tt_matrix.hpp"
#include "detail/export_check.hpp"

namespace tessera::compress
{
    namespace detail
    {
        /// One object to save: a name (the prefix of its tensors) and a reference to a low_rank,
        /// svd_result, tt_matrix (float or double) or packed_ternary, held for the duration of
        /// save_compressed (build it in the call: `{{"emb", lr}, {"ffn", tt}}`).
        class export_item
        {
        public:
            template <class T>
            export_item(std::string name, const spectral::low_rank<T>& x) : m_name(std::move(name)), m_ref(&x) {}
            template <class T>
            export_item(std::string name, const spectral::svd_result<T>& x) : m_name(std::move(name)), m_ref(&x) {}
            template <class T>
            export_item(std::string name, const tt::tt_matrix<T>& x) : m_name(std::move(name)), m_ref(&x) {}
            export_item(std::string name, const ternary::packed_ternary& x) : m_name(std::move(name)), m_ref(&x) {}

            const std::string& name() const noexcept { return m_name; }
            /// Appends this object's tensors (pointing into the object) and its metadata entry.
            void describe(std::vector<io::raw_tensor>& tensors, nlohmann::json& objects,
                          std::vector<std::vector<unsigned char>>& scratch) const
            {
                std::visit([&](const auto* p) { add(*p, tensors, objects[m_name], scratch); }, m_ref);
            }

        private:
            template <class T>
            static const char* dname() noexcept { return std::is_same_v<T, float> ? "F32" : "F64"; }
            template <class T, class E>
            void put(std::vector<io::raw_tensor>& out, const std::string& suffix, const E& x,
                     std::vector<std::size_t> shape) const
            {
                out.push_back({m_name + suffix, dname<T>(), std::move(shape), reinterpret_cast<const unsigned char*>(x.data())});
            }
            template <class T>
            void add(const spectral::low_rank<T>& x, std::vector<io::raw_tensor>& out, nlohmann::json& o,
                     std::vector<std::vector<unsigned char>>&) const
            {
                o = {{"kind", "low_rank"}, {"dtype", dname<T>()}, {"shape", {x.rows(), x.cols()}}, {"rank", x.rank()}};
                put<T>(out, ".US", x.left(), {x.rows(), x.rank()});
                put<T>(out, ".Vt", x.right(), {x.rank(), x.cols()});
            }
            template <class T>
            void add(const spectral::svd_result<T>& x, std::vector<io::raw_tensor>& out, nlohmann::json& o,
                     std::vector<std::vector<unsigned char>>&) const
            {
                const std::size_t m = x.U.shape(0), r = x.S.size(), n = x.Vt.shape(1);
                require(x.U.shape(1) == r && x.Vt.shape(0) == r, "compress::save_compressed", "object '", m_name,
                        "': svd_result factors disagree: U ", shape_to_string(x.U.shape()), ", S [", r, "], Vt ",
                        shape_to_string(x.Vt.shape()));
                o = {{"kind", "svd"}, {"dtype", dname<T>()}, {"shape", {m, n}}, {"rank", r}};
                put<T>(out, ".U", x.U, {m, r});
                put<T>(out, ".S", x.S, {r});
                put<T>(out, ".Vt", x.Vt, {r, n});
            }
            template <class T>
            void add(const tt::tt_matrix<T>& x, std::vector<io::raw_tensor>& out, nlohmann::json& o,
                     std::vector<std::vector<unsigned char>>&) const
            {
                const auto ranks = x.ranks();
                o = {{"kind", "tt_matrix"}, {"dtype", dname<T>()}, {"shape", {x.rows(), x.cols()}},
                     {"row_modes", x.row_modes()}, {"col_modes", x.col_modes()}, {"ranks", ranks}};
                for (std::size_t k = 0; k < x.row_modes().size(); ++k)
                    put<T>(out, ".core." + std::to_string(k), x.train().core(k),
                           {ranks[k], x.row_modes()[k], x.col_modes()[k], ranks[k + 1]});
            }
            void add(const ternary::packed_ternary& p, std::vector<io::raw_tensor>& out, nlohmann::json& o,
                     std::vector<std::vector<unsigned char>>& scratch) const
            {
                const bool f16 = p.scale_type == ternary::scale_storage::f16;
                const char* storage = !p.has_scales() ? "none" : f16 ? "f16" : "f32";
                o = {{"kind", "packed_ternary"}, {"layout", p.layout == ternary::packed_layout::two_bit ? "two_bit" : "base3"},
                     {"shape", {p.rows, p.cols}}, {"row_stride", p.row_stride}, {"group_size", p.group_size},
                     {"n_groups", p.n_groups}, {"scale_storage", storage}};
                out.push_back({m_name + ".codes", "U8", {p.rows, p.row_stride}, p.bytes.data()});
                if (!p.has_scales())
                    return;
                // The scales without the 16 padding entries per row kept in memory for SIMD.
                const std::size_t isz = f16 ? 2 : 4;
                std::vector<unsigned char> s(p.rows * p.n_groups * isz);
                const unsigned char* src = f16 ? reinterpret_cast<const unsigned char*>(p.scales_f16.data())
                                               : reinterpret_cast<const unsigned char*>(p.scales.data());
                for (std::size_t i = 0; i < p.rows; ++i)
                    std::memcpy(s.data() + i * p.n_groups * isz, src + i * p.scale_stride * isz, p.n_groups * isz);
                scratch.push_back(std::move(s));
                out.push_back({m_name + ".scales", f16 ? "F16" : "F32", {p.rows, p.n_groups}, scratch.back().data()});
            }

            std::string m_name;
            std::variant<const spectral::low_rank<float>*, const spectral::low_rank<double>*,
                         const spectral::svd_result<float>*, const spectral::svd_result<double>*,
                         const tt::tt_matrix<float>*, const tt::tt_matrix<double>*, const ternary::packed_ternary*>
                m_ref;
        };

        /// Saves `items` to the safetensors file `path` (layout in the file comment; floats and
        /// doubles stored as F32 / F64 bit for bit), with the caller's `metadata` beside tessera's
        /// three keys. O(total bytes); the factors are written from the objects' own buffers (only
        /// ternary scales are compacted into a copy).
        /// \param items objects with unique, non-empty names (build the list in the call).
        /// \param metadata free-form strings; keys must not start with "tessera.".
        /// \throws tessera::invalid_argument naming save_compressed for an empty or duplicate name,
        ///         a reserved metadata key or inconsistent svd factors; tessera::io_error (file, byte)
        ///         when writing fails.
        inline void save_compressed(const std::string& path, const std::vector<export_item>& items,
                                    const std::map<std::string, std::string>& metadata = {})
        {
            const char* fn = "compress::save_compressed";
            nlohmann::json objects = nlohmann::json::object();
            std::vector<io::raw_tensor> tensors;
            std::vector<std::vector<unsigned char>> scratch;
            scratch.reserve(items.size());  // raw_tensor points into it: no reallocation
            for (const auto& it : items)
            {
                require(!it.name().empty() && !objects.contains(it.name()), fn,
                        "items: object names must be non-empty and unique, got '", it.name(), "'");
                it.describe(tensors, objects, scratch);
            }
            std::map<std::string, std::string> meta;
            for (const auto& [k, v] : metadata)
            {
                require(k.rfind("tessera.", 0) != 0, fn, "metadata: key '", k,
                        "' is reserved (keys starting with 'tessera.' are written by tessera)");
                meta[k] = v;
            }
            meta[export_format_key] = export_format;
            meta["tessera.version"] = version_string;
            meta[export_objects_key] = objects.dump();
            io::write_safetensors(path, tensors, meta);
        }

        /// A compressed-matrix file written by save_compressed: memory-mapped, every object's
        /// metadata and tensors validated at open; objects loaded one at a time, bit for bit.
        class compressed_file
        {
        public:
            /// Maps and validates `path`.
            /// \throws tessera::io_error (file, byte) for a file that is not valid safetensors, lacks
            ///         or has an unsupported "tessera.format", malformed "tessera.objects", or an
            ///         object whose tensors are missing or disagree with its metadata (dtype, shape,
            ///         modes, ranks, strides), naming the object, tensor, expected and received.
            explicit compressed_file(const std::string& path) : m_file(path)
            {
                m_objects = parse_export_objects(m_file);
            }
            /// The file's path.
            const std::string& path() const noexcept { return m_file.path(); }
            /// Every object, by name.
            const std::map<std::string, export_object>& objects() const noexcept { return m_objects; }
            /// The caller's metadata (without tessera's own "tessera.*" keys).
            std::map<std::string, std::string> metadata() const
            {
                std::map<std::string, std::string> out;
                for (const auto& [k, v] : m_file.metadata())
                    if (k.rfind("tessera.", 0) != 0)
                        out[k] = v;
                return out;
            }
            /// The tessera version that wrote the file.
            std::string version() const
            {
                const auto it = m_file.metadata().find("tessera.version");
                return it == m_file.metadata().end() ? std::string() : it->second;
            }

            /// Object `name` (kind low_rank) with its factors bit for bit. O(bytes).
            /// \throws tessera::invalid_argument if absent, of another kind, or stored as the other
            ///         float type than T (F32 <-> float, F64 <-> double).
            template <class T>
            spectral::low_rank<T> load_low_rank(const std::string& name) const
            {
                get<T>(name, export_kind::low_rank, "compress::compressed_file::load_low_rank");
                return spectral::low_rank<T>(matrix<T>(name + ".US"), matrix<T>(name + ".Vt"));
            }
            /// Object `name` (kind svd): U, S, Vt bit for bit (status ok, method as default).
            /// \throws as load_low_rank.
            template <class T>
            spectral::svd_result<T> load_svd(const std::string& name) const
            {
                get<T>(name, export_kind::svd, "compress::compressed_file::load_svd");
                spectral::svd_result<T> r;
                r.U = matrix<T>(name + ".U");
                r.S = xt::xtensor<T, 1>::from_shape({m_file.info(name + ".S").shape[0]});
                copy(name + ".S", r.S.data());
                r.Vt = matrix<T>(name + ".Vt");
                return r;
            }
            /// Object `name` (kind tt_matrix): cores bit for bit, same modes and ranks. The
            /// truncation record (discarded energy, status) is not stored: the loaded matrix has
            /// zeros and status ok. O(bytes) plus tt_matrix's GEMM-ready copies.
            /// \throws as load_low_rank.
            template <class T>
            tt::tt_matrix<T> load_tt_matrix(const std::string& name) const
            {
                const export_object& o = get<T>(name, export_kind::tt_matrix, "compress::compressed_file::load_tt_matrix");
                std::vector<xt::xtensor<T, 3>> cores;
                for (std::size_t k = 0; k < o.row_modes.size(); ++k)
                {
                    xt::xtensor<T, 3> G = xt::xtensor<T, 3>::from_shape(
                        {o.ranks[k], o.row_modes[k] * o.col_modes[k], o.ranks[k + 1]});
                    copy(name + ".core." + std::to_string(k), G.data());
                    cores.push_back(std::move(G));
                }
                return tt::tt_matrix<T>(o.row_modes, o.col_modes, tt::tensor_train<T>(std::move(cores)));
            }
            /// Object `name` (kind packed_ternary): the same layout, code bytes, scales (f32 or
            /// f16 bits) and strides. The codes are unpacked and re-packed to check that every
            /// byte is the canonical packing (no code 3, padding weights 0): O(rows * cols).
            /// \throws tessera::invalid_argument if absent or of another kind; tessera::io_error
            ///         (file, byte of the row) for a non-canonical code byte.
            ternary::packed_ternary load_packed_ternary(const std::string& name) const
            {
                const export_object& o = get_kind(name, export_kind::packed_ternary, "compress::compressed_file::load_packed_ternary");
                return read_packed(m_file, o, name);
            }

        private:
            template <class T>
            const export_object& get(const std::string& name, export_kind kind, const char* fn) const
            {
                const export_object& o = get_kind(name, kind, fn);
                require(o.dtype == (std::is_same_v<T, float> ? "F32" : "F64"), fn, "object '", name, "' is stored as ",
                        o.dtype, " (", o.dtype == "F32" ? "float" : "double", "); T=", std::is_same_v<T, float> ? "float" : "double",
                        " would not load it bit for bit: use T=", o.dtype == "F32" ? "float" : "double");
                return o;
            }
            const export_object& get_kind(const std::string& name, export_kind kind, const char* fn) const
            {
                const auto it = m_objects.find(name);
                if (it == m_objects.end())
                {
                    std::string names;
                    for (const auto& [n, o] : m_objects)
                        names += (names.empty() ? "'" : ", '") + n + "' (" + to_string(o.kind) + ")";
                    throw invalid_argument(concat(fn, ": name='", name, "' is not an object of ", path(), "; it holds ",
                                                  names.empty() ? std::string("none") : names));
                }
                require(it->second.kind == kind, fn, "object '", name, "' is a ", to_string(it->second.kind), ", not a ",
                        to_string(kind));
                return it->second;
            }
            // The dtype was checked at open (F32 <-> float, F64 <-> double): bit for bit, large
            // tensors read straight into `out` (safetensors_file::read_into).
            template <class T>
            void copy(const std::string& tensor, T* out) const
            {
                m_file.read_into(m_file.info(tensor), out);
            }
            template <class T>
            xt::xtensor<T, 2> matrix(const std::string& tensor) const
            {
                const io::tensor_info& t = m_file.info(tensor);
                xt::xtensor<T, 2> out = xt::xtensor<T, 2>::from_shape({t.shape[0], t.shape[1]});
                copy(tensor, out.data());
                return out;
            }

            io::safetensors_file m_file;
            std::map<std::string, export_object> m_objects;
        };
    }  // namespace detail

    using detail::compressed_file, detail::export_item, detail::export_kind, detail::export_object,
        detail::save_compressed;
}  // namespace tessera::compress
