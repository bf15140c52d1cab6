# Build helpers shared by every directory: warnings, sanitizers, proto codegen,
include(GoogleTest)
# libraries, tests and benchmarks.

# Target-scoped warnings; -Werror only when ZB_WERROR is on (CI's sanitizer
# build, tools/dev/build_sanitized.sh, turns it on; the plain build does not).
function(zb_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wshadow -Wnon-virtual-dtor
                                           -Werror=unused-result)
  if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    target_compile_options(${target} PRIVATE -Wthread-safety)
  endif()
  if(ZB_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# Sanitizers apply to everything we compile and link (not to system libraries).
macro(zb_apply_sanitizers)
  if(ZB_SANITIZE)
    add_compile_options(-fsanitize=${ZB_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
    add_link_options(-fsanitize=${ZB_SANITIZE})
  endif()
endmacro()

# zb_proto_library(name PROTOS zhibiao/v1/a.proto ... [DEPS ...])
# Generates message code, gRPC stubs and gMock stubs (_mock.grpc.pb.h) for each
# .proto, relative to the calling directory; includes are "zhibiao/v1/a.pb.h".
function(zb_proto_library name)
  cmake_parse_arguments(ARG "" "" "PROTOS;DEPS" ${ARGN})
  set(out ${CMAKE_CURRENT_BINARY_DIR})
  set(srcs)
  foreach(proto ${ARG_PROTOS})
    get_filename_component(abs ${proto} ABSOLUTE)
    string(REGEX REPLACE "\\.proto$" "" stem ${proto})
    set(gen ${out}/${stem}.pb.cc ${out}/${stem}.pb.h ${out}/${stem}.grpc.pb.cc
            ${out}/${stem}.grpc.pb.h ${out}/${stem}_mock.grpc.pb.h)
    add_custom_command(OUTPUT ${gen}
      COMMAND protobuf::protoc --proto_path=${CMAKE_CURRENT_SOURCE_DIR}
              --cpp_out=${out} --grpc_out=generate_mock_code=true:${out}
              --plugin=protoc-gen-grpc=$<TARGET_FILE:gRPC::grpc_cpp_plugin> ${abs}
      DEPENDS ${abs} ${ARG_PROTOS} protobuf::protoc gRPC::grpc_cpp_plugin
      WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}
      COMMENT "protoc ${proto}" VERBATIM)
    list(APPEND srcs ${gen})
  endforeach()
  add_library(${name} ${srcs})
  target_include_directories(${name} SYSTEM PUBLIC ${out})
  target_link_libraries(${name} PUBLIC protobuf::libprotobuf gRPC::grpc++ ${ARG_DEPS})
endfunction()

# zb_cc_library(name SRCS ... [DEPS ...] [PRIVATE_DEPS ...])
# One library per component, includes rooted at the repository root, alias zb::<name>.
function(zb_cc_library name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(${name} ${ARG_SRCS})
  add_library(zb::${name} ALIAS ${name})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  zb_warnings(${name})
endfunction()

# zb_cc_binary(name SRCS ... [DEPS ...])
function(zb_cc_binary name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SRCS})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
  zb_warnings(${name})
endfunction()

# zb_cc_test(name SRCS ... [DEPS ...] [LABELS unit|integration|system])
# A GoogleTest binary whose tests are registered with CTest one by one.
function(zb_cc_test name)
  if(NOT ZB_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS;LABELS" ${ARGN})
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  add_executable(${name} ${ARG_SRCS})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gmock GTest::gtest_main)
  target_compile_definitions(${name} PRIVATE
    ZB_SOURCE_DIR="${PROJECT_SOURCE_DIR}" ZB_BINARY_DIR="${CMAKE_RUNTIME_OUTPUT_DIRECTORY}")
  zb_warnings(${name})
  # A test that calls GTEST_SKIP (for example without ../shared) is reported
  # as skipped, with its reason in the log, not as passed.
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES LABELS "${ARG_LABELS}"
    SKIP_REGULAR_EXPRESSION "\\[  SKIPPED \\]")
endfunction()

# zb_cc_benchmark(name SRCS ... [DEPS ...]): a Google Benchmark program.
function(zb_cc_benchmark name)
  if(NOT ZB_BUILD_BENCHMARKS)
    return()
  endif()
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SRCS})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} benchmark::benchmark benchmark::benchmark_main)
  target_compile_definitions(${name} PRIVATE ZB_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  zb_warnings(${name})
endfunction()

# zb_embed_file(target SYMBOL name FILE path): compiles the bytes of `path`
# into `target` as `extern const char name[]`.
function(zb_embed_file target)
  cmake_parse_arguments(ARG "" "SYMBOL;FILE" "" ${ARGN})
  get_filename_component(abs ${ARG_FILE} ABSOLUTE)
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${ARG_SYMBOL}.cc)
  add_custom_command(OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DINPUT=${abs} -DOUTPUT=${out} -DSYMBOL=${ARG_SYMBOL}
            -P ${PROJECT_SOURCE_DIR}/cmake/embed_file.cmake
    DEPENDS ${abs} ${PROJECT_SOURCE_DIR}/cmake/embed_file.cmake
    COMMENT "embed ${ARG_FILE}" VERBATIM)
  target_sources(${target} PRIVATE ${out})
endfunction()
