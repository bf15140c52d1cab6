#include "common/store/indicator_store.h"

#include <rocksdb/cache.h>
#include <rocksdb/convenience.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/statistics.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/utilities/options_util.h>
#include <rocksdb/write_batch.h>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <algorithm>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/base/logging.h"
#include "common/store/checkpoint_retention.h"
#include "common/store/keys.h"
#include "common/store/rocks_status.h"
#include "common/text/normalize.h"

namespace zb::store {
namespace {

// What decides a report's extraction besides its text (which its id
// stands for): the extractor version and the caller's hints. A put with the
// same id and derivation as the stored report is a duplicate, whatever its
// format, file name or labels; any other one re-extracted it and replaces it.
std::string DerivationOf(const zhibiao::v1::ReportMeta& meta) {
  return absl::StrCat(meta.extractor_version(), "\n", meta.hints().SerializeAsString());
}

// Column families, in the order of handles_.
enum Cf { kDefault = 0, kReports, kReportByRegion, kIndByMetric, kMeta, kCfCount };
constexpr const char* kCfNames[kCfCount] = {"default", "reports", "report_by_region",
                                            "ind_by_metric", "meta"};
constexpr char kSchemaKey[] = "schema_version";
// meta: "arriving/" + report_id -> the report id it replaces (PutReportRequest.replaces_report_id).
constexpr char kArrivingPrefix[] = "arriving/";
std::string ArrivingKey(absl::string_view report_id) {
  return absl::StrCat(kArrivingPrefix, report_id);
}

// Runs `start` with a callback and waits for it: the blocking form of an
// asynchronous write.
template <typename T, typename Start>
absl::StatusOr<T> WaitForCallback(Start start) {
  absl::Notification done;
  absl::StatusOr<T> result;
  start([&](absl::StatusOr<T> r) {
    result = std::move(r);
    done.Notify();
  });
  done.WaitForNotification();
  return result;
}

// The prefix of an ind_by_metric key up to and including the end of its
// escaped metric (0x00 0x01): scans of one metric stay inside one prefix, so
// prefix blooms skip files that hold none of it.
class MetricPrefixTransform : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "zhibiao.MetricPrefix.v1"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    return rocksdb::Slice(key.data(), End(key));
  }
  bool InDomain(const rocksdb::Slice& key) const override { return End(key) > 0; }

 private:
  // Bytes up to and including the terminator, or 0 when there is none.
  static size_t End(const rocksdb::Slice& key) {
    for (size_t i = 0; i + 1 < key.size(); ++i) {
      if (key[i] == '\0') {
        if (key[i + 1] == '\x01') return i + 2;
        ++i;  // an escaped 0x00 0xFF
      }
    }
    return 0;
  }
};

bool IsReportId(absl::string_view id) {
  if (id.size() != kReportIdBytes) return false;
  for (char c : id) {
    if (!absl::ascii_isxdigit(c) || absl::ascii_isupper(c)) return false;
  }
  return true;
}

}  // namespace

void RestoreSentences(zhibiao::v1::Report* report) {
  const std::string& text = report->normalized_text();
  // Byte offset of every code point, once.
  std::vector<size_t> byte_of;
  byte_of.reserve(text.size() / 2 + 1);
  for (size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) byte_of.push_back(i);
  }
  byte_of.push_back(text.size());
  const int64_t code_points = static_cast<int64_t>(byte_of.size()) - 1;
  for (auto& ind : *report->mutable_indicators()) {
    const int64_t b = ind.sentence_char_begin(), e = ind.sentence_char_end();
    if (!ind.sentence().empty() || e <= b || b < 0 || e > code_points) continue;
    ind.set_sentence(text.substr(byte_of[b], byte_of[e] - byte_of[b]));
  }
}

IndicatorStore::IndicatorStore(StoreOptions options) : options_(std::move(options)) {}

absl::StatusOr<std::unique_ptr<IndicatorStore>> IndicatorStore::Open(const StoreOptions& options) {
  std::unique_ptr<IndicatorStore> store(new IndicatorStore(options));
  absl::Status opened = store->OpenDb();
  if (!opened.ok()) return opened;
  store->writer_ = std::thread([s = store.get()] { s->WriterLoop(); });
  return store;
}

