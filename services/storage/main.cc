// zhibiao-storage: one storage shard (RocksDB) serving zhibiao.v1.StorageService.
#include <cstdio>
#include <string>
#include <thread>

#include "absl/flags/flag.h"
#include "common/base/logging.h"
#include "common/metrics/metrics.h"
#include "common/rpc/executor.h"
#include "common/rpc/server.h"
#include "common/store/indicator_store.h"
#include "services/common/service_main.h"
#include "services/storage/storage_service.h"

ABSL_FLAG(std::string, data_dir, "./var/zhibiao", "RocksDB data directory of this shard");
ABSL_FLAG(int64_t, block_cache_mb, 64, "RocksDB block cache size in MiB");
ABSL_FLAG(int, max_open_files, 512, "RocksDB max_open_files");
ABSL_FLAG(int64_t, memtable_mb, 256, "all RocksDB memtables together, in MiB (0: unbounded)");
ABSL_FLAG(bool, sync, true,
          "sync the WAL before acknowledging writes (never turn off in production)");
ABSL_FLAG(int, bloom_bits, 10, "bloom filter bits per key (0: no bloom filters)");
ABSL_FLAG(std::string, compression, "lz4",
          "compression of report data: lz4 (zstd at the bottom), zstd or none");
ABSL_FLAG(bool, index_prefix_extractor, true,
          "prefix extractor and prefix blooms on the metric index");
ABSL_FLAG(std::string, rocksdb_options, "", "extra RocksDB options, \"key=value;key=value\"");
ABSL_FLAG(int64_t, min_free_disk_mb, 256,
          "below this much free space on the data directory's disk, PutReport is refused "
          "(RESOURCE_EXHAUSTED) and health is NOT_SERVING until space is freed; 0: no floor");
ABSL_FLAG(int, read_threads, 2, "threads for reads, scans and aggregations");
ABSL_FLAG(int, scan_threads, 2, "threads for streaming ScanIndicators calls");
ABSL_FLAG(int, max_message_mb, 256,
          "largest request or response in MiB (PutReport carries a whole report: at least ingest's "
          "--max_report_mb)");
ABSL_FLAG(int, read_lease_ms, 1000,
          "longest read lease granted to a result cache (query's); writes wait up to this long "
          "for a cache that stopped answering, and after a restart for what the last run "
          "granted (remembered in DATA_DIR/read_leases); 0: no leases, so query caches "
          "nothing from this shard");

int main(int argc, char** argv) {
  const zb::service::ServiceSpec spec = {
      "storage", "127.0.0.1:7410",
      "zhibiao-storage: one RocksDB shard of reports and indicator indexes.",
      "zhibiao.v1.StorageService"};
  zb::service::Init(argc, argv, spec);

  zb::store::StoreOptions store_options;
  store_options.data_dir = absl::GetFlag(FLAGS_data_dir);
  store_options.block_cache_bytes = static_cast<size_t>(absl::GetFlag(FLAGS_block_cache_mb)) << 20;
  store_options.max_open_files = absl::GetFlag(FLAGS_max_open_files);
  store_options.memtable_budget_bytes = static_cast<size_t>(absl::GetFlag(FLAGS_memtable_mb)) << 20;
  store_options.sync = absl::GetFlag(FLAGS_sync);
  store_options.rocksdb_options = absl::GetFlag(FLAGS_rocksdb_options);
  store_options.bloom_bits_per_key = absl::GetFlag(FLAGS_bloom_bits);
  store_options.compression = absl::GetFlag(FLAGS_compression);
  store_options.index_prefix_extractor = absl::GetFlag(FLAGS_index_prefix_extractor);
  store_options.min_free_disk_bytes = absl::GetFlag(FLAGS_min_free_disk_mb) << 20;
  auto store = zb::store::IndicatorStore::Open(store_options);
  if (!store.ok()) {
    zb::LogError("startup_failed", {{"error", store.status().ToString()}});
    return 1;
  }
  zb::Executor readers("storage-readers", absl::GetFlag(FLAGS_read_threads), 256);
  // Streaming scans wait on their clients: they get threads of their own.
  zb::Executor scanners("storage-scanners", absl::GetFlag(FLAGS_scan_threads), 16);
  zb::store::IndicatorStore* raw_store = store->get();
  zb::storage::WriteWatchers watchers(
      absl::Milliseconds(absl::GetFlag(FLAGS_read_lease_ms)),
      [raw_store] { return raw_store->index_generation(); },
      store_options.data_dir + "/read_leases");
  zb::storage::StorageServiceImpl service(store->get(), &readers, &scanners,
                                          zb::service::CallAuthorizer(), &watchers);
  // RocksDB and store figures, computed at every scrape.
  zb::Metrics::Global().AddScrapeCallback([raw_store, &watchers] {
    const zhibiao::v1::GetStatsResponse stats = raw_store->Stats();
    const zb::storage::WriteWatchers::Stats leases = watchers.stats();
    using Sample = zb::Metrics::Sample;
    return std::vector<Sample>{
        {"zhibiao_storage_lease_streams", "Result caches watching this shard's writes", false,
         static_cast<double>(leases.streams)},
        {"zhibiao_storage_leases", "Read leases still running (their caches may answer)", false,
         static_cast<double>(leases.leases)},
        {"zhibiao_storage_writes_held", "Write answers waiting for caches to confirm them", false,
         static_cast<double>(leases.held_writes)},
        {"zhibiao_storage_reports", "Reports stored on this shard (estimate)", false,
         static_cast<double>(stats.reports())},
        {"zhibiao_storage_index_entries", "Indicator index entries on this shard (estimate)", false,
         static_cast<double>(stats.index_entries())},
        {"zhibiao_storage_disk_bytes", "Total size of the shard's SST files", false,
         static_cast<double>(stats.sst_bytes())},
        {"zhibiao_storage_memtable_bytes", "Bytes in RocksDB memtables", false,
         static_cast<double>(stats.memtable_bytes())},
        {"zhibiao_storage_block_cache_usage_bytes", "RocksDB block cache in use", false,
         static_cast<double>(stats.block_cache_usage_bytes())},
        {"zhibiao_storage_block_cache_hit_ratio", "Block cache hits / lookups since start", false,
         stats.block_cache_hit_rate()},
        {"zhibiao_storage_write_stall_seconds_total", "Time RocksDB stalled writes", true,
         static_cast<double>(stats.write_stall_micros()) / 1e6},
        {"zhibiao_storage_compaction_bytes_written_total", "Bytes written by compactions", true,
         static_cast<double>(stats.compaction_bytes_written())},
    };
  });

  // SERVING while the database takes writes and the disk has room.
  const int status = zb::service::ServeUntilTerminated(
      zb::service::ServerOptionsFromFlags(spec, absl::GetFlag(FLAGS_max_message_mb) << 20),
      &service, nullptr, [&watchers] { watchers.FinishStreams(); },
      [raw_store] { return raw_store->Health(); });
  zb::Metrics::Global().StopServing();  // its scrape callback reads the store
  readers.Shutdown();
  scanners.Shutdown();
  (*store)->Close();
  zb::LogInfo("exited", {{"code", status}});
  return status;
}
