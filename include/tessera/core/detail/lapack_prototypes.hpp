#pragma once
/// \file lapack_prototypes.hpp
/// Fortran LAPACK prototypes (LP64, gfortran ABI with trailing hidden string lengths).
/// Internal: use the wrappers in core/lapack.hpp.

#include <cstddef>
#include <type_traits>

extern "C"
{
    // clang-format off
    void sgesdd_(const char* jobz, const int* m, const int* n, float* a, const int* lda, float* s, float* u, const int* ldu, float* vt, const int* ldvt, float* work, const int* lwork, int* iwork, int* info, std::size_t);
    void dgesdd_(const char* jobz, const int* m, const int* n, double* a, const int* lda, double* s, double* u, const int* ldu, double* vt, const int* ldvt, double* work, const int* lwork, int* iwork, int* info, std::size_t);
    void sgesvd_(const char* jobu, const char* jobvt, const int* m, const int* n, float* a, const int* lda, float* s, float* u, const int* ldu, float* vt, const int* ldvt, float* work, const int* lwork, int* info, std::size_t, std::size_t);
    void dgesvd_(const char* jobu, const char* jobvt, const int* m, const int* n, double* a, const int* lda, double* s, double* u, const int* ldu, double* vt, const int* ldvt, double* work, const int* lwork, int* info, std::size_t, std::size_t);
    void ssyevd_(const char* jobz, const char* uplo, const int* n, float* a, const int* lda, float* w, float* work, const int* lwork, int* iwork, const int* liwork, int* info, std::size_t, std::size_t);
    void dsyevd_(const char* jobz, const char* uplo, const int* n, double* a, const int* lda, double* w, double* work, const int* lwork, int* iwork, const int* liwork, int* info, std::size_t, std::size_t);
    void ssyevr_(const char* jobz, const char* range, const char* uplo, const int* n, float* a, const int* lda, const float* vl, const float* vu, const int* il, const int* iu, const float* abstol, int* m, float* w, float* z, const int* ldz, int* isuppz, float* work, const int* lwork, int* iwork, const int* liwork, int* info, std::size_t, std::size_t, std::size_t);
    void dsyevr_(const char* jobz, const char* range, const char* uplo, const int* n, double* a, const int* lda, const double* vl, const double* vu, const int* il, const int* iu, const double* abstol, int* m, double* w, double* z, const int* ldz, int* isuppz, double* work, const int* lwork, int* iwork, const int* liwork, int* info, std::size_t, std::size_t, std::size_t);
    void sgelqf_(const int* m, const int* n, float* a, const int* lda, float* tau, float* work, const int* lwork, int* info);
    void dgelqf_(const int* m, const int* n, double* a, const int* lda, double* tau, double* work, const int* lwork, int* info);
    void sorglq_(const int* m, const int* n, const int* k, float* a, const int* lda, const float* tau, float* work, const int* lwork, int* info);
    void dorglq_(const int* m, const int* n, const int* k, double* a, const int* lda, const double* tau, double* work, const int* lwork, int* info);
    void sgeqrf_(const int* m, const int* n, float* a, const int* lda, float* tau, float* work, const int* lwork, int* info);
    void dgeqrf_(const int* m, const int* n, double* a, const int* lda, double* tau, double* work, const int* lwork, int* info);
    void sorgqr_(const int* m, const int* n, const int* k, float* a, const int* lda, const float* tau, float* work, const int* lwork, int* info);
    void dorgqr_(const int* m, const int* n, const int* k, double* a, const int* lda, const double* tau, double* work, const int* lwork, int* info);
    void spotrf_(const char* uplo, const int* n, float* a, const int* lda, int* info, std::size_t);
    void dpotrf_(const char* uplo, const int* n, double* a, const int* lda, int* info, std::size_t);
    void sgetrf_(const int* m, const int* n, float* a, const int* lda, int* ipiv, int* info);
    void dgetrf_(const int* m, const int* n, double* a, const int* lda, int* ipiv, int* info);
    // clang-format on
}

