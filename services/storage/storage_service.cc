#include "services/storage/storage_service.h"

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/agg/aggregate.h"
#include "common/base/grpc_status.h"
#include "common/base/logging.h"
#include "common/rpc/server.h"

namespace zb::storage {

namespace {
const Authorizer kAllowEveryCall(nullptr);
}  // namespace

StorageServiceImpl::StorageServiceImpl(store::IndicatorStore* store, Executor* readers,
                                       Executor* scanners, const Authorizer* authorizer,
                                       WriteWatchers* watchers)
    : store_(store),
      readers_(readers),
      scanners_(scanners != nullptr ? scanners : readers),
      authorizer_(authorizer != nullptr ? authorizer : &kAllowEveryCall),
      watchers_(watchers) {}

void StorageServiceImpl::AfterWriteConfirmed(std::function<void()> answer) {
  if (watchers_ == nullptr) {
    answer();
    return;
  }
  // The callback of a write runs after its group reached the index, so the
  // index's generation now is at least the one that holds the write.
  watchers_->AfterConfirmed(store_->index_generation(), std::move(answer));
}

grpc::ServerBidiReactor<zhibiao::v1::WatchWritesRequest, zhibiao::v1::WatchWritesEvent>*
StorageServiceImpl::WatchWrites(grpc::CallbackServerContext* context) {
  using Request = zhibiao::v1::WatchWritesRequest;
  using Event = zhibiao::v1::WatchWritesEvent;
  absl::StatusOr<std::string> caller = authorizer_->Check(*context, Scope::kQuery);
  if (!caller.ok()) return RefuseStream<Request, Event>(ToGrpcStatus(caller.status()));
  if (watchers_ == nullptr) {
    return RefuseStream<Request, Event>(grpc::Status(
        grpc::StatusCode::FAILED_PRECONDITION, "this storage shard runs without read leases"));
  }
  return watchers_->Watch(*std::move(caller));
}

grpc::ServerUnaryReactor* StorageServiceImpl::OnReader(grpc::CallbackServerContext* context,
                                                       Scope scope,
                                                       std::function<absl::Status()> work) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!authorizer_->Allow(context, scope, reactor)) return reactor;
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

grpc::ServerUnaryReactor* StorageServiceImpl::PutReport(
    grpc::CallbackServerContext* context, const zhibiao::v1::PutReportRequest* request,
    zhibiao::v1::PutReportResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<std::string> who = authorizer_->Check(*context, Scope::kStore);
  if (!who.ok()) {
    reactor->Finish(ToGrpcStatus(who.status()));
    return reactor;
  }
  if (!request->has_report() || request->report().meta().report_id().empty()) {
    reactor->Finish(
        grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "report.meta.report_id is required"));
    return reactor;
  }
  if (absl::Status checked =
          pipeline::CheckReport(request->report(), report_limits_, require_content_id_);
      !checked.ok()) {
    LogAudit(*who, "put_report", ShortQuote(request->report().meta().report_id(), 40), checked,
             RequestIdOf(*context));
    reactor->Finish(ToGrpcStatus(checked));
    return reactor;
  }
  const std::string id = request->report().meta().report_id();
  const std::string request_id = RequestIdOf(*context);
  store_->PutAsync(
      request->report(),
      [this, reactor, response, id, who = *who, request_id](absl::StatusOr<store::PutResult> r) {
        if (!r.ok()) {
          LogAudit(who, "put_report", id, r.status(), request_id);
          reactor->Finish(ToGrpcStatus(r.status()));
          return;
        }
        LogAudit(who, "put_report", id, absl::OkStatus(), request_id,
                 zhibiao::v1::PutOutcome_Name(r->outcome));
        response->set_report_id(id);
        response->set_outcome(r->outcome);
        response->set_ingested_at_unix_ms(r->ingested_at_unix_ms);
        if (r->outcome != zhibiao::v1::PUT_OUTCOME_UNCHANGED) {
          LogInfo("report_written",
                  {{"report_id", id}, {"outcome", zhibiao::v1::PutOutcome_Name(r->outcome)}});
        }
        AfterWriteConfirmed([reactor] { reactor->Finish(grpc::Status::OK); });
      },
      request->replaces_report_id());
  return reactor;
}

