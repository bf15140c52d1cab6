// `zhibiao admin reextract`: brings every stored report up to the ingest
// service's extractor and routing rule.
//
// For each report of each shard (in --storage order, which must be ingest's
// order): a report stored by another extractor version, or on a shard its
// region does not route to, is sent to ingest again, as its stored
// normalised text with the hints, labels and source name it was ingested
// with, and the id it replaces (IngestRequest.replaces_report_id). Ingest
// stores the new extraction on the shard the new region names: in place
// when that is the same shard and id; otherwise as an arriving copy, which
// queries count instead of the old one wherever that still is
// (common/query/moving_reports.h). A move then takes three steps, each
// once the one before is acknowledged and --transit_wait has passed (longer
// than any answer's reads take, query's shard timeout): the arriving copy
// is stored, the old copy deleted, the arriving copy settled (SettleReport).
// So no answer sees a moving report twice or not at all. Moves go in
// batches (kMovesPerBatch), so the waits are paid per batch.
//
// A run cut short (a shard killed, the command interrupted) leaves every
// report stored at least once; running the command again finishes the
// moves it finds half done (arriving copies whose old copy is still stored,
// or not yet settled) before anything else, and ingesting the same text
// again is idempotent.
//
// Which reports: by default those of another extractor version than
// ingest's; with --extractor_older_than=V those of versions before V; with
// --all every one. Reports on the wrong shard are always taken. Before that,
// a report id stored on more than one shard (the same text ingested again
// with a hint that moved it) keeps only its most recently ingested copy.
#include <unistd.h>

#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/pipeline/report_builder.h"
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
  int64_t current = 0;         // already this extractor's, on the right shard
  int64_t in_place = 0;        // re-extracted on the shard that held it
  int64_t moved = 0;           // stored on another shard (or under a new id) and deleted here
  int64_t skipped = 0;         // not selected (--extractor_older_than)
  int64_t copies_removed = 0;  // extra copies of an id stored on several shards
  int64_t failed = 0;
};

// Calls `rpc` of one shard for `report_id` (a request with a report_id
// field); NOT_FOUND counts as done. False, after printing
// "reextract ID: WHAT", when the call failed otherwise.
template <typename Request, typename Response>
bool CallForReport(const CliOptions& options, zhibiao::v1::StorageService::Stub* storage,
                   grpc::Status (zhibiao::v1::StorageService::Stub::*rpc)(grpc::ClientContext*,
                                                                          const Request&,
                                                                          Response*),
                   const std::string& report_id, const std::string& what) {
  Request request;
  request.set_report_id(report_id);
  Response response;
  grpc::ClientContext context;
  SetTimeout(&context, options.timeout);
  grpc::Status status = (storage->*rpc)(&context, request, &response);
  if (!status.ok() && status.error_code() != grpc::StatusCode::NOT_FOUND) {
    PrintError(absl::StrCat("reextract ", report_id, ": ", what), status);
    return false;
  }
  return true;
}

// Deletes `report_id` from one shard (already gone counts as done).
bool DeleteCopy(const CliOptions& options, zhibiao::v1::StorageService::Stub* storage,
                const std::string& report_id, const std::string& what) {
  return CallForReport(options, storage, &zhibiao::v1::StorageService::Stub::DeleteReport,
                       report_id, absl::StrCat("delete ", what));
}

// Clears the arriving mark of `report_id` on one shard (already gone or
// settled counts as done).
bool SettleCopy(const CliOptions& options, zhibiao::v1::StorageService::Stub* storage,
                const std::string& report_id, const std::string& where) {
  return CallForReport(options, storage, &zhibiao::v1::StorageService::Stub::SettleReport,
                       report_id, absl::StrCat("settle on ", where));
}

// Moves go this many at a time: the waits between their steps are paid once
// a batch, and few arriving marks are listed with every shard answer.
constexpr size_t kMovesPerBatch = 64;

// A report ingest stored again elsewhere (another shard, or another id),
// whose old copy still has to go.
struct PendingMove {
  int from_shard = 0;
  std::string old_id;
  int to_shard = 0;
  std::string new_id;
  std::string line;  // what to print once the move is done
};

// One stored copy of a report id.
struct StoredCopy {
  int shard = 0;
  int64_t ingested_at_unix_ms = 0;
  bool routed_here = false;
};

using ShardStubs = std::vector<std::unique_ptr<zhibiao::v1::StorageService::Stub>>;

