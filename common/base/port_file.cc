#include "common/base/port_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"

namespace zb {

absl::Status WriteFileAtomically(const std::string& path, const std::string& content) {
  const std::string tmp = absl::StrCat(path, ".tmp");
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) return absl::UnavailableError(absl::StrCat("cannot write ", tmp));
    out << content;
    if (!out.flush()) return absl::UnavailableError(absl::StrCat("cannot write ", tmp));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::UnavailableError(absl::StrCat("cannot rename ", tmp, " to ", path));
  }
  return absl::OkStatus();
}

absl::Status WriteFileDurably(const std::string& path, const std::string& content) {
  const std::string tmp = absl::StrCat(path, ".tmp");
  auto fail = [&](const std::string& what) {
    return absl::UnavailableError(absl::StrCat("cannot ", what, ": ", std::strerror(errno)));
  };
  const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return fail(absl::StrCat("create ", tmp));
  size_t written = 0;
  while (written < content.size()) {
    const ssize_t n = write(fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      absl::Status s = fail(absl::StrCat("write ", tmp));
      close(fd);
      return s;
    }
    written += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0) {
    absl::Status s = fail(absl::StrCat("sync ", tmp));
    close(fd);
    return s;
  }
  if (close(fd) != 0) return fail(absl::StrCat("close ", tmp));
  if (std::rename(tmp.c_str(), path.c_str()) != 0)
    return fail(absl::StrCat("rename ", tmp, " to ", path));
  const std::string dir = std::filesystem::path(path).parent_path().string();
  const int dir_fd = open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return fail(absl::StrCat("open directory ", dir));
  const int synced = fsync(dir_fd);
  close(dir_fd);
  if (synced != 0) return fail(absl::StrCat("sync directory ", dir));
  return absl::OkStatus();
}

absl::Status WritePortFile(const std::string& path, int port) {
  return WriteFileAtomically(path, absl::StrCat(port, "\n"));
}

}  // namespace zb
