// One storage shard: reports and their indicator indexes in one RocksDB
// database (layout in keys.h and docs/storage.md).
//
// Writes (puts and deletes) go through a single writer thread that commits
// them in groups: it takes every queued mutation (up to max_group), checks
// each against what is stored (idempotency), builds one WriteBatch, writes it
// with sync=true and only then answers every caller. So a report is stored
// whole or not at all, an acknowledged write survives a crash, and concurrent
// duplicates are decided in one place, without races.
//
// Thread-safe. Reads run on the caller's thread under a snapshot.
#ifndef ZHIBIAO_COMMON_STORE_INDICATOR_STORE_H_
#define ZHIBIAO_COMMON_STORE_INDICATOR_STORE_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/agg/aggregate.h"
#include "common/store/index_cache.h"
#include "zhibiao/v1/report.pb.h"
#include "zhibiao/v1/storage.pb.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
class Snapshot;
class Statistics;
}  // namespace rocksdb

namespace zb::store {

inline constexpr int kSchemaVersion = 1;
// Most values one AggregatePartials(include_values) may return.
inline constexpr int64_t kMaxAggregateValues = 2000000;

struct StoreOptions {
  std::string data_dir = "./var/zhibiao";
  size_t block_cache_bytes = 64u << 20;
  int max_open_files = 512;
  // Acknowledge only after the WAL is synced. Turn off only for benchmarks
  // that measure something else; storage's --sync flag documents the risk.
  bool sync = true;
  int max_group = 128;            // mutations per group commit
  int max_queue = 4096;           // queued mutations before RESOURCE_EXHAUSTED
  size_t write_buffer_bytes = 0;  // per column family; 0: RocksDB's default
  // All memtables together (RocksDB db_write_buffer_size): bounds memory in a
  // container; 0 leaves it unbounded.
  size_t memtable_budget_bytes = 256u << 20;
  int bloom_bits_per_key = 10;  // 0 turns bloom filters off
  // Compression of the report families: "lz4" (default), "zstd" or "none".
  // The index family is never compressed (see OpenDb).
  std::string compression = "lz4";
  // A prefix extractor (the escaped metric key) with prefix blooms on the
  // index family, for scans filtered by metric.
  bool index_prefix_extractor = true;
  std::string rocksdb_options;  // extra "key=value;..." applied to DB options
  // Puts are refused (RESOURCE_EXHAUSTED) and Health fails while the data
  // directory's file system has less free space than this; 0: no floor.
  int64_t min_free_disk_bytes = int64_t{256} << 20;
  // Reads the free space of the data directory's file system; empty: statvfs
  // (FreeDiskBytes). Tests set it to simulate a full disk.
  std::function<absl::StatusOr<int64_t>(const std::string& dir)> free_disk_bytes;
};

// The bytes an unprivileged writer may still use on the file system of dir.
absl::StatusOr<int64_t> FreeDiskBytes(const std::string& dir);

struct PutResult {
  zhibiao::v1::PutOutcome outcome = zhibiao::v1::PUT_OUTCOME_UNSPECIFIED;
  int64_t ingested_at_unix_ms = 0;
};

struct ListQuery {
  std::string region_code;
  std::string province_code;
  int32_t year = 0;
  std::string issuer;
  int page_size = 100;
  std::string page_token;
};

struct ListResult {
  std::vector<zhibiao::v1::ReportMeta> reports;
  std::string next_page_token;
  // Every report of the shard with an arriving mark (IndexCache::Arriving).
  std::vector<zhibiao::v1::ArrivingReport> arriving;
};

// Fills Indicator.sentence from Report.normalized_text and the sentence
// offsets where it is empty (storage keeps offsets, not copies).
void RestoreSentences(zhibiao::v1::Report* report);

class IndicatorStore {
 public:
  // Opens (creating if needed) the database in options.data_dir. Refuses a
  // database written by a newer schema with FAILED_PRECONDITION, and a data
  // directory another process has open (an exclusive flock on the directory
  // itself, held until Close: unlike RocksDB's LOCK file it cannot be
  // deleted from under a running shard).
  static absl::StatusOr<std::unique_ptr<IndicatorStore>> Open(const StoreOptions& options);
  ~IndicatorStore();

  IndicatorStore(const IndicatorStore&) = delete;
  IndicatorStore& operator=(const IndicatorStore&) = delete;

