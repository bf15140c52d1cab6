// Port files: how a server started on port 0 tells its launcher (tests,
// `zhibiao up`, scripts) which port it got, without anyone guessing; and
// the atomic small-file write they are made with.
#ifndef ZHIBIAO_COMMON_BASE_PORT_FILE_H_
#define ZHIBIAO_COMMON_BASE_PORT_FILE_H_

#include <string>

#include "absl/status/status.h"

namespace zb {

// Writes "PORT\n" to `path` atomically (a temporary file, then a rename), so
// a reader never sees a partial number. UNAVAILABLE naming the file on error.
absl::Status WritePortFile(const std::string& path, int port);

// Replaces `path` with `content` through a temporary file and a rename (no
// fsync). UNAVAILABLE naming the file on error.
absl::Status WriteFileAtomically(const std::string& path, const std::string& content);

// The same, and durable when it returns: the temporary file is fsynced
// before the rename and the directory after it, so a host crash leaves
// either the old or the new content. For state a restart relies on (storage's
// read-lease file). Takes milliseconds: not for a hot path under a lock.
absl::Status WriteFileDurably(const std::string& path, const std::string& content);

}  // namespace zb

#endif  // ZHIBIAO_COMMON_BASE_PORT_FILE_H_
