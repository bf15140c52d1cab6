// `zhibiao reports list|show|section` and `zhibiao metrics`: reading stored
// reports and the taxonomy through the query service.
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

int ReportsList(const CliOptions& options) {
  zhibiao::v1::ListReportsRequest request;
  request.set_region_code(options.region);
  request.set_province_code(options.province);
  request.set_year(options.year);
  request.set_page_size(options.page_size);
  request.set_page_token(options.page_token);
  // Every page, unless the caller asked for one (--page_size or --page_token).
  const bool all_pages = options.page_size == 0 && options.page_token.empty();
  zhibiao::v1::ListReportsResponse all;
  if (!ListReportPages(options, "reports list", request, all_pages, &all)) return 1;
  SayNextPage("reports list", all.next_page_token());
  if (options.json) {
    std::printf("%s\n", ToJson(all).c_str());
    return 0;
  }
  if (auto done = WriteAnswerFile(options, "ListReports", all)) return *done;
  std::printf("%-32s %-6s %s %-4s %-11s %s  %s\n", "report_id", "region", Pad("", 14).c_str(),
              "year", "kind", "title", "source");
  for (const auto& m : all.reports()) {
    std::printf("%-32s %-6s %s %-4d %-11s %s  %s\n", m.report_id().c_str(),
                m.region().code().c_str(), Pad(m.region().name(), 14).c_str(), m.report_year(),
                doc::KindName(m.kind()), m.title().c_str(), m.source_name().c_str());
  }
  std::printf("%d reports\n", all.reports_size());
  return 0;
}

int ReportsShow(const CliOptions& options, const std::vector<std::string>& args) {
  if (args.size() != 1) {
    std::fprintf(stderr, "usage: zhibiao reports show ID [--format=table|json|csv|xlsx]\n");
    return 2;
  }
  auto stub = zhibiao::v1::QueryService::NewStub(CliChannel(options, options.query_addr));
  zhibiao::v1::GetReportRequest request;
  request.set_report_id(args[0]);
  zhibiao::v1::GetReportResponse response;
  grpc::ClientContext context;
  SetTimeout(&context, options.timeout);
  grpc::Status status = stub->GetReport(&context, request, &response);
  if (!status.ok()) {
    PrintError(absl::StrCat("reports show ", args[0]), status);
    return 1;
  }
  if (options.json) {
    std::printf("%s\n", ToJson(response.report()).c_str());
    return 0;
  }
  if (auto done = WriteAnswerFile(options, "GetReport", response)) return *done;
  PrintReportSummary(response.report(), true);
  return 0;
}

int ReportsSection(const CliOptions& options, const std::vector<std::string>& args) {
  if (args.size() != 2) {
    std::fprintf(stderr, "usage: zhibiao reports section ID SECTION   (SECTION: 7.2 or 七.(二))\n");
    return 2;
  }
  auto stub = zhibiao::v1::QueryService::NewStub(CliChannel(options, options.query_addr));
  zhibiao::v1::GetSectionRequest request;
  request.set_report_id(args[0]);
  request.set_section(args[1]);
  zhibiao::v1::GetSectionResponse response;
  grpc::ClientContext context;
  SetTimeout(&context, options.timeout);
  grpc::Status status = stub->GetSection(&context, request, &response);
  if (!status.ok()) {
    PrintError(absl::StrCat("reports section ", args[0], " ", args[1]), status);
    return 1;
  }
  if (options.json) {
    std::printf("%s\n", ToJson(response).c_str());
    return 0;
  }
  std::printf("%s  %s\n%s\n", response.section().path().c_str(), response.meta().title().c_str(),
              response.section().text().c_str());
  for (const auto& child : response.children()) {
    std::printf("  ▸ %s %s\n", child.path().c_str(), child.heading().c_str());
  }
  return 0;
}

int Metrics(const CliOptions& options) {
  auto stub = zhibiao::v1::QueryService::NewStub(CliChannel(options, options.query_addr));
  zhibiao::v1::ListMetricsRequest request;
  if (!options.region.empty()) request.mutable_filter()->add_region_codes(options.region);
  if (!options.province.empty()) request.mutable_filter()->add_province_codes(options.province);
  if (options.year > 0) request.mutable_filter()->add_years(options.year);
  zhibiao::v1::ListMetricsResponse response;
  grpc::ClientContext context;
  SetTimeout(&context, options.timeout);
  grpc::Status status = stub->ListMetrics(&context, request, &response);
  if (!status.ok()) {
    PrintError("metrics", status);
    return 1;
  }
  if (options.json) {
    std::printf("%s\n", ToJson(response).c_str());
    return 0;
  }
  if (auto done = WriteAnswerFile(options, "ListMetrics", response)) return *done;
  for (const auto& m : response.metrics()) {
    if (m.count() == 0) continue;  // the JSON form lists every key
    std::vector<std::string> units;
    for (const auto& u : m.units()) units.push_back(absl::StrCat(u.unit(), "×", u.count()));
    std::printf("%s %s %6lld  %s\n", Pad(m.key().empty() ? "(unmapped)" : m.key(), 44).c_str(),
                Pad(m.name_zh(), 28).c_str(), static_cast<long long>(m.count()),
                absl::StrJoin(units, " ").c_str());
  }
  return 0;
}

}  // namespace zb::cli
