#include "common/rpc/auth.h"

#include <openssl/sha.h>

#include <fstream>
#include <sstream>
#include <utility>
#include <vector>

#include <grpcpp/support/client_interceptor.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/base/grpc_status.h"

namespace zb {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path, absl::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read ", what, " file ", path));
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string Digest(absl::string_view token) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof(digest));
}

}  // namespace

absl::string_view ScopeName(Scope scope) {
  switch (scope) {
    case Scope::kIngest: return "ingest";
    case Scope::kQuery: return "query";
    case Scope::kAdmin: return "admin";
    case Scope::kStore: return "store";
  }
  return "unknown";
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const TlsFiles& files) {
  if (files.cert.empty() && files.key.empty()) {
    if (files.require_client_cert) {
      return absl::InvalidArgumentError("--tls_require_client_cert needs --tls_cert and --tls_key");
    }
    return grpc::InsecureServerCredentials();
  }
  if (files.cert.empty() || files.key.empty()) {
    return absl::InvalidArgumentError("TLS needs both --tls_cert and --tls_key");
  }
  if (files.require_client_cert && files.ca.empty()) {
    return absl::InvalidArgumentError(
        "--tls_require_client_cert needs --tls_ca to verify client certificates");
  }
  absl::StatusOr<std::string> cert = ReadFile(files.cert, "--tls_cert");
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadFile(files.key, "--tls_key");
  if (!key.ok()) return key.status();
  grpc::SslServerCredentialsOptions options(
      files.require_client_cert ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                                : GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  if (!files.ca.empty()) {
    absl::StatusOr<std::string> ca = ReadFile(files.ca, "--tls_ca");
    if (!ca.ok()) return ca.status();
    options.pem_root_certs = *std::move(ca);
  }
  options.pem_key_cert_pairs.push_back({*std::move(key), *std::move(cert)});
  return grpc::SslServerCredentials(options);
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeChannelCredentials(
    const TlsFiles& files) {
  if (!files.enabled()) return grpc::InsecureChannelCredentials();
  if (files.cert.empty() != files.key.empty()) {
    return absl::InvalidArgumentError(
        "a client certificate needs both --tls_cert and --tls_key (or neither)");
  }
  grpc::SslCredentialsOptions options;
  if (!files.ca.empty()) {
    absl::StatusOr<std::string> ca = ReadFile(files.ca, "--tls_ca");
    if (!ca.ok()) return ca.status();
    options.pem_root_certs = *std::move(ca);
  }
  if (!files.cert.empty() && !files.key.empty()) {
    absl::StatusOr<std::string> cert = ReadFile(files.cert, "--tls_cert");
    if (!cert.ok()) return cert.status();
    absl::StatusOr<std::string> key = ReadFile(files.key, "--tls_key");
    if (!key.ok()) return key.status();
    options.pem_cert_chain = *std::move(cert);
    options.pem_private_key = *std::move(key);
  }
  return grpc::SslCredentials(options);
}

absl::StatusOr<absl::flat_hash_map<std::string, TokenStore::Identity>> TokenStore::Parse(
    absl::string_view text) {
  absl::flat_hash_map<std::string, Identity> out;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    std::vector<absl::string_view> fields =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipWhitespace());
    if (fields.size() != 3) {
      return absl::InvalidArgumentError(absl::StrCat(
          "tokens line ", line_number, ": want NAME SCOPES TOKEN, got ", fields.size(), " fields"));
    }
    Identity identity;
    identity.name = std::string(fields[0]);
    for (absl::string_view scope : absl::StrSplit(fields[1], ',', absl::SkipEmpty())) {
      if (scope == "ingest") {
        identity.scopes |= static_cast<uint32_t>(Scope::kIngest);
      } else if (scope == "query") {
        identity.scopes |= static_cast<uint32_t>(Scope::kQuery);
      } else if (scope == "admin") {
        identity.scopes |= static_cast<uint32_t>(Scope::kAdmin);
      } else if (scope == "store") {
        identity.scopes |= static_cast<uint32_t>(Scope::kStore);
      } else {
        return absl::InvalidArgumentError(absl::StrCat("tokens line ", line_number,
                                                       ": unknown scope \"", ShortQuote(scope, 40),
                                                       "\" (ingest, query, admin, store)"));
      }
    }
    if (fields[2].size() < 16) {
      return absl::InvalidArgumentError(absl::StrCat("tokens line ", line_number, ": token of ",
                                                     identity.name,
                                                     " is shorter than 16 characters"));
    }
    if (!out.emplace(Digest(fields[2]), std::move(identity)).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("tokens line ", line_number, ": the same token appears twice"));
    }
  }
  return out;
}