grpc::ServerUnaryReactor* StorageServiceImpl::SettleReport(
    grpc::CallbackServerContext* context, const zhibiao::v1::SettleReportRequest* request,
    zhibiao::v1::SettleReportResponse* response) {
  return AdminWrite(
      context, "settle_report", request->report_id(),
      [this](std::string id, store::IndicatorStore::DeleteCallback done) {
        store_->SettleAsync(std::move(id), std::move(done));
      },
      [response](const absl::StatusOr<int>& settled) {
        if (settled.ok()) response->set_was_arriving(*settled > 0);
        return settled.status();
      });
}

grpc::ServerUnaryReactor* StorageServiceImpl::GetReport(
    grpc::CallbackServerContext* context, const zhibiao::v1::GetReportRequest* request,
    zhibiao::v1::GetReportResponse* response) {
  return OnReader(context, Scope::kQuery, [this, request, response]() -> absl::Status {
    absl::StatusOr<zhibiao::v1::Report> report = store_->Get(request->report_id());
    if (!report.ok()) return report.status();
    *response->mutable_report() = *std::move(report);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* StorageServiceImpl::ListReports(
    grpc::CallbackServerContext* context, const zhibiao::v1::ListReportsRequest* request,
    zhibiao::v1::ListReportsResponse* response) {
  return OnReader(context, Scope::kQuery, [this, request, response]() -> absl::Status {
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
    for (auto& a : result->arriving) *response->add_arriving() = std::move(a);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* StorageServiceImpl::AdminWrite(
    grpc::CallbackServerContext* context, const char* action, const std::string& report_id,
    std::function<void(std::string, store::IndicatorStore::DeleteCallback)> write,
    std::function<absl::Status(const absl::StatusOr<int>&)> respond) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<std::string> who = authorizer_->Check(*context, Scope::kAdmin);
  if (!who.ok()) {
    reactor->Finish(ToGrpcStatus(who.status()));
    return reactor;
  }
  write(report_id,
        [this, reactor, action, id = report_id, who = *who, request_id = RequestIdOf(*context),
         respond = std::move(respond)](absl::StatusOr<int> result) {
          LogAudit(who, action, id, result.status(), request_id);
          const absl::Status answer = respond(result);
          if (!result.ok() && result.status().code() != absl::StatusCode::kNotFound) {
            reactor->Finish(ToGrpcStatus(answer));
            return;
          }
          AfterWriteConfirmed([reactor, answer] { reactor->Finish(ToGrpcStatus(answer)); });
        });
  return reactor;
}

grpc::ServerUnaryReactor* StorageServiceImpl::DeleteReport(
    grpc::CallbackServerContext* context, const zhibiao::v1::DeleteReportRequest* request,
    zhibiao::v1::DeleteReportResponse* response) {
  return AdminWrite(
      context, "delete_report", request->report_id(),
      [this](std::string id, store::IndicatorStore::DeleteCallback done) {
        store_->DeleteAsync(std::move(id), std::move(done));
      },
      [response, id = request->report_id()](const absl::StatusOr<int>& removed) {
        if (removed.ok()) {
          response->set_report_id(id);
          response->set_indicators_removed(*removed);
          LogInfo("report_deleted", {{"report_id", id}, {"indicators", *removed}});
        }
        return removed.status();
      });
}

namespace {

absl::Status ValidateRanking(const zhibiao::v1::AggregateIndicatorsRequest& request) {
  if (request.ranking().k() < 0 || request.ranking().k() > 1000) {
    return absl::InvalidArgumentError(
        absl::StrCat("ranking.k ", request.ranking().k(), " is outside 0..1000"));
  }
  if (request.group_by_size() != 3 || request.group_by(0) != zhibiao::v1::GROUP_BY_REGION ||
      request.group_by(1) != zhibiao::v1::GROUP_BY_PROVINCE ||
      request.group_by(2) != zhibiao::v1::GROUP_BY_REPORT || request.include_values()) {
    return absl::InvalidArgumentError(
        "ranking needs group_by [GROUP_BY_REGION, GROUP_BY_PROVINCE, GROUP_BY_REPORT] and no "
        "include_values");
  }
  return absl::OkStatus();
}

}  // namespace

grpc::ServerUnaryReactor* StorageServiceImpl::AggregateIndicators(
    grpc::CallbackServerContext* context, const zhibiao::v1::AggregateIndicatorsRequest* request,
    zhibiao::v1::AggregateIndicatorsResponse* response) {
  auto work = [this, request, response]() -> absl::Status {
    absl::Status valid = agg::ValidateFilter(request->filter());
    if (valid.ok()) valid = agg::ValidateGroupBy(request->group_by());
    if (valid.ok() && request->ranking().k() != 0) valid = ValidateRanking(*request);
    if (!valid.ok()) return valid;
    std::vector<zhibiao::v1::PartialAggregate> groups;
    agg::RankingCut cut;
    uint64_t generation = 0;
    std::vector<zhibiao::v1::ArrivingReport> arriving;
    absl::StatusOr<int64_t> scanned =
        store_->AggregatePartials(*request, &groups, &cut, &generation, &arriving);
    if (!scanned.ok()) return scanned.status();
    if (watchers_ != nullptr) response->set_store_epoch(watchers_->epoch());
    response->set_index_generation(generation);
    if (cut.applied) {
      response->set_ranking_applied(true);
      response->set_regions_ranked(cut.regions_ranked);
      for (const auto& [unit, count] : cut.counts_by_unit) {
        (*response->mutable_counts_by_unit())[unit] = count;
      }
    }
    for (auto& group : groups) *response->add_groups() = std::move(group);
    for (auto& a : arriving) *response->add_arriving() = std::move(a);
    response->set_indicators_scanned(*scanned);
    return absl::OkStatus();
  };
  // One metric in one or two years, or in one region — what Rank,
  // TimeSeries and Compare ask — reads one row list of the in-memory index
  // (hundreds of rows): answered here on the gRPC thread, which saves the
  // hand-over to a reader thread, a good part of such a call's latency.
  // Everything else goes to the readers and their bounded queue.
  const zhibiao::v1::IndicatorFilter& filter = request->filter();
  const bool small =
      filter.metric_keys_size() == 1 &&
      ((filter.years_size() >= 1 && filter.years_size() <= 2) || filter.region_codes_size() == 1) &&
      request->weight_keys().empty() && !request->include_values() &&
      filter.subject_contains().empty() && filter.report_ids().empty();
  if (!small) return OnReader(context, Scope::kQuery, std::move(work));
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (authorizer_->Allow(context, Scope::kQuery, reactor)) reactor->Finish(ToGrpcStatus(work()));
  return reactor;
}

grpc::ServerUnaryReactor* StorageServiceImpl::SearchIndicators(
    grpc::CallbackServerContext* context, const zhibiao::v1::SearchIndicatorsRequest* request,
    zhibiao::v1::SearchIndicatorsResponse* response) {
  return OnReader(context, Scope::kQuery, [this, request, response]() -> absl::Status {
    absl::Status valid = agg::ValidateFilter(request->filter());
    if (valid.ok()) valid = agg::ValidateSearchWords(request->words());
    if (!valid.ok()) return valid;
    absl::StatusOr<zhibiao::v1::SearchIndicatorsResponse> found = store_->Search(*request);
    if (!found.ok()) return found.status();
    *response = *std::move(found);
    return absl::OkStatus();
  });
}

namespace {

// Streams scan batches to the client one write at a time: the scan runs on a
// reader thread, which waits for each write to finish (flow control) and
// stops when the client cancels.
class ScanReactor : public grpc::ServerWriteReactor<zhibiao::v1::ScanIndicatorsResponse> {
 public:
  ScanReactor() = default;

  // Called on the reader thread; false when the client has gone.
  bool Send(zhibiao::v1::ScanIndicatorsResponse batch) {
    absl::MutexLock lock(&mu_);
    auto writable = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return !writing_ || cancelled_; };
    mu_.Await(absl::Condition(&writable));
    if (cancelled_) return false;
    pending_ = std::move(batch);
    writing_ = true;
    StartWrite(&pending_);
    return true;
  }

  // Called on the reader thread once the scan is over.
  void Done(const grpc::Status& status) {
    {
      absl::MutexLock lock(&mu_);
      auto writable = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return !writing_ || cancelled_; };
      mu_.Await(absl::Condition(&writable));
    }
    Finish(status);
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) cancelled_ = true;
  }
  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    cancelled_ = true;
  }
  void OnDone() override { delete this; }

 private:
  absl::Mutex mu_;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  zhibiao::v1::ScanIndicatorsResponse pending_;
};

}  // namespace

grpc::ServerWriteReactor<zhibiao::v1::ScanIndicatorsResponse>* StorageServiceImpl::ScanIndicators(
    grpc::CallbackServerContext* context, const zhibiao::v1::ScanIndicatorsRequest* request) {
  auto* reactor = new ScanReactor();
  absl::Status valid = authorizer_->Check(*context, Scope::kQuery).status();
  if (valid.ok()) valid = agg::ValidateFilter(request->filter());
  if (valid.ok() && (request->batch_size() < 0 || request->batch_size() > 10000)) {
    valid = absl::InvalidArgumentError(
        absl::StrCat("batch_size ", request->batch_size(), " is outside 0..10000"));
  }
  if (valid.ok() && request->limit() < 0) {
    valid = absl::InvalidArgumentError(absl::StrCat("limit ", request->limit(), " is negative"));
  }
  if (!valid.ok()) {
    reactor->Finish(ToGrpcStatus(valid));
    return reactor;
  }
  const bool queued = scanners_->TrySubmit([this, reactor, context, request] {
    const int batch_size = request->batch_size() == 0 ? 1000 : request->batch_size();
    const int64_t limit = request->limit();
    zhibiao::v1::ScanIndicatorsResponse batch;
    int64_t sent = 0;
    bool client_gone = false;
    int64_t visited = 0;
    absl::StatusOr<int64_t> scanned =
        store_->Scan(request->filter(), [&](const agg::IndicatorRow& row, int32_t seq,
                                            absl::string_view section_id, absl::string_view) {
          // A filter that matches little sends little: look for a client
          // that has gone between batches too.
          if (++visited % 4096 == 0 && context->IsCancelled()) {
            client_gone = true;
            return false;
          }
          auto* ind = batch.add_indicators();
          ind->set_metric_key(row.metric_key.data(), row.metric_key.size());
          ind->set_year(row.year);
          ind->set_region_code(row.region.data(), row.region.size());
          ind->set_province_code(row.province.data(), row.province.size());
          ind->set_report_id(row.report_id.data(), row.report_id.size());
          ind->set_seq(seq);
          auto* q = ind->mutable_quantity();
          q->set_value(row.value);
          q->set_low(row.low);
          q->set_high(row.high);
          q->set_qualifier(static_cast<zhibiao::v1::Qualifier>(row.qualifier));
          q->set_unit(row.unit.data(), row.unit.size());
          q->set_kind(static_cast<zhibiao::v1::UnitKind>(row.unit_kind));
          ind->set_change(static_cast<zhibiao::v1::Change>(row.change));
          ind->set_is_target(row.is_target);
          ind->set_subject(row.subject.data(), row.subject.size());
          ind->set_section_id(section_id.data(), section_id.size());
          ++sent;
          if (batch.indicators_size() >= batch_size) {
            if (!reactor->Send(std::move(batch))) {
              client_gone = true;
              return false;
            }
            batch = zhibiao::v1::ScanIndicatorsResponse();
          }
          return limit == 0 || sent < limit;
        });
    if (!scanned.ok()) {
      reactor->Done(ToGrpcStatus(scanned.status()));
      return;
    }
    if (!client_gone && batch.indicators_size() > 0) reactor->Send(std::move(batch));
    reactor->Done(client_gone ? grpc::Status(grpc::StatusCode::CANCELLED, "client went away")
                              : grpc::Status::OK);
  });
  if (!queued) {
    reactor->Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                 "storage scan queue is full; retry later"));
  }
  return reactor;
}

