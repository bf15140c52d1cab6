// `zhibiao health`, `zhibiao probe` and `zhibiao up`: checking services, and
// running the whole suite on one machine.
#include "common/doc/metadata.h"
#include "tools/zhibiao/cli.h"
#include "tools/zhibiao/cli_calls.h"
#include "tools/zhibiao/cli_output.h"
#include "tools/zhibiao/hints.h"

#include <fnmatch.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <sstream>
#include <thread>

#include <google/protobuf/util/json_util.h>
#include <httplib.h>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/base/logging.h"
#include "common/extract/quantities.h"
#include "common/pipeline/report_builder.h"
#include "common/process/process.h"
#include "common/regions/regions.h"
#include "common/rpc/channels.h"
#include "common/webapi/answer_tables.h"
#include "common/webapi/table_files.h"
#include "zhibiao/v1/ingest.grpc.pb.h"
#include "zhibiao/v1/query.grpc.pb.h"
#include "zhibiao/v1/storage.grpc.pb.h"

namespace zb::cli {

namespace fs = std::filesystem;

int Health(const CliOptions& options) {
  struct Target {
    std::string name;
    std::string address;
    std::string service;
  };
  std::vector<Target> targets = {{"ingest", options.ingest_addr, "zhibiao.v1.IngestService"},
                                 {"query", options.query_addr, "zhibiao.v1.QueryService"}};
  int i = 0;
  for (const std::string& a : SplitList(options.storage_addrs)) {
    targets.push_back({absl::StrCat("storage-", i++), a, "zhibiao.v1.StorageService"});
  }
  bool all = true;
  for (const Target& t : targets) {
    absl::StatusOr<std::string> status =
        CheckHealth(CliChannel(options, t.address, /*connect=*/false), t.service, absl::Seconds(3));
    const std::string state =
        status.ok() ? *status : absl::StrCat("UNREACHABLE (", status.status().message(), ")");
    all = all && status.ok() && *status == "SERVING";
    std::printf("%-10s %-22s %s\n", t.name.c_str(), t.address.c_str(), state.c_str());
  }
  return all ? 0 : 1;
}

namespace {

// The health an HTTP service (zhibiao-web) reports at `url`
// ("http://HOST:PORT", path /healthz unless given): "SERVING" for 200, else
// "NOT_SERVING"; UNAVAILABLE when nothing answers.
absl::StatusOr<std::string> CheckHttpHealth(const std::string& url, absl::Duration timeout) {
  absl::string_view rest = url;
  const bool https = absl::ConsumePrefix(&rest, "https://");
  if (!https) absl::ConsumePrefix(&rest, "http://");
  const size_t slash = rest.find('/');
  const std::string host_port(rest.substr(0, slash));
  const std::string path =
      slash == absl::string_view::npos ? "/healthz" : std::string(rest.substr(slash));
  httplib::Client client(absl::StrCat(https ? "https://" : "http://", host_port));
  // A health probe asks a process on its own host whether it serves, not who
  // it is: the certificate is not checked (the service's name is not 127.0.0.1).
  if (https) client.enable_server_certificate_verification(false);
  const auto micros = absl::ToInt64Microseconds(timeout);
  client.set_connection_timeout(micros / 1000000, micros % 1000000);
  client.set_read_timeout(micros / 1000000, micros % 1000000);
  httplib::Result result = client.Get(path);
  if (!result) {
    return absl::UnavailableError(
        absl::StrCat("no answer from ", url, ": ", httplib::to_string(result.error())));
  }
  return result->status == 200 ? std::string("SERVING") : std::string("NOT_SERVING");
}

}  // namespace

int Probe(const CliOptions& options, const std::vector<std::string>& args) {
  if (args.size() != 1) {
    std::fprintf(stderr,
                 "usage: zhibiao probe HOST:PORT [--service=NAME] | zhibiao probe "
                 "http://HOST:PORT[/PATH]\n");
    return 2;
  }
  const bool http = absl::StartsWith(args[0], "http://") || absl::StartsWith(args[0], "https://");
  absl::StatusOr<std::string> status =
      http ? CheckHttpHealth(args[0], options.timeout)
           : CheckHealth(CliChannel(options, args[0], /*connect=*/false), options.service,
                         options.timeout);
  if (!status.ok()) {
    std::fprintf(stderr, "%s: %s\n", args[0].c_str(),
                 std::string(status.status().message()).c_str());
    return 1;
  }
  std::printf("%s\n", status->c_str());
  return *status == "SERVING" ? 0 : 1;
}

namespace {

// The suite `zhibiao up` runs: its processes, started in order (storage
// shards, ingest and query replicas, web), watched and restarted as a
// container orchestrator would, and stopped in reverse order.
class LocalSuite {
 public:
  LocalSuite(const CliOptions& options, std::string run_dir)
      : options_(options), bin_(ExecutableDir()), run_dir_(std::move(run_dir)) {}

