// The server set-up every zhibiao service shares: listen address and port
// file, gRPC health checking, server reflection, keepalive, message size
// limit, a structured log line per failed or slow request, and graceful
// shutdown.
//
// Typical main():
//   zb::BlockTerminationSignals();            // before any thread starts
//   ... parse flags, open dependencies ...
//   ZB_ASSIGN_OR_RETURN(auto server, zb::Server::Start(options, {&service}));
//   server->SetServing(true);
//   zb::WaitForTerminationSignal();
//   server->Shutdown();
#ifndef ZHIBIAO_COMMON_RPC_SERVER_H_
#define ZHIBIAO_COMMON_RPC_SERVER_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace zb {

struct ServerOptions {
  // "HOST:PORT"; port 0 picks a free port (see port_file).
  std::string listen = "127.0.0.1:0";
  // When not empty, the selected port is written here (atomically, by rename)
  // once the server accepts calls, so tests and launchers never guess ports.
  std::string port_file;
  // Largest request message, in bytes; larger ones are refused by gRPC with
  // RESOURCE_EXHAUSTED before any handler runs.
  int max_message_bytes = 64 << 20;
  // Largest response message, in bytes (0: the same as max_message_bytes).
  int max_send_message_bytes = 0;
  // How long Shutdown() lets in-flight calls finish before cancelling them.
  absl::Duration shutdown_grace = absl::Seconds(4);
  // Name used in log lines ("ingest", "storage", "query").
  std::string name;
  // Every call gets an "rpc" line: a failed one at warning, one that took at
  // least this long at info, the others at debug (at thousands of calls a
  // second, a line each would be gigabytes a day; the metrics count them).
  absl::Duration slow_call = absl::Seconds(1);
  // Fully qualified service names whose health status SetServing() sets
  // (the whole-server status "" is always set too).
  std::vector<std::string> health_service_names;
  // Transport security of the main port (insecure when null).
  std::shared_ptr<grpc::ServerCredentials> credentials;
  // When not empty, the same services also on this Unix domain socket (a
  // path; a stale socket file there is replaced), with the same
  // credentials: for clients on the same host, a cheaper transport than TCP.
  std::string unix_socket;
  // When not empty, a second, plaintext port serving only grpc.health.v1
  // with the same status: for probes that cannot speak TLS (kubelet).
  std::string health_listen;
  std::string health_port_file;
  // Called for every finished call (not health or reflection): what
  // Prometheus counts. May be empty.
  std::function<void(absl::string_view method, grpc::StatusCode code, absl::Duration latency)>
      on_call_done;
};

// A reactor for a bidi-streaming call that ends it at once with `status`
// (a refused token, a feature turned off); it deletes itself when done.
template <typename Request, typename Response>
grpc::ServerBidiReactor<Request, Response>* RefuseStream(grpc::Status status) {
  class Refused : public grpc::ServerBidiReactor<Request, Response> {
   public:
    explicit Refused(grpc::Status s) { this->Finish(std::move(s)); }
    void OnDone() override { delete this; }
  };
  return new Refused(std::move(status));
}

// The call's x-request-id metadata (at most 128 bytes), or "".
std::string IncomingRequestId(const grpc::ServerContextBase& context);
// The request id of a call: its x-request-id metadata, or a new random one.
std::string RequestIdOf(const grpc::ServerContextBase& context);

// A started gRPC server. Thread-safe.
class Server {
 public:
  // Builds and starts a server for `services` (not owned; they must outlive
  // the Server). Health starts NOT_SERVING until SetServing(true).
  static absl::StatusOr<std::unique_ptr<Server>> Start(const ServerOptions& options,
                                                       const std::vector<grpc::Service*>& services);
  ~Server();

  int port() const { return port_; }
  // "127.0.0.1:7400": the listen host with the selected port.
  const std::string& address() const { return address_; }

  // Sets grpc.health.v1 status for "" and every health service name.
  void SetServing(bool serving);

  // Marks the server NOT_SERVING, stops accepting calls, waits up to
  // shutdown_grace for in-flight calls, then cancels what is left. Idempotent.
  void Shutdown();

  // An in-process channel to this server (for tests and local clients).
  std::shared_ptr<grpc::Channel> InProcessChannel();

 private:
  Server(ServerOptions options, std::unique_ptr<grpc::Server> server, int port,
         std::unique_ptr<std::atomic<int>> in_flight);
  static absl::Status StartHealthServer(Server* server);

  const ServerOptions options_;
  std::unique_ptr<grpc::Server> server_;
  const int port_;
  std::string address_;
  std::unique_ptr<grpc::Server> health_server_;  // --health_listen
  std::atomic<bool> shut_down_{false};
  std::unique_ptr<std::atomic<int>> in_flight_;  // calls between interceptor creation and end
};

// Blocks SIGTERM, SIGINT and SIGHUP in the calling thread and every thread
// it starts later. Call first thing in main().
void BlockTerminationSignals();

// Waits for SIGTERM or SIGINT (blocked by BlockTerminationSignals) and
// returns the signal number; runs `on_hangup` for every SIGHUP meanwhile.
int WaitForTerminationSignal(const std::function<void()>& on_hangup = nullptr);

}  // namespace zb

#endif  // ZHIBIAO_COMMON_RPC_SERVER_H_
