#pragma once
/// \file pass.hpp
/// One pass over a row_source in blocks of rows, with the next block read (by another thread)
/// while the current one is processed, a memory budget that sets the block size and is
/// honoured, and progress reporting. Every streaming algorithm of tessera::stream is built on
/// stream::for_each_block.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "../core/errors.hpp"
#include "../core/memory.hpp"
#include "source.hpp"

namespace tessera::stream
{
    /// How a streaming routine reads its source.
    struct stream_options
    {
        /// Bytes the routine may hold at once: its block buffers plus its accumulators (a Gram
        /// matrix, sketches, ...). The block size is derived from what is left after the
        /// accumulators; the routine throws when the budget cannot hold them plus 64 rows.
        std::size_t memory_budget = std::size_t(1) << 30;
        /// Rows per block (0 = about 32 MiB of buffers per block, fewer when the budget is smaller).
        std::size_t block_rows = 0;
        /// Ask the kernel to read the next block ahead (posix_fadvise) while the current one is
        /// processed.
        bool prefetch = true;
        /// Called after every block with (rows done, rows in the pass, pass number from 1).
        std::function<void(std::size_t, std::size_t, std::size_t)> progress;
        /// Draw a progress bar on stderr (rows, GB/s, pass) in addition to `progress`.
        bool progress_bar = false;
    };

    /// What the passes of a streaming routine cost (filled by every routine of the module).
    struct pass_report
    {
        std::size_t passes = 0;             ///< full passes over the source
        std::size_t rows = 0;               ///< rows of the source
        std::size_t block_rows = 0;         ///< rows per block
        std::size_t bytes_read = 0;         ///< stored bytes read over all passes
        std::size_t buffer_bytes = 0;       ///< block buffer and conversion scratch (of the pass holding the most)
        std::size_t accumulator_bytes = 0;  ///< what that pass held besides: accumulators, per-block products
        double seconds = 0.0;               ///< wall time of the passes
        /// buffer_bytes + accumulator_bytes: the most the routine held in one pass (<= memory_budget).
        std::size_t peak_bytes() const noexcept { return buffer_bytes + accumulator_bytes; }
        /// Stored gigabytes (1e9 bytes) read per second.
        double gb_per_second() const noexcept { return seconds > 0.0 ? static_cast<double>(bytes_read) / seconds / 1e9 : 0.0; }
    };

    namespace detail
    {
        /// Rows per block for a pass that holds `fixed` accumulator bytes and per row of a block
        /// `per_row` bytes: what the budget allows, capped at about 32 MiB of buffers and at the
        /// source's rows, or options.block_rows when set.
        /// \throws tessera::invalid_argument (naming `fn`) when the budget cannot hold the
        ///         accumulators plus min(rows, 64) rows.
        inline std::size_t block_rows_for(const row_source& src, const stream_options& o, std::size_t fixed,
                                          std::size_t per_row, const char* fn)
        {
            const std::size_t want = std::max<std::size_t>(1, std::min<std::size_t>(src.rows(), 64));
            const std::size_t need = fixed + want * per_row;
            require(o.memory_budget >= need, fn, "memory_budget=", o.memory_budget, " bytes cannot hold the ", fixed,
                    " bytes of accumulators plus ", want, " rows of ", per_row, " bytes (needs at least ", need, ")");
            // Blocks of about 32 MiB: large enough for syrk/gemm to run at their rate, small enough
            // that the copies stay fast (measured: a 256 MiB pread from the page cache runs at
            // ~0.6 GB/s, 16 MiB ones at ~6 GB/s). A larger budget does not make blocks larger.
            const std::size_t cap = std::max<std::size_t>(64, (std::size_t(32) << 20) / std::max<std::size_t>(per_row, 1));
            const std::size_t rows = o.block_rows > 0
                                         ? o.block_rows
                                         : std::min<std::size_t>(cap, (o.memory_budget - fixed) / std::max<std::size_t>(per_row, 1));
            if (o.block_rows > 0)
                require(fixed + rows * per_row <= o.memory_budget, fn, "block_rows=", o.block_rows, " needs ",
                        fixed + rows * per_row, " bytes, over memory_budget=", o.memory_budget);
            return std::max<std::size_t>(1, std::min(rows, std::max<std::size_t>(src.rows(), 1)));
        }

        /// Progress bar on stderr: "[#####.....]  48%  1.2 GB/s  pass 1/2".
        inline void draw_progress(std::size_t done, std::size_t total, std::size_t pass, std::size_t passes,
                                  double gb, double seconds, bool last)
        {
            const double f = total ? static_cast<double>(done) / static_cast<double>(total) : 1.0;
            char bar[31];
            const int fill = static_cast<int>(f * 30.0);
            for (int i = 0; i < 30; ++i)
                bar[i] = i < fill ? '#' : '.';
            bar[30] = 0;
            std::fprintf(stderr, "\r[%s] %5.1f%%  %.2f GB/s  pass %zu/%zu%s", bar, 100.0 * f,
                         seconds > 0.0 ? gb / seconds : 0.0, pass, passes, last ? "\n" : "");
            std::fflush(stderr);
        }

