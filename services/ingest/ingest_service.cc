#include "services/ingest/ingest_service.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/base/grpc_status.h"
#include "common/base/logging.h"

namespace zb::ingest {
namespace {

grpc::Status QueueFull(const Executor& executor) {
  return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                      absl::StrCat("ingest is busy: ", executor.queue_capacity(),
                                   " documents are already waiting to be parsed; retry later"));
}

zhibiao::v1::IngestOutcome ToIngestOutcome(zhibiao::v1::PutOutcome outcome) {
  switch (outcome) {
    case zhibiao::v1::PUT_OUTCOME_STORED: return zhibiao::v1::INGEST_OUTCOME_STORED;
    case zhibiao::v1::PUT_OUTCOME_UNCHANGED: return zhibiao::v1::INGEST_OUTCOME_UNCHANGED;
    case zhibiao::v1::PUT_OUTCOME_REPLACED: return zhibiao::v1::INGEST_OUTCOME_REPLACED;
    default: return zhibiao::v1::INGEST_OUTCOME_UNSPECIFIED;
  }
}

// One in-flight storage call and what it needs to stay alive.
struct StorageCall {
  grpc::ClientContext context;
  zhibiao::v1::PutReportRequest request;
  zhibiao::v1::PutReportResponse response;
};

}  // namespace

IngestServiceImpl::IngestServiceImpl(StorageShards* shards, Executor* parsers,
                                     IngestOptions options)
    : shards_(shards), parsers_(parsers), options_(std::move(options)) {}

void IngestServiceImpl::BuildThen(grpc::CallbackServerContext* context,
                                  grpc::ServerUnaryReactor* reactor, const std::string* content,
                                  const std::string* source_name,
                                  std::function<void(zhibiao::v1::Report)> then) {
  const bool queued = parsers_->TrySubmit([this, reactor, context, content, source_name,
                                           then = std::move(then)] {
    if (context->IsCancelled()) {
      reactor->Finish(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled before parsing"));
      return;
    }
    absl::StatusOr<zhibiao::v1::Report> report =
        pipeline::BuildReport(*content, *source_name, options_.build);
    if (!report.ok()) {
      reactor->Finish(ToGrpcStatus(report.status()));
      return;
    }
    then(*std::move(report));
  });
  if (!queued) reactor->Finish(QueueFull(*parsers_));
}

grpc::ServerUnaryReactor* IngestServiceImpl::Parse(grpc::CallbackServerContext* context,
                                                   const zhibiao::v1::ParseRequest* request,
                                                   zhibiao::v1::ParseResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  BuildThen(context, reactor, &request->content(), &request->source_name(),
            [reactor, response](zhibiao::v1::Report report) {
              *response->mutable_report() = std::move(report);
              reactor->Finish(grpc::Status::OK);
            });
  return reactor;
}

grpc::ServerUnaryReactor* IngestServiceImpl::Ingest(grpc::CallbackServerContext* context,
                                                    const zhibiao::v1::IngestRequest* request,
                                                    zhibiao::v1::IngestResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  BuildThen(context, reactor, &request->content(), &request->source_name(),
            [this, context, reactor, request, response](zhibiao::v1::Report report) {
              for (const auto& [key, value] : request->labels()) {
                (*report.mutable_meta()->mutable_labels())[key] = value;
              }
              StoreReport(context, reactor, std::move(report), response);
            });
  return reactor;
}

void IngestServiceImpl::StoreReport(grpc::CallbackServerContext* context,
                                    grpc::ServerUnaryReactor* reactor, zhibiao::v1::Report report,
                                    zhibiao::v1::IngestResponse* response) {
  const int shard = ShardForRegion(report.meta().region().code(), shards_->size());
  response->set_report_id(report.meta().report_id());
  response->set_indicator_count(report.indicators_size());
  response->set_section_count(report.sections_size());
  response->set_shard(shards_->address(shard));
  *response->mutable_meta() = report.meta();
  *response->mutable_warnings() = report.warnings();

  auto call = std::make_shared<StorageCall>();
  // The storage call ends by the client's deadline or our own bound, whichever is first.
  const absl::Time bound = absl::Now() + options_.storage_timeout;
  const absl::Time client = absl::FromChrono(context->deadline());
  call->context.set_deadline(absl::ToChronoTime(std::min(bound, client)));
  *call->request.mutable_report() = std::move(report);
  const std::string peer = shards_->Describe(shard);
  shards_->stub(shard)->async()->PutReport(
      &call->context, &call->request, &call->response,
      [call, reactor, response, peer](grpc::Status status) {
        if (!status.ok()) {
          absl::Status failed = FromGrpcStatus(status, peer);
          // A storage deadline is the storage being unreachable in time, not
          // the client's fault: UNAVAILABLE tells the client to retry.
          if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
            failed = absl::UnavailableError(failed.message());
          }
          reactor->Finish(ToGrpcStatus(failed));
          return;
        }
        response->set_outcome(ToIngestOutcome(call->response.outcome()));
        response->mutable_meta()->set_ingested_at_unix_ms(call->response.ingested_at_unix_ms());
        LogInfo("report_ingested",
                {{"report_id", call->response.report_id()},
                 {"outcome", zhibiao::v1::IngestOutcome_Name(response->outcome())},
                 {"indicators", response->indicator_count()},
                 {"shard", peer}});
        reactor->Finish(grpc::Status::OK);
      });
}

}  // namespace zb::ingest
