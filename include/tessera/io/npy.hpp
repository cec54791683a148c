#pragma once
/// \file npy.hpp
/// Read and write NumPy `.npy` files as `xt::xtensor<T, N>` (T = float or double), and map a
/// large `.npy` read-only without copying (`map_npy`).
///
/// Stored dtypes: `<f2` (float16), `<f4`, `<f8`, their big-endian forms, and `<u2` read as
/// bfloat16 bit patterns (see npy_header.hpp); each converts to the requested T (float16 and
/// bfloat16 widen exactly; float64 -> float rounds to nearest). C order is read as is;
/// Fortran order (column-major) is transposed on read, so `read_npy` always returns the
/// array numpy shows, in row-major memory.

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include <xtensor/xadapt.hpp>
#include <xtensor/xarray.hpp>
#include <xtensor/xmanipulation.hpp>
#include <xtensor/xtensor.hpp>

#include "../core/errors.hpp"
#include "../core/traits.hpp"
#include "dtype.hpp"
#include "mapped_file.hpp"
#include "npy_header.hpp"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "tessera::io assumes a little-endian host");

namespace tessera::io
{
    /// Memory order of a written `.npy`: C (row-major) or Fortran (column-major).
    enum class npy_order
    {
        c,       ///< row-major, `fortran_order: False` (numpy's default)
        fortran  ///< column-major, `fortran_order: True`
    };

    namespace detail
    {
        template <std::size_t N>
        std::array<std::size_t, N> npy_shape(const npy_header& h, const std::string& file)
        {
            if (h.shape.size() != N)
                throw io_error(file, h.major_version == 1 ? 10 : 12,
                               concat("expected a ", N, "-dimensional array, header has shape ", shape_to_string(h.shape)));
            std::array<std::size_t, N> s{};
            for (std::size_t i = 0; i < N; ++i)
                s[i] = h.shape[i];
            return s;
        }

        /// Decodes the `.npy` image `data[0, size)` into a row-major `xt::xtensor<T, N>`.
        /// \throws tessera::io_error (file + offset) on any malformed, truncated or unsupported input.
        template <class T, std::size_t N = 2>
        xt::xtensor<T, N> parse_npy(const unsigned char* data, std::size_t size, const std::string& file)
        {
            static_assert(is_real_v<T>, "tessera::io::read_npy<T>: T must be float or double");
            const npy_header h = parse_npy_header(data, size, file);
            auto shape = npy_shape<N>(h, file);
            if (!h.fortran_order || N < 2)
            {
                xt::xtensor<T, N> out = xt::xtensor<T, N>::from_shape(shape);
                advise_huge_pages(out.data(), out.size() * sizeof(T));
                decode(data + h.data_offset, h.type, h.big_endian, out.data(), h.count());
                return out;
            }
            std::array<std::size_t, N> reversed{};
            for (std::size_t i = 0; i < N; ++i)
                reversed[i] = shape[N - 1 - i];
            xt::xtensor<T, N> tmp = xt::xtensor<T, N>::from_shape(reversed);
            decode(data + h.data_offset, h.type, h.big_endian, tmp.data(), h.count());
            xt::xtensor<T, N> out = xt::transpose(tmp);
            return out;
        }

