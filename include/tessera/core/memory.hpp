#pragma once
/// \file memory.hpp
/// Large fresh result buffers backed by transparent huge pages. On a virtual machine a 4 KiB
/// page fault costs microseconds, so filling a fresh 545 MB GEMM result faults 133k times:
/// measured here, 2.9 s for a 151936 x 896 float result against 1.0 s with huge pages and
/// 0.57 s into memory already touched (numpy advises huge pages for arrays of 4 MiB and more,
/// and tessera does the same for its large results).

#include <cstddef>
#include <cstdint>

#include <sys/mman.h>

#include <xtensor/xtensor.hpp>

#include "parallel.hpp"

namespace tessera::detail
{
    /// Asks for transparent huge pages on the page-aligned interior of a large fresh buffer (as
    /// numpy does for arrays >= 4 MiB): one fault per 2 MiB instead of per 4 KiB when it is then
    /// filled. A hint only; failures are ignored.
    inline void advise_huge_pages(void* p, std::size_t bytes) noexcept
    {
#ifdef MADV_HUGEPAGE
        if (bytes < (std::size_t(4) << 20))
            return;
        const auto a = reinterpret_cast<std::uintptr_t>(p);
        const std::uintptr_t page = 4096;
        const std::uintptr_t begin = (a + page - 1) & ~(page - 1), end = (a + bytes) & ~(page - 1);
        if (end > begin)
            ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
#else
        (void)p;
        (void)bytes;
#endif
    }

    /// Faults in the page-aligned interior of a large fresh buffer that a read is about to fill
    /// (MADV_POPULATE_WRITE, Linux 5.14+; a no-op elsewhere and below 4 MiB), one part per
    /// OpenMP thread: one call per part instead of one trap per page. On this VM a 4 KiB fault
    /// costs ~20 us, and the up to 2 x 2 MiB at the ends of a buffer that huge pages cannot
    /// cover (it is not 2 MiB aligned) dominate a fast fill. Measured, interleaved A/B: the 39 MB
    /// compressed_file load 14.7 -> 11.5 ms, GloVe's read_npy 25.9 -> 21.7 ms; for GEMM
    /// results it was neutral to 10 % slower (block Krylov's P), so fresh_tensor does not call
    /// it. Failures are ignored (the pages then fault as before).
    inline void prefault(void* p, std::size_t bytes) noexcept
    {
#ifdef MADV_POPULATE_WRITE
        if (bytes < (std::size_t(4) << 20))
            return;
        const auto a = reinterpret_cast<std::uintptr_t>(p);
        const std::uintptr_t page = 4096, huge = std::uintptr_t(1) << 21;
        const std::uintptr_t begin = (a + page - 1) & ~(page - 1), end = (a + bytes) & ~(page - 1);
        if (end <= begin)
            return;
        const auto threads = static_cast<std::uintptr_t>(max_threads() > 1 ? max_threads() : 1);
        const std::uintptr_t per = ((end - begin) / threads + huge - 1) & ~(huge - 1);  // whole huge pages
        parallel_for(0, static_cast<std::ptrdiff_t>(threads), [&](std::ptrdiff_t t) {
            const std::uintptr_t b = begin + static_cast<std::uintptr_t>(t) * per;
            const std::uintptr_t e = b + per < end ? b + per : end;
            if (b < e)
                ::madvise(reinterpret_cast<void*>(b), e - b, MADV_POPULATE_WRITE);
        });
#else
        (void)p;
        (void)bytes;
#endif
    }

    /// An uninitialized xtensor of `shape` (from_shape) whose buffer is advised huge pages when
    /// it is 4 MiB or more: for large results that are written once, in full, right after.
    template <class T, std::size_t N>
    xt::xtensor<T, N> fresh_tensor(const std::array<std::size_t, N>& shape)
    {
        xt::xtensor<T, N> out = xt::xtensor<T, N>::from_shape(shape);
        advise_huge_pages(out.data(), out.size() * sizeof(T));
        return out;
    }
}  // namespace tessera::detail