// Calls `visit` with every report meta of shard `shard`, page by page; false
// (after printing why) when a page could not be read or `visit` says stop.
// `arriving`, when given, gets the shard's arriving marks (from its first page).
template <typename Visit>
bool ForEachStoredReport(const CliOptions& options, const std::vector<std::string>& addresses,
                         int shard, zhibiao::v1::StorageService::Stub* storage, Visit visit,
                         std::vector<zhibiao::v1::ArrivingReport>* arriving = nullptr) {
  zhibiao::v1::ListReportsRequest list;
  list.set_page_size(1000);
  do {
    zhibiao::v1::ListReportsResponse page;
    grpc::ClientContext context;
    SetTimeout(&context, options.timeout);
    grpc::Status status = storage->ListReports(&context, list, &page);
    if (!status.ok()) {
      PrintError(absl::StrCat("reextract: list storage-", shard, " ", addresses[shard]), status);
      return false;
    }
    if (arriving != nullptr && list.page_token().empty()) {
      arriving->assign(page.arriving().begin(), page.arriving().end());
    }
    for (const zhibiao::v1::ReportMeta& meta : page.reports()) {
      if (!visit(meta)) return false;
    }
    list.set_page_token(page.next_page_token());
  } while (!list.page_token().empty());
  return true;
}

// Deletes the old copies of `moves` and settles their new ones, each step
// once options.transit_wait has passed since the one before; false (after
// printing why) when a step failed (the next run finishes it).
bool FinishMoves(const CliOptions& options, const std::vector<std::string>& addresses,
                 const ShardStubs& storage, std::vector<PendingMove>* moves,
                 ReextractCounts* counts) {
  if (moves->empty()) return true;
  absl::SleepFor(options.transit_wait);
  for (const PendingMove& m : *moves) {
    if (!DeleteCopy(options, storage[m.from_shard].get(), m.old_id,
                    absl::StrCat("the old copy from storage-", m.from_shard, " ",
                                 addresses[m.from_shard]))) {
      return false;
    }
    ++counts->moved;
    std::printf("%s\n", m.line.c_str());
    std::fflush(stdout);
  }
  absl::SleepFor(options.transit_wait);
  for (const PendingMove& m : *moves) {
    if (!SettleCopy(options, storage[m.to_shard].get(), m.new_id,
                    absl::StrCat("storage-", m.to_shard, " ", addresses[m.to_shard]))) {
      return false;
    }
  }
  moves->clear();
  return true;
}

// A report with an arriving mark, on the shard that holds it.
struct ArrivingCopy {
  int shard = 0;
  zhibiao::v1::ArrivingReport mark;
};

// Finishes the moves a run cut short left: for every arriving copy, deletes
// the copies it replaces still stored (after the wait that should have come
// first), then settles it. Removes what it deleted from `copies`.
bool FinishInterruptedMoves(const CliOptions& options, const std::vector<std::string>& addresses,
                            const ShardStubs& storage, const std::vector<ArrivingCopy>& arriving,
                            std::map<std::string, std::vector<StoredCopy>>* copies,
                            ReextractCounts* counts) {
  if (arriving.empty()) return true;
  absl::SleepFor(options.transit_wait);
  for (const ArrivingCopy& a : arriving) {
    auto it = copies->find(a.mark.replaces_report_id());
    if (it == copies->end()) continue;
    std::vector<StoredCopy>& stored = it->second;
    for (auto copy = stored.begin(); copy != stored.end();) {
      const bool is_the_arriving_copy =
          copy->shard == a.shard && a.mark.replaces_report_id() == a.mark.report_id();
      if (is_the_arriving_copy) {
        ++copy;
        continue;
      }
      if (!DeleteCopy(options, storage[copy->shard].get(), a.mark.replaces_report_id(),
                      absl::StrCat("the old copy from storage-", copy->shard, " ",
                                   addresses[copy->shard]))) {
        return false;
      }
      ++counts->moved;
      if (options.json) {
        std::printf(
            "{\"report_id\":\"%s\",\"action\":\"move_finished\",\"from_shard\":%d,"
            "\"to_shard\":%d,\"new_report_id\":\"%s\"}\n",
            a.mark.replaces_report_id().c_str(), copy->shard, a.shard, a.mark.report_id().c_str());
      } else {
        std::printf("%s: move to storage-%d finished (old copy removed from storage-%d)\n",
                    a.mark.replaces_report_id().c_str(), a.shard, copy->shard);
      }
      copy = stored.erase(copy);
    }
  }
  absl::SleepFor(options.transit_wait);
  for (const ArrivingCopy& a : arriving) {
    if (!SettleCopy(options, storage[a.shard].get(), a.mark.report_id(),
                    absl::StrCat("storage-", a.shard, " ", addresses[a.shard]))) {
      return false;
    }
  }
  return true;
}

