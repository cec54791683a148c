#pragma once
/// \file source.hpp
/// tessera::stream::row_source: the rows of a matrix that need not fit in memory: a `.npy`, one
/// tensor of a safetensors file, a list or folder of such shards stacked row-wise, or a matrix
/// already in memory. Rows are read by position (pread) into a caller's buffer and converted to
/// float or double on the way; nothing is mapped, so the resident memory is the buffers.

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <dirent.h>
#include <fcntl.h>

#include <xtensor/xtensor.hpp>

#include "../core/errors.hpp"
#include "../core/parallel.hpp"
#include "../core/traits.hpp"
#include "../io/dtype.hpp"
#include "../io/mapped_file.hpp"
#include "../io/npy_header.hpp"
#include "../io/safetensors.hpp"

namespace tessera::stream
{
    /// One contiguous run of rows of a row_source: a byte range of one file, or a matrix in memory.
    struct source_part
    {
        std::string path;                              ///< file (empty for memory)
        std::shared_ptr<io::file_descriptor> file;     ///< open descriptor (null for memory)
        const unsigned char* memory = nullptr;         ///< first byte of row 0 when in memory
        std::size_t offset = 0;                        ///< byte offset of this part's row 0 in the file
        std::size_t rows = 0;                          ///< rows in this part
        io::dtype type = io::dtype::float32;           ///< stored element type
        bool swap = false;                             ///< big-endian bytes
    };

    /// The rows of a [rows, cols] matrix stored in one or more parts (files or memory), read in
    /// blocks. Copyable and cheap to copy (files are shared); slice() and shard() select row
    /// ranges without reading anything.
    class row_source
    {
    public:
        row_source() = default;

        /// Rows of the whole source (the product of every dimension but the last, for N-d arrays).
        std::size_t rows() const noexcept { return m_rows; }
        /// Values per row (the last dimension).
        std::size_t cols() const noexcept { return m_cols; }
        /// The parts, in row order.
        const std::vector<source_part>& parts() const noexcept { return m_parts; }
        /// Stored bytes of the whole source.
        std::size_t stored_bytes() const noexcept
        {
            std::size_t b = 0;
            for (const auto& p : m_parts)
                b += p.rows * m_cols * io::dtype_size(p.type);
            return b;
        }
        /// Largest stored element size over the parts (bytes).
        std::size_t max_itemsize() const noexcept
        {
            std::size_t s = 0;
            for (const auto& p : m_parts)
                s = std::max(s, io::dtype_size(p.type));
            return s;
        }
        /// "file.npy [1000000, 896] float32" or "3 shards [..]" for messages and progress lines.
        std::string description() const
        {
            std::string where = m_parts.empty() ? std::string("empty source")
                                : m_parts.size() == 1 ? (m_parts[0].path.empty() ? std::string("memory") : m_parts[0].path)
                                                      : concat(m_parts.size(), " parts (", m_parts.front().path, " ...)");
            return concat(where, " [", m_rows, ", ", m_cols, "]");
        }

        /// Rows [first, first + count) as a source of their own (no I/O).
        /// \throws tessera::invalid_argument when the range is outside [0, rows()).
        row_source slice(std::size_t first, std::size_t count) const
        {
            require(first <= m_rows && count <= m_rows - first, "stream::row_source::slice", "rows [", first, ", ",
                    first + count, ") are outside the source's ", m_rows, " rows");
            row_source out;
            out.m_cols = m_cols;
            std::size_t at = 0;
            for (const auto& p : m_parts)
            {
                const std::size_t lo = std::max(first, at), hi = std::min(first + count, at + p.rows);
                if (lo < hi)
                {
                    source_part q = p;
                    const std::size_t skip = lo - at, row_bytes = m_cols * io::dtype_size(p.type);
                    q.rows = hi - lo;
                    if (q.memory)
                        q.memory += skip * row_bytes;
                    else
                        q.offset += skip * row_bytes;
                    out.m_parts.push_back(std::move(q));
                    out.m_rows += hi - lo;
                }
                at += p.rows;
            }
            return out;
        }

