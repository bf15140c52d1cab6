// Child processes for launchers and tests: start a program with extra
// environment and its output in a log file, signal it, wait with a bound.
#ifndef ZHIBIAO_COMMON_PROCESS_PROCESS_H_
#define ZHIBIAO_COMMON_PROCESS_PROCESS_H_

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace zb {

// One child process. Not thread-safe. The destructor kills (SIGKILL) and
// reaps a child that is still running.
class Process {
 public:
  // Starts argv[0] (a path) with `argv`; stdout and stderr go to `log_path`
  // (appended) or, when empty, are inherited.
  static absl::StatusOr<Process> Start(const std::vector<std::string>& argv,
                                       const std::string& log_path = "");
  Process(Process&& other) noexcept;
  Process& operator=(Process&& other) noexcept;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  ~Process();

  pid_t pid() const { return pid_; }
  bool Signal(int signal_number);
  // Waits up to `timeout` for the child to exit. Returns its exit code, or
  // 128+signal if a signal ended it, or nullopt if it is still running.
  std::optional<int> Wait(absl::Duration timeout);
  bool running() const { return pid_ > 0; }

 private:
  explicit Process(pid_t pid) : pid_(pid) {}
  pid_t pid_ = -1;
};

// Directory of the running executable (from /proc/self/exe).
std::string ExecutableDir();

// Reads an integer port from `path`, waiting up to `timeout` for the file to
// appear (servers write it with --port_file once they listen).
absl::StatusOr<int> WaitForPortFile(const std::string& path, absl::Duration timeout);

}  // namespace zb

#endif  // ZHIBIAO_COMMON_PROCESS_PROCESS_H_
