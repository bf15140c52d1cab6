// zhibiao-ingest: parses reports and stores them on their storage shard.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/base/logging.h"
#include "common/rpc/channels.h"
#include "common/rpc/executor.h"
#include "common/rpc/server.h"
#include "common/rpc/storage_shards.h"
#include "services/common/service_main.h"
#include "services/ingest/ingest_service.h"

ABSL_FLAG(
    std::string, storage, "127.0.0.1:7410",
    "storage shards, ADDR[,ADDR...]; every ingest replica needs the same list in the same order");
ABSL_FLAG(int, parse_threads, 0, "threads that parse documents (0: one per core)");
ABSL_FLAG(int, parse_queue, 256, "documents waiting for a parser before RESOURCE_EXHAUSTED");
ABSL_FLAG(int64_t, large_document_kb, 4096,
          "documents at least this large (KiB) are parsed by a pool of their own, so large or "
          "slow ones cannot take every parser from ordinary ones; 0: one pool for all");
ABSL_FLAG(int, large_parse_threads, 0,
          "threads of the large-document pool (0: half of --parse_threads, at least 1)");
ABSL_FLAG(int, large_parse_queue, 16,
          "large documents waiting for a parser before RESOURCE_EXHAUSTED");
ABSL_FLAG(int64_t, max_document_mb, 32, "largest document accepted, in MiB");
ABSL_FLAG(int64_t, max_report_mb, 256,
          "largest report one document may make, in MiB (text, sections and figures); must not "
          "exceed storage's --max_message_mb");
ABSL_FLAG(int, parser_stall_seconds, 120,
          "health is NOT_SERVING while documents wait and every parser has been on the same "
          "documents this long (more than --max_parse_seconds, which stops a parse); 0: off");
ABSL_FLAG(int, max_parse_seconds, 60,
          "longest one document may be parsed and extracted, whatever the client's deadline");
ABSL_FLAG(int64_t, max_indicators, 200000, "most figures one document may have");
ABSL_FLAG(int64_t, max_docx_xml_mb, 64, "largest DOCX word/document.xml once decompressed, in MiB");
ABSL_FLAG(int, max_html_depth, 512, "deepest nesting of HTML elements left open");
ABSL_FLAG(int64_t, max_html_elements, 500000, "most elements in one HTML page");
ABSL_FLAG(int, max_pdf_pages, 5000, "most pages in one PDF");
ABSL_FLAG(int, storage_timeout_ms, 10000,
          "how long storing one report may take, retries of an unavailable shard included, plus a "
          "second per --storage_mb_per_second of the report");
ABSL_FLAG(
    int, storage_mb_per_second, 8,
    "the slowest store rate a report's storage deadline allows for (MiB/s; 0: a flat deadline)");
ABSL_FLAG(int, stream_window, 16, "documents of one IngestStream parsed or stored at once");