  using PutCallback = std::function<void(absl::StatusOr<PutResult>)>;
  using DeleteCallback = std::function<void(absl::StatusOr<int>)>;

  // Queues `report` for the writer; `done` runs on the writer thread once the
  // group holding it is durable (or failed). RESOURCE_EXHAUSTED at once when
  // the queue is full; UNAVAILABLE after Close().
  // With `replaces_report_id` (reextract's moves,
  // PutReportRequest.replaces_report_id), the report is stored with an
  // arriving mark naming that id, in the same batch, unless the put replaces
  // that very id here; an UNCHANGED put still writes a missing mark.
  // INVALID_ARGUMENT when either id is not 32 lowercase hex digits.
  void PutAsync(zhibiao::v1::Report report, PutCallback done, std::string replaces_report_id = "");
  absl::StatusOr<PutResult> Put(zhibiao::v1::Report report, std::string replaces_report_id = "");

  // Removes a report and every index entry; the count of indicators removed.
  void DeleteAsync(std::string report_id, DeleteCallback done);
  absl::StatusOr<int> Delete(absl::string_view report_id);

  // Clears a report's arriving mark: 1 when it had one, 0 when not;
  // NOT_FOUND when the report is not stored.
  void SettleAsync(std::string report_id, DeleteCallback done);
  absl::StatusOr<int> Settle(absl::string_view report_id);
  // The reports with an arriving mark and the ids they replace.
  std::vector<zhibiao::v1::ArrivingReport> Arriving() const { return cache_->Arriving(); }

  absl::StatusOr<zhibiao::v1::Report> Get(absl::string_view report_id) const;
  absl::StatusOr<ListResult> List(const ListQuery& query) const;

  // Adds every indicator that matches `filter` to `aggregator` by scanning
  // RocksDB, every report alike (no revised-report rule); returns the number
  // of index entries read. The reference the in-memory index is tested and
  // benchmarked against.
  absl::StatusOr<int64_t> Aggregate(const zhibiao::v1::IndicatorFilter& filter,
                                    agg::PartialAggregator* aggregator) const;

  // Partial aggregates per (group values, unit) of the indicators that match
  // the request, from the in-memory index (IndexCache: with the request's
  // qualified-value policy, revised-report rule and weights); returns the
  // number of index entries examined. RESOURCE_EXHAUSTED when include_values
  // would return more than kMaxAggregateValues values.
  // With request.ranking, only the groups of the first k ranks and their
  // ties, which `cut` describes (IndexCache::Aggregate). `generation`, when
  // given, gets the index generation the answer was computed at.
  // REQUIRES: filter and group_by are valid (agg::ValidateFilter/ValidateGroupBy).
  absl::StatusOr<int64_t> AggregatePartials(
      const zhibiao::v1::AggregateIndicatorsRequest& request,
      std::vector<zhibiao::v1::PartialAggregate>* out, agg::RankingCut* cut = nullptr,
      uint64_t* generation = nullptr,
      std::vector<zhibiao::v1::ArrivingReport>* arriving = nullptr) const;
  // The generation of the in-memory index: one more for every write group
  // applied. When a put's or delete's callback runs, it is at least the
  // generation that holds that write.
  uint64_t index_generation() const;

  // Visits the index entries that match `filter` in key order, under one
  // snapshot, starting after the key `start_after` ("" for the start);
  // `visit` gets the row, its seq, section and key, and returns false to
  // stop. Returns the entries read.
  using ScanVisitor = std::function<bool(const agg::IndicatorRow&, int32_t seq,
                                         absl::string_view section_id, absl::string_view key)>;
  absl::StatusOr<int64_t> Scan(const zhibiao::v1::IndicatorFilter& filter, const ScanVisitor& visit,
                               absl::string_view start_after = "") const;
  // The same, under `snapshot` (nullptr: one of its own).
  absl::StatusOr<int64_t> Scan(const zhibiao::v1::IndicatorFilter& filter, const ScanVisitor& visit,
                               absl::string_view start_after,
                               const rocksdb::Snapshot* snapshot) const;

  // A page of indicators whose subject holds every word of the request and
  // that match its filter, in index order, with their sentences and where
  // the figure and the words sit in them (see StorageService.SearchIndicators).
  // INVALID_ARGUMENT for a bad page size or token.
  absl::StatusOr<zhibiao::v1::SearchIndicatorsResponse> Search(
      const zhibiao::v1::SearchIndicatorsRequest& request) const;

