#pragma once
/// \file parallel.hpp
/// OpenMP helpers that compile to plain loops when OpenMP is off (TESSERA_USE_OPENMP=OFF or a
/// compiler without -fopenmp).

#include <cstddef>
#include <cstdint>
#include <exception>
#include <vector>

#if defined(_OPENMP)
#include <omp.h>
#endif

namespace tessera
{
    namespace detail
    {
        /// The one loop of parallel_for and parallel_for_dynamic: `f(i)` for every i in
        /// [begin, end), on the OpenMP threads when `threaded`, more than one thread is allowed and
        /// no parallel region is active, with OpenMP's static schedule (chunk <= 0: one contiguous
        /// block per thread) or its dynamic schedule in chunks of `chunk`; else in order. The
        /// schedule goes through the calling task's run-sched-var (schedule(runtime)), restored after.
        template <class F>
        void parallel_loop(std::ptrdiff_t begin, std::ptrdiff_t end, bool threaded, std::ptrdiff_t chunk, F& f)
        {
#if defined(_OPENMP)
            if (threaded && omp_get_max_threads() > 1 && !omp_in_parallel())
            {
                omp_sched_t kind;
                int size = 0;
                omp_get_schedule(&kind, &size);
                omp_set_schedule(chunk > 0 ? omp_sched_dynamic : omp_sched_static,
                                 chunk > 0 ? static_cast<int>(chunk) : 0);
#pragma omp parallel for schedule(runtime)
                for (std::ptrdiff_t i = begin; i < end; ++i)
                    f(i);
                omp_set_schedule(kind, size);
                return;
            }
#else
            (void)threaded;
            (void)chunk;
#endif
            for (std::ptrdiff_t i = begin; i < end; ++i)
                f(i);
        }

        /// Calls `f(i)` for every i in [begin, end), split statically across OpenMP threads
        /// when the range holds at least `min_parallel` iterations. `f` must be safe to call
        /// concurrently for distinct i. Exceptions must not escape `f` (OpenMP forbids it);
        /// wrap throwing code and report after the loop.
        template <class F>
        void parallel_for(std::ptrdiff_t begin, std::ptrdiff_t end, F&& f, std::ptrdiff_t min_parallel = 2)
        {
            parallel_loop(begin, end, end - begin >= min_parallel, 0, f);
        }

        /// Like parallel_for, with dynamic scheduling in chunks of `chunk` for uneven work.
        template <class F>
        void parallel_for_dynamic(std::ptrdiff_t begin, std::ptrdiff_t end, std::ptrdiff_t chunk, F&& f)
        {
            parallel_loop(begin, end, end - begin > chunk, chunk, f);
        }

        /// parallel_for for an `f` that may throw (a read, an allocation): every iteration runs,
        /// each one's exception is caught inside the parallel region, and the one of the lowest
        /// index is rethrown after the loop.
        template <class F>
        void parallel_for_rethrow(std::ptrdiff_t begin, std::ptrdiff_t end, F&& f, std::ptrdiff_t min_parallel = 2)
        {
            if (end <= begin)
                return;
            std::vector<std::exception_ptr> failed(static_cast<std::size_t>(end - begin));
            parallel_for(
                begin, end,
                [&](std::ptrdiff_t i) {
                    try
                    {
                        f(i);
                    }
                    catch (...)
                    {
                        failed[static_cast<std::size_t>(i - begin)] = std::current_exception();
                    }
                },
                min_parallel);
            for (const auto& e : failed)
                if (e)
                    std::rethrow_exception(e);
        }

#if defined(_OPENMP)
        /// True when tessera was compiled with OpenMP.
        inline constexpr bool has_openmp() noexcept { return true; }
        /// Number of threads a parallel_for would use (1 without OpenMP).
        inline int max_threads() noexcept { return omp_get_max_threads(); }
        /// Index of the calling thread inside a parallel region (0 outside or without OpenMP).
        inline int thread_index() noexcept { return omp_get_thread_num(); }
        /// True inside an active OpenMP parallel region (where parallel_for runs in order).
        inline bool in_parallel() noexcept { return omp_in_parallel() != 0; }
#else
        inline constexpr bool has_openmp() noexcept { return false; }
        inline int max_threads() noexcept { return 1; }
        inline int thread_index() noexcept { return 0; }
        inline bool in_parallel() noexcept { return false; }
#endif

        /// Sets the OpenMP thread count for its lifetime and restores it on destruction
        /// (a no-op without OpenMP). Used by tests to check thread-count independence.
        class thread_count_guard
        {
        public:
            explicit thread_count_guard(int threads) noexcept : m_previous(max_threads())
            {
#if defined(_OPENMP)
                omp_set_num_threads(threads > 0 ? threads : 1);
#else
                (void)threads;
#endif
            }
            thread_count_guard(const thread_count_guard&) = delete;
            thread_count_guard& operator=(const thread_count_guard&) = delete;
            ~thread_count_guard()
            {
#if defined(_OPENMP)
                omp_set_num_threads(m_previous);
#endif
            }

        private:
            int m_previous;
        };
    }  // namespace detail

    using detail::has_openmp, detail::max_threads, detail::parallel_for, detail::parallel_for_dynamic, detail::parallel_for_rethrow,
        detail::thread_count_guard, detail::thread_index;
}  // namespace tessera