        /// Reads the `.npy` file at `path` into a row-major `xt::xtensor<T, N>` (a copy).
        /// \param path a `.npy` of version 1-3 with dtype <f2/<f4/<f8/<u2(bfloat16), N dimensions.
        /// \return the array, shape as in the header, converted to T, Fortran order transposed.
        /// \throws tessera::io_error naming `path` and the byte offset: missing file, bad magic,
        ///         unsupported version or dtype, header over npy_max_header_size, malformed header,
        ///         shape-product overflow, truncated data, trailing bytes, wrong dimension count.
        /// \note O(size); the file is memory-mapped and decoded once.
        template <class T, std::size_t N = 2>
        xt::xtensor<T, N> read_npy(const std::string& path)
        {
            static_assert(is_real_v<T>, "tessera::io::read_npy<T>: T must be float or double");
            {
                // Fast path: stored exactly as T in C order -> read(2) straight into the result.
                file_descriptor fd(path);
                const std::size_t size = fd.size();
                std::vector<unsigned char> head(std::min(size, 12 + npy_max_header_size));
                fd.read_at(head.data(), head.size(), 0);
                const npy_header h = parse_npy_header_prefix(head.data(), head.size(), size, path);
                if (h.type == dtype_of<T>() && !h.big_endian && (!h.fortran_order || h.shape.size() < 2))
                {
                    xt::xtensor<T, N> out = tessera::detail::fresh_tensor<T, N>(npy_shape<N>(h, path));
                    tessera::detail::prefault(out.data(), h.data_bytes);
                    fd.read_large(reinterpret_cast<unsigned char*>(out.data()), h.data_bytes, h.data_offset);
                    return out;
                }
            }
            mapped_file f(path);
            f.advise_sequential();
            return parse_npy<T, N>(f.data(), f.size(), path);
        }

        /// Reads and validates only the header of the `.npy` at `path` (dtype, shape, order).
        /// \throws tessera::io_error as read_npy.
        inline npy_header read_npy_header(const std::string& path)
        {
            mapped_file f(path);
            return parse_npy_header(f.data(), f.size(), path);
        }

        /// Writes `e` to `path` as a `.npy` (v1.0 header, v2.0 when larger than 64 KiB) with element
        /// type `type` (narrowing rounds to nearest even; bfloat16 is stored as `<u2` bits), in C
        /// order or, with `order == npy_order::fortran`, column-major with `fortran_order: True`
        /// (numpy reads both as the same array). The file is written to `path + ".tmp"` and
        /// renamed, so a failed write never leaves a partial file under `path`.
        /// \param e any xtensor expression of float or double, any dimension (0-d included).
        /// \throws tessera::io_error naming the file and the byte offset where writing failed.
        template <class E>
        void write_npy(const std::string& path, const xt::xexpression<E>& e, dtype type, npy_order order = npy_order::c)
        {
            using V = std::decay_t<typename E::value_type>;
            static_assert(is_real_v<V>, "tessera::io::write_npy: the expression's value_type must be float or double");
            const auto& d = e.derived_cast();
            std::vector<std::size_t> shape(d.shape().begin(), d.shape().end());
            const V* src = nullptr;
            xt::xarray<V> copy;
            if (order == npy_order::fortran && shape.size() > 1)
            {
                copy = xt::transpose(xt::xarray<V>(d));  // column-major data = C order of the full transpose
                src = copy.data();
            }
            else if constexpr (std::is_base_of_v<xt::xcontainer<E>, E> && E::static_layout == xt::layout_type::row_major)
                src = d.data();
            else
            {
                copy = d;
                src = copy.data();
            }
            std::size_t count = 1;
            for (auto s : shape)
                count *= s;
            const std::string header = format_npy_header(type, shape, order == npy_order::fortran);
            const std::string tmp = path + ".tmp";
            std::FILE* fp = std::fopen(tmp.c_str(), "wb");
            if (!fp)
                throw io_error(path, 0, concat("cannot open for writing: ", std::strerror(errno)));
            std::size_t written = 0;
            auto put = [&](const void* p, std::size_t n) {
                if (std::fwrite(p, 1, n, fp) != n)
                {
                    const int err = errno;
                    std::fclose(fp);
                    std::remove(tmp.c_str());
                    throw io_error(path, written, concat("write failed: ", std::strerror(err)));
                }
                written += n;
            };
            put(header.data(), header.size());
            const std::size_t isz = dtype_size(type);
            constexpr std::size_t chunk = 1 << 16;
            std::vector<unsigned char> buf(std::min(count, chunk) * isz);
            for (std::size_t i = 0; i < count; i += chunk)
            {
                const std::size_t n = std::min(chunk, count - i);
                encode(src + i, type, buf.data(), n);
                put(buf.data(), n * isz);
            }
            if (std::fclose(fp) != 0)
            {
                std::remove(tmp.c_str());
                throw io_error(path, written, concat("close failed: ", std::strerror(errno)));
            }
            if (std::rename(tmp.c_str(), path.c_str()) != 0)
            {
                const int err = errno;
                std::remove(tmp.c_str());
                throw io_error(path, 0, concat("cannot rename ", tmp, ": ", std::strerror(err)));
            }
        }