  // Writes a consistent checkpoint into `directory` (which must not exist
  // and must lie outside the data directory), with a marker saying when;
  // with keep > 0, then removes this shard's oldest checkpoints beside it so
  // that `keep` remain (common/store/checkpoint_retention.h).
  struct CheckpointWritten {
    int64_t reports = 0;               // reports in the checkpoint
    std::vector<std::string> removed;  // older checkpoints removed
  };
  absl::StatusOr<CheckpointWritten> Checkpoint(const std::string& directory, int keep = 0) const;

  zhibiao::v1::GetStatsResponse Stats() const;

  // OK while the shard can take writes: its last group commit succeeded (or,
  // after one failed, RocksDB resumed and a synced probe write got through)
  // and its file system has min_free_disk_bytes free. Else UNAVAILABLE or
  // RESOURCE_EXHAUSTED saying why. For the health loop (about once a second).
  absl::Status Health();

  // Compacts every column family fully (an operator action after a bulk load:
  // scans then read one sorted run instead of merging many).
  absl::Status CompactAll();

  // Cross-checks reports and index entries; see StorageService.Verify.
  zhibiao::v1::VerifyResponse Verify(int max_problems) const;

  // Stops the writer (after finishing queued mutations) and closes the DB.
  void Close();

  const StoreOptions& options() const { return options_; }

 private:
  // A report encoded for writing. Built on the caller's thread, so the single
  // writer only decides and writes (serialisation would otherwise be a third
  // of its time).
  struct PreparedPut {
    // Extractor version and hints (DerivationOf in the .cc): a put of the
    // same id with the same derivation changes nothing.
    std::string derivation;
    std::string published_date;
    int64_t ingested_at_unix_ms = 0;
    std::string report_bytes;  // zhibiao.v1.Report with ingested_at set
    std::string region_key;
    std::string meta_bytes;
    std::vector<std::pair<std::string, std::string>> index;  // ind_by_metric keys and values
    std::string replaces_report_id;                          // for an arriving mark; "" for none
  };
  struct Mutation {
    bool is_delete = false;
    bool is_settle = false;  // answers through delete_done
    std::string report_id;
    PreparedPut put;  // for puts
    PutCallback put_done;
    DeleteCallback delete_done;
  };

  explicit IndicatorStore(StoreOptions options);
  // Opens RocksDB (options from StoreOptions, the column families), checks
  // the schema version and loads the in-memory index.
  absl::Status OpenDb();
  // The in-memory index from disk: report dates, arriving marks, every entry.
  absl::Status LoadIndexCache();
  absl::Status LockDataDir();
  // OK, or RESOURCE_EXHAUSTED when the disk is below min_free_disk_bytes.
  absl::Status CheckFreeDisk() const;
  // Queues a delete (or, with `settle`, a settle) of one report.
  void EnqueueForReport(std::string report_id, bool settle, DeleteCallback done);
  // OK, or UNAVAILABLE (closing) or RESOURCE_EXHAUSTED (queue full).
  absl::Status Enqueue(Mutation* mutation) ABSL_LOCKS_EXCLUDED(mu_);
  void WriterLoop() ABSL_LOCKS_EXCLUDED(mu_);
  // Commits a group of mutations: decide, write, update the index, answer.
  void CommitGroup(std::vector<Mutation>* group);
  class GroupCommit;
  // The arriving marks stored at `snapshot`, for answers that read the
  // database (lists, search) rather than the in-memory index.
  absl::StatusOr<std::vector<zhibiao::v1::ArrivingReport>> ArrivingAt(
      const rocksdb::Snapshot* snapshot) const;

  const StoreOptions options_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;  // owned; destroyed before db_
  std::shared_ptr<rocksdb::Statistics> statistics_;
  std::unique_ptr<IndexCache> cache_;
  int dir_lock_fd_ = -1;  // flock(LOCK_EX) on data_dir while open

  absl::Mutex health_mu_;
  // Why the last group commit failed; empty once a write succeeded again.
  std::string write_failure_ ABSL_GUARDED_BY(health_mu_);

  absl::Mutex mu_;
  std::deque<Mutation> queue_ ABSL_GUARDED_BY(mu_);
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
  std::thread writer_;
};

}  // namespace zb::store

#endif  // ZHIBIAO_COMMON_STORE_INDICATOR_STORE_H_