// First finishes the moves a run cut short left (FinishInterruptedMoves).
// Then deletes every copy but the most recently ingested one (on a tie: the
// one on the shard its region routes to, then the first shard) of each
// report id stored on more than one shard. False when a shard could not be
// listed or a copy not deleted.
bool RemoveExtraCopies(const CliOptions& options, const std::vector<std::string>& addresses,
                       const ShardStubs& storage, ReextractCounts* counts) {
  const int shard_count = static_cast<int>(addresses.size());
  std::map<std::string, std::vector<StoredCopy>> copies;
  std::vector<ArrivingCopy> arriving;
  for (int shard = 0; shard < shard_count; ++shard) {
    std::vector<zhibiao::v1::ArrivingReport> marks;
    const bool listed = ForEachStoredReport(
        options, addresses, shard, storage[shard].get(),
        [&](const zhibiao::v1::ReportMeta& meta) {
          copies[meta.report_id()].push_back(
              {shard, meta.ingested_at_unix_ms(),
               ShardForRegion(meta.region().code(), shard_count) == shard});
          return true;
        },
        &marks);
    if (!listed) return false;
    for (auto& mark : marks) arriving.push_back({shard, std::move(mark)});
  }
  if (!FinishInterruptedMoves(options, addresses, storage, arriving, &copies, counts)) return false;
  for (const auto& [report_id, stored] : copies) {
    if (stored.size() < 2) continue;
    const StoredCopy* keep = &stored.front();
    for (const StoredCopy& copy : stored) {
      if (copy.ingested_at_unix_ms > keep->ingested_at_unix_ms ||
          (copy.ingested_at_unix_ms == keep->ingested_at_unix_ms && copy.routed_here &&
           !keep->routed_here)) {
        keep = &copy;
      }
    }
    for (const StoredCopy& copy : stored) {
      if (&copy == keep) continue;
      if (!DeleteCopy(options, storage[copy.shard].get(), report_id,
                      absl::StrCat("the older copy from storage-", copy.shard, " ",
                                   addresses[copy.shard]))) {
        return false;
      }
      ++counts->copies_removed;
      if (options.json) {
        std::printf(
            "{\"report_id\":\"%s\",\"action\":\"removed_copy\",\"shard\":%d,\"kept_on\":%d}\n",
            report_id.c_str(), copy.shard, keep->shard);
      } else {
        std::printf("%s: older copy removed from storage-%d (the one on storage-%d is newer)\n",
                    report_id.c_str(), copy.shard, keep->shard);
      }
    }
  }
  return true;
}

// Whether a run re-extracts the report `meta` of shard `shard`.
bool Selected(const CliOptions& options, const zhibiao::v1::ReportMeta& meta, bool routed_here,
              const std::string& current_version) {
  if (options.reextract_all || !routed_here) return true;
  if (!options.extractor_older_than.empty()) {
    return pipeline::ExtractorVersionBefore(meta.extractor_version(), options.extractor_older_than);
  }
  return current_version.empty() || meta.extractor_version() != current_version;
}

// Re-extracts one report of shard `shard`; false (after printing why) when
// the report could not be brought up to date.
// A report stored elsewhere is added to `moves` (FinishMoves ends it).
bool ReextractOne(const CliOptions& options, const std::vector<std::string>& addresses, int shard,
                  zhibiao::v1::StorageService::Stub* storage,
                  zhibiao::v1::IngestService::Stub* ingest, const std::string& report_id,
                  std::string* current_version, ReextractCounts* counts,
                  std::vector<PendingMove>* moves) {
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
  request.set_replaces_report_id(report_id);
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
  PendingMove move;
  move.from_shard = shard;
  move.old_id = report_id;
  move.to_shard = new_shard;
  move.new_id = ingested.report_id();
  if (options.json) {
    move.line = absl::StrCat("{\"report_id\":\"", report_id,
                             "\",\"action\":\"moved\",\"from_shard\":", shard,
                             ",\"to_shard\":", new_shard, ",\"new_report_id\":\"",
                             ingested.report_id(), "\",\"region\":\"", new_region, "\"}");
  } else {
    move.line = absl::StrCat(report_id, ": storage-", shard, " -> storage-", new_shard,
                             same_id ? "" : absl::StrCat(" as ", ingested.report_id()), ", region ",
                             new_region.empty() ? "none" : new_region, " (was ",
                             old_meta.region().code().empty() ? "none" : old_meta.region().code(),
                             "), ", old_meta.extractor_version(), " -> ", *current_version);
  }
  moves->push_back(std::move(move));
  return true;
}

}  // namespace

