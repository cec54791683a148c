# Settings for tessera's *own* targets (tests, benchmarks, examples): warnings, -march,
# sanitizers. Nothing here leaks into the tessera INTERFACE target or global flags.
include(GNUInstallDirs)

function(tessera_target_settings target)
  target_link_libraries(${target} PRIVATE tessera::tessera)
  target_compile_options(${target} PRIVATE
    $<$<CXX_COMPILER_ID:GNU,Clang>:-Wall -Wextra -Wshadow -Wconversion -Wnon-virtual-dtor -Wpedantic>)
  # xtensor, doctest and benchmark live in /usr/include, a system directory, so these
  # warnings apply to tessera's code only.
  # A target with the property TESSERA_NO_NATIVE set builds as a consumer does, without -march
  # (tests/core/test_cpu.cpp checks the run-time kernel dispatch that way).
  if(TESSERA_NATIVE)
    target_compile_options(${target} PRIVATE
      $<$<AND:$<CXX_COMPILER_ID:GNU,Clang>,$<NOT:$<BOOL:$<TARGET_PROPERTY:TESSERA_NO_NATIVE>>>>:-march=native>)
  endif()
  if(NOT CMAKE_BUILD_TYPE OR CMAKE_BUILD_TYPE STREQUAL "Release")
    target_compile_options(${target} PRIVATE -O3)
  endif()
  if(TESSERA_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=${TESSERA_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
    target_link_options(${target} PRIVATE -fsanitize=${TESSERA_SANITIZE})
  endif()
endfunction()