absl::StatusOr<std::unique_ptr<TokenStore>> TokenStore::Load(const std::string& path) {
  auto store = std::unique_ptr<TokenStore>(new TokenStore(path));
  if (absl::Status s = store->Reload(); !s.ok()) return s;
  return store;
}

absl::Status TokenStore::Reload() {
  absl::StatusOr<std::string> text = ReadFile(path_, "--tokens_file");
  if (!text.ok()) return text.status();
  absl::StatusOr<absl::flat_hash_map<std::string, Identity>> parsed = Parse(*text);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path_, ": ", parsed.status().message()));
  }
  absl::MutexLock lock(&mu_);
  by_digest_ = *std::move(parsed);
  return absl::OkStatus();
}

absl::StatusOr<TokenStore::Identity> TokenStore::Find(absl::string_view token) const {
  const std::string digest = Digest(token);
  absl::MutexLock lock(&mu_);
  auto it = by_digest_.find(digest);
  if (it == by_digest_.end()) return absl::NotFoundError("unknown token");
  return it->second;
}

size_t TokenStore::size() const {
  absl::MutexLock lock(&mu_);
  return by_digest_.size();
}

absl::StatusOr<std::string> Authorizer::Check(const grpc::ServerContextBase& context,
                                              Scope scope) const {
  if (tokens_ == nullptr) return context.peer();
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) {
    return absl::UnauthenticatedError(
        "missing credentials: send metadata \"authorization: Bearer TOKEN\"");
  }
  absl::string_view value(it->second.data(), it->second.size());
  if (!absl::ConsumePrefix(&value, "Bearer ") && !absl::ConsumePrefix(&value, "bearer ")) {
    return absl::UnauthenticatedError("authorization metadata is not \"Bearer TOKEN\"");
  }
  absl::StatusOr<TokenStore::Identity> identity = tokens_->Find(absl::StripAsciiWhitespace(value));
  if (!identity.ok()) return absl::UnauthenticatedError("unknown bearer token");
  if ((identity->scopes & static_cast<uint32_t>(scope)) == 0) {
    return absl::PermissionDeniedError(absl::StrCat("token \"", identity->name,
                                                    "\" does not have the scope \"",
                                                    ScopeName(scope), "\" this call needs"));
  }
  return identity->name;
}

bool Authorizer::Allow(grpc::CallbackServerContext* context, Scope scope,
                       grpc::ServerUnaryReactor* reactor) const {
  absl::StatusOr<std::string> who = Check(*context, scope);
  if (who.ok()) return true;
  reactor->Finish(ToGrpcStatus(who.status()));
  return false;
}

absl::StatusOr<std::shared_ptr<BearerToken>> BearerToken::Load(const std::string& path) {
  auto token = std::shared_ptr<BearerToken>(new BearerToken(path, ""));
  if (absl::Status s = token->Reload(); !s.ok()) return s;
  return token;
}

std::shared_ptr<BearerToken> BearerToken::Fixed(std::string token) {
  return std::shared_ptr<BearerToken>(new BearerToken("", std::move(token)));
}

absl::Status BearerToken::Reload() {
  if (path_.empty()) return absl::OkStatus();
  absl::StatusOr<std::string> text = ReadFile(path_, "token");
  if (!text.ok()) return text.status();
  absl::string_view first = *text;
  first = first.substr(0, first.find('\n'));
  first = absl::StripAsciiWhitespace(first);
  if (first.empty())
    return absl::InvalidArgumentError(absl::StrCat("token file ", path_, " is empty"));
  absl::MutexLock lock(&mu_);
  token_ = std::string(first);
  return absl::OkStatus();
}

std::string BearerToken::Get() const {
  absl::MutexLock lock(&mu_);
  return token_;
}

namespace {

class BearerTokenInterceptor : public grpc::experimental::Interceptor {
 public:
  explicit BearerTokenInterceptor(const BearerToken* token) : token_(token) {}
  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      methods->GetSendInitialMetadata()->insert(
          {"authorization", absl::StrCat("Bearer ", token_->Get())});
    }
    methods->Proceed();
  }

 private:
  const BearerToken* token_;
};

class BearerTokenInterceptorFactory : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  explicit BearerTokenInterceptorFactory(std::shared_ptr<BearerToken> token)
      : token_(std::move(token)) {}
  grpc::experimental::Interceptor* CreateClientInterceptor(
      grpc::experimental::ClientRpcInfo*) override {
    return new BearerTokenInterceptor(token_.get());
  }

 private:
  std::shared_ptr<BearerToken> token_;
};

}  // namespace

std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface> MakeBearerTokenInterceptor(
    std::shared_ptr<BearerToken> token) {
  return std::make_unique<BearerTokenInterceptorFactory>(std::move(token));
}

}  // namespace zb