absl::Status IndicatorStore::LockDataDir() {
  dir_lock_fd_ = open(options_.data_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_lock_fd_ < 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot open data directory ", options_.data_dir, ": ", std::strerror(errno)));
  }
  if (flock(dir_lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    close(dir_lock_fd_);
    dir_lock_fd_ = -1;
    if (error == EWOULDBLOCK) {
      return absl::FailedPreconditionError(absl::StrCat(
          "data directory ", options_.data_dir,
          " is open in another storage process (it holds the directory's lock); stop it, or "
          "give this one its own --data_dir"));
    }
    return absl::UnavailableError(
        absl::StrCat("cannot lock data directory ", options_.data_dir, ": ", std::strerror(error)));
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> FreeDiskBytes(const std::string& dir) {
  struct statvfs fs;
  if (statvfs(dir.c_str(), &fs) != 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot read the free space of ", dir, ": ", std::strerror(errno)));
  }
  return static_cast<int64_t>(fs.f_bavail) * static_cast<int64_t>(fs.f_frsize);
}

absl::Status IndicatorStore::CheckFreeDisk() const {
  if (options_.min_free_disk_bytes <= 0) return absl::OkStatus();
  absl::StatusOr<int64_t> free_bytes = options_.free_disk_bytes
                                           ? options_.free_disk_bytes(options_.data_dir)
                                           : FreeDiskBytes(options_.data_dir);
  if (!free_bytes.ok()) return free_bytes.status();
  if (*free_bytes < options_.min_free_disk_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat("the disk of ", options_.data_dir, " has ", *free_bytes >> 20,
                     " MiB free, below the floor of ", options_.min_free_disk_bytes >> 20,
                     " MiB (--min_free_disk_mb): free space or move the shard"));
  }
  return absl::OkStatus();
}

absl::Status IndicatorStore::Health() {
  std::string failure;
  {
    absl::MutexLock lock(&health_mu_);
    failure = write_failure_;
  }
  if (!failure.empty()) {
    // RocksDB stops writing after a background error (a full disk among
    // them); try to resume, then prove a synced write gets through.
    rocksdb::Status s = db_->Resume();
    if (s.ok()) {
      rocksdb::WriteOptions wo;
      wo.sync = options_.sync;
      s = db_->Put(wo, handles_[kDefault], "health_probe",
                   absl::StrCat(absl::ToUnixMillis(absl::Now())));
    }
    if (!s.ok()) {
      return absl::UnavailableError(
          absl::StrCat("writes fail: ", failure, " (probe: ", s.ToString(), ")"));
    }
    absl::MutexLock lock(&health_mu_);
    if (write_failure_ == failure) write_failure_.clear();
    LogInfo("store_writes_recovered", {{"after", failure}});
  }
  return CheckFreeDisk();
}

namespace {

// RocksDB's options from StoreOptions and --rocksdb_options (which win).
absl::StatusOr<rocksdb::Options> DbOptionsFrom(const StoreOptions& options,
                                               std::shared_ptr<rocksdb::Statistics> statistics) {
  rocksdb::Options db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.IncreaseParallelism(2);
  db_options.max_open_files = options.max_open_files;
  db_options.db_write_buffer_size = options.memtable_budget_bytes;
  db_options.statistics = std::move(statistics);
  if (!options.rocksdb_options.empty()) {
    rocksdb::Options parsed;
    rocksdb::ConfigOptions config;
    rocksdb::Status s =
        rocksdb::GetOptionsFromString(config, db_options, options.rocksdb_options, &parsed);
    if (!s.ok()) return FromRocksStatus(s, "--rocksdb_options");
    db_options = parsed;
  }

  return db_options;
}

// Every column family's options: block cache, blooms, compression; the
// index family, which aggregations scan end to end, uncompressed.
absl::StatusOr<std::vector<rocksdb::ColumnFamilyDescriptor>> ColumnFamiliesFrom(
    const StoreOptions& options, const rocksdb::Options& db_options) {
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  if (options.bloom_bits_per_key > 0) {
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(options.bloom_bits_per_key));
  }
  table.cache_index_and_filter_blocks = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  rocksdb::ColumnFamilyOptions cf_options(db_options);
  cf_options.OptimizeLevelStyleCompaction();
  cf_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  if (options.compression == "lz4") {
    cf_options.compression = rocksdb::kLZ4Compression;
    cf_options.bottommost_compression = rocksdb::kZSTD;
  } else if (options.compression == "zstd") {
    cf_options.compression = rocksdb::kZSTD;
    cf_options.bottommost_compression = rocksdb::kZSTD;
  } else if (options.compression == "none") {
    cf_options.compression = rocksdb::kNoCompression;
    cf_options.bottommost_compression = rocksdb::kNoCompression;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("--compression must be lz4, zstd or none, got \"", options.compression, "\""));
  }
  if (options.write_buffer_bytes > 0) cf_options.write_buffer_size = options.write_buffer_bytes;

  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const char* name : kCfNames) descriptors.emplace_back(name, cf_options);
  // The index family is what aggregations scan end to end: its small entries
  // compress poorly and decompressing every block on every scan costs more
  // than the disk it saves, so it is stored uncompressed.
  descriptors[kIndByMetric].options.compression = rocksdb::kNoCompression;
  descriptors[kIndByMetric].options.bottommost_compression = rocksdb::kNoCompression;
  if (options.index_prefix_extractor) {
    descriptors[kIndByMetric].options.prefix_extractor = std::make_shared<MetricPrefixTransform>();
    descriptors[kIndByMetric].options.memtable_prefix_bloom_size_ratio = 0.05;
  }
  return descriptors;
}

// Writes the schema version into a new database; refuses one written by a
// newer schema (FAILED_PRECONDITION) or an unreadable version (DATA_LOSS).
absl::Status CheckSchemaVersion(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* meta,
                                const std::string& data_dir) {
  std::string version;
  rocksdb::Status s = db->Get(rocksdb::ReadOptions(), meta, kSchemaKey, &version);
  if (s.IsNotFound()) {
    rocksdb::WriteOptions wo;
    wo.sync = true;
    s = db->Put(wo, meta, kSchemaKey, std::to_string(kSchemaVersion));
    if (!s.ok()) return FromRocksStatus(s, "write schema version");
  } else if (!s.ok()) {
    return FromRocksStatus(s, "read schema version");
  } else {
    int stored = 0;
    if (!absl::SimpleAtoi(version, &stored)) {
      return absl::DataLossError(
          absl::StrCat("schema version \"", version, "\" in ", data_dir, " is not a number"));
    }
    if (stored > kSchemaVersion) {
      return absl::FailedPreconditionError(
          absl::StrCat("database at ", data_dir, " was written by schema version ", stored,
                       "; this zhibiao-storage supports up to ", kSchemaVersion,
                       ": run a newer zhibiao-storage or restore a backup"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status IndicatorStore::OpenDb() {
  std::error_code ec;
  std::filesystem::create_directories(options_.data_dir, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("cannot create data directory ", options_.data_dir, ": ", ec.message()));
  }
  if (absl::Status locked = LockDataDir(); !locked.ok()) return locked;
  statistics_ = rocksdb::CreateDBStatistics();
  absl::StatusOr<rocksdb::Options> db_options = DbOptionsFrom(options_, statistics_);
  if (!db_options.ok()) return db_options.status();
  absl::StatusOr<std::vector<rocksdb::ColumnFamilyDescriptor>> descriptors =
      ColumnFamiliesFrom(options_, *db_options);
  if (!descriptors.ok()) return descriptors.status();
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(rocksdb::DBOptions(*db_options), options_.data_dir,
                                        *descriptors, &handles_, &raw);
  if (!s.ok()) return FromRocksStatus(s, absl::StrCat("open RocksDB at ", options_.data_dir));
  db_.reset(raw);
  if (absl::Status schema = CheckSchemaVersion(db_.get(), handles_[kMeta], options_.data_dir);
      !schema.ok()) {
    return schema;
  }
  if (absl::Status loaded = LoadIndexCache(); !loaded.ok()) return loaded;
  LogInfo("store_opened", {{"data_dir", options_.data_dir},
                           {"index_cache_entries", cache_->live_entries()},
                           {"schema_version", kSchemaVersion},
                           {"block_cache_bytes", options_.block_cache_bytes},
                           {"sync", options_.sync ? "true" : "false"}});
  return absl::OkStatus();
}

absl::Status IndicatorStore::LoadIndexCache() {
  // The in-memory index: when each report was published (for the
  // revised-report rule), then every index entry.
  cache_ = std::make_unique<IndexCache>();
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  ro.total_order_seek = true;
  {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, handles_[kReportByRegion]));
    zhibiao::v1::ReportMeta meta;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      if (!meta.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
        return absl::DataLossError(
            "a report_by_region entry does not decode; run zhibiao admin verify");
      }
      cache_->SetReportInfo(meta.report_id(), meta.published_date(), meta.ingested_at_unix_ms());
    }
    if (!it->status().ok()) return FromRocksStatus(it->status(), "load report dates");
  }
  {
    std::unique_ptr<rocksdb::Iterator> marks(db_->NewIterator(ro, handles_[kMeta]));
    for (marks->Seek(kArrivingPrefix); marks->Valid() && marks->key().starts_with(kArrivingPrefix);
         marks->Next()) {
      cache_->SetArriving(ToView(marks->key()).substr(sizeof(kArrivingPrefix) - 1),
                          ToView(marks->value()));
    }
    if (!marks->status().ok()) return FromRocksStatus(marks->status(), "load arriving marks");
  }
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, handles_[kIndByMetric]));
  IndicatorKeyParts parts;
  IndexValue value;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (!ParseIndicatorKey(ToView(it->key()), &parts) ||
        !DecodeIndexValue(ToView(it->value()), &value)) {
      return absl::DataLossError(
          "an ind_by_metric entry does not decode; run zhibiao admin verify");
    }
    cache_->Add(parts, value);
  }
  if (!it->status().ok()) return FromRocksStatus(it->status(), "load index cache");
  cache_->FinishLoad();
  return absl::OkStatus();
}