  // Starts every process and waits until each says SERVING (60 s at most).
  absl::Status Start() {
    absl::Status started = absl::OkStatus();
    for (int i = 0; i < options_.storage_shards && started.ok(); ++i) {
      const std::string dir = (fs::path(options_.data_dir) / absl::StrCat("shard-", i)).string();
      started =
          StartChild(absl::StrCat("storage-", i), "zhibiao-storage", "zhibiao.v1.StorageService",
                     PortFor(10 + i), {absl::StrCat("--data_dir=", dir)});
      if (started.ok()) storage_addresses_.push_back(children_.back().address);
    }
    const std::string storage_flag =
        absl::StrCat("--storage=", absl::StrJoin(storage_addresses_, ","));
    // Replica r of ingest listens on base_port+1+2r, of query on base_port+2+2r.
    for (int r = 0; r < options_.ingest_processes && started.ok(); ++r) {
      started = StartChild(options_.ingest_processes == 1 ? "ingest" : absl::StrCat("ingest-", r),
                           "zhibiao-ingest", "zhibiao.v1.IngestService", PortFor(1 + 2 * r),
                           {storage_flag});
      if (started.ok()) ingest_addresses_.push_back(children_.back().address);
    }
    for (int r = 0; r < options_.query_processes && started.ok(); ++r) {
      started = StartChild(options_.query_processes == 1 ? "query" : absl::StrCat("query-", r),
                           "zhibiao-query", "zhibiao.v1.QueryService", PortFor(2 + 2 * r),
                           {storage_flag});
      if (started.ok()) query_addresses_.push_back(children_.back().address);
    }
    // The dashboard and HTTP API (its health is HTTP: service "" below).
    if (started.ok()) {
      started = StartChild("web", "zhibiao-web", "", PortFor(80),
                           {absl::StrCat("--query=", Target(query_addresses_))});
      if (started.ok()) web_url_ = absl::StrCat("http://", children_.back().address, "/");
    }
    return started.ok() ? WaitUntilServing() : started;
  }

  // Prints where each process listens and writes RUN_DIR/env.
  void Announce() {
    for (const Child& c : children_) {
      std::printf("%-10s %-22s pid %d  log %s/%s.log\n", c.name.c_str(), c.address.c_str(),
                  c.process.pid(), run_dir_.c_str(), c.name.c_str());
    }
    WriteEnv();
    std::printf("dashboard  %s\n", web_url_.c_str());
    std::printf("zhibiao is up (data in %s). Ctrl-C stops it.\n", options_.data_dir.c_str());
    std::fflush(stdout);
  }

  // Restarts processes that exit until one of `signals` comes (then stops
  // the suite: 0 when every process exited cleanly) or one keeps dying (1).
  int Supervise(const sigset_t& signals) {
    while (true) {
      timespec wait = {0, 500 * 1000 * 1000};
      const int sig = sigtimedwait(&signals, nullptr, &wait);
      if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP) {
        std::printf("\nstopping...\n");
        return StopAll();
      }
      for (Child& c : children_) {
        if (absl::Status restarted = RestartIfExited(&c); !restarted.ok()) {
          std::fprintf(stderr, "%s\n", std::string(restarted.message()).c_str());
          StopAll();
          return 1;
        }
      }
    }
  }

  // Stops every process, stateless services first so nothing writes while
  // storage drains; 1 when one did not exit cleanly.
  int StopAll() {
    int worst = 0;
    for (auto it = children_.rbegin(); it != children_.rend(); ++it) {
      if (!it->process.running()) continue;
      it->process.Signal(SIGTERM);
      std::optional<int> code = it->process.Wait(absl::Seconds(10));
      if (!code) {
        it->process.Signal(SIGKILL);
        code = it->process.Wait(absl::Seconds(5));
      }
      std::printf("stopped %-10s exit %d\n", it->name.c_str(), code.value_or(-1));
      if (code.value_or(-1) != 0) worst = 1;
    }
    return worst;
  }

 private:
  struct Child {
    std::string name;
    std::string service;  // the gRPC health service name; "" for HTTP health
    Process process;
    std::string address;
    std::vector<std::string> argv;  // to start it again on the same address
    std::string log;
    std::vector<absl::Time> restarts;  // within the last minute
  };

  int PortFor(int offset) const {
    return options_.base_port == 0 ? 0 : options_.base_port + offset;
  }
  // Several replicas are one gRPC target, balanced round robin by the client.
  static std::string Target(const std::vector<std::string>& addresses) {
    return addresses.size() == 1 ? addresses[0]
                                 : absl::StrCat("ipv4:", absl::StrJoin(addresses, ","));
  }

  absl::Status StartChild(const std::string& name, const std::string& program,
                          const std::string& service, int port, std::vector<std::string> extra) {
    const std::string port_file = (fs::path(run_dir_) / (name + ".port")).string();
    std::error_code ec;
    fs::remove(port_file, ec);
    std::vector<std::string> argv = {(fs::path(bin_) / program).string(),
                                     absl::StrCat("--listen=", options_.listen_host, ":", port),
                                     absl::StrCat("--port_file=", port_file)};
    argv.insert(argv.end(), extra.begin(), extra.end());
    const std::string log = (fs::path(run_dir_) / (name + ".log")).string();
    absl::StatusOr<Process> p = Process::Start(argv, log);
    if (!p.ok()) return p.status();
    children_.push_back({name, service, *std::move(p), "", argv, log, {}});
    absl::StatusOr<int> chosen = WaitForPortFile(port_file, absl::Seconds(30));
    if (!chosen.ok()) {
      return absl::UnavailableError(absl::StrCat(name, " did not start; see ", log));
    }
    children_.back().address = absl::StrCat(options_.listen_host, ":", *chosen);
    return absl::OkStatus();
  }