        /// Writes `e` as a `.npy` in its own element type (float -> <f4, double -> <f8).
        template <class E>
        void write_npy(const std::string& path, const xt::xexpression<E>& e)
        {
            write_npy(path, e, dtype_of<std::decay_t<typename E::value_type>>());
        }

        /// A read-only, zero-copy view of a `.npy` file's data, valid as long as this object
        /// lives (it owns the mapping; moving it keeps the view valid).
        template <class T, std::size_t N = 2>
        class mapped_npy
        {
            static_assert(is_real_v<T>, "tessera::io::mapped_npy<T>: T must be float or double");

        public:
            using buffer_type = xt::xbuffer_adaptor<const T*, xt::no_ownership, std::allocator<T>>;
            /// Row-major read-only tensor adaptor over the mapped bytes.
            using view_type = xt::xtensor_adaptor<buffer_type, N, xt::layout_type::row_major>;

            explicit mapped_npy(const std::string& path) : m_file(path), m_header(parse_npy_header(m_file.data(), m_file.size(), path)),
                m_view(make_view(m_file, m_header))
            {
            }
            /// The data as a read-only `xt::xtensor_adaptor` of shape header().shape.
            const view_type& view() const noexcept { return m_view; }
            /// Pointer to the first element (nullptr when the array is empty).
            const T* data() const noexcept { return m_view.data(); }
            /// The validated header.
            const npy_header& header() const noexcept { return m_header; }
            /// Shape, outermost first.
            const auto& shape() const noexcept { return m_view.shape(); }

        private:
            static view_type make_view(const mapped_file& f, const npy_header& h)
            {
                auto shape = npy_shape<N>(h, f.path());
                if (h.type != dtype_of<T>() || h.big_endian || (h.fortran_order && N > 1))
                    throw io_error(f.path(), h.major_version == 1 ? 10 : 12,
                                   concat("map_npy<", to_string(dtype_of<T>()), "> needs C-order little-endian ",
                                          to_string(dtype_of<T>()), " data, file has '", h.descr, "'",
                                          h.fortran_order ? " in Fortran order" : "", "; use read_npy to convert"));
                if (h.data_offset % alignof(T) != 0)
                    throw io_error(f.path(), h.data_offset, concat("data offset ", h.data_offset,
                                                                    " is not aligned for ", to_string(h.type)));
                const T* p = h.count() ? reinterpret_cast<const T*>(f.data() + h.data_offset) : nullptr;
                return view_type(buffer_type(p, h.count()), shape);
            }
            mapped_file m_file;
            npy_header m_header;
            view_type m_view;
        };

        /// Maps the `.npy` at `path` read-only and returns a zero-copy view of its data.
        /// \return mapped_npy<T, N>; use `.view()` (an xtensor expression) while it lives.
        /// \throws tessera::io_error as read_npy, and when the stored dtype is not exactly T
        ///         (little-endian, C order): convert with read_npy instead.
        /// \note O(1): pages are read on first touch.
        template <class T, std::size_t N = 2>
        mapped_npy<T, N> map_npy(const std::string& path)
        {
            return mapped_npy<T, N>(path);
        }
    }  // namespace detail

    using detail::map_npy, detail::mapped_npy, detail::parse_npy, detail::read_npy, detail::read_npy_header,
        detail::write_npy;
}  // namespace tessera::io
