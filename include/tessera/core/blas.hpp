#pragma once
/// \file blas.hpp
/// Thin CBLAS wrappers for row-major `xt::xtensor<T, 2>` (float or double), no copies.
/// Shapes are checked and mismatches throw tessera::invalid_argument.

#include <algorithm>
#include <cstddef>
#include <memory>
#include <type_traits>
#include <vector>

#include <cblas.h>
#include <xtensor/xbuilder.hpp>
#include <xtensor/xtensor.hpp>

#include "errors.hpp"
#include "memory.hpp"
#include "parallel.hpp"
#include "traits.hpp"

// Declared by OpenBLAS (cblas.h of the openblas variant); declared here too so that tessera
// also compiles against a generic cblas.h. Defined only when linking OpenBLAS.
extern "C" char* openblas_get_corename(void);
extern "C" char* openblas_get_config(void);
extern "C" int openblas_get_num_threads(void);
extern "C" int openblas_get_parallel(void);
#if defined(__GNUC__) && defined(__ELF__)
// Weak: gram asks it whether a BLAS call inside an OpenMP region stays on its thread, and a
// BLAS that is not OpenBLAS leaves it null (blas::detail::blas_runs_on_calling_thread).
#pragma weak openblas_get_parallel
#endif

namespace tessera::blas
{
    /// Whether an operand is used as is or transposed.
    enum class op
    {
        none,
        transpose
    };

    namespace detail
    {
        inline CBLAS_TRANSPOSE cb(op o) noexcept { return o == op::none ? CblasNoTrans : CblasTrans; }
        inline int to_int(std::size_t v, const char* fn)
        {
            require(v <= static_cast<std::size_t>(2147483647), fn, "dimension ", v, " exceeds the 32-bit BLAS limit");
            return static_cast<int>(v);
        }

        /// One CBLAS GEMM call, row-major (dimensions already checked by gemm_raw).
        template <class T>
        void gemm_call(op ta, op tb, std::size_t m, std::size_t n, std::size_t k, T alpha, const T* a,
                       std::size_t lda, const T* b, std::size_t ldb, T beta, T* c, std::size_t ldc) noexcept
        {
            const auto i = [](std::size_t v) { return static_cast<int>(v); };
            if constexpr (std::is_same_v<T, float>)
                cblas_sgemm(CblasRowMajor, cb(ta), cb(tb), i(m), i(n), i(k), alpha, a, i(lda), b, i(ldb), beta, c,
                            i(ldc));
            else
                cblas_dgemm(CblasRowMajor, cb(ta), cb(tb), i(m), i(n), i(k), alpha, a, i(lda), b, i(ldb), beta, c,
                            i(ldc));
        }

        /// Whether a BLAS call made on an OpenMP thread inside a parallel region runs on that
        /// thread alone: OpenBLAS's OpenMP and sequential builds (openblas_get_parallel() 2, 0).
        /// False for its pthreads build, whose pool would serve both threads' calls in turn,
        /// and for a BLAS that is not OpenBLAS (the symbol is weak, null when not linked).
        inline bool blas_runs_on_calling_thread() noexcept
        {
#if defined(__GNUC__) && defined(__ELF__)
            if (&openblas_get_parallel == nullptr)
                return false;
            const int parallel = openblas_get_parallel();
            return parallel == 0 || parallel == 2;
#else
            return false;
#endif
        }

        /// One part per thread for a BLAS call split by tessera into single-threaded calls on its
        /// OpenMP threads, when the split dimension holds at least `min_per_thread` per thread; 1
        /// on one thread, inside a parallel region, or when BLAS threads each call itself.
        inline std::size_t thread_parts(std::size_t extent, std::size_t min_per_thread) noexcept
        {
            const int threads = tessera::detail::max_threads();
            if (threads < 2 || tessera::detail::in_parallel() || !blas_runs_on_calling_thread() ||
                extent < min_per_thread * static_cast<std::size_t>(threads))
                return 1;
            return static_cast<std::size_t>(threads);
        }

