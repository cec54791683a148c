# Finds everything the tessera INTERFACE target links (the installed tesseraConfig.cmake finds the
# same through find_dependency and tesseraBLAS.cmake).
find_package(xtensor REQUIRED)
find_package(nlohmann_json 3 REQUIRED)

if(TESSERA_USE_OPENMP)
  find_package(OpenMP REQUIRED COMPONENTS CXX)
endif()

include("${CMAKE_CURRENT_LIST_DIR}/tesseraBLAS.cmake")
tessera_choose_blas("${TESSERA_USE_OPENMP}" "${TESSERA_PREFER_OPENBLAS_OPENMP}")
if(NOT TESSERA_BLAS_FOUND)
  message(FATAL_ERROR "tessera: ${TESSERA_BLAS_DESCRIPTION}; install OpenBLAS (libopenblas-dev) or set BLA_VENDOR")
endif()
message(STATUS "tessera: BLAS/LAPACK = ${TESSERA_BLAS_DESCRIPTION}")

# xtensor-blas: tessera's headers use none of it (its BLAS/LAPACK bridge is its own, core/blas.hpp
# and core/lapack.hpp; docs/core.md says why), so the tessera target does not link it and the
# installed config does not look for it. The top-level build still finds it, unmodified, as the
# neighbour the design names; a vendoring or installed consumer never needs it.
if(PROJECT_IS_TOP_LEVEL)
  find_package(xtensor-blas REQUIRED)
endif()
