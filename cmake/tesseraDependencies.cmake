# Finds everything the tessera INTERFACE target links. Shared by the build and by the
# installed tesseraConfig.cmake (which includes this file through find_dependency calls).
include(CMakeFindDependencyMacro)

find_package(xtensor REQUIRED)
find_package(xtensor-blas REQUIRED)
find_package(nlohmann_json 3 REQUIRED)

if(TESSERA_USE_OPENMP)
  find_package(OpenMP REQUIRED COMPONENTS CXX)
endif()

include("${CMAKE_CURRENT_LIST_DIR}/tesseraBLAS.cmake")
message(STATUS "tessera: BLAS/LAPACK = ${TESSERA_BLAS_DESCRIPTION}")
