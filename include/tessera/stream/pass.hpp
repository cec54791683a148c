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
#include <future>
#include <string>
#include <vector>

#include "../core/errors.hpp"
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
        /// Rows per block (0 = as many as the budget allows, at most 65536).
        std::size_t block_rows = 0;
        /// Read the next block on a second thread while the current one is processed.
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
        std::size_t buffer_bytes = 0;       ///< block buffers held (both when prefetching)
        std::size_t accumulator_bytes = 0;  ///< accumulators held across blocks
        double seconds = 0.0;               ///< wall time of the passes
        /// buffer_bytes + accumulator_bytes: what the routine held at most (<= memory_budget).
        std::size_t peak_bytes() const noexcept { return buffer_bytes + accumulator_bytes; }
        /// Stored gigabytes (1e9 bytes) read per second.
        double gb_per_second() const noexcept { return seconds > 0.0 ? static_cast<double>(bytes_read) / seconds / 1e9 : 0.0; }
    };

    namespace detail
    {
        /// Rows per block for a pass that holds `fixed` accumulator bytes and per row of a block
        /// `per_row` bytes (both buffers included): what the budget allows, capped at 65536 and
        /// the source's rows, or options.block_rows when set.
        /// \throws tessera::invalid_argument (naming `fn`) when the budget cannot hold the
        ///         accumulators plus min(rows, 64) rows.
        inline std::size_t block_rows_for(const row_source& src, const stream_options& o, std::size_t fixed,
                                          std::size_t per_row, const char* fn)
        {
            const std::size_t want = std::max<std::size_t>(1, std::min<std::size_t>(src.rows(), 64));
            const std::size_t need = fixed + want * per_row;
            require(o.memory_budget >= need, fn, "memory_budget=", o.memory_budget, " bytes cannot hold the ", fixed,
                    " bytes of accumulators plus ", want, " rows of ", per_row, " bytes (needs at least ", need, ")");
            const std::size_t rows = o.block_rows > 0
                                         ? o.block_rows
                                         : std::min<std::size_t>(65536, (o.memory_budget - fixed) / std::max<std::size_t>(per_row, 1));
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
        /// the source, reading block b+1 on another thread while f runs on block b when
        /// prefetching. `passes` (the routine's total) labels the progress output, this pass
        /// being report.passes + 1; `report` accumulates bytes,
        /// time and the pass count. The two W buffers are allocated here: 2 rows cols sizeof(W)
        /// bytes (one without prefetch), plus a conversion scratch of rows cols itemsize when the
        /// stored type is not W.
        template <class W, class F>
        void for_each_block(const row_source& src, const stream_options& o, std::size_t rows, std::size_t passes,
                            pass_report& report, F&& f)
        {
            const std::size_t pass = report.passes + 1;
            const auto t0 = std::chrono::steady_clock::now();
            const std::size_t n = src.cols(), m = src.rows();
            const std::size_t nbuf = o.prefetch ? 2 : 1;
            std::vector<std::vector<W>> buf(nbuf, std::vector<W>(rows * n));
            std::vector<std::vector<unsigned char>> scratch(nbuf);
            auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
            auto read_block = [&](std::size_t b, std::size_t first) {
                const std::size_t cnt = std::min(rows, m - first);
                src.read(first, cnt, buf[b].data(), scratch[b]);
            };
            std::future<void> next;
            if (m > 0)
                read_block(0, 0);
            std::size_t cur = 0;
            for (std::size_t first = 0; first < m; first += rows)
            {
                const std::size_t cnt = std::min(rows, m - first), nxt = first + rows;
                if (nxt < m)
                {
                    const std::size_t b = (cur + 1) % nbuf;
                    if (nbuf == 2)
                        next = std::async(std::launch::async, read_block, b, nxt);
                }
                f(static_cast<const W*>(buf[cur].data()), cnt, first);
                if (nxt < m)
                {
                    if (nbuf == 2)
                        next.get();
                    else
                        read_block(0, nxt);
                    cur = (cur + 1) % nbuf;
                }
                const std::size_t done = std::min(m, first + cnt);
                if (o.progress)
                    o.progress(done, m, pass);
                if (o.progress_bar)
                    draw_progress(done, m, pass, passes, static_cast<double>(done) / static_cast<double>(m) *
                                                             static_cast<double>(src.stored_bytes()) / 1e9,
                                  elapsed(), done == m);
            }
            std::size_t scratch_bytes = 0;
            for (const auto& s : scratch)
                scratch_bytes += s.capacity();
            report.buffer_bytes = std::max(report.buffer_bytes, nbuf * rows * n * sizeof(W) + scratch_bytes);
            report.block_rows = rows;
            report.rows = m;
            report.bytes_read += src.stored_bytes();
            report.passes += 1;
            report.seconds += elapsed();
        }

        /// Bytes per block row a pass with W buffers holds: the W buffers (two when prefetching)
        /// plus the conversion scratch when a part is stored in another type.
        template <class W>
        std::size_t bytes_per_block_row(const row_source& src, const stream_options& o)
        {
            bool convert = false;
            for (const auto& p : src.parts())
                convert = convert || (!p.memory && !(p.type == io::dtype_of<W>() && !p.swap));
            const std::size_t nbuf = o.prefetch ? 2 : 1;
            return src.cols() * (nbuf * sizeof(W) + (convert ? nbuf * src.max_itemsize() : 0));
        }
    }  // namespace detail
}  // namespace tessera::stream
