// `zhibiao admin delete|verify|stats|export|checkpoint`: operator commands
// against the storage shards (reextract is in reextract.cc).
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

namespace {

bool IsReportId(absl::string_view id) {
  return id.size() == 32 && std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

}  // namespace

int AdminDelete(const CliOptions& options, const std::vector<std::string>& ids) {
  if (ids.empty() == options.source_glob.empty()) {
    std::fprintf(
        stderr,
        "usage: zhibiao admin delete ID... | zhibiao admin delete --source=GLOB  [--dry_run]\n");
    return 2;
  }
  for (const std::string& id : ids) {
    if (!IsReportId(id)) {
      std::fprintf(stderr,
                   "zhibiao: \"%s\" is not a report id (32 hex digits, as reports list shows)\n",
                   id.c_str());
      return 2;
    }
  }
  zhibiao::v1::ListReportsRequest every;
  every.set_page_size(1000);
  zhibiao::v1::ListReportsResponse reports;
  if (!ListReportPages(options, "admin delete", every, /*all_pages=*/true, &reports)) return 1;
  std::vector<zhibiao::v1::ReportMeta> chosen;
  for (const auto& m : reports.reports()) {
    const bool wanted = options.source_glob.empty()
                            ? std::find(ids.begin(), ids.end(), m.report_id()) != ids.end()
                            : fnmatch(options.source_glob.c_str(), m.source_name().c_str(), 0) == 0;
    if (wanted) chosen.push_back(m);
  }
  int failed = 0;
  for (const std::string& id : ids) {
    if (std::none_of(chosen.begin(), chosen.end(),
                     [&](const auto& m) { return m.report_id() == id; })) {
      std::fprintf(stderr, "%s: no such report\n", id.c_str());
      ++failed;
    }
  }
  if (!options.source_glob.empty() && chosen.empty()) {
    std::printf("no stored report's source matches %s\n", options.source_glob.c_str());
    return 0;
  }
  std::vector<std::unique_ptr<zhibiao::v1::StorageService::Stub>> shards;
  for (const std::string& address : SplitList(options.storage_addrs)) {
    shards.push_back(zhibiao::v1::StorageService::NewStub(CliChannel(options, address)));
  }
  int deleted = 0;
  for (const auto& m : chosen) {
    if (options.dry_run) {
      std::printf("would delete %s  %s %s  %s  %s\n", m.report_id().c_str(),
                  m.region().code().c_str(), m.region().name().c_str(), m.title().c_str(),
                  m.source_name().c_str());
      continue;
    }
    // Whichever shard holds it (a report moved by reextract may sit on two).
    bool found = false;
    for (size_t s = 0; s < shards.size(); ++s) {
      grpc::ClientContext context;
      SetTimeout(&context, options.timeout);
      zhibiao::v1::DeleteReportRequest request;
      request.set_report_id(m.report_id());
      zhibiao::v1::DeleteReportResponse response;
      grpc::Status status = shards[s]->DeleteReport(&context, request, &response);
      if (status.error_code() == grpc::StatusCode::NOT_FOUND) continue;
      if (!status.ok()) {
        PrintError(absl::StrCat("admin delete ", m.report_id(), " on storage-", s), status);
        ++failed;
        continue;
      }
      found = true;
      std::printf("deleted %s from storage-%zu (%d indicators)  %s  %s\n", m.report_id().c_str(), s,
                  response.indicators_removed(), m.title().c_str(), m.source_name().c_str());
    }
    if (found) ++deleted;
  }
  if (options.dry_run) {
    std::printf("%zu reports would be deleted (dry run: nothing was)\n", chosen.size());
  } else {
    std::printf("%d reports deleted\n", deleted);
  }
  return failed == 0 ? 0 : 1;
}

int AdminVerify(const CliOptions& options) {
  int64_t problems = 0;
  int failed = 0;
  int shard = 0;
  for (const std::string& address : SplitList(options.storage_addrs)) {
    auto stub = zhibiao::v1::StorageService::NewStub(CliChannel(options, address));
    grpc::ClientContext context;
    SetTimeout(&context, std::max(options.timeout, absl::Minutes(10)));
    zhibiao::v1::VerifyResponse response;
    grpc::Status status = stub->Verify(&context, zhibiao::v1::VerifyRequest(), &response);
    if (!status.ok()) {
      PrintError(absl::StrCat("verify storage-", shard, " ", address), status);
      ++failed;
    } else if (options.json) {
      std::printf("%s\n", ToJson(response).c_str());
    } else {
      std::printf("storage-%d %s: %lld reports, %lld index entries, %lld problems\n", shard,
                  address.c_str(), static_cast<long long>(response.reports()),
                  static_cast<long long>(response.index_entries()),
                  static_cast<long long>(response.problems()));
      for (const auto& p : response.problem_samples()) std::printf("  %s\n", p.c_str());
    }
    problems += status.ok() ? response.problems() : 0;
    ++shard;
  }
  return failed == 0 && problems == 0 ? 0 : 1;
}

int AdminStats(const CliOptions& options) {
  int failed = 0;
  int shard = 0;
  for (const std::string& address : SplitList(options.storage_addrs)) {
    auto stub = zhibiao::v1::StorageService::NewStub(CliChannel(options, address));
    grpc::ClientContext context;
    SetTimeout(&context, options.timeout);
    zhibiao::v1::GetStatsResponse response;
    grpc::Status status = stub->GetStats(&context, zhibiao::v1::GetStatsRequest(), &response);
    if (!status.ok()) {
      PrintError(absl::StrCat("stats storage-", shard, " ", address), status);
      ++failed;
    } else {
      std::printf("storage-%d %s %s\n", shard, address.c_str(), ToJson(response).c_str());
    }
    ++shard;
  }
  return failed == 0 ? 0 : 1;
}

int AdminExport(const CliOptions& options) {
  // One header line, then one line per indicator of every shard, with the
  // publication date and ingestion time of its report (what the
  // revised-report rule needs), for loading into other tools.
  std::printf(
      "metric\tyear\tregion\tprovince\treport_id\tseq\tvalue\tlow\thigh\tqualifier\tchange"
      "\tis_target\tunit\tunit_kind\tpublished\tingested_at_ms\n");
  int shard = 0;
  for (const std::string& address : SplitList(options.storage_addrs)) {
    auto stub = zhibiao::v1::StorageService::NewStub(CliChannel(options, address));
    absl::flat_hash_map<std::string, std::pair<std::string, int64_t>> dates;
    zhibiao::v1::ListReportsRequest list;
    list.set_page_size(1000);
    do {
      grpc::ClientContext context;
      SetTimeout(&context, options.timeout);
      zhibiao::v1::ListReportsResponse page;
      grpc::Status status = stub->ListReports(&context, list, &page);
      if (!status.ok()) {
        PrintError(absl::StrCat("export storage-", shard, " ", address), status);
        return 1;
      }
      for (const auto& meta : page.reports()) {
        dates[meta.report_id()] = {meta.published_date(), meta.ingested_at_unix_ms()};
      }
      list.set_page_token(page.next_page_token());
    } while (!list.page_token().empty());
    grpc::ClientContext context;
    auto reader = stub->ScanIndicators(&context, zhibiao::v1::ScanIndicatorsRequest());
    zhibiao::v1::ScanIndicatorsResponse batch;
    while (reader->Read(&batch)) {
      for (const auto& ind : batch.indicators()) {
        const auto& q = ind.quantity();
        const auto& date = dates[ind.report_id()];
        std::printf("%s\t%d\t%s\t%s\t%s\t%d\t%.17g\t%.17g\t%.17g\t%s\t%s\t%s\t%s\t%s\t%s\t%lld\n",
                    ind.metric_key().c_str(), ind.year(), ind.region_code().c_str(),
                    ind.province_code().c_str(), ind.report_id().c_str(), ind.seq(), q.value(),
                    q.low(), q.high(), zhibiao::v1::Qualifier_Name(q.qualifier()).c_str(),
                    zhibiao::v1::Change_Name(ind.change()).c_str(), ind.is_target() ? "t" : "f",
                    q.unit().c_str(), zhibiao::v1::UnitKind_Name(q.kind()).c_str(),
                    date.first.empty() ? "\\N" : date.first.c_str(),
                    static_cast<long long>(date.second));
      }
    }
    grpc::Status status = reader->Finish();
    if (!status.ok()) {
      PrintError(absl::StrCat("export storage-", shard, " ", address), status);
      return 1;
    }
    ++shard;
  }
  return 0;
}

int AdminCheckpoint(const CliOptions& options, const std::vector<std::string>& args) {
  if (args.size() != 1 || args[0].empty() || args[0][0] != '/') {
    std::fprintf(stderr,
                 "usage: zhibiao admin checkpoint DIR [--keep=N] | ROOT --timestamped [--keep=N]\n"
                 "  (an absolute path on the storage hosts: each shard writes DIR/shard-N)\n");
    return 2;
  }
  if (options.keep_checkpoints < 0) {
    std::fprintf(stderr, "zhibiao: --keep must be 0 (keep every checkpoint) or more\n");
    return 2;
  }
  // --timestamped: ROOT/<UTC time>/shard-N, names that sort as they were taken.
  const std::string run_dir =
      options.timestamped
          ? absl::StrCat(absl::StripSuffix(args[0], "/"), "/",
                         absl::FormatTime("%Y%m%dT%H%M%SZ", absl::Now(), absl::UTCTimeZone()))
          : std::string(absl::StripSuffix(args[0], "/"));
  int failed = 0;
  int shard = 0;
  for (const std::string& address : SplitList(options.storage_addrs)) {
    auto stub = zhibiao::v1::StorageService::NewStub(CliChannel(options, address));
    zhibiao::v1::CheckpointRequest request;
    request.set_directory(absl::StrCat(run_dir, "/shard-", shard));
    request.set_keep(options.keep_checkpoints);
    grpc::ClientContext context;
    SetTimeout(&context, std::max(options.timeout, absl::Minutes(10)));
    zhibiao::v1::CheckpointResponse response;
    grpc::Status status = stub->Checkpoint(&context, request, &response);
    if (!status.ok()) {
      PrintError(absl::StrCat("checkpoint storage-", shard, " ", address), status);
      ++failed;
    } else {
      std::printf("storage-%d %s: checkpoint of %lld reports in %s\n", shard, address.c_str(),
                  static_cast<long long>(response.reports()), response.directory().c_str());
      for (const std::string& old : response.removed()) {
        std::printf("storage-%d %s: removed %s (--keep=%d)\n", shard, address.c_str(), old.c_str(),
                    options.keep_checkpoints);
      }
    }
    ++shard;
  }
  return failed == 0 ? 0 : 1;
}

}  // namespace zb::cli