IndicatorStore::~IndicatorStore() { Close(); }

void IndicatorStore::Close() {
  {
    absl::MutexLock lock(&mu_);
    closing_ = true;
  }
  if (writer_.joinable()) writer_.join();
  if (db_ != nullptr) {
    for (rocksdb::ColumnFamilyHandle* h : handles_) {
      rocksdb::Status s = db_->DestroyColumnFamilyHandle(h);
      (void)s;
    }
    handles_.clear();
    rocksdb::Status s = db_->Close();
    if (!s.ok()) LogWarning("store_close_failed", {{"error", s.ToString()}});
    db_.reset();
  }
  if (dir_lock_fd_ >= 0) {
    close(dir_lock_fd_);  // releases the flock
    dir_lock_fd_ = -1;
  }
}

absl::Status IndicatorStore::Enqueue(Mutation* mutation) {
  absl::MutexLock lock(&mu_);
  if (closing_) return absl::UnavailableError("storage is shutting down");
  if (static_cast<int>(queue_.size()) >= options_.max_queue) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "storage write queue is full (", options_.max_queue, " mutations); retry later"));
  }
  queue_.push_back(std::move(*mutation));
  return absl::OkStatus();
}

void IndicatorStore::PutAsync(zhibiao::v1::Report report, PutCallback done,
                              std::string replaces_report_id) {
  if (!IsReportId(report.meta().report_id())) {
    done(absl::InvalidArgumentError(absl::StrCat("report.meta.report_id \"",
                                                 report.meta().report_id(),
                                                 "\" is not 32 lowercase hex digits")));
    return;
  }
  if (!replaces_report_id.empty() && !IsReportId(replaces_report_id)) {
    done(absl::InvalidArgumentError(absl::StrCat("replaces_report_id \"", replaces_report_id,
                                                 "\" is not 32 lowercase hex digits")));
    return;
  }
  if (absl::Status disk = CheckFreeDisk(); !disk.ok()) {
    done(disk);
    return;
  }
  Mutation m;
  m.report_id = report.meta().report_id();
  PreparedPut& p = m.put;
  p.derivation = DerivationOf(report.meta());
  p.ingested_at_unix_ms = absl::ToUnixMillis(absl::Now());
  report.mutable_meta()->set_ingested_at_unix_ms(p.ingested_at_unix_ms);
  p.published_date = report.meta().published_date();
  p.region_key = RegionIndexKey(report.meta());
  report.meta().SerializeToString(&p.meta_bytes);
  p.index.reserve(report.indicators_size());
  for (const auto& ind : report.indicators()) {
    p.index.emplace_back(IndicatorKey(report.meta(), ind), EncodeIndexValue(report.meta(), ind));
  }
  // Sentences are slices of the normalised text: store their offsets only
  // (a third of a typical report's bytes) and fill them back on reads.
  for (auto& ind : *report.mutable_indicators()) {
    if (ind.sentence_char_end() > ind.sentence_char_begin()) ind.clear_sentence();
  }
  report.SerializeToString(&p.report_bytes);
  p.replaces_report_id = std::move(replaces_report_id);
  m.put_done = std::move(done);
  absl::Status queued = Enqueue(&m);
  if (!queued.ok()) m.put_done(queued);  // not moved from when refused
}

absl::StatusOr<PutResult> IndicatorStore::Put(zhibiao::v1::Report report,
                                              std::string replaces_report_id) {
  return WaitForCallback<PutResult>([&](PutCallback done) {
    PutAsync(std::move(report), std::move(done), std::move(replaces_report_id));
  });
}

void IndicatorStore::EnqueueForReport(std::string report_id, bool settle, DeleteCallback done) {
  if (!IsReportId(report_id)) {
    done(absl::InvalidArgumentError(
        absl::StrCat("report id \"", report_id, "\" is not 32 lowercase hex digits")));
    return;
  }
  Mutation m;
  m.is_delete = !settle;
  m.is_settle = settle;
  m.report_id = std::move(report_id);
  m.delete_done = std::move(done);
  absl::Status queued = Enqueue(&m);
  if (!queued.ok()) m.delete_done(queued);  // not moved from when refused
}

void IndicatorStore::DeleteAsync(std::string report_id, DeleteCallback done) {
  EnqueueForReport(std::move(report_id), /*settle=*/false, std::move(done));
}

absl::StatusOr<int> IndicatorStore::Delete(absl::string_view report_id) {
  return WaitForCallback<int>(
      [&](DeleteCallback done) { DeleteAsync(std::string(report_id), std::move(done)); });
}

void IndicatorStore::SettleAsync(std::string report_id, DeleteCallback done) {
  EnqueueForReport(std::move(report_id), /*settle=*/true, std::move(done));
}

absl::StatusOr<int> IndicatorStore::Settle(absl::string_view report_id) {
  return WaitForCallback<int>(
      [&](DeleteCallback done) { SettleAsync(std::string(report_id), std::move(done)); });
}

void IndicatorStore::WriterLoop() {
  while (true) {
    std::vector<Mutation> group;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return closing_ || !queue_.empty(); };
      mu_.Await(absl::Condition(&ready));
      if (queue_.empty()) return;  // closing and drained
      while (!queue_.empty() && static_cast<int>(group.size()) < options_.max_group) {
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    CommitGroup(&group);
  }
}

