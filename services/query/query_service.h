// zhibiao.v1.QueryService: validates a query, fans it out to every storage
// shard, merges what they answer and maps errors at the edge.
#ifndef ZHIBIAO_SERVICES_QUERY_QUERY_SERVICE_H_
#define ZHIBIAO_SERVICES_QUERY_QUERY_SERVICE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/rpc/auth.h"
#include "common/rpc/storage_shards.h"
#include "common/taxonomy/taxonomy.h"
#include "services/query/result_cache.h"
#include "zhibiao/v1/query.grpc.pb.h"
#include "zhibiao/v1/storage.pb.h"

namespace zb::query {

struct QueryOptions {
  absl::Duration shard_timeout = absl::Seconds(10);  // bound of each shard call
  const Authorizer* authorizer = nullptr;            // checks tokens; null: every call allowed
  // Current shard answers to reuse (fed by ShardLeases); null: ask every time.
  ResultCache* cache = nullptr;
};

// Aggregate, TimeSeries, Rank, Compare and ListRegions are raw methods
// (serialised bytes in and out), so that a reply kept in the result cache is
// sent as it is instead of being built and serialised again.
using QueryServiceBase = zhibiao::v1::QueryService::WithRawCallbackMethod_Aggregate<
    zhibiao::v1::QueryService::WithRawCallbackMethod_TimeSeries<
        zhibiao::v1::QueryService::WithRawCallbackMethod_Rank<
            zhibiao::v1::QueryService::WithRawCallbackMethod_Compare<
                zhibiao::v1::QueryService::WithRawCallbackMethod_ListRegions<
                    zhibiao::v1::QueryService::CallbackService>>>>>;

// The gRPC shell of the query methods of common/query: checks the caller's
// token, runs a method's plan over the shards and maps its absl::Status to
// a gRPC status. Thread-safe. Does not own `shards`; it must outlive the service.
class QueryServiceImpl final : public QueryServiceBase {
 public:
  QueryServiceImpl(StorageShards* shards, QueryOptions options);

  grpc::ServerUnaryReactor* GetReport(grpc::CallbackServerContext* context,
                                      const zhibiao::v1::GetReportRequest* request,
                                      zhibiao::v1::GetReportResponse* response) override;
  grpc::ServerUnaryReactor* ListReports(grpc::CallbackServerContext* context,
                                        const zhibiao::v1::ListReportsRequest* request,
                                        zhibiao::v1::ListReportsResponse* response) override;
  grpc::ServerUnaryReactor* GetSection(grpc::CallbackServerContext* context,
                                       const zhibiao::v1::GetSectionRequest* request,
                                       zhibiao::v1::GetSectionResponse* response) override;
  grpc::ServerUnaryReactor* ListMetrics(grpc::CallbackServerContext* context,
                                        const zhibiao::v1::ListMetricsRequest* request,
                                        zhibiao::v1::ListMetricsResponse* response) override;
  grpc::ServerUnaryReactor* SearchIndicators(
      grpc::CallbackServerContext* context, const zhibiao::v1::SearchIndicatorsRequest* request,
      zhibiao::v1::SearchIndicatorsResponse* response) override;
  // The cached methods: their Request in, their Response out, as bytes.
  grpc::ServerUnaryReactor* Aggregate(grpc::CallbackServerContext* context,
                                      const grpc::ByteBuffer* request,
                                      grpc::ByteBuffer* reply) override;
  grpc::ServerUnaryReactor* TimeSeries(grpc::CallbackServerContext* context,
                                       const grpc::ByteBuffer* request,
                                       grpc::ByteBuffer* reply) override;
  grpc::ServerUnaryReactor* Rank(grpc::CallbackServerContext* context,
                                 const grpc::ByteBuffer* request, grpc::ByteBuffer* reply) override;
  grpc::ServerUnaryReactor* Compare(grpc::CallbackServerContext* context,
                                    const grpc::ByteBuffer* request,
                                    grpc::ByteBuffer* reply) override;
  grpc::ServerUnaryReactor* ListRegions(grpc::CallbackServerContext* context,
                                        const grpc::ByteBuffer* request,
                                        grpc::ByteBuffer* reply) override;

 private:
  // A raw method whose Method (common/query) plans over shard aggregates:
  // sends the cached reply to the same request bytes if it is current;
  // otherwise parses the Request, plans (which validates it and may fail the
  // call), answers into the Response and keeps the serialised reply when it
  // is complete, under Method::kCacheTag.
  template <typename Method>
  grpc::ServerUnaryReactor* CachedShardQuery(grpc::CallbackServerContext* context,
                                             const grpc::ByteBuffer* request_bytes,
                                             grpc::ByteBuffer* reply);
  // The same for a method whose replies are not kept.
  template <typename Method>
  grpc::ServerUnaryReactor* ShardQuery(grpc::CallbackServerContext* context,
                                       const typename Method::Request* request,
                                       typename Method::Response* response);

  StorageShards* const shards_;
  const QueryOptions options_;
  const Authorizer* const authorizer_;
};

}  // namespace zb::query

#endif  // ZHIBIAO_SERVICES_QUERY_QUERY_SERVICE_H_