  absl::Status WaitUntilServing() {
    const absl::Time deadline = absl::Now() + absl::Seconds(60);
    for (const Child& c : children_) {
      while (true) {
        auto status =
            c.service.empty()
                ? CheckHttpHealth(absl::StrCat("http://", c.address), absl::Milliseconds(500))
                : CheckHealth(MakeChannel(c.address), c.service, absl::Milliseconds(500));
        if (status.ok() && *status == "SERVING") break;
        if (absl::Now() > deadline) {
          return absl::UnavailableError(absl::StrCat(c.name, " is not SERVING after 60 s"));
        }
        absl::SleepFor(absl::Milliseconds(100));
      }
    }
    return absl::OkStatus();
  }

  // A file other tools can source to find this suite (and tests, its processes).
  void WriteEnv() {
    const std::string path = (fs::path(run_dir_) / "env").string();
    std::ofstream env(path + ".tmp", std::ios::trunc);
    env << "ZHIBIAO_INGEST_ADDR=" << Target(ingest_addresses_)
        << "\nZHIBIAO_QUERY_ADDR=" << Target(query_addresses_)
        << "\nZHIBIAO_STORAGE_ADDR=" << absl::StrJoin(storage_addresses_, ",")
        << "\nZHIBIAO_WEB_URL=" << web_url_ << "\n";
    for (const Child& c : children_) {
      std::string name = absl::AsciiStrToUpper(c.name);
      std::replace(name.begin(), name.end(), '-', '_');
      env << "ZHIBIAO_PID_" << name << "=" << c.process.pid() << "\n";
    }
    env.close();
    std::error_code ec;
    fs::rename(path + ".tmp", path, ec);
  }

  // A process that exited is started again on its own address; one that
  // exited six times within a minute is an error.
  absl::Status RestartIfExited(Child* c) {
    std::optional<int> code = c->process.Wait(absl::ZeroDuration());
    if (!code) return absl::OkStatus();
    const absl::Time now = absl::Now();
    c->restarts.push_back(now);
    while (!c->restarts.empty() && now - c->restarts.front() > absl::Minutes(1)) {
      c->restarts.erase(c->restarts.begin());
    }
    if (c->restarts.size() > 5) {
      return absl::UnavailableError(absl::StrCat(c->name, " exited (code ", *code,
                                                 ") 6 times within a minute; stopping the suite"));
    }
    std::vector<std::string> argv = c->argv;
    argv[1] = absl::StrCat("--listen=", c->address);
    absl::StatusOr<Process> again = Process::Start(argv, c->log);
    if (!again.ok()) {
      return absl::UnavailableError(
          absl::StrCat("cannot restart ", c->name, ": ", again.status().message()));
    }
    c->process = *std::move(again);
    std::fprintf(stderr, "%s exited (code %d); restarted on %s, pid %d\n", c->name.c_str(), *code,
                 c->address.c_str(), c->process.pid());
    WriteEnv();
    return absl::OkStatus();
  }

  const CliOptions& options_;
  const std::string bin_;
  const std::string run_dir_;
  std::vector<Child> children_;
  std::vector<std::string> storage_addresses_, ingest_addresses_, query_addresses_;
  std::string web_url_;
};

}  // namespace

int Up(const CliOptions& options) {
  // Ctrl-C, SIGTERM and SIGHUP (the terminal went away) are taken by the
  // wait in Supervise and stop every child (services treat SIGHUP as
  // "re-read the tokens", so they would otherwise outlive a closed terminal).
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  if (options.storage_shards < 1 || options.storage_shards > 64) {
    std::fprintf(stderr, "--storage_shards must be 1..64\n");
    return 2;
  }
  if (options.ingest_processes < 1 || options.ingest_processes > 16 ||
      options.query_processes < 1 || options.query_processes > 16) {
    std::fprintf(stderr, "--ingest and --query (process counts) must be 1..16\n");
    return 2;
  }
  const std::string run_dir =
      options.run_dir.empty() ? (fs::path(options.data_dir) / "run").string() : options.run_dir;
  std::error_code ec;
  fs::create_directories(run_dir, ec);
  if (ec) {
    std::fprintf(stderr, "cannot create %s: %s\n", run_dir.c_str(), ec.message().c_str());
    return 1;
  }
  LocalSuite suite(options, run_dir);
  if (absl::Status started = suite.Start(); !started.ok()) {
    std::fprintf(stderr, "zhibiao up: %s\n", std::string(started.message()).c_str());
    suite.StopAll();
    return 1;
  }
  suite.Announce();
  return suite.Supervise(signals);
}

}  // namespace zb::cli
