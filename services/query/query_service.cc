#include "services/query/query_service.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/base/grpc_status.h"
#include "common/query/aggregate.h"
#include "common/query/compare.h"
#include "common/query/list_metrics.h"
#include "common/query/list_regions.h"
#include "common/query/list_reports.h"
#include "common/query/rank.h"
#include "common/query/search.h"
#include "common/query/time_series.h"
#include "services/query/aggregate_rounds.h"
#include "services/query/listing_page.h"
#include "services/query/shard_fanout.h"

namespace zb::query {

using StubAsync = zhibiao::v1::StorageService::StubInterface::async_interface;

namespace {
const Authorizer kAllowEveryCall(nullptr);

// Of the shards that hold a report, the answer to use: the most recently
// ingested copy (a report being moved has its new copy ingested last).
template <typename Answer>
Answer* LatestCopy(std::vector<Answer>& answers) {
  Answer* latest = nullptr;
  for (Answer& a : answers) {
    if (!a.status.ok()) continue;
    if (latest == nullptr || a.response.report().meta().ingested_at_unix_ms() >
                                 latest->response.report().meta().ingested_at_unix_ms()) {
      latest = &a;
    }
  }
  return latest;
}

// A reply as gRPC sends it: one slice over `bytes` itself (not a copy),
// which holds a reference to them until gRPC has sent it.
grpc::ByteBuffer ByteBufferOf(std::shared_ptr<const std::string> bytes) {
  auto* held = new std::shared_ptr<const std::string>(std::move(bytes));
  grpc_slice slice = grpc_slice_new_with_user_data(
      const_cast<char*>((*held)->data()), (*held)->size(),
      [](void* p) { delete static_cast<std::shared_ptr<const std::string>*>(p); }, held);
  grpc::Slice owned(slice, grpc::Slice::STEAL_REF);
  return grpc::ByteBuffer(&owned, 1);
}
}  // namespace

QueryServiceImpl::QueryServiceImpl(StorageShards* shards, QueryOptions options)
    : shards_(shards),
      options_(options),
      authorizer_(options.authorizer != nullptr ? options.authorizer : &kAllowEveryCall) {}

grpc::ServerUnaryReactor* QueryServiceImpl::GetReport(grpc::CallbackServerContext* context,
                                                      const zhibiao::v1::GetReportRequest* request,
                                                      zhibiao::v1::GetReportResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!authorizer_->Allow(context, Scope::kQuery, reactor)) return reactor;
  if (request->report_id().empty()) {
    reactor->Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "report_id is required"));
    return reactor;
  }
  FanOut<zhibiao::v1::GetReportRequest, zhibiao::v1::GetReportResponse>(
      shards_, context, options_.shard_timeout, *request, &StubAsync::GetReport,
      [reactor, response, id = request->report_id()](
          std::vector<ShardAnswer<zhibiao::v1::GetReportResponse>> answers) {
        std::vector<ShardAnswer<zhibiao::v1::GetReportResponse>> failed;
        if (auto* latest = LatestCopy(answers)) {
          *response->mutable_report() = std::move(*latest->response.mutable_report());
          reactor->Finish(grpc::Status::OK);
          return;
        }
        for (auto& a : answers) {
          if (a.status.code() == absl::StatusCode::kInvalidArgument) {
            reactor->Finish(ToGrpcStatus(a.status));
            return;
          }
          if (a.status.code() != absl::StatusCode::kNotFound) failed.push_back(std::move(a));
        }
        if (!failed.empty()) {
          // Not found where we could look, but a shard that might hold it did not answer.
          reactor->Finish(ToGrpcStatus(AllShardsOk(failed)));
          return;
        }
        reactor->Finish(ToGrpcStatus(absl::NotFoundError(
            absl::StrCat("report ", ShortQuote(id), " is not stored on any shard"))));
      });
  return reactor;
}

grpc::ServerUnaryReactor* QueryServiceImpl::ListReports(
    grpc::CallbackServerContext* context, const zhibiao::v1::ListReportsRequest* request,
    zhibiao::v1::ListReportsResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!authorizer_->Allow(context, Scope::kQuery, reactor)) return reactor;
  auto plan = ListReportsQuery::Plan(*request, shards_->size());
  if (!plan.ok()) {
    reactor->Finish(ToGrpcStatus(plan.status()));
    return reactor;
  }
  FanOutEach<zhibiao::v1::ListReportsRequest, zhibiao::v1::ListReportsResponse>(
      shards_, context, options_.shard_timeout, plan->per_shard, &StubAsync::ListReports,
      [reactor, response, page_size = plan->page_size, cursors = std::move(plan->cursors)](
          std::vector<ShardAnswer<zhibiao::v1::ListReportsResponse>> answers) {
        reactor->Finish(ToGrpcStatus(MergeListingPage(
            answers, page_size, cursors, &zhibiao::v1::ListReportsResponse::mutable_reports,
            &ListReportsQuery::SortKeyOf,
            [](const zhibiao::v1::ReportMeta& meta) { return meta.report_id(); },
            response->mutable_reports(), response->mutable_next_page_token())));
      });
  return reactor;
}

