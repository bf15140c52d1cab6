// zhibiao.v1.QueryService: validates a query, fans it out to every storage
// shard, merges what they answer and maps errors at the edge.
#ifndef ZHIBIAO_SERVICES_QUERY_QUERY_SERVICE_H_
#define ZHIBIAO_SERVICES_QUERY_QUERY_SERVICE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/rpc/storage_shards.h"
#include "zhibiao/v1/query.grpc.pb.h"
#include "zhibiao/v1/storage.pb.h"

namespace zb::query {

struct QueryOptions {
  absl::Duration shard_timeout = absl::Seconds(10);  // bound of each shard call
};

// Fills `response` with one summary per taxonomy key (and the unmapped
// bucket) from per-(metric, unit) partial aggregates. Exposed for tests.
void SummarizeMetrics(const std::vector<zhibiao::v1::PartialAggregate>& by_metric_and_unit,
                      zhibiao::v1::ListMetricsResponse* response);

// Thread-safe. Does not own `shards`; it must outlive the service.
class QueryServiceImpl final : public zhibiao::v1::QueryService::CallbackService {
 public:
  QueryServiceImpl(StorageShards* shards, QueryOptions options);

  grpc::ServerUnaryReactor* GetReport(grpc::CallbackServerContext* context,
                                      const zhibiao::v1::GetReportRequest* request,
                                      zhibiao::v1::GetReportResponse* response) override;
  grpc::ServerUnaryReactor* ListReports(grpc::CallbackServerContext* context,
                                        const zhibiao::v1::ListReportsRequest* request,
                                        zhibiao::v1::ListReportsResponse* response) override;
  grpc::ServerUnaryReactor* Aggregate(grpc::CallbackServerContext* context,
                                      const zhibiao::v1::AggregateRequest* request,
                                      zhibiao::v1::AggregateResponse* response) override;
  grpc::ServerUnaryReactor* GetSection(grpc::CallbackServerContext* context,
                                       const zhibiao::v1::GetSectionRequest* request,
                                       zhibiao::v1::GetSectionResponse* response) override;
  grpc::ServerUnaryReactor* ListMetrics(grpc::CallbackServerContext* context,
                                        const zhibiao::v1::ListMetricsRequest* request,
                                        zhibiao::v1::ListMetricsResponse* response) override;

 private:
  StorageShards* const shards_;
  const QueryOptions options_;
};

// The cross-shard page token of ListReports: for each shard, the sort key of
// the last report already returned from it ("" = none yet), or exhausted.
struct ShardCursor {
  std::string last_key;
  bool exhausted = false;
};
std::string EncodeListToken(const std::vector<ShardCursor>& cursors);
absl::StatusOr<std::vector<ShardCursor>> DecodeListToken(absl::string_view token, int shards);

}  // namespace zb::query

#endif  // ZHIBIAO_SERVICES_QUERY_QUERY_SERVICE_H_
