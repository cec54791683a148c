# core.packaging: tessera's packaging leaves a consumer's scope alone.
#
#   cmake -DTESSERA_SOURCE_DIR=<checkout> -DWORK_DIR=<scratch dir> -P check_packaging.cmake
#
# Installs tessera into WORK_DIR/prefix, then configures a tiny consumer four ways:
#   installed               find_package(tessera) alone
#   installed_after_xblas   find_package(xtensor-blas), then find_package(tessera)
#   installed_no_omp_blas   as installed, with -DTESSERA_PREFER_OPENBLAS_OPENMP=OFF (FindBLAS path)
#   vendored                find_package(xtensor-blas), then add_subdirectory(tessera) with OpenMP on
# and fails when tessera's packaging changed the imported target xtensor-blas
# (INTERFACE_LINK_LIBRARIES), defined or changed BLA_VENDOR in the consumer's scope, or (with
# OpenMP on and Debian's libopenblas-openmp-dev installed) does not link the OpenMP OpenBLAS.
cmake_minimum_required(VERSION 3.25)
foreach(_v TESSERA_SOURCE_DIR WORK_DIR)
  if(NOT DEFINED ${_v})
    message(FATAL_ERROR "check_packaging: pass -D${_v}=...")
  endif()
endforeach()
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")

function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "check_packaging: ${what} failed (exit ${rc}):\n${out}\n${err}")
  endif()
  message(STATUS "check_packaging: ${what}: ok")
endfunction()

set(_prefix "${WORK_DIR}/prefix")
run("configure the install build"
  "${CMAKE_COMMAND}" -S "${TESSERA_SOURCE_DIR}" -B "${WORK_DIR}/build-install" -DCMAKE_INSTALL_PREFIX=${_prefix}
  -DTESSERA_BUILD_TESTS=OFF -DTESSERA_BUILD_BENCHMARKS=OFF -DTESSERA_BUILD_EXAMPLES=OFF -DTESSERA_BUILD_PYTHON=OFF)
run("install" "${CMAKE_COMMAND}" --install "${WORK_DIR}/build-install")

# The consumer records the state before tessera arrives and compares after.
file(WRITE "${WORK_DIR}/consumer/CMakeLists.txt" [=[
cmake_minimum_required(VERSION 3.25)
project(tessera_packaging_consumer LANGUAGES CXX)
if(MODE MATCHES "after_xblas|vendored")
  find_package(xtensor-blas REQUIRED)
  get_target_property(xblas_before xtensor-blas INTERFACE_LINK_LIBRARIES)
endif()
set(vendor_defined_before FALSE)
if(DEFINED BLA_VENDOR)
  set(vendor_defined_before TRUE)
endif()
set(vendor_before "${BLA_VENDOR}")

if(MODE STREQUAL "vendored")
  set(TESSERA_USE_OPENMP ON CACHE BOOL "")
  add_subdirectory("${TESSERA_SOURCE_DIR}" tessera)
else()
  find_package(tessera REQUIRED)
endif()

set(errors "")
if(MODE MATCHES "after_xblas|vendored")
  get_target_property(xblas_after xtensor-blas INTERFACE_LINK_LIBRARIES)
  if(NOT xblas_after STREQUAL xblas_before)
    string(APPEND errors "\n  xtensor-blas INTERFACE_LINK_LIBRARIES changed: '${xblas_before}' -> '${xblas_after}'")
  endif()
endif()
set(vendor_defined_after FALSE)
if(DEFINED BLA_VENDOR)
  set(vendor_defined_after TRUE)
endif()
if(NOT vendor_defined_after STREQUAL vendor_defined_before OR NOT "${BLA_VENDOR}" STREQUAL "${vendor_before}")
  string(APPEND errors "\n  BLA_VENDOR changed in the consumer's scope: defined=${vendor_defined_before} '${vendor_before}'"
                       " -> defined=${vendor_defined_after} '${BLA_VENDOR}'")
endif()

# Configured, not built: the outer script reads the link line CMake generated for it.
add_executable(consumer main.cpp)
target_link_libraries(consumer PRIVATE tessera::tessera)
if(errors)
  message(FATAL_ERROR "packaging check '${MODE}' failed:${errors}")
endif()
message(STATUS "packaging check '${MODE}': consumer scope unchanged")
]=])
file(WRITE "${WORK_DIR}/consumer/main.cpp" "int main() { return 0; }\n")

# Debian's OpenMP build of OpenBLAS (libopenblas-openmp-dev), what tessera links with OpenMP on.
file(GLOB _omp_blas "/usr/lib/*/openblas-openmp/libopenblas.so" "/usr/lib64/openblas-openmp/libopenblas.so")
set(_expect_omp FALSE)
if(_omp_blas)
  set(_expect_omp TRUE)
endif()

foreach(_mode installed installed_after_xblas installed_no_omp_blas vendored)
  set(_args -DMODE=${_mode} -DCMAKE_PREFIX_PATH=${_prefix} -DTESSERA_SOURCE_DIR=${TESSERA_SOURCE_DIR})
  if(_mode STREQUAL "installed_no_omp_blas")
    list(APPEND _args -DTESSERA_PREFER_OPENBLAS_OPENMP=OFF)
  endif()
  execute_process(COMMAND "${CMAKE_COMMAND}" -G "Unix Makefiles" -S "${WORK_DIR}/consumer" -B "${WORK_DIR}/build-${_mode}"
    ${_args} RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _err)
  if(_rc EQUAL 0)
    # The link line of the consumer: which libopenblas it gets.
    file(READ "${WORK_DIR}/build-${_mode}/CMakeFiles/consumer.dir/link.txt" _link)
    string(STRIP "${_link}" _link)
    set(_has_omp_blas FALSE)
    if(_link MATCHES "openblas-openmp/libopenblas")
      set(_has_omp_blas TRUE)
    endif()
    if(_mode STREQUAL "installed_no_omp_blas")
      set(_want_omp_blas FALSE)
    else()
      set(_want_omp_blas ${_expect_omp})
    endif()
    string(REGEX MATCHALL "[^ ]*libopenblas[^ ]*" _openblas_items "${_link}")
    list(LENGTH _openblas_items _n_openblas)
    if(NOT _has_omp_blas STREQUAL _want_omp_blas)
      list(APPEND _failures "consumer '${_mode}': links the OpenMP OpenBLAS = ${_has_omp_blas}, expected ${_want_omp_blas}: ${_link}")
    elseif(_n_openblas GREATER 1)
      list(APPEND _failures "consumer '${_mode}': links ${_n_openblas} OpenBLAS libraries (${_openblas_items}): ${_link}")
    else()
      message(STATUS "check_packaging: consumer '${_mode}': scope unchanged; OpenMP OpenBLAS linked = ${_has_omp_blas}")
    endif()
  else()
    string(REGEX MATCH "packaging check '[^']*' failed:.*" _why "${_err}")
    if(NOT _why)
      set(_why "${_out}\n${_err}")
    endif()
    list(APPEND _failures "consumer '${_mode}' (exit ${_rc}): ${_why}")
  endif()
endforeach()
if(_failures)
  list(JOIN _failures "\n" _failures)
  message(FATAL_ERROR "check_packaging:\n${_failures}")
endif()