// One group commit: decides every mutation against what is stored (and
// what the mutations before it in the group did), builds one batch, and,
// once it is durable, brings the in-memory index along and answers each
// caller. Runs on the writer thread only.
class IndicatorStore::GroupCommit {
 public:
  GroupCommit(IndicatorStore* store, std::vector<Mutation>* group)
      : store_(*store),
        group_(*group),
        put_results_(group->size()),
        delete_results_(group->size()),
        mark_writes_(group->size(), MarkWrite::kNone) {}

  // Decides each mutation in order into the batch.
  void Decide() {
    for (size_t i = 0; i < group_.size(); ++i) {
      Mutation& m = group_[i];
      absl::StatusOr<std::optional<Stored>> existing = Load(m.report_id);
      if (!existing.ok()) {
        if (m.is_delete || m.is_settle)
          delete_results_[i] = existing.status();
        else
          put_results_[i] = existing.status();
        continue;
      }
      if (m.is_settle) {
        DecideSettle(i, *existing);
      } else if (m.is_delete) {
        DecideDelete(i, *existing);
      } else {
        DecidePut(i, *existing);
      }
    }
  }

  // Writes the batch (synced); records a failure for Health.
  absl::Status Write() {
    if (batch_.Count() == 0) return absl::OkStatus();
    rocksdb::WriteOptions wo;
    wo.sync = store_.options_.sync;
    absl::Status written = FromRocksStatus(store_.db_->Write(wo, &batch_), "write batch");
    absl::MutexLock lock(&store_.health_mu_);
    if (!written.ok()) {
      LogError("store_write_failed", {{"error", written.message()}});
      store_.write_failure_ = std::string(written.message());
    } else {
      store_.write_failure_.clear();
    }
    return written;
  }

  // The in-memory index's changes for the state just made durable, in group
  // order (decoded here, before the index's lock is taken). The changes
  // point into the group's mutations.
  std::vector<IndexCache::Change> CacheChanges() const {
    std::vector<IndexCache::Change> changes;
    for (size_t i = 0; i < group_.size(); ++i) AddCacheChanges(i, &changes);
    // A metric with escaped bytes is decoded into its own scratch string:
    // point the view at it now that the vector no longer moves.
    for (IndexCache::Change& c : changes) {
      if (!c.key.metric_scratch.empty()) c.key.metric_key = c.key.metric_scratch;
    }
    return changes;
  }

  // Answers every caller: its own outcome, or the batch's failure.
  void Answer(const absl::Status& written) {
    for (size_t i = 0; i < group_.size(); ++i) {
      Mutation& m = group_[i];
      if (m.is_delete || m.is_settle) {
        m.delete_done(written.ok() || !delete_results_[i].ok() ? delete_results_[i]
                                                               : absl::StatusOr<int>(written));
      } else {
        m.put_done(written.ok() || !put_results_[i].ok() ? put_results_[i]
                                                         : absl::StatusOr<PutResult>(written));
      }
    }
  }

 private:
  // What is stored for an id, as far as this group is concerned: its
  // derivation, its ingestion time and the index keys to remove if it is
  // replaced or deleted.
  struct Stored {
    std::string derivation;
    int64_t ingested_at_unix_ms = 0;
    std::string region_key;
    std::vector<std::string> index_keys;
  };
  // What a mutation did to its report's arriving mark.
  enum class MarkWrite : uint8_t { kNone, kSet, kCleared };

  absl::StatusOr<std::optional<Stored>> Load(const std::string& id) const {
    auto it = overlay_.find(id);
    if (it != overlay_.end()) return it->second;
    std::string value;
    rocksdb::Status s =
        store_.db_->Get(rocksdb::ReadOptions(), store_.handles_[kReports], ReportKey(id), &value);
    if (s.IsNotFound()) return std::optional<Stored>();
    if (!s.ok()) return FromRocksStatus(s, absl::StrCat("read report ", id));
    zhibiao::v1::Report existing;
    if (!existing.ParseFromString(value)) {
      return absl::DataLossError(absl::StrCat("stored report ", id, " does not parse"));
    }
    Stored stored;
    stored.derivation = DerivationOf(existing.meta());
    stored.ingested_at_unix_ms = existing.meta().ingested_at_unix_ms();
    stored.region_key = RegionIndexKey(existing.meta());
    for (const auto& ind : existing.indicators()) {
      stored.index_keys.push_back(IndicatorKey(existing.meta(), ind));
    }
    return std::optional<Stored>(std::move(stored));
  }

  void RemoveIndexes(const Stored& old) {
    batch_.Delete(store_.handles_[kReportByRegion], old.region_key);
    for (const std::string& key : old.index_keys) batch_.Delete(store_.handles_[kIndByMetric], key);
  }

  std::optional<std::string> MarkOf(const std::string& id) const {
    auto it = marks_.find(id);
    return it != marks_.end() ? it->second : store_.cache_->ArrivingMarkOf(id);
  }
  void SetMark(size_t i, const std::string& id, const std::string& replaces) {
    if (MarkOf(id) == replaces) return;
    batch_.Put(store_.handles_[kMeta], ArrivingKey(id), replaces);
    marks_[id] = replaces;
    mark_writes_[i] = MarkWrite::kSet;
  }
  bool ClearMark(size_t i, const std::string& id) {
    if (!MarkOf(id).has_value()) return false;
    batch_.Delete(store_.handles_[kMeta], ArrivingKey(id));
    marks_[id] = std::nullopt;
    mark_writes_[i] = MarkWrite::kCleared;
    return true;
  }

  void DecideSettle(size_t i, const std::optional<Stored>& existing) {
    const std::string& id = group_[i].report_id;
    if (!existing.has_value()) {
      delete_results_[i] = absl::NotFoundError(absl::StrCat("report ", id, " is not stored"));
      return;
    }
    delete_results_[i] = ClearMark(i, id) ? 1 : 0;
  }

  void DecideDelete(size_t i, const std::optional<Stored>& existing) {
    const std::string& id = group_[i].report_id;
    if (!existing.has_value()) {
      delete_results_[i] = absl::NotFoundError(absl::StrCat("report ", id, " is not stored"));
      return;
    }
    RemoveIndexes(*existing);
    batch_.Delete(store_.handles_[kReports], ReportKey(id));
    ClearMark(i, id);
    delete_results_[i] = static_cast<int>(existing->index_keys.size());
    overlay_[id] = std::nullopt;
  }

