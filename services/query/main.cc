// zhibiao-query: answers queries over every storage shard.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "common/base/logging.h"
#include "common/metrics/metrics.h"
#include "common/rpc/channels.h"
#include "common/rpc/server.h"
#include "common/rpc/storage_shards.h"
#include "services/common/service_main.h"
#include "services/query/query_service.h"
#include "services/query/result_cache.h"
#include "services/query/shard_leases.h"

ABSL_FLAG(std::string, storage, "127.0.0.1:7410", "storage shards, ADDR[,ADDR...] (all of them)");
ABSL_FLAG(int, shard_timeout_ms, 10000, "deadline of each storage shard call");
ABSL_FLAG(int, max_message_mb, 256,
          "largest response in MiB (GetReport answers a whole report: at least ingest's "
          "--max_report_mb)");
ABSL_FLAG(int, max_request_mb, 4, "largest request in MiB (queries are small)");
ABSL_FLAG(int, result_cache_mb, 64,
          "memory for storage answers kept while current (read leases from every shard); "
          "0: ask the shards every time");
ABSL_FLAG(int, cache_lease_ms, 1000, "read lease asked of each shard (it grants at most its own)");

int main(int argc, char** argv) {
  const zb::service::ServiceSpec spec = {
      "query", "127.0.0.1:7402",
      "zhibiao-query: aggregations and report reads over all storage shards.",
      "zhibiao.v1.QueryService"};
  zb::service::Init(argc, argv, spec);
  auto addresses = zb::ParseAddressList(absl::GetFlag(FLAGS_storage), "storage");
  if (!addresses.ok()) zb::service::ExitWithUsageError(std::string(addresses.status().message()));
  zb::ChannelOptions channel_options;
  channel_options.max_message_bytes = absl::GetFlag(FLAGS_max_message_mb) << 20;
  zb::StorageShards shards(*addresses, zb::service::StorageChannelOptions(channel_options));
  zb::query::QueryOptions options;
  options.shard_timeout = absl::Milliseconds(absl::GetFlag(FLAGS_shard_timeout_ms));
  options.authorizer = zb::service::CallAuthorizer();
  std::unique_ptr<zb::query::ResultCache> cache;
  std::unique_ptr<zb::query::ShardLeases> leases;
  if (absl::GetFlag(FLAGS_result_cache_mb) > 0) {
    cache = std::make_unique<zb::query::ResultCache>(
        static_cast<size_t>(absl::GetFlag(FLAGS_result_cache_mb)) << 20, shards.size());
    leases = std::make_unique<zb::query::ShardLeases>(
        &shards, cache.get(),
        absl::Milliseconds(std::max(absl::GetFlag(FLAGS_cache_lease_ms), 100)));
    options.cache = cache.get();
    zb::query::ResultCache* raw_cache = cache.get();
    zb::Metrics::Global().AddScrapeCallback([raw_cache] {
      const zb::query::ResultCache::Stats stats = raw_cache->stats();
      using Sample = zb::Metrics::Sample;
      return std::vector<Sample>{
          {"zhibiao_query_cache_hits_total", "Shard answers served from the result cache", true,
           static_cast<double>(stats.hits)},
          {"zhibiao_query_cache_misses_total", "Shard answers not current in the cache", true,
           static_cast<double>(stats.misses)},
          {"zhibiao_query_cache_reply_hits_total",
           "Whole replies (Aggregate, TimeSeries, Rank, Compare) sent from the result cache", true,
           static_cast<double>(stats.reply_hits)},
          {"zhibiao_query_cache_reply_misses_total", "Replies that had to be built", true,
           static_cast<double>(stats.reply_misses)},
          {"zhibiao_query_cache_evictions_total", "Answers and replies evicted for room", true,
           static_cast<double>(stats.evictions)},
          {"zhibiao_query_cache_entries", "Answers and replies in the result cache", false,
           static_cast<double>(stats.entries)},
          {"zhibiao_query_cache_bytes", "Bytes of the result cache", false,
           static_cast<double>(stats.bytes)},
          {"zhibiao_query_cache_leased_shards", "Shards whose read lease runs now", false,
           static_cast<double>(stats.leased_shards)},
      };
    });
  }
  zb::query::QueryServiceImpl service(&shards, options);

  const int status = zb::service::ServeUntilTerminated(
      zb::service::ServerOptionsFromFlags(spec, absl::GetFlag(FLAGS_max_request_mb) << 20,
                                          absl::GetFlag(FLAGS_max_message_mb) << 20),
      &service, &shards);
  zb::Metrics::Global().StopServing();  // its scrape callback reads the cache
  leases.reset();
  zb::LogInfo("exited", {{"code", status}});
  return status;
}