namespace tessera::detail
{
    // Overloads so templates can call one name for float and double.
    // clang-format off
    inline void gesdd(const char* j, const int* m, const int* n, float* a, const int* lda, float* s, float* u, const int* ldu, float* vt, const int* ldvt, float* w, const int* lw, int* iw, int* info) { sgesdd_(j, m, n, a, lda, s, u, ldu, vt, ldvt, w, lw, iw, info, 1); }
    inline void gesdd(const char* j, const int* m, const int* n, double* a, const int* lda, double* s, double* u, const int* ldu, double* vt, const int* ldvt, double* w, const int* lw, int* iw, int* info) { dgesdd_(j, m, n, a, lda, s, u, ldu, vt, ldvt, w, lw, iw, info, 1); }
    inline void gesvd(const char* ju, const char* jv, const int* m, const int* n, float* a, const int* lda, float* s, float* u, const int* ldu, float* vt, const int* ldvt, float* w, const int* lw, int* info) { sgesvd_(ju, jv, m, n, a, lda, s, u, ldu, vt, ldvt, w, lw, info, 1, 1); }
    inline void gesvd(const char* ju, const char* jv, const int* m, const int* n, double* a, const int* lda, double* s, double* u, const int* ldu, double* vt, const int* ldvt, double* w, const int* lw, int* info) { dgesvd_(ju, jv, m, n, a, lda, s, u, ldu, vt, ldvt, w, lw, info, 1, 1); }
    inline void syevd(const char* jz, const char* ul, const int* n, float* a, const int* lda, float* w, float* wk, const int* lw, int* iw, const int* liw, int* info) { ssyevd_(jz, ul, n, a, lda, w, wk, lw, iw, liw, info, 1, 1); }
    inline void syevd(const char* jz, const char* ul, const int* n, double* a, const int* lda, double* w, double* wk, const int* lw, int* iw, const int* liw, int* info) { dsyevd_(jz, ul, n, a, lda, w, wk, lw, iw, liw, info, 1, 1); }
    // syevr with RANGE = 'I' (eigenpairs il..iu, ascending), JOBZ = 'V'.
    inline void syevr_index(const char* ul, const int* n, float* a, const int* lda, const int* il, const int* iu, int* m, float* w, float* z, const int* ldz, int* isuppz, float* wk, const int* lw, int* iw, const int* liw, int* info) { const float zero = 0.0f; ssyevr_("V", "I", ul, n, a, lda, &zero, &zero, il, iu, &zero, m, w, z, ldz, isuppz, wk, lw, iw, liw, info, 1, 1, 1); }
    inline void syevr_index(const char* ul, const int* n, double* a, const int* lda, const int* il, const int* iu, int* m, double* w, double* z, const int* ldz, int* isuppz, double* wk, const int* lw, int* iw, const int* liw, int* info) { const double zero = 0.0; dsyevr_("V", "I", ul, n, a, lda, &zero, &zero, il, iu, &zero, m, w, z, ldz, isuppz, wk, lw, iw, liw, info, 1, 1, 1); }
    inline void gelqf(const int* m, const int* n, float* a, const int* lda, float* tau, float* w, const int* lw, int* info) { sgelqf_(m, n, a, lda, tau, w, lw, info); }
    inline void gelqf(const int* m, const int* n, double* a, const int* lda, double* tau, double* w, const int* lw, int* info) { dgelqf_(m, n, a, lda, tau, w, lw, info); }
    inline void orglq(const int* m, const int* n, const int* k, float* a, const int* lda, const float* tau, float* w, const int* lw, int* info) { sorglq_(m, n, k, a, lda, tau, w, lw, info); }
    inline void orglq(const int* m, const int* n, const int* k, double* a, const int* lda, const double* tau, double* w, const int* lw, int* info) { dorglq_(m, n, k, a, lda, tau, w, lw, info); }
    inline void geqrf(const int* m, const int* n, float* a, const int* lda, float* tau, float* w, const int* lw, int* info) { sgeqrf_(m, n, a, lda, tau, w, lw, info); }
    inline void geqrf(const int* m, const int* n, double* a, const int* lda, double* tau, double* w, const int* lw, int* info) { dgeqrf_(m, n, a, lda, tau, w, lw, info); }
    inline void orgqr(const int* m, const int* n, const int* k, float* a, const int* lda, const float* tau, float* w, const int* lw, int* info) { sorgqr_(m, n, k, a, lda, tau, w, lw, info); }
    inline void orgqr(const int* m, const int* n, const int* k, double* a, const int* lda, const double* tau, double* w, const int* lw, int* info) { dorgqr_(m, n, k, a, lda, tau, w, lw, info); }
    inline void potrf(const char* ul, const int* n, float* a, const int* lda, int* info) { spotrf_(ul, n, a, lda, info, 1); }
    inline void potrf(const char* ul, const int* n, double* a, const int* lda, int* info) { dpotrf_(ul, n, a, lda, info, 1); }
    inline void getrf(const int* m, const int* n, float* a, const int* lda, int* ipiv, int* info) { sgetrf_(m, n, a, lda, ipiv, info); }
    inline void getrf(const int* m, const int* n, double* a, const int* lda, int* ipiv, int* info) { dgetrf_(m, n, a, lda, ipiv, info); }
    // clang-format on
    template <class T> constexpr const char* lapack_prefix() { return std::is_same_v<T, float> ? "s" : "d"; }
}  // namespace tessera::detail
