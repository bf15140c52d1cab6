#include "tests/testing/service_process.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>

#include <grpcpp/generic/generic_stub.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/rpc/channels.h"
#include "gtest/gtest.h"

namespace zb::testing {

namespace {

// Directories made by MakeTempDir, removed at exit when every test passed.
std::mutex temp_dirs_mu;
std::vector<std::string>* temp_dirs = nullptr;

void RemoveTempDirsIfPassed() {
  std::lock_guard<std::mutex> lock(temp_dirs_mu);
  if (temp_dirs == nullptr || !::testing::UnitTest::GetInstance()->Passed()) return;
  std::error_code ignored;
  for (const std::string& dir : *temp_dirs) std::filesystem::remove_all(dir, ignored);
}

}  // namespace

std::string MakeTempDir(const std::string& prefix) {
  static std::atomic<int> counter{0};
  const char* base = std::getenv("TEST_TMPDIR");
  std::string root = base != nullptr ? base : std::filesystem::temp_directory_path().string();
  std::string dir = absl::StrCat(root, "/zb_", prefix, "_", getpid(), "_", counter++);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::lock_guard<std::mutex> lock(temp_dirs_mu);
  if (temp_dirs == nullptr) {
    temp_dirs = new std::vector<std::string>();
    std::atexit(&RemoveTempDirsIfPassed);
  }
  temp_dirs->push_back(dir);
  return dir;
}

ServiceProcess::ServiceProcess(Process process, int port, std::string log_path)
    : process_(std::move(process)),
      port_(port),
      address_(absl::StrCat("127.0.0.1:", port)),
      log_path_(std::move(log_path)),
      channel_(MakeChannel(address_)) {}

absl::StatusOr<std::unique_ptr<ServiceProcess>> ServiceProcess::Start(
    const std::string& binary, const std::vector<std::string>& args, const std::string& work_dir,
    const std::string& name) {
  const std::string port_file = absl::StrCat(work_dir, "/", name, ".port");
  const std::string log = absl::StrCat(work_dir, "/", name, ".log");
  std::filesystem::remove(port_file);
  std::vector<std::string> argv = {absl::StrCat(ZB_BINARY_DIR, "/", binary), "--listen=127.0.0.1:0",
                                   absl::StrCat("--port_file=", port_file)};
  argv.insert(argv.end(), args.begin(), args.end());
  absl::StatusOr<Process> process = Process::Start(argv, log);
  if (!process.ok()) return process.status();
  absl::StatusOr<int> port = WaitForPortFile(port_file, absl::Seconds(30));
  if (!port.ok()) {
    return absl::UnavailableError(
        absl::StrCat(binary, " did not start: ", port.status().message()));
  }
  return std::unique_ptr<ServiceProcess>(new ServiceProcess(*std::move(process), *port, log));
}

absl::Status ServiceProcess::WaitServing(const std::string& service, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  std::string last = "no answer";
  while (absl::Now() < deadline) {
    absl::StatusOr<std::string> status = CheckHealth(channel_, service, absl::Milliseconds(500));
    if (status.ok() && *status == "SERVING") return absl::OkStatus();
    last = status.ok() ? *status : std::string(status.status().message());
    absl::SleepFor(absl::Milliseconds(50));
  }
  return absl::DeadlineExceededError(absl::StrCat(service, " at ", address_, ": ", last));
}

std::string ServiceProcess::ReadLog() const {
  std::ifstream in(log_path_);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

absl::StatusOr<std::vector<std::string>> ListServicesByReflection(
    const std::shared_ptr<grpc::Channel>& channel) {
  // grpc.reflection.v1alpha.ServerReflectionRequest{list_services: ""} is
  // field 7, length 0. The response carries each service name as a string;
  // read them without the reflection .proto (Debian ships none).
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  SetTimeout(&context, absl::Seconds(5));
  grpc::CompletionQueue cq;
  auto call = stub.PrepareCall(
      &context, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &cq);
  void* tag;
  bool ok;
  auto step = [&](int expected) {
    return cq.Next(&tag, &ok) && ok && tag == reinterpret_cast<void*>(expected);
  };
  call->StartCall(reinterpret_cast<void*>(1));
  if (!step(1)) return absl::UnavailableError("reflection call did not start");
  const char request_bytes[] = {0x3A, 0x00};
  grpc::Slice slice(request_bytes, sizeof(request_bytes));
  grpc::ByteBuffer request(&slice, 1);
  call->Write(request, reinterpret_cast<void*>(2));
  if (!step(2)) return absl::UnavailableError("reflection write failed");
  call->WritesDone(reinterpret_cast<void*>(3));
  if (!step(3)) return absl::UnavailableError("reflection writes-done failed");
  grpc::ByteBuffer response;
  call->Read(&response, reinterpret_cast<void*>(4));
  if (!step(4)) return absl::UnavailableError("reflection read failed");
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(5));
  cq.Next(&tag, &ok);
  std::vector<grpc::Slice> slices;
  if (!response.Dump(&slices).ok()) return absl::InternalError("cannot read response");
  std::string bytes;
  for (const auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  // ServerReflectionResponse.list_services_response (6) → ListServiceResponse.service (1)
  // → ServiceResponse.name (1). Walk the nested length-delimited fields.
  std::vector<std::string> names;
  auto read_varint = [](const std::string& b, size_t* i, uint64_t* v) {
    *v = 0;
    for (int shift = 0; *i < b.size() && shift < 64; shift += 7) {
      const uint8_t c = static_cast<uint8_t>(b[(*i)++]);
      *v |= static_cast<uint64_t>(c & 0x7F) << shift;
      if ((c & 0x80) == 0) return true;
    }
    return false;
  };
  std::function<void(const std::string&, int)> walk = [&](const std::string& b, int depth) {
    size_t i = 0;
    while (i < b.size()) {
      uint64_t key = 0, len = 0;
      if (!read_varint(b, &i, &key)) return;
      const int field = static_cast<int>(key >> 3), wire = static_cast<int>(key & 7);
      if (wire == 0) {
        uint64_t ignored;
        if (!read_varint(b, &i, &ignored)) return;
        continue;
      }
      if (wire != 2 || !read_varint(b, &i, &len) || i + len > b.size()) return;
      const std::string inner = b.substr(i, len);
      i += len;
      if (depth == 0 && field == 6)
        walk(inner, 1);
      else if (depth == 1 && field == 1)
        walk(inner, 2);
      else if (depth == 2 && field == 1)
        names.push_back(inner);
    }
  };
  walk(bytes, 0);
  if (names.empty()) return absl::NotFoundError("reflection listed no services");
  return names;
}

// GET http://127.0.0.1:port/metrics; the body, or "" on failure.
std::string HttpGetMetrics(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string out;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    const std::string request = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (::write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
      char buffer[8192];
      ssize_t n;
      while ((n = ::read(fd, buffer, sizeof(buffer))) > 0)
        out.append(buffer, static_cast<size_t>(n));
    }
  }
  ::close(fd);
  const size_t body = out.find("\r\n\r\n");
  return body == std::string::npos ? "" : out.substr(body + 4);
}

// The value of the first sample line that starts with `series` (name and
// labels as Prometheus prints them), or -1.
double MetricSample(const std::string& metrics, const std::string& series) {
  for (absl::string_view line : absl::StrSplit(metrics, '\n')) {
    if (!absl::StartsWith(line, series)) continue;
    const size_t space = line.rfind(' ');
    double value = 0;
    if (space != absl::string_view::npos && absl::SimpleAtod(line.substr(space + 1), &value)) {
      return value;
    }
  }
  return -1;
}

std::map<std::string, std::string> ReadEnvFile(const std::string& path) {
  std::map<std::string, std::string> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    const size_t eq = line.find('=');
    if (eq != std::string::npos) out[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return out;
}

std::map<std::string, std::string> WaitForEnvFile(const std::string& path, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    std::map<std::string, std::string> env = ReadEnvFile(path);
    if (!env.empty()) return env;
    absl::SleepFor(absl::Milliseconds(100));
  }
  return {};
}

int64_t ProcessMemoryKb(pid_t pid, const std::string& field) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) != 0) continue;
    int64_t kb = -1;
    if (absl::SimpleAtoi(absl::StripAsciiWhitespace(absl::StripSuffix(
                             absl::StripAsciiWhitespace(line.substr(field.size() + 1)), "kB")),
                         &kb)) {
      return kb;
    }
  }
  return -1;
}

}  // namespace zb::testing