        /// The `index`-th of `count` contiguous, near-equal row ranges (what one MPI rank reads).
        /// \throws tessera::invalid_argument unless index < count.
        row_source shard(std::size_t index, std::size_t count) const
        {
            require(count >= 1 && index < count, "stream::row_source::shard", "index=", index,
                    " must be below count=", count);
            const std::size_t lo = m_rows * index / count, hi = m_rows * (index + 1) / count;
            return slice(lo, hi - lo);
        }

        /// Reads rows [first, first + count) into dst (count * cols() values of W, row-major),
        /// converting from the stored type; `scratch` holds the stored bytes when a conversion is
        /// needed (resized as needed and reused between calls).
        /// \throws tessera::invalid_argument for a range outside the source; tessera::io_error
        ///         when a read fails or comes up short (file truncated after it was opened).
        template <class W>
        void read(std::size_t first, std::size_t count, W* dst, std::vector<unsigned char>& scratch) const
        {
            static_assert(is_real_v<W>, "tessera::stream::row_source::read<W>: W must be float or double");
            require(first <= m_rows && count <= m_rows - first, "stream::row_source::read", "rows [", first, ", ",
                    first + count, ") are outside the source's ", m_rows, " rows");
            std::size_t at = 0;
            for (const auto& p : m_parts)
            {
                const std::size_t lo = std::max(first, at), hi = std::min(first + count, at + p.rows);
                if (lo < hi)
                {
                    const std::size_t isz = io::dtype_size(p.type), n = (hi - lo) * m_cols;
                    const std::size_t begin = (lo - at) * m_cols * isz;
                    W* out = dst + (lo - first) * m_cols;
                    if (p.memory)
                        decode_parallel(p.memory + begin, p.type, p.swap, out, n);
                    else if (p.type == io::dtype_of<W>() && !p.swap)
                        p.file->read_large(reinterpret_cast<unsigned char*>(out), n * isz, p.offset + begin);
                    else
                    {
                        if (scratch.size() < n * isz)
                            scratch.resize(n * isz);
                        p.file->read_large(scratch.data(), n * isz, p.offset + begin);
                        decode_parallel(scratch.data(), p.type, p.swap, out, n);
                    }
                }
                at += p.rows;
                if (at >= first + count)
                    break;
            }
        }

        /// Asks the kernel to start reading rows [first, first + count) of every file part
        /// (posix_fadvise WILLNEED: asynchronous readahead; a hint, errors ignored).
        void advise(std::size_t first, std::size_t count) const noexcept
        {
            std::size_t at = 0;
            for (const auto& p : m_parts)
            {
                const std::size_t lo = std::max(first, at), hi = std::min(first + count, at + p.rows);
                if (lo < hi && p.file)
                {
                    const std::size_t isz = io::dtype_size(p.type);
                    p.file->advise(p.offset + (lo - at) * m_cols * isz, (hi - lo) * m_cols * isz, POSIX_FADV_WILLNEED);
                }
                at += p.rows;
            }
        }

        /// Rows [first, first + count) as a new [count, cols] matrix of W.
        template <class W>
        xt::xtensor<W, 2> read_matrix(std::size_t first, std::size_t count) const
        {
            xt::xtensor<W, 2> out = xt::xtensor<W, 2>::from_shape({count, m_cols});
            std::vector<unsigned char> scratch;
            read(first, count, out.data(), scratch);
            return out;
        }

        /// Appends the parts of `other` (same cols) after this source's rows.
        /// \throws tessera::invalid_argument when the column counts differ.
        void append(const row_source& other)
        {
            if (m_parts.empty() && m_rows == 0)
                m_cols = other.m_cols;
            require(other.m_cols == m_cols || other.m_rows == 0, "stream::row_source::append", "parts must have ",
                    m_cols, " columns, ", other.description(), " has ", other.m_cols);
            for (const auto& p : other.m_parts)
                m_parts.push_back(p);
            m_rows += other.m_rows;
        }