        /// How gemm_raw splits a thin product across threads: OpenBLAS threads a GEMM with one
        /// small side poorly (2 threads, float, medians: [32128, 512] x [512, 64] 17.4 -> 12.8 ms,
        /// [512, 32128] x [32128, 64] 18.2 -> 12.9 ms, [151936, 896] x [896, 128] 213 -> 194 ms;
        /// square products gain nothing; 600 output columns lose 6 %, and a [1024, 1024] output
        /// over 10000 inner terms 8 %, so neither is split). `rows`: C's rows in one
        /// range per thread (each entry summed as before); `inner`: the inner dimension in one
        /// range per thread, each summed into its own C and the sums added in range order
        /// (rounding moves with the thread count, as OpenBLAS's own splits do).
        enum class gemm_split
        {
            none,
            rows,
            inner
        };
        inline gemm_split thin_gemm_split(std::size_t m, std::size_t n, std::size_t k) noexcept
        {
            if (n <= 256 && m >= 8 * std::max(n, k) && thread_parts(m, 2048) > 1)
                return gemm_split::rows;
            if (k >= 16 * std::max(m, n) && m * n <= (std::size_t(1) << 22) && thread_parts(k, 2048) > 1)
                return gemm_split::inner;
            return gemm_split::none;
        }

        /// Raw row-major GEMM: C[m,n] = alpha op(A) op(B) + beta C; thin products are split across
        /// tessera's threads (thin_gemm_split).
        template <class T>
        void gemm_raw(op ta, op tb, std::size_t m, std::size_t n, std::size_t k, T alpha, const T* a, std::size_t lda,
                      const T* b, std::size_t ldb, T beta, T* c, std::size_t ldc)
        {
            static_assert(is_real_v<T>, "tessera::blas::gemm: T must be float or double");
            const char* fn = "blas::gemm";
            if (m == 0 || n == 0)
                return;
            for (std::size_t v : {m, n, k, lda, ldb, ldc})
                to_int(v, fn);
            const gemm_split split = thin_gemm_split(m, n, k);
            if (split == gemm_split::none)
                return gemm_call(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            const auto parts = static_cast<std::size_t>(tessera::detail::max_threads());
            // Row i of op(A) and of op(B) start at these offsets.
            const std::size_t a_row = ta == op::none ? lda : 1, a_col = ta == op::none ? 1 : lda;
            const std::size_t b_row = tb == op::none ? ldb : 1;
            if (split == gemm_split::rows)
            {
                tessera::detail::parallel_for(0, static_cast<std::ptrdiff_t>(parts), [&](std::ptrdiff_t pi) {
                    const auto p = static_cast<std::size_t>(pi);
                    const std::size_t i0 = m * p / parts, i1 = m * (p + 1) / parts;
                    gemm_call(ta, tb, i1 - i0, n, k, alpha, a + i0 * a_row, lda, b, ldb, beta, c + i0 * ldc, ldc);
                });
                return;
            }
            // Written in full (beta = 0) before it is read: fresh, uninitialized, huge pages.
            auto sums = tessera::detail::fresh_tensor<T, 1>({(parts - 1) * m * n});
            tessera::detail::parallel_for(0, static_cast<std::ptrdiff_t>(parts), [&](std::ptrdiff_t pi) {
                const auto p = static_cast<std::size_t>(pi);
                const std::size_t k0 = k * p / parts, k1 = k * (p + 1) / parts;
                T* out = p == 0 ? c : sums.data() + (p - 1) * m * n;
                gemm_call(ta, tb, m, n, k1 - k0, alpha, a + k0 * a_col, lda, b + k0 * b_row, ldb, p == 0 ? beta : T(0),
                          out, p == 0 ? ldc : n);
            });
            tessera::detail::parallel_for(0, static_cast<std::ptrdiff_t>(m), [&](std::ptrdiff_t ii) {
                const auto i = static_cast<std::size_t>(ii);
                for (std::size_t p = 1; p < parts; ++p)
                    for (std::size_t j = 0; j < n; ++j)
                        c[i * ldc + j] += sums[(p - 1) * m * n + i * n + j];
            }, 64);
        }

        /// Raw row-major GEMV: y = alpha op(A) x + beta y, A [m, n] with leading dimension lda.
        template <class T>
        void gemv_raw(op ta, std::size_t m, std::size_t n, T alpha, const T* a, std::size_t lda, const T* x, T beta, T* y)
        {
            const char* fn = "blas::gemv";
            if (m == 0 || n == 0)
                return;
            if constexpr (std::is_same_v<T, float>)
                cblas_sgemv(CblasRowMajor, cb(ta), to_int(m, fn), to_int(n, fn), alpha, a, to_int(lda, fn), x, 1, beta,
                            y, 1);
            else
                cblas_dgemv(CblasRowMajor, cb(ta), to_int(m, fn), to_int(n, fn), alpha, a, to_int(lda, fn), x, 1, beta,
                            y, 1);
        }
    }  // namespace detail

