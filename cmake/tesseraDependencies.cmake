# Finds everything the tessera INTERFACE target links. Shared by the build and by the
# installed tesseraConfig.cmake (which includes this file through find_dependency calls).
include(CMakeFindDependencyMacro)

find_package(xtensor REQUIRED)
find_package(xtensor-blas REQUIRED)
find_package(nlohmann_json 3 REQUIRED)

if(NOT DEFINED BLA_VENDOR)
  set(BLA_VENDOR OpenBLAS)
endif()
find_package(BLAS REQUIRED)
find_package(LAPACK REQUIRED)
set(TESSERA_BLAS_TARGETS BLAS::BLAS LAPACK::LAPACK)

if(TESSERA_USE_OPENMP)
  find_package(OpenMP REQUIRED COMPONENTS CXX)
endif()
