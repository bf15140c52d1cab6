// What every `zhibiao` subcommand needs to make its calls: a channel with the
// CLI's TLS files and token, the CLI's way of printing an error and a reply,
// and the comma-separated address lists of its flags.
#ifndef ZHIBIAO_TOOLS_ZHIBIAO_CLI_CALLS_H_
#define ZHIBIAO_TOOLS_ZHIBIAO_CLI_CALLS_H_

#include <memory>
#include <string>
#include <vector>

#include <google/protobuf/message.h>
#include <grpcpp/grpcpp.h>

#include "absl/strings/string_view.h"
#include "tools/zhibiao/cli.h"
#include "zhibiao/v1/storage.pb.h"

namespace zb::cli {

// The message in protobuf's JSON mapping, proto field names, defaults shown.
std::string ToJson(const google::protobuf::Message& message);

// "what: CODE: message" on stderr.
void PrintError(absl::string_view what, const grpc::Status& status);

// A channel to `address` with the CLI's TLS files and token, if any; exits
// with status 2 when they cannot be read. With `connect`, it first waits up
// to 2 s (or --timeout if shorter) for the connection, through failed
// attempts (see WaitForConnection); if there is none, the first call says
// why.
std::shared_ptr<grpc::Channel> CliChannel(const CliOptions& options, const std::string& address,
                                          bool connect = true);

// When a page is not the last: how to ask for the next one, on stderr so
// that a CSV or JSON answer on stdout stays clean.
void SayNextPage(absl::string_view command, absl::string_view next_page_token);

// Stored reports' metadata through query: the first page of `request`, or
// every page with `all_pages`, into *all; false after printing the error
// (prefixed with `what`).
bool ListReportPages(const CliOptions& options, const std::string& what,
                     zhibiao::v1::ListReportsRequest request, bool all_pages,
                     zhibiao::v1::ListReportsResponse* all);

// The non-empty, trimmed items of a comma-separated list.
std::vector<std::string> SplitList(const std::string& s);

}  // namespace zb::cli

#endif  // ZHIBIAO_TOOLS_ZHIBIAO_CLI_CALLS_H_
