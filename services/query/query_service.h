// zhibiao.v1.QueryService: validates a query, fans it out to every storage
// shard, merges what they answer and maps errors at the edge.
#ifndef ZHIBIAO_SERVICES_QUERY_QUERY_SERVICE_H_
#define ZHIBIAO_SERVICES_QUERY_QUERY_SERVICE_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/rpc/auth.h"
#include "common/rpc/storage_shards.h"
#include "common/taxonomy/taxonomy.h"
#include "services/query/query_semantics.h"
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

// Fills `response` with one summary per taxonomy key (and the unmapped
// bucket) from per-(metric, unit) partial aggregates. Exposed for tests.
void SummarizeMetrics(const std::vector<zhibiao::v1::PartialAggregate>& by_metric_and_unit,
                      zhibiao::v1::ListMetricsResponse* response);

// Aggregate, TimeSeries, Rank and Compare are raw methods (serialised bytes
// in and out), so that a reply kept in the result cache is sent as it is
// instead of being built and serialised again.
using QueryServiceBase = zhibiao::v1::QueryService::WithRawCallbackMethod_Aggregate<
    zhibiao::v1::QueryService::WithRawCallbackMethod_TimeSeries<
        zhibiao::v1::QueryService::WithRawCallbackMethod_Rank<
            zhibiao::v1::QueryService::WithRawCallbackMethod_Compare<
                zhibiao::v1::QueryService::CallbackService>>>>;

// Thread-safe. Does not own `shards`; it must outlive the service.
class QueryServiceImpl final : public QueryServiceBase {
 public:
  QueryServiceImpl(StorageShards* shards, QueryOptions options);

  grpc::ServerUnaryReactor* GetReport(grpc::CallbackServerContext* context,
                                      const zhibiao::v1::GetReportRequest* request,
                                      zhibiao::v1::GetReportResponse* response) override;
  grpc::ServerUnaryReactor* ListReports(grpc::CallbackServerContext* context,
                                        const zhibiao::v1::ListReportsRequest* request,
                                        zhibiao::v1::ListReportsResponse* response) override;
  // AggregateRequest in, AggregateResponse out.
  grpc::ServerUnaryReactor* Aggregate(grpc::CallbackServerContext* context,
                                      const grpc::ByteBuffer* request,
                                      grpc::ByteBuffer* reply) override;
  grpc::ServerUnaryReactor* GetSection(grpc::CallbackServerContext* context,
                                       const zhibiao::v1::GetSectionRequest* request,
                                       zhibiao::v1::GetSectionResponse* response) override;
  grpc::ServerUnaryReactor* ListMetrics(grpc::CallbackServerContext* context,
                                        const zhibiao::v1::ListMetricsRequest* request,
                                        zhibiao::v1::ListMetricsResponse* response) override;
  // TimeSeriesRequest in, TimeSeriesResponse out.
  grpc::ServerUnaryReactor* TimeSeries(grpc::CallbackServerContext* context,
                                       const grpc::ByteBuffer* request,
                                       grpc::ByteBuffer* reply) override;
  // RankRequest in, RankResponse out.
  grpc::ServerUnaryReactor* Rank(grpc::CallbackServerContext* context,
                                 const grpc::ByteBuffer* request, grpc::ByteBuffer* reply) override;
  // CompareRequest in, CompareResponse out.
  grpc::ServerUnaryReactor* Compare(grpc::CallbackServerContext* context,
                                    const grpc::ByteBuffer* request,
                                    grpc::ByteBuffer* reply) override;
  grpc::ServerUnaryReactor* SearchIndicators(
      grpc::CallbackServerContext* context, const zhibiao::v1::SearchIndicatorsRequest* request,
      zhibiao::v1::SearchIndicatorsResponse* response) override;

