// Test helpers: paths of the project's test data and of the shared fixtures,
// and whole-file reads. Header-only; for tests.
#ifndef ZHIBIAO_COMMON_TESTING_FIXTURES_H_
#define ZHIBIAO_COMMON_TESTING_FIXTURES_H_

#include <fstream>
#include <iterator>
#include <string>

namespace zb::testing {

#ifndef ZB_SOURCE_DIR
#error "tests are compiled with ZB_SOURCE_DIR (see zb_cc_test)"
#endif

// tests/data/<name> in the source tree.
inline std::string TestDataPath(const std::string& name) {
  return std::string(ZB_SOURCE_DIR) + "/tests/data/" + name;
}

// ../shared/fixtures/<name> beside the source tree (present for every
// developer and in CI).
inline std::string SharedFixturePath(const std::string& name) {
  return std::string(ZB_SOURCE_DIR) + "/../shared/fixtures/" + name;
}

// ../shared/<name>: fixtures/ and corpus/ beside the source tree.
inline std::string SharedPath(const std::string& name) {
  return std::string(ZB_SOURCE_DIR) + "/../shared/" + name;
}

inline bool FileExists(const std::string& path) { return std::ifstream(path).good(); }

// The file's bytes, or "" if it cannot be read.
inline std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace zb::testing

#endif  // ZHIBIAO_COMMON_TESTING_FIXTURES_H_
