// Transport security and call authorisation for every zhibiao service:
// TLS (and mutual TLS) credentials from PEM files, bearer tokens with scopes
// loaded from a file that can be re-read while serving (SIGHUP), the check
// each RPC makes before it does anything, and the client side that presents
// a token on every outgoing call.
//
// Tokens file: one token a line, `NAME SCOPES TOKEN`, SCOPES a comma list of
// ingest, query, admin and store; blank lines and lines starting with '#' are
// skipped. Only SHA-256 digests of the tokens are kept in memory. Scope
// store (storage's PutReport) belongs to the ingest service alone.
#ifndef ZHIBIAO_COMMON_RPC_AUTH_H_
#define ZHIBIAO_COMMON_RPC_AUTH_H_

#include <cstdint>
#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace zb {

// What a token allows. Health checks need none.
enum class Scope : uint32_t {
  kIngest = 1,  // ingest's Ingest/IngestStream/Parse
  kQuery = 2,   // every query RPC; storage's reads
  kAdmin = 4,   // storage's DeleteReport, SettleReport, Checkpoint, GetStats, Verify
  kStore = 8,   // storage's PutReport: the ingest service's own identity, so
                // a client's ingest token cannot write around extraction
};
absl::string_view ScopeName(Scope scope);

// Certificates and keys as PEM files; empty paths mean "not used".
struct TlsFiles {
  std::string cert;                  // this process's certificate chain
  std::string key;                   // its private key
  std::string ca;                    // CA bundle that peers' certificates must chain to
  bool require_client_cert = false;  // servers: mutual TLS
  bool enabled() const { return !cert.empty() || !key.empty() || !ca.empty(); }
};

// Server credentials: insecure without cert and key; TLS with both; with
// require_client_cert, clients must present a certificate signed by `ca`.
// INVALID_ARGUMENT naming the file or flag when they do not fit together.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const TlsFiles& files);

// Channel credentials: insecure when nothing is set; else TLS verifying the
// server against `ca` (the system's roots when empty) and presenting cert and
// key when both are set (for servers that require client certificates).
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeChannelCredentials(
    const TlsFiles& files);

// The tokens a server accepts. Thread-safe; Reload() swaps the whole set.
class TokenStore {
 public:
  struct Identity {
    std::string name;
    uint32_t scopes = 0;  // Scope bits
  };

  // Reads `path`; INVALID_ARGUMENT naming the line for a malformed one.
  static absl::StatusOr<std::unique_ptr<TokenStore>> Load(const std::string& path);
  // Parses a tokens file's text (exposed for tests).
  static absl::StatusOr<absl::flat_hash_map<std::string, Identity>> Parse(absl::string_view text);

  // Re-reads the file; on error keeps the tokens it had and says why.
  absl::Status Reload() ABSL_LOCKS_EXCLUDED(mu_);
  // The identity of `token`, or NOT_FOUND.
  absl::StatusOr<Identity> Find(absl::string_view token) const ABSL_LOCKS_EXCLUDED(mu_);
  size_t size() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  explicit TokenStore(std::string path) : path_(std::move(path)) {}
  const std::string path_;
  mutable absl::Mutex mu_;
  // SHA-256 of the token (raw bytes) -> who it is.
  absl::flat_hash_map<std::string, Identity> by_digest_ ABSL_GUARDED_BY(mu_);
};

// Checks each call's bearer token (metadata `authorization: Bearer TOKEN`)
// against a TokenStore. Without a store every call is allowed. Thread-safe.
class Authorizer {
 public:
  explicit Authorizer(const TokenStore* tokens) : tokens_(tokens) {}

  // The caller's name (the token's NAME, or the peer address without a
  // store); UNAUTHENTICATED for a missing or unknown token, PERMISSION_DENIED
  // for a token without `scope`.
  absl::StatusOr<std::string> Check(const grpc::ServerContextBase& context, Scope scope) const;

  // For callback handlers: true when the call may go on; otherwise finishes
  // `reactor` with the refusal and returns false.
  bool Allow(grpc::CallbackServerContext* context, Scope scope,
             grpc::ServerUnaryReactor* reactor) const;

 private:
  const TokenStore* const tokens_;
};

// The token a client presents: read from a file (first line, trimmed) and
// re-read on Reload(). Thread-safe.
class BearerToken {
 public:
  static absl::StatusOr<std::shared_ptr<BearerToken>> Load(const std::string& path);
  static std::shared_ptr<BearerToken> Fixed(std::string token);
  absl::Status Reload() ABSL_LOCKS_EXCLUDED(mu_);
  std::string Get() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  BearerToken(std::string path, std::string token)
      : path_(std::move(path)), token_(std::move(token)) {}
  const std::string path_;
  mutable absl::Mutex mu_;
  std::string token_ ABSL_GUARDED_BY(mu_);
};

// Client interceptors that add `authorization: Bearer TOKEN` to every call
// made on a channel (works on plaintext channels too, unlike gRPC's call
// credentials, which refuse to travel without TLS).
std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface> MakeBearerTokenInterceptor(
    std::shared_ptr<BearerToken> token);

}  // namespace zb

#endif  // ZHIBIAO_COMMON_RPC_AUTH_H_