    /// C = alpha op(A) op(B) + beta C for row-major matrices.
    /// \param C must already have shape [rows of op(A), cols of op(B)].
    /// \throws tessera::invalid_argument when the inner or outer dimensions disagree.
    /// Cost: 2 m n k flops (OpenBLAS, multithreaded).
    template <class T>
    void gemm(op ta, op tb, T alpha, const xt::xtensor<T, 2>& A, const xt::xtensor<T, 2>& B, T beta,
              xt::xtensor<T, 2>& C)
    {
        const std::size_t m = ta == op::none ? A.shape(0) : A.shape(1);
        const std::size_t k = ta == op::none ? A.shape(1) : A.shape(0);
        const std::size_t kb = tb == op::none ? B.shape(0) : B.shape(1);
        const std::size_t n = tb == op::none ? B.shape(1) : B.shape(0);
        require(k == kb, "blas::gemm", "inner dimensions differ: op(A) is [", m, ", ", k, "], op(B) is [", kb, ", ", n,
                "]");
        require(C.shape(0) == m && C.shape(1) == n, "blas::gemm", "C must have shape [", m, ", ", n, "], got ",
                shape_to_string(C.shape()));
        if (k == 0)
        {
            if (beta == T(0))
                std::fill(C.begin(), C.end(), T(0));
            else
                C *= beta;
            return;
        }
        detail::gemm_raw(ta, tb, m, n, k, alpha, A.data(), A.shape(1), B.data(), B.shape(1), beta, C.data(), n);
    }

    /// Returns op(A) op(B) as a new row-major matrix.
    template <class T>
    xt::xtensor<T, 2> matmul(const xt::xtensor<T, 2>& A, const xt::xtensor<T, 2>& B, op ta = op::none,
                             op tb = op::none)
    {
        const std::size_t m = ta == op::none ? A.shape(0) : A.shape(1);
        const std::size_t n = tb == op::none ? B.shape(1) : B.shape(0);
        xt::xtensor<T, 2> C = tessera::detail::fresh_tensor<T, 2>({m, n});
        gemm(ta, tb, T(1), A, B, T(0), C);
        return C;
    }

    /// Returns op(A) x. \throws tessera::invalid_argument if x has the wrong length.
    template <class T>
    xt::xtensor<T, 1> matvec(const xt::xtensor<T, 2>& A, const xt::xtensor<T, 1>& x, op ta = op::none)
    {
        const std::size_t rows = A.shape(0), cols = A.shape(1);
        const std::size_t in = ta == op::none ? cols : rows, out = ta == op::none ? rows : cols;
        require(x.size() == in, "blas::matvec", "x must have length ", in, ", got ", x.size());
        xt::xtensor<T, 1> y = xt::zeros<T>({out});
        detail::gemv_raw(ta, rows, cols, T(1), A.data(), cols, x.data(), T(0), y.data());
        return y;
    }

    namespace detail
    {
        /// Raw row-major SYRK on the upper triangle: C[n, n] = alpha A^T A + beta C, A [k, n] with
        /// row stride lda.
        template <class T>
        void syrk_raw(std::size_t n, std::size_t k, T alpha, const T* a, std::size_t lda, T beta, T* c)
        {
            const char* fn = "blas::gram";
            if constexpr (std::is_same_v<T, float>)
                cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, to_int(n, fn), to_int(k, fn), alpha, a,
                            to_int(lda, fn), beta, c, to_int(n, fn));
            else
                cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, to_int(n, fn), to_int(k, fn), alpha, a,
                            to_int(lda, fn), beta, c, to_int(n, fn));
        }