  void DecidePut(size_t i, const std::optional<Stored>& existing) {
    const std::string& id = group_[i].report_id;
    const PreparedPut& p = group_[i].put;
    // A re-extraction in place (the replaced id is this one, stored here) is
    // not arriving from anywhere.
    const bool arriving =
        !p.replaces_report_id.empty() && !(p.replaces_report_id == id && existing.has_value());
    if (arriving) SetMark(i, id, p.replaces_report_id);
    if (existing.has_value() && existing->derivation == p.derivation) {
      put_results_[i] =
          PutResult{zhibiao::v1::PUT_OUTCOME_UNCHANGED, existing->ingested_at_unix_ms};
      return;
    }
    PutResult result;
    if (existing.has_value()) {
      RemoveIndexes(*existing);
      result.outcome = zhibiao::v1::PUT_OUTCOME_REPLACED;
    } else {
      result.outcome = zhibiao::v1::PUT_OUTCOME_STORED;
    }
    result.ingested_at_unix_ms = p.ingested_at_unix_ms;
    batch_.Put(store_.handles_[kReportByRegion], p.region_key, p.meta_bytes);
    Stored now;
    now.derivation = p.derivation;
    now.ingested_at_unix_ms = p.ingested_at_unix_ms;
    now.region_key = p.region_key;
    now.index_keys.reserve(p.index.size());
    for (const auto& [key, value] : p.index) {
      batch_.Put(store_.handles_[kIndByMetric], key, value);
      now.index_keys.push_back(key);
    }
    batch_.Put(store_.handles_[kReports], ReportKey(id), p.report_bytes);
    put_results_[i] = result;
    overlay_[id] = std::move(now);
  }

  void AddCacheChanges(size_t i, std::vector<IndexCache::Change>* changes) const {
    const Mutation& m = group_[i];
    IndexCache::Change remove;
    remove.kind = IndexCache::Change::Kind::kRemoveReport;
    remove.report_id = m.report_id;
    IndexCache::Change mark;
    mark.kind = mark_writes_[i] == MarkWrite::kSet ? IndexCache::Change::Kind::kArriving
                                                   : IndexCache::Change::Kind::kSettle;
    mark.report_id = m.report_id;
    mark.replaces_report_id = m.put.replaces_report_id;
    const bool mark_changed = mark_writes_[i] != MarkWrite::kNone;
    if (m.is_delete || m.is_settle) {
      if (m.is_delete && delete_results_[i].ok()) changes->push_back(remove);
      if (mark_changed) changes->push_back(mark);
      return;
    }
    if (!put_results_[i].ok()) return;
    if (put_results_[i]->outcome == zhibiao::v1::PUT_OUTCOME_UNCHANGED) {
      if (mark_changed) changes->push_back(mark);
      return;
    }
    if (put_results_[i]->outcome == zhibiao::v1::PUT_OUTCOME_REPLACED) changes->push_back(remove);
    IndexCache::Change info;
    info.kind = IndexCache::Change::Kind::kReportInfo;
    info.report_id = m.report_id;
    info.published_date = m.put.published_date;
    info.ingested_at_unix_ms = m.put.ingested_at_unix_ms;
    changes->push_back(info);
    for (const auto& [key, encoded] : m.put.index) {
      IndexCache::Change add;
      if (ParseIndicatorKey(key, &add.key) && DecodeIndexValue(encoded, &add.value)) {
        changes->push_back(std::move(add));
      }
    }
    if (mark_changed) changes->push_back(mark);
  }

  IndicatorStore& store_;
  std::vector<Mutation>& group_;
  rocksdb::WriteBatch batch_;
  // Ids this group has written or deleted so far (nullopt: deleted), and
  // arriving marks as it leaves them (nullopt: none), so that mutations of
  // one id inside one group see each other.
  std::map<std::string, std::optional<Stored>> overlay_;
  std::map<std::string, std::optional<std::string>> marks_;
  std::vector<absl::StatusOr<PutResult>> put_results_;
  std::vector<absl::StatusOr<int>> delete_results_;
  std::vector<MarkWrite> mark_writes_;
};

void IndicatorStore::CommitGroup(std::vector<Mutation>* group) {
  GroupCommit commit(this, group);
  commit.Decide();
  const absl::Status written = commit.Write();
  if (written.ok()) cache_->ApplyGroup(commit.CacheChanges());
  commit.Answer(written);
}

absl::StatusOr<zhibiao::v1::Report> IndicatorStore::Get(absl::string_view report_id) const {
  if (!IsReportId(report_id)) {
    return absl::InvalidArgumentError(
        absl::StrCat("report id \"", report_id, "\" is not 32 lowercase hex digits"));
  }
  std::string value;
  rocksdb::Status s =
      db_->Get(rocksdb::ReadOptions(), handles_[kReports], ReportKey(report_id), &value);
  if (s.IsNotFound())
    return absl::NotFoundError(absl::StrCat("report ", report_id, " is not stored"));
  if (!s.ok()) return FromRocksStatus(s, absl::StrCat("read report ", report_id));
  zhibiao::v1::Report report;
  if (!report.ParseFromString(value)) {
    return absl::DataLossError(absl::StrCat("stored report ", report_id, " does not parse"));
  }
  RestoreSentences(&report);
  return report;
}

absl::StatusOr<ListResult> IndicatorStore::List(const ListQuery& query) const {
  if (query.page_size < 0 || query.page_size > 1000) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_size ", query.page_size, " is outside 0..1000"));
  }
  const int page_size = query.page_size == 0 ? 100 : query.page_size;
  if (!query.region_code.empty() && RegionKeyPart(query.region_code) != query.region_code) {
    return absl::InvalidArgumentError(
        absl::StrCat("region_code \"", query.region_code, "\" is not a six-digit GB/T 2260 code"));
  }
  if (!query.province_code.empty() && (RegionKeyPart(query.province_code) != query.province_code ||
                                       query.province_code.substr(2) != "0000")) {
    return absl::InvalidArgumentError(absl::StrCat("province_code \"", query.province_code,
                                                   "\" is not a province code like 410000"));
  }
  std::string prefix;
  if (!query.region_code.empty()) {
    prefix = RegionKeyPart(query.region_code);
    if (query.year > 0) AppendUint16(YearKeyPart(query.year), &prefix);
  } else if (!query.province_code.empty()) {
    prefix = query.province_code.substr(0, 2);
  }
  std::string start = prefix;
  if (!query.page_token.empty()) {
    std::string token;
    if (!absl::WebSafeBase64Unescape(query.page_token, &token) ||
        !absl::StartsWith(token, prefix)) {
      return absl::InvalidArgumentError("page_token is not valid for this query");
    }
    start = token;
    start.push_back('\0');  // first key after the token
  }
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  // The page and the arriving marks as of one moment.
  std::shared_ptr<const rocksdb::Snapshot> snapshot(
      db_->GetSnapshot(), [this](const rocksdb::Snapshot* s) { db_->ReleaseSnapshot(s); });
  ro.snapshot = snapshot.get();
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, handles_[kReportByRegion]));
  ListResult out;
  absl::StatusOr<std::vector<zhibiao::v1::ArrivingReport>> arriving = ArrivingAt(snapshot.get());
  if (!arriving.ok()) return arriving.status();
  out.arriving = *std::move(arriving);
  std::string last_key;
  for (it->Seek(ToSlice(start)); it->Valid(); it->Next()) {
    absl::string_view key = ToView(it->key());
    if (!absl::StartsWith(key, prefix)) break;
    if (key.size() != kRegionBytes + 2 + kReportIdBytes) continue;
    if (query.year > 0 && DecodeUint16(key.data() + kRegionBytes) != query.year) continue;
    zhibiao::v1::ReportMeta meta;
    if (!meta.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return absl::DataLossError(
          absl::StrCat("region index entry for ", key.substr(kRegionBytes + 2), " does not parse"));
    }
    if (!query.issuer.empty() && meta.issuer() != query.issuer) continue;
    if (static_cast<int>(out.reports.size()) == page_size) {
      out.next_page_token = absl::WebSafeBase64Escape(last_key);
      break;
    }
    last_key = std::string(key);
    out.reports.push_back(std::move(meta));
  }
  if (!it->status().ok()) return FromRocksStatus(it->status(), "list reports");
  return out;
}

