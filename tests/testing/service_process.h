// Test helpers that cross process boundaries: start a zhibiao service binary
// on an ephemeral loopback port (learned from its --port_file), wait until it
// reports SERVING, stop it with a signal; list a server's services through
// gRPC reflection.
#ifndef ZHIBIAO_TESTS_TESTING_SERVICE_PROCESS_H_
#define ZHIBIAO_TESTS_TESTING_SERVICE_PROCESS_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/process/process.h"

namespace zb::testing {

// A fresh, empty directory under the test temp dir ($TEST_TMPDIR or /tmp),
// removed when the test program exits with every test passed (kept for
// its logs otherwise).
std::string MakeTempDir(const std::string& prefix);

// One running service binary. Not thread-safe.
class ServiceProcess {
 public:
  // Starts `binary` (a name in the build's bin folder) with
  // --listen=127.0.0.1:0 --port_file=... plus `args`; waits for the port.
  static absl::StatusOr<std::unique_ptr<ServiceProcess>> Start(const std::string& binary,
                                                               const std::vector<std::string>& args,
                                                               const std::string& work_dir,
                                                               const std::string& name);

  // Waits until grpc.health.v1 says SERVING for `service`.
  absl::Status WaitServing(const std::string& service, absl::Duration timeout);

  const std::string& address() const { return address_; }
  int port() const { return port_; }
  std::shared_ptr<grpc::Channel> channel() const { return channel_; }
  const std::string& log_path() const { return log_path_; }
  pid_t pid() const { return process_.pid(); }
  std::string ReadLog() const;

  bool Signal(int signal_number) { return process_.Signal(signal_number); }
  std::optional<int> Wait(absl::Duration timeout) { return process_.Wait(timeout); }

 private:
  ServiceProcess(Process process, int port, std::string log_path);
  Process process_;
  int port_;
  std::string address_;
  std::string log_path_;
  std::shared_ptr<grpc::Channel> channel_;
};

// The KEY=VALUE lines of a file such as `zhibiao up`'s DATA_DIR/run/env
// (empty when it cannot be read).
std::map<std::string, std::string> ReadEnvFile(const std::string& path);
// The same, waiting up to `timeout` for the file to hold a line.
std::map<std::string, std::string> WaitForEnvFile(const std::string& path, absl::Duration timeout);

// Resident set size of process `pid` now ("VmRSS") or at its peak
// ("VmHWM"), in KiB from /proc; -1 when it cannot be read.
int64_t ProcessMemoryKb(pid_t pid, const std::string& field);

// The full names of the services a server lists through reflection.
absl::StatusOr<std::vector<std::string>> ListServicesByReflection(
    const std::shared_ptr<grpc::Channel>& channel);

// GET http://127.0.0.1:port/metrics (a service's --metrics_listen); the
// body, or "" on failure.
std::string HttpGetMetrics(int port);

// The value of the first sample line of `metrics` that starts with `series`
// (name and labels as Prometheus prints them), or -1.
double MetricSample(const std::string& metrics, const std::string& series);

}  // namespace zb::testing

#endif  // ZHIBIAO_TESTS_TESTING_SERVICE_PROCESS_H_
