#include "tools/zhibiao/cli_calls.h"

#include <cstring>
#include <utility>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include <google/protobuf/util/json_util.h>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/rpc/channels.h"
#include "zhibiao/v1/query.grpc.pb.h"

namespace zb::cli {

std::string ToJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  std::string out;
  auto status = google::protobuf::util::MessageToJsonString(message, &out, options);
  if (!status.ok()) return absl::StrCat("{\"error\":\"", status.ToString(), "\"}");
  return out;
}

void PrintError(absl::string_view what, const grpc::Status& status) {
  // The services name request fields; a CLI user sets flags.
  std::string message = status.error_message();
  for (const auto& [field, flag] : std::initializer_list<std::pair<const char*, const char*>>{
           {"options.unit", "--unit"},
           {"options.figures", "--figures"},
           {"options.document_kinds", "--kind"},
           {"metric_key", "--metric"},
           {"region_code", "--region"},
           {"base_year", "--base_year"}}) {
    for (size_t at = message.find(field); at != std::string::npos;
         at = message.find(field, at + 1)) {
      message.replace(at, std::strlen(field), flag);
    }
  }
  std::fprintf(stderr, "%s: %s: %s\n", std::string(what).c_str(),
               absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code())).c_str(),
               message.c_str());
}

std::shared_ptr<grpc::Channel> CliChannel(const CliOptions& options, const std::string& address,
                                          bool connect) {
  ChannelOptions channel;
  if (options.tls.enabled()) {
    absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
        MakeChannelCredentials(options.tls);
    if (!credentials.ok()) {
      std::fprintf(stderr, "%s\n", std::string(credentials.status().message()).c_str());
      std::exit(2);
    }
    channel.credentials = *credentials;
  }
  if (!options.token_file.empty()) {
    absl::StatusOr<std::shared_ptr<BearerToken>> token = BearerToken::Load(options.token_file);
    if (!token.ok()) {
      std::fprintf(stderr, "%s\n", std::string(token.status().message()).c_str());
      std::exit(2);
    }
    channel.token = *token;
  }
  std::shared_ptr<grpc::Channel> made = MakeChannel(address, channel);
  if (connect) (void)WaitForConnection(made, std::min(options.timeout, absl::Seconds(2)));
  return made;
}

std::vector<std::string> SplitList(const std::string& s) {
  std::vector<std::string> out;
  for (absl::string_view part : absl::StrSplit(s, ',', absl::SkipWhitespace())) {
    out.emplace_back(absl::StripAsciiWhitespace(part));
  }
  return out;
}

void SayNextPage(absl::string_view command, absl::string_view next_page_token) {
  if (next_page_token.empty()) return;
  std::fprintf(stderr,
               "%.*s: more follow; the same command with --page_token=%.*s gives the next page\n",
               static_cast<int>(command.size()), command.data(),
               static_cast<int>(next_page_token.size()), next_page_token.data());
}

bool ListReportPages(const CliOptions& options, const std::string& what,
                     zhibiao::v1::ListReportsRequest request, bool all_pages,
                     zhibiao::v1::ListReportsResponse* all) {
  auto stub = zhibiao::v1::QueryService::NewStub(CliChannel(options, options.query_addr));
  while (true) {
    grpc::ClientContext context;
    SetTimeout(&context, options.timeout);
    zhibiao::v1::ListReportsResponse page;
    grpc::Status status = stub->ListReports(&context, request, &page);
    if (!status.ok()) {
      PrintError(what, status);
      return false;
    }
    for (auto& m : *page.mutable_reports()) *all->add_reports() = std::move(m);
    if (!all_pages) all->set_next_page_token(page.next_page_token());
    if (page.next_page_token().empty() || !all_pages) return true;
    request.set_page_token(page.next_page_token());
  }
}

}  // namespace zb::cli