absl::StatusOr<int64_t> IndicatorStore::Scan(const zhibiao::v1::IndicatorFilter& filter,
                                             const ScanVisitor& visit,
                                             absl::string_view start_after) const {
  return Scan(filter, visit, start_after, nullptr);
}

absl::StatusOr<std::vector<zhibiao::v1::ArrivingReport>> IndicatorStore::ArrivingAt(
    const rocksdb::Snapshot* snapshot) const {
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot;
  ro.total_order_seek = true;
  std::vector<zhibiao::v1::ArrivingReport> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, handles_[kMeta]));
  for (it->Seek(kArrivingPrefix); it->Valid() && it->key().starts_with(kArrivingPrefix);
       it->Next()) {
    zhibiao::v1::ArrivingReport a;
    a.set_report_id(std::string(ToView(it->key()).substr(sizeof(kArrivingPrefix) - 1)));
    a.set_replaces_report_id(std::string(ToView(it->value())));
    out.push_back(std::move(a));
  }
  if (!it->status().ok()) return FromRocksStatus(it->status(), "read arriving marks");
  return out;
}

absl::StatusOr<int64_t> IndicatorStore::Scan(const zhibiao::v1::IndicatorFilter& filter,
                                             const ScanVisitor& visit,
                                             absl::string_view start_after,
                                             const rocksdb::Snapshot* snapshot) const {
  const agg::IndicatorMatcher matcher(filter);
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  ro.readahead_size = 2 << 20;
  // Scans cross metric prefixes (an empty filter reads everything), so the
  // iterator must ignore the prefix extractor; per-metric scans stop at their
  // prefix themselves.
  ro.total_order_seek = true;
  const rocksdb::Snapshot* own = snapshot == nullptr ? db_->GetSnapshot() : nullptr;
  ro.snapshot = snapshot != nullptr ? snapshot : own;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, handles_[kIndByMetric]));
  std::vector<std::string> prefixes;
  if (filter.metric_keys().empty()) {
    prefixes.emplace_back();
  } else {
    for (const std::string& key : filter.metric_keys()) prefixes.push_back(MetricPrefix(key));
    std::sort(prefixes.begin(), prefixes.end());
    prefixes.erase(std::unique(prefixes.begin(), prefixes.end()), prefixes.end());
  }
  int64_t scanned = 0;
  IndicatorKeyParts parts;
  IndexValue value;
  absl::Status status = absl::OkStatus();
  bool go_on = true;
  for (const std::string& prefix : prefixes) {
    // Prefixes whose keys all sort before start_after are done already.
    if (!start_after.empty() && prefix < start_after && !absl::StartsWith(start_after, prefix)) {
      continue;
    }
    const absl::string_view seek =
        !start_after.empty() && start_after > prefix ? start_after : absl::string_view(prefix);
    for (it->Seek(ToSlice(seek)); go_on && it->Valid(); it->Next()) {
      absl::string_view key = ToView(it->key());
      if (!absl::StartsWith(key, prefix)) break;
      if (key == start_after) continue;
      ++scanned;
      if (!ParseIndicatorKey(key, &parts) || !DecodeIndexValue(ToView(it->value()), &value)) {
        status = absl::DataLossError("an ind_by_metric entry does not decode");
        go_on = false;
        break;
      }
      agg::IndicatorRow row;
      row.metric_key = parts.metric_key;
      row.year = parts.year;
      row.period_end = value.period_end != 0 ? value.period_end : parts.year;
      row.document_kind = value.document_kind;
      row.region = parts.region;
      row.province = value.province;
      row.report_id = parts.report_id;
      row.value = value.value;
      row.low = value.low;
      row.high = value.high;
      row.qualifier = value.qualifier;
      row.change = value.change;
      row.is_target = value.is_target;
      row.period_total = value.period_total;
      row.unit_kind = value.unit_kind;
      row.unit = value.unit;
      row.subject = value.subject;
      if (matcher.matches_all() || matcher.Matches(row)) {
        go_on = visit(row, static_cast<int32_t>(parts.seq), value.section_id, key);
      }
    }
    if (!go_on) break;
  }
  if (status.ok()) status = FromRocksStatus(it->status(), "scan indicators");
  it.reset();
  if (own != nullptr) db_->ReleaseSnapshot(own);
  if (!status.ok()) return status;
  return scanned;
}

