# Component conventions (STYLE.md): one folder = one library target `sb_<name>`;
# `*_test.cpp` form the component's GoogleTest binary, `*_fuzz.cpp` are libFuzzer targets whose
# seed corpus (`corpus/<target>/`) also runs as a regular test, `*_bench.cpp` are Google Benchmark
# programs. Files are globbed so adding a file needs no CMake edit.

set(SB_WARNINGS -Wall -Wextra -Wshadow -Wconversion -Wsign-conversion -Wno-sign-conversion)
if(SB_WERROR)
  list(APPEND SB_WARNINGS -Werror)
endif()

function(sb_component name)
  cmake_parse_arguments(ARG "" "" "DEPS" ${ARGN})
  file(GLOB all_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp
       ${CMAKE_CURRENT_SOURCE_DIR}/internal/*.cpp)
  set(lib_sources "")
  set(test_sources "")
  set(fuzz_sources "")
  set(bench_sources "")
  foreach(f ${all_sources})
    if(f MATCHES "_test\\.cpp$")
      list(APPEND test_sources ${f})
    elseif(f MATCHES "_fuzz\\.cpp$")
      list(APPEND fuzz_sources ${f})
    elseif(f MATCHES "_bench\\.cpp$")
      list(APPEND bench_sources ${f})
    elseif(NOT f MATCHES "/main\\.cpp$")
      list(APPEND lib_sources ${f})
    endif()
  endforeach()

  add_library(sb_${name} STATIC ${lib_sources})
  target_include_directories(sb_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_compile_options(sb_${name} PRIVATE ${SB_WARNINGS})
  target_link_libraries(sb_${name} PUBLIC ${ARG_DEPS})

  if(test_sources)
    add_executable(sb_${name}_tests ${test_sources})
    target_compile_options(sb_${name}_tests PRIVATE ${SB_WARNINGS})
    target_link_libraries(sb_${name}_tests PRIVATE sb_${name} GTest::gtest GTest::gtest_main
                                                   GTest::gmock)
    include(GoogleTest)
    gtest_discover_tests(sb_${name}_tests DISCOVERY_MODE PRE_TEST
                         PROPERTIES LABELS "unit;${name}")
  endif()

  foreach(f ${fuzz_sources})
    get_filename_component(target ${f} NAME_WE)
    set(corpus ${CMAKE_CURRENT_SOURCE_DIR}/corpus/${target})
    if(SB_FUZZ)
      add_executable(${target} ${f})
      target_compile_options(${target} PRIVATE -fsanitize=fuzzer)
      target_link_options(${target} PRIVATE -fsanitize=fuzzer)
      target_link_libraries(${target} PRIVATE sb_${name})
    else()
      # Without libFuzzer the same entry point runs over every seed as an ordinary test.
      add_executable(${target}_corpus ${f} ${PROJECT_SOURCE_DIR}/cmake/fuzz_corpus_main.cpp)
      target_link_libraries(${target}_corpus PRIVATE sb_${name})
      add_test(NAME ${target}_corpus COMMAND ${target}_corpus ${corpus})
      set_tests_properties(${target}_corpus PROPERTIES LABELS "unit;fuzz-corpus")
    endif()
  endforeach()

  if(SB_BENCH)
    foreach(f ${bench_sources})
      get_filename_component(target ${f} NAME_WE)
      add_executable(${target} ${f})
      target_link_libraries(${target} PRIVATE sb_${name} benchmark::benchmark
                                              benchmark::benchmark_main)
    endforeach()
  endif()
endfunction()
