#include "services/storage/storage_service.h"

#include "absl/strings/str_cat.h"
#include "common/agg/aggregate.h"
#include "common/base/grpc_status.h"
#include "common/base/logging.h"

namespace zb::storage {

StorageServiceImpl::StorageServiceImpl(store::IndicatorStore* store, Executor* readers)
    : store_(store), readers_(readers) {}

grpc::ServerUnaryReactor* StorageServiceImpl::OnReader(grpc::CallbackServerContext* context,
                                                       std::function<absl::Status()> work) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const bool queued = readers_->TrySubmit([reactor, context, work = std::move(work)] {
    if (context->IsCancelled()) {
      reactor->Finish(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled before it started"));
      return;
    }
    reactor->Finish(ToGrpcStatus(work()));
  });
  if (!queued) {
    reactor->Finish(grpc::Status(
        grpc::StatusCode::RESOURCE_EXHAUSTED,
        absl::StrCat("storage read queue is full (", readers_->queue_capacity(), " calls)")));
  }
  return reactor;
}

grpc::ServerUnaryReactor* StorageServiceImpl::PutReport(grpc::CallbackServerContext* context,
                                                        const zhibiao::v1::PutReportRequest* request,
                                                        zhibiao::v1::PutReportResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!request->has_report() || request->report().meta().report_id().empty()) {
    reactor->Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                 "report.meta.report_id is required"));
    return reactor;
  }
  const std::string id = request->report().meta().report_id();
  store_->PutAsync(request->report(), [reactor, response, id](absl::StatusOr<store::PutResult> r) {
    if (!r.ok()) {
      reactor->Finish(ToGrpcStatus(r.status()));
      return;
    }
    response->set_report_id(id);
    response->set_outcome(r->outcome);
    response->set_ingested_at_unix_ms(r->ingested_at_unix_ms);
    if (r->outcome != zhibiao::v1::PUT_OUTCOME_UNCHANGED) {
      LogInfo("report_written",
              {{"report_id", id}, {"outcome", zhibiao::v1::PutOutcome_Name(r->outcome)}});
    }
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

grpc::ServerUnaryReactor* StorageServiceImpl::GetReport(grpc::CallbackServerContext* context,
                                                        const zhibiao::v1::GetReportRequest* request,
                                                        zhibiao::v1::GetReportResponse* response) {
  return OnReader(context, [this, request, response]() -> absl::Status {
    absl::StatusOr<zhibiao::v1::Report> report = store_->Get(request->report_id());
    if (!report.ok()) return report.status();
    *response->mutable_report() = *std::move(report);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* StorageServiceImpl::ListReports(
    grpc::CallbackServerContext* context, const zhibiao::v1::ListReportsRequest* request,
    zhibiao::v1::ListReportsResponse* response) {
  return OnReader(context, [this, request, response]() -> absl::Status {
    store::ListQuery query;
    query.region_code = request->region_code();
    query.province_code = request->province_code();
    query.year = request->year();
    query.issuer = request->issuer();
    query.page_size = request->page_size();
    query.page_token = request->page_token();
    absl::StatusOr<store::ListResult> result = store_->List(query);
    if (!result.ok()) return result.status();
    for (auto& meta : result->reports) *response->add_reports() = std::move(meta);
    response->set_next_page_token(result->next_page_token);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* StorageServiceImpl::DeleteReport(
    grpc::CallbackServerContext* context, const zhibiao::v1::DeleteReportRequest* request,
    zhibiao::v1::DeleteReportResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const std::string id = request->report_id();
  store_->DeleteAsync(id, [reactor, response, id](absl::StatusOr<int> removed) {
    if (removed.ok()) {
      response->set_report_id(id);
      response->set_indicators_removed(*removed);
      LogInfo("report_deleted", {{"report_id", id}, {"indicators", *removed}});
    }
    reactor->Finish(ToGrpcStatus(removed.status()));
  });
  return reactor;
}

grpc::ServerUnaryReactor* StorageServiceImpl::AggregateIndicators(
    grpc::CallbackServerContext* context, const zhibiao::v1::AggregateIndicatorsRequest* request,
    zhibiao::v1::AggregateIndicatorsResponse* response) {
  return OnReader(context, [this, request, response]() -> absl::Status {
    absl::Status valid = agg::ValidateFilter(request->filter());
    if (valid.ok()) valid = agg::ValidateGroupBy(request->group_by());
    if (!valid.ok()) return valid;
    agg::PartialAggregator aggregator(request->group_by());
    absl::StatusOr<int64_t> scanned = store_->Aggregate(request->filter(), &aggregator);
    if (!scanned.ok()) return scanned.status();
    for (auto& group : aggregator.Finish()) *response->add_groups() = std::move(group);
    response->set_indicators_scanned(*scanned);
    return absl::OkStatus();
  });
}

}  // namespace zb::storage