int AdminReextract(const CliOptions& options) {
  const std::vector<std::string> addresses = SplitList(options.storage_addrs);
  if (addresses.empty()) {
    std::fprintf(stderr, "admin reextract: --storage names no shard\n");
    return 2;
  }
  if (options.reextract_all && !options.extractor_older_than.empty()) {
    std::fprintf(stderr, "admin reextract: give --all or --extractor_older_than, not both\n");
    return 2;
  }
  auto ingest = zhibiao::v1::IngestService::NewStub(CliChannel(options, options.ingest_addr));
  ShardStubs storage;
  for (const std::string& address : addresses) {
    storage.push_back(zhibiao::v1::StorageService::NewStub(CliChannel(options, address)));
  }
  const bool terminal = isatty(STDERR_FILENO) != 0 && !options.json;
  ReextractCounts counts;
  if (!RemoveExtraCopies(options, addresses, storage, &counts)) ++counts.failed;
  std::string current_version;     // learnt from ingest's first answer
  std::vector<PendingMove> moves;  // stored elsewhere, old copy not yet deleted
  absl::Time last_progress = absl::InfinitePast();
  const int shard_count = static_cast<int>(addresses.size());
  for (int shard = 0; shard < shard_count && counts.failed == 0; ++shard) {
    const bool complete = ForEachStoredReport(
        options, addresses, shard, storage[shard].get(), [&](const zhibiao::v1::ReportMeta& meta) {
          ++counts.looked_at;
          const bool routed_here = ShardForRegion(meta.region().code(), shard_count) == shard;
          if (!Selected(options, meta, routed_here, current_version)) {
            if (options.extractor_older_than.empty())
              ++counts.current;
            else
              ++counts.skipped;
            return true;
          }
          const bool done =
              ReextractOne(options, addresses, shard, storage[shard].get(), ingest.get(),
                           meta.report_id(), &current_version, &counts, &moves) &&
              (moves.size() < kMovesPerBatch ||
               FinishMoves(options, addresses, storage, &moves, &counts));
          if (!done) {
            ++counts.failed;
            // A shard or ingest that is away fails every report: stop, run again later.
            std::fprintf(
                stderr, "admin reextract: stopped; run it again to finish (done so far is kept)\n");
            return false;
          }
          if (terminal && absl::Now() - last_progress > absl::Milliseconds(200)) {
            std::fprintf(stderr, "\rreextract: storage-%d, %lld reports looked at", shard,
                         static_cast<long long>(counts.looked_at));
            last_progress = absl::Now();
          }
          return true;
        });
    if (!complete && counts.failed == 0) ++counts.failed;  // the shard could not be listed
    // A shard's moves end before the next shard is listed (they may land there).
    if (counts.failed == 0 && !FinishMoves(options, addresses, storage, &moves, &counts)) {
      ++counts.failed;
      std::fprintf(stderr,
                   "admin reextract: stopped; run it again to finish (done so far is kept)\n");
    }
  }
  if (terminal) std::fprintf(stderr, "\n");
  const std::string summary =
      absl::StrCat(counts.looked_at, " reports looked at: ", counts.current, " already current, ",
                   counts.skipped, " not older than ",
                   options.extractor_older_than.empty() ? "-" : options.extractor_older_than, ", ",
                   counts.in_place, " re-extracted in place, ", counts.moved,
                   " moved to the shard their region names, ", counts.copies_removed,
                   " extra copies removed, ", counts.failed, " failed");
  if (options.json) {
    std::printf(
        "{\"looked_at\":%lld,\"current\":%lld,\"skipped\":%lld,\"in_place\":%lld,"
        "\"moved\":%lld,\"copies_removed\":%lld,\"failed\":%lld,\"extractor_version\":\"%s\"}\n",
        static_cast<long long>(counts.looked_at), static_cast<long long>(counts.current),
        static_cast<long long>(counts.skipped), static_cast<long long>(counts.in_place),
        static_cast<long long>(counts.moved), static_cast<long long>(counts.copies_removed),
        static_cast<long long>(counts.failed), current_version.c_str());
  } else {
    std::printf("reextract: %s (extractor %s)\n", summary.c_str(),
                current_version.empty() ? "unknown" : current_version.c_str());
  }
  return counts.failed == 0 ? 0 : 1;
}

}  // namespace zb::cli