grpc::ServerUnaryReactor* QueryServiceImpl::SearchIndicators(
    grpc::CallbackServerContext* context, const zhibiao::v1::SearchIndicatorsRequest* request,
    zhibiao::v1::SearchIndicatorsResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!authorizer_->Allow(context, Scope::kQuery, reactor)) return reactor;
  auto plan = SearchQuery::Plan(*request, shards_->size());
  if (!plan.ok()) {
    reactor->Finish(ToGrpcStatus(plan.status()));
    return reactor;
  }
  FanOutEach<zhibiao::v1::SearchIndicatorsRequest, zhibiao::v1::SearchIndicatorsResponse>(
      shards_, context, options_.shard_timeout, plan->per_shard, &StubAsync::SearchIndicators,
      [reactor, response, page_size = plan->page_size, cursors = std::move(plan->cursors)](
          std::vector<ShardAnswer<zhibiao::v1::SearchIndicatorsResponse>> answers) {
        absl::Status merged = MergeListingPage(
            answers, page_size, cursors, &zhibiao::v1::SearchIndicatorsResponse::mutable_hits,
            &SearchQuery::SortKeyOf,
            [](const zhibiao::v1::IndicatorHit& hit) { return hit.indicator().report_id(); },
            response->mutable_hits(), response->mutable_next_page_token());
        // The sort key is storage's, for this merge only.
        for (zhibiao::v1::IndicatorHit& hit : *response->mutable_hits()) hit.clear_sort_key();
        reactor->Finish(ToGrpcStatus(merged));
      });
  return reactor;
}

grpc::ServerUnaryReactor* QueryServiceImpl::GetSection(
    grpc::CallbackServerContext* context, const zhibiao::v1::GetSectionRequest* request,
    zhibiao::v1::GetSectionResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!authorizer_->Allow(context, Scope::kQuery, reactor)) return reactor;
  if (request->report_id().empty() || request->section().empty()) {
    reactor->Finish(
        grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "report_id and section are required"));
    return reactor;
  }
  zhibiao::v1::GetReportRequest get;
  get.set_report_id(request->report_id());
  FanOut<zhibiao::v1::GetReportRequest, zhibiao::v1::GetReportResponse>(
      shards_, context, options_.shard_timeout, get, &StubAsync::GetReport,
      [reactor, request,
       response](std::vector<ShardAnswer<zhibiao::v1::GetReportResponse>> answers) {
        const zhibiao::v1::Report* report = nullptr;
        std::vector<ShardAnswer<zhibiao::v1::GetReportResponse>> failed;
        if (auto* latest = LatestCopy(answers)) report = &latest->response.report();
        for (auto& a : answers) {
          if (!a.status.ok() && a.status.code() != absl::StatusCode::kNotFound) failed.push_back(a);
        }
        if (report == nullptr) {
          reactor->Finish(!failed.empty() ? ToGrpcStatus(AllShardsOk(failed))
                                          : ToGrpcStatus(absl::NotFoundError(absl::StrCat(
                                                "report ", ShortQuote(request->report_id()),
                                                " is not stored on any shard"))));
          return;
        }
        const zhibiao::v1::Section* found = nullptr;
        std::vector<std::string> known;
        for (const auto& s : report->sections()) {
          if (s.section_id() == request->section() || s.path() == request->section()) found = &s;
          known.push_back(s.section_id());
        }
        if (found == nullptr) {
          reactor->Finish(ToGrpcStatus(absl::NotFoundError(
              absl::StrCat("report ", ShortQuote(request->report_id()), " has no section \"",
                           ShortQuote(request->section()), "\"; its sections are ",
                           absl::StrJoin(known, ", ")))));
          return;
        }
        *response->mutable_section() = *found;
        *response->mutable_meta() = report->meta();
        for (const auto& s : report->sections()) {
          if (s.parent_id() == found->section_id()) *response->add_children() = s;
        }
        reactor->Finish(grpc::Status::OK);
      });
  return reactor;
}

