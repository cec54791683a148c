# Chooses the BLAS/LAPACK that tessera links. Used by the build (tesseraDependencies.cmake) and
# by the installed tesseraConfig.cmake, so a consumer gets the same choice.
#
# With OpenMP on, prefer the OpenMP-threaded OpenBLAS when the system has one (Debian:
# libopenblas-openmp-dev, /usr/lib/<arch>/openblas-openmp). The default pthreads build keeps its
# own thread pool: after a tessera OpenMP region its threads find the cores held by OpenMP's
# spin-waiting workers (and OpenMP's find them held by OpenBLAS's), which measured 2.1x slower on
# a Gram matrix (float->double blocks + dsyrk, 2 cores) and 10-20% on Procrustes. The OpenMP
# build shares one thread pool. Opt out with -DTESSERA_PREFER_OPENBLAS_OPENMP=OFF, or choose any
# BLAS with BLA_VENDOR (FindBLAS); with the pthreads OpenBLAS set OMP_WAIT_POLICY=passive at run
# time instead (docs/core.md).
#
# tessera_choose_blas(<use_openmp> <prefer_openmp_default>) defines the INTERFACE IMPORTED target
# tessera::blas_lapack (what the tessera target links) and sets, in the caller's scope, only
# TESSERA_BLAS_FOUND and TESSERA_BLAS_DESCRIPTION. It runs in a function so that nothing else in
# the includer's scope changes: BLA_VENDOR is read, never set, and no other target is touched
# (xtensor-blas's imported target in particular: tessera does not link it, docs/core.md).
# A consumer's -DTESSERA_PREFER_OPENBLAS_OPENMP=OFF overrides <prefer_openmp_default>.
function(tessera_choose_blas use_openmp prefer_openmp_default)
  set(prefer "${prefer_openmp_default}")
  if(DEFINED TESSERA_PREFER_OPENBLAS_OPENMP)
    set(prefer "${TESSERA_PREFER_OPENBLAS_OPENMP}")
  endif()
  # A vendor the user chose; FindBLAS's default "All" (what xtensor-blas's config leaves) is none.
  set(vendor "${BLA_VENDOR}")
  if(vendor STREQUAL "All")
    set(vendor "")
  endif()
  set(libs "")
  set(description "")
  if(use_openmp AND prefer AND vendor MATCHES "^(OpenBLAS)?$")
    find_library(TESSERA_OPENBLAS_OPENMP_LIBRARY NAMES openblas
      PATHS "/usr/lib/${CMAKE_LIBRARY_ARCHITECTURE}/openblas-openmp" "/usr/lib64/openblas-openmp"
      NO_DEFAULT_PATH)
    if(TESSERA_OPENBLAS_OPENMP_LIBRARY)
      # OpenBLAS carries LAPACK. Linked by full path, so CMake puts its directory in the build
      # RPATH and libopenblas.so.0 / libblas.so.3 / liblapack.so.3 all resolve to the OpenMP
      # build at run time.
      set(libs "${TESSERA_OPENBLAS_OPENMP_LIBRARY}")
      set(description "OpenBLAS, OpenMP threads (${libs})")
    endif()
  endif()
  if(NOT libs)
    if(NOT vendor)
      set(vendor OpenBLAS)  # a local variable: the includer's BLA_VENDOR stays as it was
    endif()
    set(BLA_VENDOR "${vendor}")
    find_package(BLAS QUIET)
    find_package(LAPACK QUIET)
    if(BLAS_FOUND AND LAPACK_FOUND)
      set(libs ${LAPACK_LIBRARIES} ${BLAS_LIBRARIES})
      list(REMOVE_DUPLICATES libs)
      set(description "${vendor} via FindBLAS (${BLAS_LIBRARIES})")
    endif()
  endif()
  if(NOT libs)
    set(TESSERA_BLAS_FOUND FALSE PARENT_SCOPE)
    set(TESSERA_BLAS_DESCRIPTION "no BLAS/LAPACK found (BLA_VENDOR=${vendor})" PARENT_SCOPE)
    return()
  endif()
  if(NOT TARGET tessera::blas_lapack)
    add_library(tessera::blas_lapack INTERFACE IMPORTED)
    set_target_properties(tessera::blas_lapack PROPERTIES INTERFACE_LINK_LIBRARIES "${libs}")
  endif()
  set(TESSERA_BLAS_FOUND TRUE PARENT_SCOPE)
  set(TESSERA_BLAS_DESCRIPTION "${description}" PARENT_SCOPE)
endfunction()
