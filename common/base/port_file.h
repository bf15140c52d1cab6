// Port files: how a server started on port 0 tells its launcher (tests,
// `zhibiao up`, scripts) which port it got, without anyone guessing.
#ifndef ZHIBIAO_COMMON_BASE_PORT_FILE_H_
#define ZHIBIAO_COMMON_BASE_PORT_FILE_H_

#include <string>

#include "absl/status/status.h"

namespace zb {

// Writes "PORT\n" to `path` atomically (a temporary file, then a rename), so
// a reader never sees a partial number. UNAVAILABLE naming the file on error.
absl::Status WritePortFile(const std::string& path, int port);

}  // namespace zb

#endif  // ZHIBIAO_COMMON_BASE_PORT_FILE_H_