        /// How many row ranges gram splits A [m, n] into, one per thread, each a single-threaded
        /// syrk into its own [n, n] sum: OpenBLAS threads syrk over the n output columns, which
        /// leaves its threads short of work at small n (2 threads, float A, medians of an
        /// interleaved A/B: GloVe 341479 x 100 double Gram 112 -> 57 ms, float 59 -> 25 ms;
        /// 100000 x 256 1.5x, 32128 x 512 1.3x; 896 columns gain nothing). 1 (one threaded syrk per block) for n > 512, short A, one thread, or a BLAS
        /// that threads each call itself.
        inline std::size_t gram_row_parts(std::size_t m, std::size_t n) noexcept
        {
            return n > 512 ? 1 : thread_parts(m, 2048);
        }

        /// Adds the upper triangle of A[r0:r1, :]^T A[r0:r1, :] to G [n, n] (Acc), A [m, n] with
        /// row stride lda, the products in Work; see gram.
        template <class Acc, class Work, class T>
        void gram_rows(const T* A, std::size_t n, std::size_t lda, std::size_t r0, std::size_t r1, Acc* G)
        {
            constexpr std::size_t block_rows = 2048;
            if (r1 <= r0)
                return;
            if constexpr (std::is_same_v<Acc, T> && std::is_same_v<Work, T>)
                syrk_raw<T>(n, r1 - r0, T(1), A + r0 * lda, lda, T(1), G);
            else if constexpr (std::is_same_v<Work, T>)
            {
                // Block products in T, summed in Acc (upper triangle).
                std::vector<Work> C(n * n);
                for (std::size_t b = r0; b < r1; b += block_rows)
                {
                    syrk_raw<Work>(n, std::min(block_rows, r1 - b), Work(1), A + b * lda, lda, Work(0), C.data());
                    tessera::detail::parallel_for(0, static_cast<std::ptrdiff_t>(n), [&](std::ptrdiff_t ii) {
                        const auto i = static_cast<std::size_t>(ii);
                        for (std::size_t j = i; j < n; ++j)
                            G[i * n + j] += static_cast<Acc>(C[i * n + j]);
                    }, 16);
                }
            }
            else
            {
                static_assert(std::is_same_v<Work, Acc>, "tessera::blas::gram: Work must be T or Acc");
                // Converted blocks of ~2^17 values (1 MiB of doubles, at least 64 rows) in one
                // buffer reused per block and left uninitialized: the 8 MiB zeroed buffer this
                // replaced faulted in 4 KiB pages at ~20 us each (32128 x 74 float: 26 -> 5.5 ms).
                const std::size_t conv_rows =
                    std::max<std::size_t>(64, (std::size_t(1) << 17) / std::max<std::size_t>(n, 1));
                std::unique_ptr<Work[]> buf(new Work[std::min(r1 - r0, conv_rows) * n]);
                for (std::size_t b = r0; b < r1; b += conv_rows)
                {
                    const std::size_t rows = std::min(conv_rows, r1 - b);
                    const T* src = A + b * lda;
                    tessera::detail::parallel_for(0, static_cast<std::ptrdiff_t>(rows), [&](std::ptrdiff_t i) {
                        const auto r = static_cast<std::size_t>(i);
                        std::copy(src + r * lda, src + r * lda + n, buf.get() + r * n);
                    }, 64);
                    syrk_raw<Work>(n, rows, Work(1), buf.get(), n, Work(1), G);
                }
            }
        }
    }  // namespace detail

    namespace detail
    {
        /// gram of the [m, n] matrix at `a` with row stride lda (a column block of a wider matrix).
        template <class Acc, class Work = Acc, class T>
        xt::xtensor<Acc, 2> gram_strided(const T* a, std::size_t m, std::size_t n, std::size_t lda)
        {
            static_assert(is_real_v<Acc> && is_real_v<T> && is_real_v<Work>,
                          "tessera::blas::gram: types must be float or double");
            static_assert(sizeof(Work) <= sizeof(Acc), "tessera::blas::gram: Work must not be wider than Acc");
            xt::xtensor<Acc, 2> G = xt::zeros<Acc>({n, n});
            if (n == 0)
                return G;
            to_int(n, "blas::gram");
            to_int(lda, "blas::gram");
            const std::size_t parts = gram_row_parts(m, n);
            if (parts == 1)
                gram_rows<Acc, Work>(a, n, lda, 0, m, G.data());
            else
            {
                std::vector<Acc> sums((parts - 1) * n * n, Acc(0));
                tessera::detail::parallel_for(0, static_cast<std::ptrdiff_t>(parts), [&](std::ptrdiff_t p) {
                    const auto k = static_cast<std::size_t>(p);
                    Acc* out = k == 0 ? G.data() : sums.data() + (k - 1) * n * n;
                    gram_rows<Acc, Work>(a, n, lda, m * k / parts, m * (k + 1) / parts, out);
                });
                for (std::size_t k = 1; k < parts; ++k)
                    for (std::size_t i = 0; i < n; ++i)
                        for (std::size_t j = i; j < n; ++j)
                            G(i, j) += sums[(k - 1) * n * n + i * n + j];
            }
            for (std::size_t i = 0; i < n; ++i)
                for (std::size_t j = 0; j < i; ++j)
                    G(i, j) = G(j, i);
            return G;
        }
    }  // namespace detail

    /// Gram matrix A^T A ([n, n], both triangles filled) of A [m, n], accumulated in
    /// precision Acc (pass Acc = double for float input: rows are converted in blocks of
    /// ~2^20 values, so the extra memory is about 8 MB). With Work = float and Acc = double
    /// (float A), each block of 2048 rows is multiplied in float (ssyrk, twice the dsyrk rate)
    /// and the block products are summed in double: entry errors ~ eps_float of a 2048-term
    /// sum instead of an m-term one. For n <= 512 on several threads the rows are split into
    /// one range per thread, each summed on its own and the sums added (detail::gram_row_parts).
    /// Cost: m n^2 flops (syrk) in Work.
    template <class Acc, class Work = Acc, class T>
    xt::xtensor<Acc, 2> gram(const xt::xtensor<T, 2>& A)
    {
        return detail::gram_strided<Acc, Work>(A.data(), A.shape(0), A.shape(1), A.shape(1));
    }

    /// Row-major transpose copy of A [m, n] -> [n, m]: 64 x 64 tiles, bands of 64 rows of A
    /// across OpenMP threads (one thread below 16 bands, i.e. m < 1024), into fresh (huge-page)
    /// memory. GloVe 341479 x 100 float: 400 ->
    /// 60 ms on 2 threads (most of the 400 were 4 KiB page faults of the result).
    template <class T>
    xt::xtensor<T, 2> transposed(const xt::xtensor<T, 2>& A)
    {
        const std::size_t m = A.shape(0), n = A.shape(1);
        xt::xtensor<T, 2> out = tessera::detail::fresh_tensor<T, 2>({n, m});
        constexpr std::size_t b = 64;
        const T* src = A.data();
        T* dst = out.data();
        const auto bands = static_cast<std::ptrdiff_t>((m + b - 1) / b);
        tessera::detail::parallel_for(0, bands, [&](std::ptrdiff_t band) {
            const std::size_t i0 = static_cast<std::size_t>(band) * b, i1 = std::min(m, i0 + b);
            for (std::size_t j0 = 0; j0 < n; j0 += b)
                for (std::size_t i = i0; i < i1; ++i)
                    for (std::size_t j = j0; j < std::min(n, j0 + b); ++j)
                        dst[j * m + i] = src[i * n + j];
        }, 16);
        return out;
    }

    /// OpenBLAS's kernel name (e.g. "Haswell"), or "unknown" when not linked to OpenBLAS.
    inline const char* core_name() { return openblas_get_corename(); }
    /// OpenBLAS's thread count.
    inline int num_threads() { return openblas_get_num_threads(); }
    /// How OpenBLAS was built to thread: "sequential", "pthreads" or "OpenMP". With OpenMP on in
    /// tessera, the OpenMP build shares tessera's thread pool; the pthreads build needs
    /// OMP_WAIT_POLICY=passive to avoid the two pools spinning against each other (docs/core.md).
    inline const char* threading()
    {
        switch (openblas_get_parallel())
        {
        case 0: return "sequential";
        case 1: return "pthreads";
        case 2: return "OpenMP";
        default: return "unknown";
        }
    }
}  // namespace tessera::blas