 private:
  // Builds an answer from partials merged over the shards that answered, and
  // what they said beside them.
  using AnswerFn = std::function<absl::Status(const std::vector<zhibiao::v1::PartialAggregate>&,
                                              const ShardTotals&)>;
  // Called once with the call's outcome and the versions of the shard
  // answers the reply was built from.
  using FinishFn = std::function<void(absl::Status, std::vector<ResultCache::Version>)>;
  // Finishes `reactor` with the status (for replies that are not kept).
  static FinishFn FinishWith(grpc::ServerUnaryReactor* reactor);
  // Asks the `targets` shards for partial aggregates (those whose current
  // answer is not in the cache), merges them exactly in shard order and
  // calls `finish` with what `answer` returns. With allow_partial, shards
  // that cannot be reached are listed in `missing` instead of failing the call.
  void AggregateOnShards(grpc::CallbackServerContext* context, FinishFn finish,
                         std::vector<int> targets,
                         const zhibiao::v1::AggregateIndicatorsRequest& shard_request,
                         bool allow_partial,
                         google::protobuf::RepeatedPtrField<zhibiao::v1::ShardFailure>* missing,
                         AnswerFn answer);
  std::vector<int> AllShards() const;

  // How a query over shard aggregates is answered: which shards to ask for
  // what, and how to build the reply from their merged partials.
  struct ShardPlan {
    std::vector<int> targets;
    zhibiao::v1::AggregateIndicatorsRequest shard_request;
    bool allow_partial = false;  // missing shards go to the response's missing_shards
    AnswerFn answer;
  };
  // A raw method answered from shard aggregates: sends the cached reply to
  // the same request bytes if it is current; otherwise parses the Request,
  // asks `plan` (which validates it and may fail the call) how to answer
  // into the Response, answers, and keeps the serialised reply when it is
  // complete. `method` tells the methods' requests apart in the cache.
  template <typename Request, typename Response>
  grpc::ServerUnaryReactor* CachedShardQuery(
      grpc::CallbackServerContext* context, const grpc::ByteBuffer* request_bytes,
      grpc::ByteBuffer* reply, char method,
      std::function<absl::StatusOr<ShardPlan>(const Request&, Response*)> plan);
  // The plan of TimeSeries, Rank and Compare: looks the metric up in the
  // taxonomy, validates, and asks `targets` for `shard_request`'s partials.
  template <typename Request, typename Response>
  static absl::StatusOr<ShardPlan> MetricPlan(
      const Request& request, Response* response, absl::Status (*validate)(const Request&),
      zhibiao::v1::AggregateIndicatorsRequest (*shard_request)(const Request&,
                                                               const taxonomy::Entry&),
      absl::Status (*answer)(const Request&, const taxonomy::Entry&,
                             const std::vector<zhibiao::v1::PartialAggregate>&, const ShardTotals&,
                             Response*),
      std::vector<int> targets);

  StorageShards* const shards_;
  const QueryOptions options_;
  const Authorizer* const authorizer_;
};

// The cross-shard page token of ListReports: for each shard, the sort key of
// the last report already returned from it ("" = none yet), or exhausted.
struct ShardCursor {
  std::string last_key;
  bool exhausted = false;
};
std::string EncodeListToken(const std::vector<ShardCursor>& cursors);
absl::StatusOr<std::vector<ShardCursor>> DecodeListToken(absl::string_view token, int shards);

// Takes one page from per-shard pages whose items are sorted by `keys`:
// the page_size smallest keys over the shards not yet exhausted, as (shard,
// index) pairs in key order. Advances `cursors`, marks a shard exhausted when
// it has nothing left (no items beyond those taken and no next page), and
// returns whether any shard has more.
bool TakePage(const std::vector<std::vector<std::string>>& keys, const std::vector<bool>& has_next,
              int page_size, std::vector<ShardCursor>* cursors,
              std::vector<std::pair<size_t, size_t>>* taken);

}  // namespace zb::query

#endif  // ZHIBIAO_SERVICES_QUERY_QUERY_SERVICE_H_