        /// A source of one part (used by the open_* functions).
        static row_source single(source_part p, std::size_t cols)
        {
            row_source s;
            s.m_cols = cols;
            s.m_rows = p.rows;
            if (p.rows > 0)
                s.m_parts.push_back(std::move(p));
            return s;
        }

    private:
        /// io::detail::decode split into chunks of 64 Ki values across the OpenMP threads.
        template <class W>
        static void decode_parallel(const unsigned char* src, io::dtype t, bool swap, W* dst, std::size_t n)
        {
            constexpr std::size_t chunk = std::size_t(1) << 16;
            const std::size_t isz = io::dtype_size(t);
            tessera::parallel_for(0, static_cast<std::ptrdiff_t>((n + chunk - 1) / chunk), [&](std::ptrdiff_t c) {
                const std::size_t b = static_cast<std::size_t>(c) * chunk, e = std::min(n, b + chunk);
                io::detail::decode(src + b * isz, t, swap, dst + b, e - b);
            });
        }

        std::vector<source_part> m_parts;
        std::size_t m_rows = 0;
        std::size_t m_cols = 0;
    };

    namespace detail
    {
        /// rows = product of all dimensions but the last, cols = the last (a 1-d array is one row).
        inline std::pair<std::size_t, std::size_t> rows_cols(const std::vector<std::size_t>& shape,
                                                             const std::string& path, const char* fn)
        {
            require(!shape.empty(), fn, path, " holds a 0-d array; a row source needs at least 1 dimension");
            std::size_t rows = 1;
            for (std::size_t i = 0; i + 1 < shape.size(); ++i)
                rows *= shape[i];
            return {rows, shape.back()};
        }
    }  // namespace detail

    /// The rows of a `.npy` (float16/bfloat16(<u2)/float32/float64, either byte order, any number
    /// of dimensions: rows = product of all but the last). Only the header is read here.
    /// \throws tessera::io_error for a missing or malformed file (as io::read_npy), and for a
    ///         Fortran-order array of 2 or more dimensions (its rows are not contiguous).
    inline row_source open_npy(const std::string& path)
    {
        auto fd = std::make_shared<io::file_descriptor>(path);
        const std::size_t size = fd->size();
        std::vector<unsigned char> head(std::min(size, 12 + io::npy_max_header_size));
        fd->read_at(head.data(), head.size(), 0);
        const io::npy_header h = io::parse_npy_header_prefix(head.data(), head.size(), size, path);
        if (h.fortran_order && h.shape.size() > 1)
            throw io_error(path, 8, "stream::open_npy: the array is in Fortran order, its rows are not contiguous; "
                                    "rewrite it in C order (numpy.ascontiguousarray)");
        const auto rc = detail::rows_cols(h.shape, path, "stream::open_npy");
        source_part p;
        p.path = path;
        p.file = std::move(fd);
        p.offset = h.data_offset;
        p.rows = rc.second == 0 ? 0 : rc.first;
        p.type = h.type;
        p.swap = h.big_endian;
        return row_source::single(std::move(p), rc.second);
    }