template <typename Method>
grpc::ServerUnaryReactor* QueryServiceImpl::CachedShardQuery(grpc::CallbackServerContext* context,
                                                             const grpc::ByteBuffer* request_bytes,
                                                             grpc::ByteBuffer* reply) {
  using Request = typename Method::Request;
  using Response = typename Method::Response;
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!authorizer_->Allow(context, Scope::kQuery, reactor)) return reactor;
  // The key: the method, then the request exactly as the client encoded it
  // (another encoding of the same request only misses).
  grpc::Slice bytes;  // stays empty for an empty request (every field at its default)
  if (request_bytes->Length() > 0 && !request_bytes->DumpToSingleSlice(&bytes).ok()) {
    reactor->Finish(grpc::Status(grpc::StatusCode::INTERNAL, "cannot read the request"));
    return reactor;
  }
  std::string key = ResultCache::ReplyKeyOf(
      static_cast<char>(Method::kCacheTag),
      absl::string_view(reinterpret_cast<const char*>(bytes.begin()), bytes.size()));
  ResultCache* cache = options_.cache;
  if (cache != nullptr) {
    if (std::shared_ptr<const std::string> kept = cache->LookupReply(key)) {
      *reply = ByteBufferOf(std::move(kept));
      reactor->Finish(grpc::Status::OK);
      return reactor;
    }
  }
  struct Call {
    Request request;
    Response response;
  };
  auto call = std::make_shared<Call>();
  if (!call->request.ParseFromArray(bytes.begin(), static_cast<int>(bytes.size()))) {
    reactor->Finish(grpc::Status(
        grpc::StatusCode::INVALID_ARGUMENT,
        absl::StrCat("the request is not a ", Request::descriptor()->full_name(), " message")));
    return reactor;
  }
  absl::StatusOr<ShardPlan> planned = Method::Plan(call->request, &call->response);
  if (!planned.ok()) {
    reactor->Finish(ToGrpcStatus(planned.status()));
    return reactor;
  }
  auto finish = [call, reactor, reply, cache, key = std::move(key)](
                    absl::Status status, std::vector<ResultCache::Version> versions) {
    if (!status.ok()) {
      reactor->Finish(ToGrpcStatus(status));
      return;
    }
    auto serialized = std::make_shared<const std::string>(call->response.SerializeAsString());
    *reply = ByteBufferOf(serialized);
    // A partial reply is not kept: the next call may reach every shard.
    if (cache != nullptr && call->response.missing_shards().empty()) {
      cache->InsertReply(key, std::move(versions), std::move(serialized));
    }
    reactor->Finish(grpc::Status::OK);
  };
  // The answer writes into call->response, which `finish` keeps alive.
  AnswerFromShards(shards_, cache, context, options_.shard_timeout, *std::move(planned),
                   call->response.mutable_missing_shards(), std::move(finish));
  return reactor;
}

template <typename Method>
grpc::ServerUnaryReactor* QueryServiceImpl::ShardQuery(grpc::CallbackServerContext* context,
                                                       const typename Method::Request* request,
                                                       typename Method::Response* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!authorizer_->Allow(context, Scope::kQuery, reactor)) return reactor;
  // gRPC keeps *request and *response until the reactor finishes.
  absl::StatusOr<ShardPlan> planned = Method::Plan(*request, response);
  if (!planned.ok()) {
    reactor->Finish(ToGrpcStatus(planned.status()));
    return reactor;
  }
  AnswerFromShards(shards_, options_.cache, context, options_.shard_timeout, *std::move(planned),
                   nullptr, [reactor](absl::Status status, std::vector<ResultCache::Version>) {
                     reactor->Finish(ToGrpcStatus(status));
                   });
  return reactor;
}

grpc::ServerUnaryReactor* QueryServiceImpl::Aggregate(grpc::CallbackServerContext* context,
                                                      const grpc::ByteBuffer* request,
                                                      grpc::ByteBuffer* reply) {
  return CachedShardQuery<AggregateQuery>(context, request, reply);
}

grpc::ServerUnaryReactor* QueryServiceImpl::TimeSeries(grpc::CallbackServerContext* context,
                                                       const grpc::ByteBuffer* request,
                                                       grpc::ByteBuffer* reply) {
  return CachedShardQuery<TimeSeriesQuery>(context, request, reply);
}

grpc::ServerUnaryReactor* QueryServiceImpl::Rank(grpc::CallbackServerContext* context,
                                                 const grpc::ByteBuffer* request,
                                                 grpc::ByteBuffer* reply) {
  return CachedShardQuery<RankQuery>(context, request, reply);
}

grpc::ServerUnaryReactor* QueryServiceImpl::Compare(grpc::CallbackServerContext* context,
                                                    const grpc::ByteBuffer* request,
                                                    grpc::ByteBuffer* reply) {
  return CachedShardQuery<CompareQuery>(context, request, reply);
}

grpc::ServerUnaryReactor* QueryServiceImpl::ListRegions(grpc::CallbackServerContext* context,
                                                        const grpc::ByteBuffer* request,
                                                        grpc::ByteBuffer* reply) {
  return CachedShardQuery<ListRegionsQuery>(context, request, reply);
}

grpc::ServerUnaryReactor* QueryServiceImpl::ListMetrics(
    grpc::CallbackServerContext* context, const zhibiao::v1::ListMetricsRequest* request,
    zhibiao::v1::ListMetricsResponse* response) {
  return ShardQuery<ListMetricsQuery>(context, request, response);
}

}  // namespace zb::query
