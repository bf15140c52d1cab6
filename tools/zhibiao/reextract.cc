// `zhibiao admin reextract`: brings every stored report up to the ingest
// service's extractor and routing rule.
//
// For each report of each shard (in --storage order, which must be ingest's
// order): a report stored by another extractor version, or on a shard its
// region does not route to, is sent to ingest again, as its stored
// normalised text with the hints, labels and source name it was ingested
// with. Ingest stores the new extraction on the shard the new region names
// (in place when that is the same shard and id); only after ingest has
// acknowledged that durable store is the old copy deleted from the old shard.
// A run cut short (a shard killed, the command interrupted) leaves every
// report stored at least once; running the command again finishes the move,
// since ingesting the same text again is idempotent.
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/rpc/channels.h"
#include "common/rpc/storage_shards.h"
#include "tools/zhibiao/cli.h"
#include "tools/zhibiao/cli_calls.h"
#include "zhibiao/v1/ingest.grpc.pb.h"
#include "zhibiao/v1/storage.grpc.pb.h"

namespace zb::cli {
namespace {

// What the run did, over all shards.
struct ReextractCounts {
  int64_t looked_at = 0;
  int64_t current = 0;    // already this extractor's, on the right shard
  int64_t in_place = 0;   // re-extracted on the shard that held it
  int64_t moved = 0;      // stored on another shard (or under a new id) and deleted here
  int64_t failed = 0;
};

// Re-extracts one report of shard `shard`; false (after printing why) when
// the report could not be brought up to date.
bool ReextractOne(const CliOptions& options, const std::vector<std::string>& addresses, int shard,
                  zhibiao::v1::StorageService::Stub* storage, zhibiao::v1::IngestService::Stub* ingest,
                  const std::string& report_id, std::string* current_version, ReextractCounts* counts) {
  const std::string where = absl::StrCat("storage-", shard, " ", addresses[shard]);
  zhibiao::v1::GetReportRequest get;
  get.set_report_id(report_id);
  zhibiao::v1::GetReportResponse stored;
  {
    grpc::ClientContext context;
    SetTimeout(&context, options.timeout);
    grpc::Status status = storage->GetReport(&context, get, &stored);
    if (status.error_code() == grpc::StatusCode::NOT_FOUND) return true;  // deleted meanwhile
    if (!status.ok()) {
      PrintError(absl::StrCat("reextract ", report_id, ": read from ", where), status);
      return false;
    }
  }
  const zhibiao::v1::ReportMeta& old_meta = stored.report().meta();

  zhibiao::v1::IngestRequest request;
  request.set_content(stored.report().normalized_text());
  request.set_source_name(old_meta.source_name());
  *request.mutable_labels() = old_meta.labels();
  *request.mutable_hints() = old_meta.hints();
  zhibiao::v1::IngestResponse ingested;
  {
    grpc::ClientContext context;
    SetTimeout(&context, options.timeout);
    grpc::Status status = ingest->Ingest(&context, request, &ingested);
    if (!status.ok()) {
      PrintError(absl::StrCat("reextract ", report_id, " (", old_meta.source_name(), ")"), status);
      return false;
    }
  }
  *current_version = ingested.meta().extractor_version();
  const std::string& new_region = ingested.meta().region().code();
  const bool same_id = ingested.report_id() == report_id;
  if (same_id && ingested.shard() == addresses[shard]) {
    if (ingested.outcome() == zhibiao::v1::INGEST_OUTCOME_UNCHANGED) {
      ++counts->current;
      return true;
    }
    ++counts->in_place;
    if (options.json) {
      std::printf("{\"report_id\":\"%s\",\"action\":\"in_place\",\"shard\":%d,\"region\":\"%s\"}\n",
                  report_id.c_str(), shard, new_region.c_str());
    }
    return true;
  }
  // Ingest stored it elsewhere: the old copy may go only when "elsewhere" is
  // certainly another shard, one of --storage by the same spelling.
  int new_shard = -1;
  for (size_t k = 0; k < addresses.size(); ++k) {
    if (addresses[k] == ingested.shard()) new_shard = static_cast<int>(k);
  }
  if (new_shard < 0) {
    std::fprintf(stderr,
                 "reextract %s: ingest stored it on %s, which is not one of --storage (%s); the "
                 "old copy on %s is kept. Give --storage the list ingest has, in its order.\n",
                 report_id.c_str(), ingested.shard().c_str(), options.storage_addrs.c_str(),
                 where.c_str());
    return false;
  }
  zhibiao::v1::DeleteReportRequest remove;
  remove.set_report_id(report_id);
  zhibiao::v1::DeleteReportResponse removed;
  grpc::ClientContext context;
  SetTimeout(&context, options.timeout);
  grpc::Status status = storage->DeleteReport(&context, remove, &removed);
  if (!status.ok() && status.error_code() != grpc::StatusCode::NOT_FOUND) {
    PrintError(absl::StrCat("reextract ", report_id, ": delete the old copy from ", where), status);
    return false;
  }
  ++counts->moved;
  if (options.json) {
    std::printf("{\"report_id\":\"%s\",\"action\":\"moved\",\"from_shard\":%d,\"to_shard\":%d,"
                "\"new_report_id\":\"%s\",\"region\":\"%s\"}\n",
                report_id.c_str(), shard, new_shard, ingested.report_id().c_str(), new_region.c_str());
  } else {
    std::printf("%s: storage-%d -> storage-%d%s, region %s (was %s), %s -> %s\n", report_id.c_str(),
                shard, new_shard,
                same_id ? "" : absl::StrCat(" as ", ingested.report_id()).c_str(),
                new_region.empty() ? "none" : new_region.c_str(),
                old_meta.region().code().empty() ? "none" : old_meta.region().code().c_str(),
                old_meta.extractor_version().c_str(), current_version->c_str());
  }
  return true;
}

}  // namespace

int AdminReextract(const CliOptions& options) {
  const std::vector<std::string> addresses = SplitList(options.storage_addrs);
  if (addresses.empty()) {
    std::fprintf(stderr, "admin reextract: --storage names no shard\n");
    return 2;
  }
  auto ingest = zhibiao::v1::IngestService::NewStub(CliChannel(options, options.ingest_addr));
  const bool terminal = isatty(STDERR_FILENO) != 0 && !options.json;
  ReextractCounts counts;
  std::string current_version;  // learnt from ingest's first answer
  absl::Time last_progress = absl::InfinitePast();
  for (int shard = 0; shard < static_cast<int>(addresses.size()); ++shard) {
    auto storage = zhibiao::v1::StorageService::NewStub(CliChannel(options, addresses[shard]));
    zhibiao::v1::ListReportsRequest list;
    list.set_page_size(1000);
    do {
      zhibiao::v1::ListReportsResponse page;
      grpc::ClientContext context;
      SetTimeout(&context, options.timeout);
      grpc::Status status = storage->ListReports(&context, list, &page);
      if (!status.ok()) {
        PrintError(absl::StrCat("reextract: list storage-", shard, " ", addresses[shard]), status);
        return 1;
      }
      for (const zhibiao::v1::ReportMeta& meta : page.reports()) {
        ++counts.looked_at;
        const bool routed_here =
            ShardForRegion(meta.region().code(), static_cast<int>(addresses.size())) == shard;
        if (!current_version.empty() && meta.extractor_version() == current_version && routed_here) {
          ++counts.current;
          continue;
        }
        if (!ReextractOne(options, addresses, shard, storage.get(), ingest.get(), meta.report_id(),
                          &current_version, &counts)) {
          ++counts.failed;
          // A shard or ingest that is away fails every report: stop, run again later.
          std::fprintf(stderr, "admin reextract: stopped; run it again to finish (done so far is kept)\n");
          break;
        }
        if (terminal && absl::Now() - last_progress > absl::Milliseconds(200)) {
          std::fprintf(stderr, "\rreextract: storage-%d, %lld reports looked at", shard,
                       static_cast<long long>(counts.looked_at));
          last_progress = absl::Now();
        }
      }
      if (counts.failed > 0) break;
      list.set_page_token(page.next_page_token());
    } while (!list.page_token().empty());
    if (counts.failed > 0) break;
  }
  if (terminal) std::fprintf(stderr, "\n");
  const std::string summary = absl::StrCat(
      counts.looked_at, " reports looked at: ", counts.current, " already current, ", counts.in_place,
      " re-extracted in place, ", counts.moved, " moved to the shard their region names, ",
      counts.failed, " failed");
  if (options.json) {
    std::printf("{\"looked_at\":%lld,\"current\":%lld,\"in_place\":%lld,\"moved\":%lld,\"failed\":%lld,"
                "\"extractor_version\":\"%s\"}\n",
                static_cast<long long>(counts.looked_at), static_cast<long long>(counts.current),
                static_cast<long long>(counts.in_place), static_cast<long long>(counts.moved),
                static_cast<long long>(counts.failed), current_version.c_str());
  } else {
    std::printf("reextract: %s (extractor %s)\n", summary.c_str(),
                current_version.empty() ? "unknown" : current_version.c_str());
  }
  return counts.failed == 0 ? 0 : 1;
}

}  // namespace zb::cli