namespace {

// The indicator of `report` with `seq` (at its position, else searched), or nullptr.
const zhibiao::v1::Indicator* IndicatorWithSeq(const zhibiao::v1::Report& report, int32_t seq) {
  if (seq < report.indicators_size() && report.indicators(seq).seq() == seq) {
    return &report.indicators(seq);
  }
  const zhibiao::v1::Indicator* found = nullptr;
  for (const auto& candidate : report.indicators()) {
    if (candidate.seq() == seq) found = &candidate;
  }
  return found;
}

// A search hit: the figure with its report's metadata, the figure's span in
// its sentence and every word's spans there, in code points.
zhibiao::v1::IndicatorHit HitOf(const zhibiao::v1::Report& report,
                                const zhibiao::v1::Indicator& indicator,
                                const google::protobuf::RepeatedPtrField<std::string>& words,
                                const std::string& sort_key) {
  zhibiao::v1::IndicatorHit hit;
  *hit.mutable_indicator() = indicator;
  hit.mutable_indicator()->set_report_id(report.meta().report_id());
  hit.set_title(report.meta().title());
  *hit.mutable_region() = report.meta().region();
  hit.set_report_year(report.meta().report_year());
  hit.set_published_date(report.meta().published_date());
  hit.set_kind(report.meta().kind());
  hit.set_source_name(report.meta().source_name());
  hit.mutable_figure()->set_begin(indicator.char_begin() - indicator.sentence_char_begin());
  hit.mutable_figure()->set_end(indicator.char_end() - indicator.sentence_char_begin());
  const std::string& sentence = indicator.sentence();
  for (const std::string& word : words) {
    if (word.empty()) continue;
    for (size_t at = sentence.find(word); at != std::string::npos;
         at = sentence.find(word, at + word.size())) {
      auto* span = hit.add_words();
      span->set_begin(text::CodePointCount(absl::string_view(sentence).substr(0, at)));
      span->set_end(span->begin() + text::CodePointCount(word));
    }
  }
  hit.set_sort_key(sort_key);
  return hit;
}

}  // namespace

absl::StatusOr<zhibiao::v1::SearchIndicatorsResponse> IndicatorStore::Search(
    const zhibiao::v1::SearchIndicatorsRequest& request) const {
  if (request.page_size() < 0 || request.page_size() > 1000) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_size ", request.page_size(), " is outside 0..1000"));
  }
  const size_t page_size = request.page_size() == 0 ? 50 : request.page_size();
  std::string start_after;
  if (!request.page_token().empty() &&
      (!absl::WebSafeBase64Unescape(request.page_token(), &start_after) || start_after.empty())) {
    return absl::InvalidArgumentError("page_token is not a token this service issued");
  }
  struct Found {
    std::string key;
    std::string report_id;
    int32_t seq;
  };
  std::vector<Found> found;
  // The hits and the arriving marks as of one moment.
  std::shared_ptr<const rocksdb::Snapshot> snapshot(
      db_->GetSnapshot(), [this](const rocksdb::Snapshot* s) { db_->ReleaseSnapshot(s); });
  absl::StatusOr<std::vector<zhibiao::v1::ArrivingReport>> arriving = ArrivingAt(snapshot.get());
  if (!arriving.ok()) return arriving.status();
  absl::StatusOr<int64_t> scanned = Scan(
      request.filter(),
      [&](const agg::IndicatorRow& row, int32_t seq, absl::string_view, absl::string_view key) {
        for (const std::string& word : request.words()) {
          if (!absl::StrContains(row.subject, word)) return true;
        }
        found.push_back({std::string(key), std::string(row.report_id), seq});
        return found.size() <= page_size;  // one more than a page: is there a next page?
      },
      start_after, snapshot.get());
  if (!scanned.ok()) return scanned.status();
  zhibiao::v1::SearchIndicatorsResponse response;
  for (auto& a : *arriving) *response.add_arriving() = std::move(a);
  if (found.size() > page_size) {
    found.resize(page_size);
    response.set_next_page_token(absl::WebSafeBase64Escape(found.back().key));
  }
  // Several hits often share a report: read each once.
  absl::flat_hash_map<std::string, zhibiao::v1::Report> reports;
  for (const Found& f : found) {
    auto it = reports.find(f.report_id);
    if (it == reports.end()) {
      absl::StatusOr<zhibiao::v1::Report> report = Get(f.report_id);
      // Deleted since the scan's snapshot: the hit is gone too.
      if (absl::IsNotFound(report.status())) continue;
      if (!report.ok()) return report.status();
      it = reports.emplace(f.report_id, *std::move(report)).first;
    }
    const zhibiao::v1::Indicator* ind = IndicatorWithSeq(it->second, f.seq);
    if (ind == nullptr) continue;
    *response.add_hits() = HitOf(it->second, *ind, request.words(), f.key);
  }
  return response;
}

absl::StatusOr<int64_t> IndicatorStore::Aggregate(const zhibiao::v1::IndicatorFilter& filter,
                                                  agg::PartialAggregator* aggregator) const {
  return Scan(filter, [aggregator](const agg::IndicatorRow& row, int32_t, absl::string_view,
                                   absl::string_view) {
    aggregator->Add(row);
    return true;
  });
}

absl::StatusOr<int64_t> IndicatorStore::AggregatePartials(
    const zhibiao::v1::AggregateIndicatorsRequest& request,
    std::vector<zhibiao::v1::PartialAggregate>* out, agg::RankingCut* cut, uint64_t* generation,
    std::vector<zhibiao::v1::ArrivingReport>* arriving) const {
  const int64_t examined = cache_->Aggregate(request, out, cut, generation, arriving);
  if (request.include_values()) {
    int64_t values = 0;
    for (const auto& p : *out) values += p.values_size();
    if (values > kMaxAggregateValues) {
      out->clear();
      return absl::ResourceExhaustedError(
          absl::StrCat(values, " values match; include_values allows at most ", kMaxAggregateValues,
                       ": narrow the filter"));
    }
  }
  return examined;
}

uint64_t IndicatorStore::index_generation() const { return cache_->generation(); }

absl::StatusOr<IndicatorStore::CheckpointWritten> IndicatorStore::Checkpoint(
    const std::string& directory, int keep) const {
  if (directory.empty() || directory[0] != '/') {
    return absl::InvalidArgumentError(
        absl::StrCat("checkpoint directory \"", directory, "\" must be an absolute path"));
  }
  std::error_code ec;
  if (std::filesystem::exists(directory, ec)) {
    return absl::AlreadyExistsError(absl::StrCat("checkpoint directory ", directory, " exists"));
  }
  // A checkpoint inside the live directory would be read as part of it (and
  // hard-link its files into itself): refuse it, through symlinks too.
  const std::filesystem::path live = std::filesystem::weakly_canonical(options_.data_dir, ec);
  const std::filesystem::path target = std::filesystem::weakly_canonical(directory, ec);
  if (!ec) {
    if (std::mismatch(live.begin(), live.end(), target.begin(), target.end()).first == live.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("checkpoint directory ", directory, " lies inside the live data directory ",
                       options_.data_dir, "; give a path outside it"));
    }
  }
  // RocksDB makes only the last level ("DIR/shard-N"); make the parents.
  const std::filesystem::path parent = std::filesystem::path(directory).parent_path();
  if (!parent.empty()) {
    std::filesystem::create_directories(parent, ec);
    if (ec) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot create ", parent.string(), " for the checkpoint: ", ec.message()));
    }
  }
  rocksdb::Checkpoint* raw = nullptr;
  rocksdb::Status s = rocksdb::Checkpoint::Create(db_.get(), &raw);
  if (!s.ok()) return FromRocksStatus(s, "create checkpoint object");
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  s = checkpoint->CreateCheckpoint(directory);
  if (!s.ok()) return FromRocksStatus(s, absl::StrCat("checkpoint into ", directory));
  uint64_t reports = 0;
  db_->GetIntProperty(handles_[kReports], "rocksdb.estimate-num-keys", &reports);
  CheckpointWritten written;
  written.reports = static_cast<int64_t>(reports);
  if (absl::Status marked = WriteCheckpointMarker(directory, absl::Now(), written.reports);
      !marked.ok()) {
    return marked;
  }
  LogInfo("checkpoint_written", {{"directory", directory}});
  written.removed = PruneCheckpoints(directory, keep, options_.data_dir);
  return written;
}