        /// Calls f(const W* block, rows, first_row) for consecutive blocks of `rows` rows covering
        /// the source. When prefetching, the kernel is asked to read the next block ahead
        /// (posix_fadvise WILLNEED) while f runs, so the disk works during the compute without a
        /// reader thread competing with the BLAS/OpenMP threads for the cores. `passes` (the
        /// routine's total) labels the progress output, this pass being report.passes + 1;
        /// `report` accumulates bytes, time and the pass count, and keeps the buffer / held bytes of
        /// the pass that held the most (`held`: what the caller holds during this pass besides the
        /// block buffer: accumulators, per-block products). The W buffer is allocated here (rows
        /// cols sizeof(W) bytes), plus a conversion scratch of rows cols itemsize when a part is
        /// stored in another type.
        template <class W, class F>
        void for_each_block(const row_source& src, const stream_options& o, std::size_t rows, std::size_t passes,
                            std::size_t held, pass_report& report, F&& f)
        {
            const std::size_t pass = report.passes + 1;
            const auto t0 = std::chrono::steady_clock::now();
            const std::size_t n = src.cols(), m = src.rows();
            // Fresh buffers on huge pages (a 32 MiB buffer faulted in 4 KiB pages costs ~0.15 s
            // per pass on a VM); the scratch is sized for a whole block up front, likewise.
            xt::xtensor<W, 1> buf = tessera::detail::fresh_tensor<W, 1>({rows * n});
            std::vector<unsigned char> scratch;
            if (std::any_of(src.parts().begin(), src.parts().end(),
                            [](const source_part& p) { return !p.memory && !(p.type == io::dtype_of<W>() && !p.swap); }))
            {
                scratch.reserve(rows * n * src.max_itemsize());
                tessera::detail::advise_huge_pages(scratch.data(), scratch.capacity());
            }
            auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
            if (o.prefetch && m > 0)
                src.advise(0, std::min(rows, m));
            for (std::size_t first = 0; first < m; first += rows)
            {
                const std::size_t cnt = std::min(rows, m - first), nxt = first + rows;
                src.read(first, cnt, buf.data(), scratch);
                if (o.prefetch && nxt < m)
                    src.advise(nxt, std::min(rows, m - nxt));
                f(static_cast<const W*>(buf.data()), cnt, first);
                const std::size_t done = first + cnt;
                if (o.progress)
                    o.progress(done, m, pass);
                if (o.progress_bar)
                    draw_progress(done, m, pass, passes, static_cast<double>(done) / static_cast<double>(m) *
                                                             static_cast<double>(src.stored_bytes()) / 1e9,
                                  elapsed(), done == m);
            }
            const std::size_t buffers = rows * n * sizeof(W) + scratch.capacity();
            if (buffers + held > report.peak_bytes())
            {
                report.buffer_bytes = buffers;
                report.accumulator_bytes = held;
            }
            report.block_rows = rows;
            report.rows = m;
            report.bytes_read += src.stored_bytes();
            report.passes += 1;
            report.seconds += elapsed();
        }

        /// Throws invalid_argument `"<fn>: <source> must be finite, got nan at [first + i, j]<why>"`
        /// (core's require_finite wording) for the first non-finite value of a block B [rows, n].
        template <class W>
        void require_finite_rows(const W* B, std::size_t rows, std::size_t n, std::size_t first, const row_source& src,
                                 const char* fn, const char* why = "")
        {
            for (std::size_t i = 0; i < rows; ++i)
            {
                bool finite = true;
                for (std::size_t j = 0; j < n; ++j)
                    finite = finite && std::isfinite(B[i * n + j]);
                if (!finite)
                    for (std::size_t j = 0; j < n; ++j)
                        require(std::isfinite(B[i * n + j]), fn, src.description(), " must be finite, got ", B[i * n + j],
                                " at [", first + i, ", ", j, "]", why);
            }
        }

        /// Bytes per block row a pass with W buffers holds: the W buffers (two when prefetching)
        /// plus the conversion scratch when a part is stored in another type.
        template <class W>
        std::size_t bytes_per_block_row(const row_source& src, const stream_options& o)
        {
            bool convert = false;
            for (const auto& p : src.parts())
                convert = convert || (!p.memory && !(p.type == io::dtype_of<W>() && !p.swap));
            (void)o;
            return src.cols() * (sizeof(W) + (convert ? src.max_itemsize() : 0));
        }
    }  // namespace detail
}  // namespace tessera::stream