namespace {

// The limits on one document and one report, from the flags (exits with a
// usage error for values that cannot work together).
struct SizeLimits {
  int64_t max_document_bytes;
  int64_t max_report_bytes;
};
SizeLimits SizeLimitsFromFlags() {
  const SizeLimits limits{absl::GetFlag(FLAGS_max_document_mb) << 20,
                          absl::GetFlag(FLAGS_max_report_mb) << 20};
  if (absl::GetFlag(FLAGS_max_document_mb) < 1 ||
      limits.max_report_bytes < limits.max_document_bytes ||
      limits.max_report_bytes > (int64_t{2000} << 20)) {
    zb::service::ExitWithUsageError(
        "--max_document_mb must be at least 1 and --max_report_mb between it and 2000");
  }
  return limits;
}

// What the service is told by the flags (exits with a usage error for a bad value).
zb::ingest::IngestOptions IngestOptionsFromFlags(const SizeLimits& limits) {
  zb::ingest::IngestOptions options;
  options.build.max_document_bytes = static_cast<size_t>(limits.max_document_bytes);
  options.build.max_indicators = absl::GetFlag(FLAGS_max_indicators);
  options.build.read.max_docx_xml_bytes =
      static_cast<size_t>(absl::GetFlag(FLAGS_max_docx_xml_mb) << 20);
  options.build.read.max_html_depth = absl::GetFlag(FLAGS_max_html_depth);
  options.build.read.max_html_elements = absl::GetFlag(FLAGS_max_html_elements);
  options.build.read.max_pdf_pages = absl::GetFlag(FLAGS_max_pdf_pages);
  options.max_report_bytes = limits.max_report_bytes;
  options.max_parse_time = absl::Seconds(absl::GetFlag(FLAGS_max_parse_seconds));
  if (options.max_parse_time <= absl::ZeroDuration() || options.build.max_indicators < 1) {
    zb::service::ExitWithUsageError("--max_parse_seconds and --max_indicators must be positive");
  }
  options.storage_timeout = absl::Milliseconds(absl::GetFlag(FLAGS_storage_timeout_ms));
  options.storage_bytes_per_second = int64_t{absl::GetFlag(FLAGS_storage_mb_per_second)} << 20;
  options.stream_window = absl::GetFlag(FLAGS_stream_window);
  if (options.stream_window < 1 || options.stream_window > 1024) {
    zb::service::ExitWithUsageError("--stream_window must be 1..1024");
  }
  return options;
}

// The parser pools: ordinary documents, and large ones on their own pool
// when --large_document_kb is set.
struct Parsers {
  std::unique_ptr<zb::Executor> ordinary;
  std::unique_ptr<zb::Executor> large;
  zb::ingest::ParserPools pools;
};
Parsers ParsersFromFlags() {
  Parsers p;
  int threads = absl::GetFlag(FLAGS_parse_threads);
  if (threads <= 0) threads = static_cast<int>(std::thread::hardware_concurrency());
  p.ordinary =
      std::make_unique<zb::Executor>("ingest-parsers", threads, absl::GetFlag(FLAGS_parse_queue));
  const int64_t large_document_kb = absl::GetFlag(FLAGS_large_document_kb);
  int large_threads = absl::GetFlag(FLAGS_large_parse_threads);
  if (large_threads <= 0) large_threads = std::max(1, threads / 2);
  if (large_document_kb > 0) {
    p.large = std::make_unique<zb::Executor>("ingest-large-parsers", large_threads,
                                             absl::GetFlag(FLAGS_large_parse_queue));
  }
  p.pools.ordinary = p.ordinary.get();
  p.pools.large = p.large.get();
  p.pools.large_document_bytes = static_cast<size_t>(std::max<int64_t>(large_document_kb, 0)) << 10;
  return p;
}

// The health check's verdict on the parsers: UNAVAILABLE when every parser
// of a pool has been on the same documents longer than `stall` (0: never).
absl::Status ParsersProgress(const Parsers& parsers, absl::Duration stall) {
  if (stall <= absl::ZeroDuration()) return absl::OkStatus();
  for (const zb::Executor* pool : {parsers.ordinary.get(), parsers.large.get()}) {
    if (pool == nullptr) continue;
    const zb::Executor::Progress p = pool->progress();
    if (!zb::Executor::Stalled(p, absl::Now(), stall)) continue;
    return absl::UnavailableError(absl::StrCat(
        "every parser of ", pool->name(), " (", p.threads, ") has been on the same documents for ",
        absl::FormatDuration(absl::Now() - p.last_progress), " with ", p.queued,
        " waiting (--parser_stall_seconds)"));
  }
  return absl::OkStatus();
}

}  // namespace

int main(int argc, char** argv) {
  const zb::service::ServiceSpec spec = {
      "ingest", "127.0.0.1:7401",
      "zhibiao-ingest: parses reports, extracts indicators, stores them.",
      "zhibiao.v1.IngestService"};
  zb::service::Init(argc, argv, spec);
  auto addresses = zb::ParseAddressList(absl::GetFlag(FLAGS_storage), "storage");
  if (!addresses.ok()) zb::service::ExitWithUsageError(std::string(addresses.status().message()));
  const SizeLimits limits = SizeLimitsFromFlags();
  const zb::ingest::IngestOptions options = IngestOptionsFromFlags(limits);
  const absl::Duration parser_stall = absl::Seconds(absl::GetFlag(FLAGS_parser_stall_seconds));
  if (parser_stall > absl::ZeroDuration() && parser_stall <= options.max_parse_time) {
    zb::service::ExitWithUsageError(
        "--parser_stall_seconds must exceed --max_parse_seconds (a parse that long is stopped), or "
        "be 0");
  }
  zb::ChannelOptions channel_options;
  channel_options.max_message_bytes = static_cast<int>(limits.max_report_bytes + (1 << 20));
  zb::StorageShards shards(*addresses, zb::service::StorageChannelOptions(channel_options));
  Parsers parsers = ParsersFromFlags();
  zb::ingest::IngestServiceImpl service(&shards, parsers.pools, zb::service::CallAuthorizer(),
                                        options);

  // A request carries the whole document. Requests up to twice the limit
  // reach the service, which refuses a document over the limit naming it;
  // only larger bodies are refused by gRPC itself. Parse answers with a
  // whole report.
  const int status = zb::service::ServeUntilTerminated(
      zb::service::ServerOptionsFromFlags(
          spec, static_cast<int>(2 * limits.max_document_bytes + (1 << 20)),
          static_cast<int>(limits.max_report_bytes + (1 << 20))),
      &service, &shards, nullptr,
      [&parsers, parser_stall] { return ParsersProgress(parsers, parser_stall); });
  parsers.ordinary->Shutdown();
  if (parsers.large != nullptr) parsers.large->Shutdown();
  zb::LogInfo("exited", {{"code", status}});
  return status;
}
