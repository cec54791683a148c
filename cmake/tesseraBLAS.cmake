# Chooses the BLAS/LAPACK that tessera links (used by the build and by the installed
# tesseraConfig.cmake, so a consumer gets the same choice).
#
# With OpenMP on (TESSERA_USE_OPENMP), prefer the OpenMP-threaded OpenBLAS when the system has
# one (Debian: libopenblas-openmp-dev, /usr/lib/<arch>/openblas-openmp). The default pthreads
# build keeps its own thread pool: after a tessera OpenMP region its threads find the cores held
# by OpenMP's spin-waiting workers (and OpenMP's find them held by OpenBLAS's), which measured
# 2.1x slower on a Gram matrix (float->double blocks + dsyrk, 2 cores) and 10-20% on Procrustes.
# The OpenMP build shares one thread pool. Opt out with -DTESSERA_PREFER_OPENBLAS_OPENMP=OFF, or
# choose any BLAS with BLA_VENDOR (FindBLAS); with the pthreads OpenBLAS set
# OMP_WAIT_POLICY=passive at run time instead (docs/core.md).
# Result: TESSERA_BLAS_TARGETS (what the tessera target links) and TESSERA_BLAS_DESCRIPTION.
if(NOT DEFINED TESSERA_PREFER_OPENBLAS_OPENMP)
  set(TESSERA_PREFER_OPENBLAS_OPENMP ON)
endif()
set(_tessera_openblas_omp "")
# (xtensor-blas's config runs FindBLAS first, which leaves BLA_VENDOR = "All": not a user choice)
if(TESSERA_USE_OPENMP AND TESSERA_PREFER_OPENBLAS_OPENMP AND
   (NOT DEFINED BLA_VENDOR OR BLA_VENDOR STREQUAL "All" OR BLA_VENDOR STREQUAL "OpenBLAS"))
  find_library(TESSERA_OPENBLAS_OPENMP_LIBRARY NAMES openblas
    PATHS "/usr/lib/${CMAKE_LIBRARY_ARCHITECTURE}/openblas-openmp" "/usr/lib64/openblas-openmp"
    NO_DEFAULT_PATH)
  if(TESSERA_OPENBLAS_OPENMP_LIBRARY)
    set(_tessera_openblas_omp "${TESSERA_OPENBLAS_OPENMP_LIBRARY}")
  endif()
endif()
if(_tessera_openblas_omp)
  # OpenBLAS carries LAPACK. Linked by full path, so CMake puts its directory in the build RPATH
  # and libopenblas.so.0 / libblas.so.3 / liblapack.so.3 (xtensor-blas's FindBLAS picks) all
  # resolve to the OpenMP build at run time.
  if(NOT TARGET tessera_openblas_openmp)
    add_library(tessera_openblas_openmp INTERFACE IMPORTED)
    set_target_properties(tessera_openblas_openmp PROPERTIES INTERFACE_LINK_LIBRARIES "${_tessera_openblas_omp}")
  endif()
  set(TESSERA_BLAS_TARGETS tessera_openblas_openmp)
  # xtensor-blas's config links FindBLAS's pick (the default, pthreads libopenblas.so) by path;
  # drop it so that one OpenBLAS is on the link line (and CMake does not warn that the two
  # libopenblas.so.0 shadow each other)
  if(TARGET xtensor-blas)
    get_target_property(_tessera_xb_libs xtensor-blas INTERFACE_LINK_LIBRARIES)
    if(_tessera_xb_libs)
      list(FILTER _tessera_xb_libs EXCLUDE REGEX "/lib(open)?blas[^/]*\\.(so|a)|/liblapack[^/]*\\.(so|a)")
      set_target_properties(xtensor-blas PROPERTIES INTERFACE_LINK_LIBRARIES "${_tessera_xb_libs}")
    endif()
    unset(_tessera_xb_libs)
  endif()
  set(TESSERA_BLAS_DESCRIPTION "OpenBLAS, OpenMP threads (${_tessera_openblas_omp})")
else()
  if(NOT DEFINED BLA_VENDOR)
    set(BLA_VENDOR OpenBLAS)
  endif()
  find_package(BLAS REQUIRED)
  find_package(LAPACK REQUIRED)
  set(TESSERA_BLAS_TARGETS BLAS::BLAS LAPACK::LAPACK)
  set(TESSERA_BLAS_DESCRIPTION "${BLA_VENDOR} via FindBLAS (${BLAS_LIBRARIES})")
endif()
unset(_tessera_openblas_omp)