absl::Status IndicatorStore::CompactAll() {
  rocksdb::CompactRangeOptions options;
  options.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForceOptimized;
  for (rocksdb::ColumnFamilyHandle* h : handles_) {
    rocksdb::Status s = db_->CompactRange(options, h, nullptr, nullptr);
    if (!s.ok()) return FromRocksStatus(s, "compact");
  }
  return absl::OkStatus();
}

zhibiao::v1::GetStatsResponse IndicatorStore::Stats() const {
  zhibiao::v1::GetStatsResponse out;
  uint64_t v = 0;
  if (db_->GetIntProperty(handles_[kReports], "rocksdb.estimate-num-keys", &v)) out.set_reports(v);
  if (db_->GetIntProperty(handles_[kIndByMetric], "rocksdb.estimate-num-keys", &v)) {
    out.set_index_entries(v);
  }
  uint64_t sst = 0, mem = 0;
  for (rocksdb::ColumnFamilyHandle* h : handles_) {
    if (db_->GetIntProperty(h, "rocksdb.total-sst-files-size", &v)) sst += v;
    if (db_->GetIntProperty(h, "rocksdb.cur-size-all-mem-tables", &v)) mem += v;
  }
  out.set_sst_bytes(sst);
  out.set_memtable_bytes(mem);
  if (db_->GetIntProperty("rocksdb.block-cache-usage", &v)) out.set_block_cache_usage_bytes(v);
  if (db_->GetIntProperty("rocksdb.block-cache-capacity", &v))
    out.set_block_cache_capacity_bytes(v);
  if (db_->GetAggregatedIntProperty("rocksdb.num-running-compactions", &v)) {
    out.set_running_compactions(static_cast<int64_t>(v));
  }
  if (db_->GetAggregatedIntProperty("rocksdb.compaction-pending", &v))
    out.set_compaction_pending(v > 0);
  if (statistics_ != nullptr) {
    out.set_write_stall_micros(statistics_->getTickerCount(rocksdb::STALL_MICROS));
    out.set_compaction_bytes_written(statistics_->getTickerCount(rocksdb::COMPACT_WRITE_BYTES));
    const double hits = statistics_->getTickerCount(rocksdb::BLOCK_CACHE_HIT);
    const double misses = statistics_->getTickerCount(rocksdb::BLOCK_CACHE_MISS);
    out.set_block_cache_hit_rate(hits + misses > 0 ? hits / (hits + misses) : 0);
  }
  out.set_schema_version(kSchemaVersion);
  out.set_data_dir(options_.data_dir);
  return out;
}

zhibiao::v1::VerifyResponse IndicatorStore::Verify(int max_problems) const {
  if (max_problems <= 0) max_problems = 100;
  zhibiao::v1::VerifyResponse out;
  auto problem = [&](std::string what) {
    out.set_problems(out.problems() + 1);
    if (out.problem_samples_size() < max_problems) out.add_problem_samples(std::move(what));
  };
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  ro.total_order_seek = true;  // whole families, across metric prefixes
  const rocksdb::Snapshot* snapshot = db_->GetSnapshot();
  ro.snapshot = snapshot;
  // 1. Every stored report has its region entry and every indicator's index entry.
  std::set<std::string> expected_index;  // keys of all index entries the reports imply
  {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, handles_[kReports]));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      out.set_reports(out.reports() + 1);
      zhibiao::v1::Report report;
      const std::string id(ToView(it->key()));
      if (!report.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
        problem(absl::StrCat("report ", id, " does not parse"));
        continue;
      }
      if (report.meta().report_id() != id) {
        problem(
            absl::StrCat("report stored under ", id, " says it is ", report.meta().report_id()));
      }
      std::string ignored;
      if (!db_->Get(ro, handles_[kReportByRegion], RegionIndexKey(report.meta()), &ignored).ok()) {
        problem(absl::StrCat("report ", id, " has no report_by_region entry"));
      }
      for (const auto& ind : report.indicators()) {
        std::string key = IndicatorKey(report.meta(), ind);
        if (!db_->Get(ro, handles_[kIndByMetric], key, &ignored).ok()) {
          problem(absl::StrCat("report ", id, " indicator ", ind.seq(), " has no index entry"));
        }
        expected_index.insert(std::move(key));
      }
    }
    if (!it->status().ok()) problem(absl::StrCat("scan reports: ", it->status().ToString()));
  }
  // 2. Every index entry belongs to a stored report's indicator.
  {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, handles_[kIndByMetric]));
    IndicatorKeyParts parts;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      out.set_index_entries(out.index_entries() + 1);
      const absl::string_view key = ToView(it->key());
      if (!ParseIndicatorKey(key, &parts)) {
        problem("an ind_by_metric key does not parse");
        continue;
      }
      if (!expected_index.count(std::string(key))) {
        problem(absl::StrCat("index entry of report ", parts.report_id, " seq ", parts.seq,
                             " points at no stored indicator"));
      }
    }
    std::unique_ptr<rocksdb::Iterator> regions(db_->NewIterator(ro, handles_[kReportByRegion]));
    for (regions->SeekToFirst(); regions->Valid(); regions->Next()) {
      const absl::string_view key = ToView(regions->key());
      if (key.size() != kRegionBytes + 2 + kReportIdBytes) {
        problem("a report_by_region key has the wrong length");
        continue;
      }
      std::string ignored;
      const std::string id(key.substr(kRegionBytes + 2));
      if (!db_->Get(ro, handles_[kReports], id, &ignored).ok()) {
        problem(absl::StrCat("report_by_region entry for ", id, " points at no stored report"));
      }
    }
  }
  db_->ReleaseSnapshot(snapshot);
  return out;
}

}  // namespace zb::store