grpc::ServerUnaryReactor* StorageServiceImpl::Checkpoint(
    grpc::CallbackServerContext* context, const zhibiao::v1::CheckpointRequest* request,
    zhibiao::v1::CheckpointResponse* response) {
  return OnReader(context, Scope::kAdmin, [this, request, response]() -> absl::Status {
    if (request->keep() < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("keep must be 0 (keep every checkpoint) or more, not ", request->keep()));
    }
    auto written = store_->Checkpoint(request->directory(), request->keep());
    if (!written.ok()) return written.status();
    response->set_directory(request->directory());
    response->set_reports(written->reports);
    for (const std::string& old : written->removed) response->add_removed(old);
    LogInfo("audit", {{"action", "checkpoint"},
                      {"directory", request->directory()},
                      {"removed", static_cast<int64_t>(written->removed.size())}});
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* StorageServiceImpl::GetStats(grpc::CallbackServerContext* context,
                                                       const zhibiao::v1::GetStatsRequest*,
                                                       zhibiao::v1::GetStatsResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!authorizer_->Allow(context, Scope::kAdmin, reactor)) return reactor;
  *response = store_->Stats();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* StorageServiceImpl::Verify(grpc::CallbackServerContext* context,
                                                     const zhibiao::v1::VerifyRequest* request,
                                                     zhibiao::v1::VerifyResponse* response) {
  return OnReader(context, Scope::kAdmin, [this, request, response]() -> absl::Status {
    *response = store_->Verify(request->max_problems());
    return absl::OkStatus();
  });
}

}  // namespace zb::storage