    /// The rows of tensor `name` of a safetensors file (F16/BF16/F32/F64; rows = product of all
    /// dimensions but the last). Only the header is read here.
    /// \throws tessera::io_error for a malformed file (as io::read_safetensors), a missing tensor
    ///         (the message lists up to 8 names) or an unsupported dtype.
    inline row_source open_safetensors(const std::string& path, const std::string& name)
    {
        auto fd = std::make_shared<io::file_descriptor>(path);
        const std::size_t size = fd->size();
        unsigned char len[8] = {};
        fd->read_at(len, std::min<std::size_t>(8, size), 0);
        std::size_t n = size < 8 ? 0 : static_cast<std::size_t>(io::detail::load_le(len, 8));
        n = std::min(n, std::min(io::safetensors_max_header_size, size >= 8 ? size - 8 : 0));
        std::vector<unsigned char> head(size < 8 ? size : 8 + n);
        fd->read_at(head.data(), head.size(), 0);
        // parse_safetensors_header reads only the 8 + header-length bytes; it checks the offsets
        // against the file's size, which is passed as the image size.
        const auto h = io::detail::parse_safetensors_header(head.data(), size, path);
        const io::tensor_info* t = nullptr;
        std::string names;
        for (const auto& ti : h.tensors)
        {
            if (ti.name == name)
                t = &ti;
            if (names.size() < 200)
                names += (names.empty() ? "" : ", ") + ti.name;
        }
        if (!t)
            throw io_error(path, 8, concat("stream::open_safetensors: no tensor named '", name, "' (has: ", names, ")"));
        io::detail::check_readable(*t, h, path);
        const auto rc = detail::rows_cols(t->shape, path, "stream::open_safetensors");
        source_part p;
        p.path = path;
        p.file = std::move(fd);
        p.offset = h.data_offset + t->begin;
        p.rows = rc.second == 0 ? 0 : rc.first;
        p.type = t->type;
        return row_source::single(std::move(p), rc.second);
    }

    /// The rows of several files stacked in the given order: `.npy` files, or safetensors files
    /// (`.safetensors`) read at tensor `tensor`.
    /// \throws tessera::invalid_argument for an empty list, an unknown extension, a safetensors
    ///         file without `tensor`, or shards whose column counts differ; io_error as the readers.
    inline row_source open_shards(const std::vector<std::string>& paths, const std::string& tensor = "")
    {
        const char* fn = "stream::open_shards";
        require(!paths.empty(), fn, "paths must name at least one file, got none");
        auto ends = [](const std::string& s, const std::string& e) {
            return s.size() >= e.size() && s.compare(s.size() - e.size(), e.size(), e) == 0;
        };
        row_source out;
        for (const auto& p : paths)
        {
            if (ends(p, ".npy"))
                out.append(open_npy(p));
            else if (ends(p, ".safetensors"))
            {
                require(!tensor.empty(), fn, p, " is a safetensors file: pass the tensor name to read");
                out.append(open_safetensors(p, tensor));
            }
            else
                require(false, fn, "shard ", p, " must end in .npy or .safetensors");
        }
        return out;
    }

    /// Every `.npy` (or, with `tensor`, `.safetensors`) file of folder `dir`, in name order, as one
    /// source (the usual layout of sharded activations: part-00000.npy, part-00001.npy, ...).
    /// \throws tessera::io_error when the folder cannot be listed; invalid_argument when it has
    ///         no matching file; as open_shards otherwise.
    inline row_source open_folder(const std::string& dir, const std::string& tensor = "")
    {
        DIR* d = ::opendir(dir.c_str());
        if (!d)
            throw io_error(dir, 0, concat("stream::open_folder: cannot list the folder: ", std::strerror(errno)));
        std::vector<std::string> files;
        const std::string ext = tensor.empty() ? ".npy" : ".safetensors";
        while (const dirent* e = ::readdir(d))
        {
            const std::string name = e->d_name;
            if (name.size() > ext.size() && name.compare(name.size() - ext.size(), ext.size(), ext) == 0)
                files.push_back(dir + "/" + name);
        }
        ::closedir(d);
        std::sort(files.begin(), files.end());
        require(!files.empty(), "stream::open_folder", "folder ", dir, " has no ", ext, " file");
        return open_shards(files, tensor);
    }

    /// The rows of a matrix in memory (not copied: A must outlive the source and its copies).
    template <class T>
    row_source from_matrix(const xt::xtensor<T, 2>& A)
    {
        static_assert(is_real_v<T>, "tessera::stream::from_matrix<T>: T must be float or double");
        source_part p;
        p.memory = reinterpret_cast<const unsigned char*>(A.data());
        p.rows = A.shape(1) == 0 ? 0 : A.shape(0);
        p.type = io::dtype_of<T>();
        return row_source::single(std::move(p), A.shape(1));
    }
}  // namespace tessera::stream
