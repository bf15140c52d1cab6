#include "services/ingest/ingest_service.h"

#include <malloc.h>

#include <algorithm>
#include <deque>
#include <memory>
#include <vector>

#include <grpcpp/alarm.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/base/call_budget.h"
#include "common/base/grpc_status.h"
#include "common/base/logging.h"
#include "common/metrics/metrics.h"
#include "common/pipeline/report_check.h"
#include "common/rpc/server.h"

namespace zb::ingest {
namespace {

// Documents at least this large are followed by malloc_trim.
constexpr size_t kTrimAfterDocumentBytes = size_t{4} << 20;

absl::Status QueueFull(const Executor& executor) {
  return absl::ResourceExhaustedError(absl::StrCat("ingest is busy: ", executor.queue_capacity(),
                                                   " documents are already waiting to be parsed (",
                                                   executor.name(), "); retry later"));
}

zhibiao::v1::IngestOutcome ToIngestOutcome(zhibiao::v1::PutOutcome outcome) {
  switch (outcome) {
    case zhibiao::v1::PUT_OUTCOME_STORED: return zhibiao::v1::INGEST_OUTCOME_STORED;
    case zhibiao::v1::PUT_OUTCOME_UNCHANGED: return zhibiao::v1::INGEST_OUTCOME_UNCHANGED;
    case zhibiao::v1::PUT_OUTCOME_REPLACED: return zhibiao::v1::INGEST_OUTCOME_REPLACED;
    default: return zhibiao::v1::INGEST_OUTCOME_UNSPECIFIED;
  }
}

}  // namespace

// One report on its way to storage, across retries.
struct IngestServiceImpl::StoreState {
  zhibiao::v1::PutReportRequest request;
  zhibiao::v1::IngestResponse response;
  int shard = 0;
  std::string peer;
  absl::Time deadline;  // of the whole store, retries included
  std::string request_id;
  std::string caller;
  int attempt = 0;
  std::function<void(absl::Status, zhibiao::v1::IngestResponse)> done;
  std::function<bool()> cancelled;  // the client went away (or the server is stopping)
  // The attempt in flight (a new one per try).
  std::unique_ptr<grpc::ClientContext> context;
  zhibiao::v1::PutReportResponse put;
};

IngestServiceImpl::IngestServiceImpl(StorageShards* shards, ParserPools parsers,
                                     const Authorizer* authorizer, IngestOptions options)
    : shards_(shards), parsers_(parsers), authorizer_(authorizer), options_(options) {}

absl::StatusOr<zhibiao::v1::Report> IngestServiceImpl::Build(
    const std::string& content, const std::string& source_name,
    const zhibiao::v1::ReportHints& hints, absl::Time deadline,
    std::function<bool()> cancelled) const {
  // What the caller sends besides the document is checked before parsing.
  zhibiao::v1::ReportMeta caller_fields;
  caller_fields.set_source_name(source_name);
  if (absl::Status s = pipeline::CheckCallerFields(caller_fields, pipeline::ReportLimits());
      !s.ok()) {
    return s;
  }
  const CallBudget budget(std::min(deadline, absl::Now() + options_.max_parse_time),
                          std::move(cancelled));
  absl::StatusOr<zhibiao::v1::Report> report =
      pipeline::BuildReport(content, source_name, hints, options_.build, budget);
  if (!report.ok()) return report;
  const size_t bytes = report->ByteSizeLong();
  if (static_cast<int64_t>(bytes) > options_.max_report_bytes) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "the report of this document would be ", bytes >> 20, " MiB (text, sections and ",
        report->indicators_size(), " figures), over the limit of ", options_.max_report_bytes >> 20,
        " MiB (--max_report_mb)"));
  }
  return report;
}

grpc::ServerUnaryReactor* IngestServiceImpl::Parse(grpc::CallbackServerContext* context,
                                                   const zhibiao::v1::ParseRequest* request,
                                                   zhibiao::v1::ParseResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!authorizer_->Allow(context, Scope::kIngest, reactor)) return reactor;
  Executor* const pool = parsers_.For(request->content().size());
  const bool queued = pool->TrySubmit([this, reactor, context, request, response] {
    if (context->IsCancelled()) {
      reactor->Finish(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled before parsing"));
      return;
    }
    absl::StatusOr<zhibiao::v1::Report> report =
        Build(request->content(), request->source_name(), request->hints(),
              absl::FromChrono(context->deadline()), [context] { return context->IsCancelled(); });
    const absl::Status status = report.status();
    if (report.ok()) *response->mutable_report() = *std::move(report);
    reactor->Finish(ToGrpcStatus(status));
  });
  if (!queued) reactor->Finish(ToGrpcStatus(QueueFull(*pool)));
  return reactor;
}

grpc::ServerUnaryReactor* IngestServiceImpl::Ingest(grpc::CallbackServerContext* context,
                                                    const zhibiao::v1::IngestRequest* request,
                                                    zhibiao::v1::IngestResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<std::string> caller = authorizer_->Check(*context, Scope::kIngest);
  if (!caller.ok()) {
    reactor->Finish(ToGrpcStatus(caller.status()));
    return reactor;
  }
  IngestJob job;
  job.content = &request->content();
  job.source_name = &request->source_name();
  job.labels = &request->labels();
  job.hints = &request->hints();
  job.replaces_report_id = request->replaces_report_id();
  job.deadline = absl::FromChrono(context->deadline());
  job.request_id = RequestIdOf(*context);
  job.caller = *caller;
  job.cancelled = [context] { return context->IsCancelled(); };
  IngestDocument(std::move(job),
                 [reactor, response](absl::Status status, zhibiao::v1::IngestResponse result) {
                   if (status.ok()) *response = std::move(result);
                   reactor->Finish(ToGrpcStatus(status));
                 });
  return reactor;
}

void IngestServiceImpl::IngestDocument(
    IngestJob job, std::function<void(absl::Status, zhibiao::v1::IngestResponse)> done) {
  // Labels and source name are checked before the document waits for a parser.
  zhibiao::v1::ReportMeta caller_fields;
  if (job.source_name != nullptr) caller_fields.set_source_name(*job.source_name);
  if (job.labels != nullptr) *caller_fields.mutable_labels() = *job.labels;
  if (absl::Status s = pipeline::CheckCallerFields(caller_fields, pipeline::ReportLimits());
      !s.ok()) {
    Metrics::Global().RecordIngest("failed", 0);
    LogAudit(job.caller, "ingest", "", s, job.request_id);
    done(s, {});
    return;
  }
  auto shared_done = std::make_shared<decltype(done)>(std::move(done));
  Executor* const pool = parsers_.For(job.content->size());
  const bool queued = pool->TrySubmit([this, job, shared_done]() mutable {
    if (job.cancelled && job.cancelled()) {
      (*shared_done)(absl::CancelledError("cancelled before parsing"), {});
      return;
    }
    absl::StatusOr<zhibiao::v1::Report> report =
        Build(*job.content, *job.source_name,
              job.hints != nullptr ? *job.hints : zhibiao::v1::ReportHints(), job.deadline,
              job.cancelled);
    // A large document's parse leaves hundreds of MiB free in malloc's
    // arenas; give them back so the process's RSS follows its work.
    if (job.content->size() >= kTrimAfterDocumentBytes) malloc_trim(0);
    if (!report.ok()) {
      Metrics::Global().RecordIngest("failed", 0);
      LogAudit(job.caller, "ingest", "", report.status(), job.request_id);
      (*shared_done)(report.status(), {});
      return;
    }
    if (job.labels != nullptr) {
      for (const auto& [key, value] : *job.labels) {
        (*report->mutable_meta()->mutable_labels())[key] = value;
      }
    }
    auto state = std::make_shared<StoreState>();
    state->shard = ShardForRegion(report->meta().region().code(), shards_->size());
    state->peer = shards_->Describe(state->shard);
    zhibiao::v1::IngestResponse& response = state->response;
    response.set_report_id(report->meta().report_id());
    response.set_indicator_count(report->indicators_size());
    response.set_section_count(report->sections_size());
    response.set_shard(shards_->address(state->shard));
    *response.mutable_meta() = report->meta();
    *response.mutable_warnings() = report->warnings();
    *state->request.mutable_report() = *std::move(report);
    state->request.set_replaces_report_id(job.replaces_report_id);
    const absl::Duration for_size =
        options_.storage_bytes_per_second > 0
            ? absl::Seconds(static_cast<double>(state->request.report().ByteSizeLong()) /
                            static_cast<double>(options_.storage_bytes_per_second))
            : absl::ZeroDuration();
    // Storage gives up a little before the client does, so the client hears
    // why (UNAVAILABLE naming the shard) instead of its own DEADLINE_EXCEEDED.
    const absl::Time now = absl::Now();
    const absl::Duration answer_margin =
        std::clamp((job.deadline - now) / 10, absl::ZeroDuration(), absl::Milliseconds(200));
    state->deadline =
        std::min(job.deadline - answer_margin, now + options_.storage_timeout + for_size);
    state->request_id = job.request_id;
    state->caller = job.caller;
    state->cancelled = job.cancelled;
    state->done = [shared_done](absl::Status s, zhibiao::v1::IngestResponse r) {
      (*shared_done)(std::move(s), std::move(r));
    };
    StoreAttempt(std::move(state));
  });
  if (!queued) {
    (*shared_done)(QueueFull(*pool), {});
  }
}

void IngestServiceImpl::StoreAttempt(std::shared_ptr<StoreState> state) {
  state->context = std::make_unique<grpc::ClientContext>();
  state->context->set_deadline(absl::ToChronoTime(state->deadline));
  if (!state->request_id.empty()) state->context->AddMetadata("x-request-id", state->request_id);
  state->put.Clear();
  shards_->stub(state->shard)
      ->async()
      ->PutReport(
          state->context.get(), &state->request, &state->put, [this, state](grpc::Status status) {
            if (status.ok()) {
              state->response.set_outcome(ToIngestOutcome(state->put.outcome()));
              state->response.mutable_meta()->set_ingested_at_unix_ms(
                  state->put.ingested_at_unix_ms());
              LogInfo("report_ingested",
                      {{"report_id", state->put.report_id()},
                       {"outcome", zhibiao::v1::IngestOutcome_Name(state->response.outcome())},
                       {"indicators", state->response.indicator_count()},
                       {"shard", state->peer},
                       {"attempts", state->attempt + 1},
                       {"request_id", state->request_id}});
              const zhibiao::v1::IngestOutcome outcome = state->response.outcome();
              Metrics::Global().RecordIngest(
                  outcome == zhibiao::v1::INGEST_OUTCOME_STORED      ? "stored"
                  : outcome == zhibiao::v1::INGEST_OUTCOME_UNCHANGED ? "unchanged"
                                                                     : "replaced",
                  outcome == zhibiao::v1::INGEST_OUTCOME_UNCHANGED
                      ? 0
                      : state->response.indicator_count());
              LogAudit(state->caller, "ingest", state->response.report_id(), absl::OkStatus(),
                       state->request_id,
                       zhibiao::v1::IngestOutcome_Name(state->response.outcome()));
              state->done(absl::OkStatus(), std::move(state->response));
              return;
            }
            // A shard that cannot be reached, or is shutting down, may be back in
            // a moment: PutReport is idempotent, so try again while time is left.
            const absl::Duration backoff =
                std::min(options_.max_retry_backoff,
                         options_.retry_backoff * (1 << std::min(state->attempt, 10)));
            const bool retryable = status.error_code() == grpc::StatusCode::UNAVAILABLE;
            const bool client_gone = state->cancelled && state->cancelled();
            if (retryable && !client_gone && absl::Now() + backoff < state->deadline) {
              ++state->attempt;
              // The alarm deletes itself when it fires (gRPC keeps its internals
              // alive until the callback returns), so nothing holds `state` in a
              // cycle once the report is stored or given up.
              auto* alarm = new grpc::Alarm();
              alarm->Set(absl::ToChronoTime(absl::Now() + backoff), [this, state, alarm](bool) {
                delete alarm;
                StoreAttempt(state);
              });
              return;
            }
            absl::Status failed = FromGrpcStatus(status, state->peer);
            if (client_gone)
              failed = absl::CancelledError("the client went away while storage was retried");
            // A storage deadline is the storage being unreachable in time, not
            // the client's fault: UNAVAILABLE tells the client to retry.
            if (!client_gone &&
                (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED || retryable)) {
              failed = absl::UnavailableError(
                  absl::StrCat(failed.message(), " (after ", state->attempt + 1, " attempts)"));
            }
            Metrics::Global().RecordIngest("failed", 0);
            LogAudit(state->caller, "ingest", state->response.report_id(), failed,
                     state->request_id);
            state->done(failed, {});
          });
}

// IngestStream: reads documents one at a time while fewer than
// stream_window are in flight, ingests each through IngestDocument, and
// writes results strictly in the order the documents came. Finishes only
// when every document it read has its result (so no work outlives it).
class IngestServiceImpl::StreamReactor
    : public grpc::ServerBidiReactor<zhibiao::v1::IngestRequest, zhibiao::v1::IngestResult> {
 public:
  StreamReactor(IngestServiceImpl* service, grpc::CallbackServerContext* context,
                std::string caller)
      : service_(service), context_(context), caller_(std::move(caller)) {
    request_id_ = RequestIdOf(*context);
    reading_ = true;
    StartRead(&incoming_);
  }

  void OnReadDone(bool ok) override {
    Actions actions;
    {
      absl::MutexLock lock(&mu_);
      reading_ = false;
      if (!ok) {
        reads_done_ = true;
      } else {
        auto slot = std::make_shared<Slot>();
        slot->request = std::move(incoming_);
        slot->result.set_index(next_index_++);
        slot->result.set_source_name(slot->request.source_name());
        pending_.push_back(slot);
        ++in_flight_;
        actions.start.push_back(slot);
      }
      Plan(&actions);
    }
    Run(std::move(actions));
  }

  void OnWriteDone(bool ok) override {
    Actions actions;
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      pending_.pop_front();
      if (!ok) broken_ = true;  // the client went away: finish once the work drains
      Plan(&actions);
    }
    Run(std::move(actions));
  }

  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    broken_ = true;
  }

  void OnDone() override { delete this; }

 private:
  struct Slot {
    zhibiao::v1::IngestRequest request;
    zhibiao::v1::IngestResult result;
    bool done = false;
  };
  // What to do once the lock is released (gRPC may run reactions inline).
  struct Actions {
    std::vector<std::shared_ptr<Slot>> start;
    bool read = false;
    const zhibiao::v1::IngestResult* write = nullptr;
    bool finish = false;
    bool cancelled = false;  // with finish: the client went away
  };

  void Plan(Actions* actions) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (broken_) {
      // Drop the results nobody reads; finish when nothing runs any more.
      while (!writing_ && !pending_.empty() && pending_.front()->done) pending_.pop_front();
      if (!finished_ && !reading_ && !writing_ && in_flight_ == 0) {
        finished_ = true;
        actions->finish = true;
        actions->cancelled = true;
      }
      return;
    }
    // Documents in work and results not yet written both hold memory: read
    // the next only while fewer than stream_window of them are pending.
    if (!reading_ && !reads_done_ &&
        static_cast<int>(pending_.size()) < service_->options().stream_window) {
      reading_ = true;
      actions->read = true;
    }
    if (!writing_ && !pending_.empty() && pending_.front()->done) {
      writing_ = true;
      actions->write = &pending_.front()->result;
    }
    if (!finished_ && reads_done_ && pending_.empty() && !writing_) {
      finished_ = true;
      actions->finish = true;
    }
  }

  void Run(Actions actions) {
    if (actions.read) StartRead(&incoming_);
    for (auto& slot : actions.start) Start(slot);
    if (actions.write != nullptr) StartWrite(actions.write);
    if (actions.finish) {
      Finish(actions.cancelled ? grpc::Status(grpc::StatusCode::CANCELLED, "the client went away")
                               : grpc::Status::OK);
    }
  }

  void Start(const std::shared_ptr<Slot>& slot) {
    IngestJob job;
    job.content = &slot->request.content();
    job.source_name = &slot->request.source_name();
    job.labels = &slot->request.labels();
    job.hints = &slot->request.hints();
    job.replaces_report_id = slot->request.replaces_report_id();
    job.deadline = absl::FromChrono(context_->deadline());
    job.request_id =
        absl::StrCat(request_id_, request_id_.empty() ? "" : "/", slot->result.index());
    job.caller = caller_;
    job.cancelled = [this] {
      absl::MutexLock lock(&mu_);
      return broken_;
    };
    service_->IngestDocument(
        std::move(job), [this, slot](absl::Status status, zhibiao::v1::IngestResponse response) {
          Actions actions;
          {
            absl::MutexLock lock(&mu_);
            if (status.ok()) {
              *slot->result.mutable_response() = std::move(response);
            } else {
              slot->result.set_code(static_cast<int32_t>(status.code()));
              slot->result.set_error(std::string(status.message()));
            }
            slot->request =
                zhibiao::v1::IngestRequest();  // frees the document (Clear keeps its capacity)
            slot->done = true;
            --in_flight_;
            Plan(&actions);
          }
          Run(std::move(actions));
        });
  }

  IngestServiceImpl* const service_;
  grpc::CallbackServerContext* const context_;
  const std::string caller_;
  std::string request_id_;
  zhibiao::v1::IngestRequest incoming_;  // written by StartRead; one read at a time
  absl::Mutex mu_;
  std::deque<std::shared_ptr<Slot>> pending_ ABSL_GUARDED_BY(mu_);  // in stream order
  int64_t next_index_ ABSL_GUARDED_BY(mu_) = 0;
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  bool reading_ ABSL_GUARDED_BY(mu_) = false;
  bool reads_done_ ABSL_GUARDED_BY(mu_) = false;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool broken_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

grpc::ServerBidiReactor<zhibiao::v1::IngestRequest, zhibiao::v1::IngestResult>*
IngestServiceImpl::IngestStream(grpc::CallbackServerContext* context) {
  absl::StatusOr<std::string> caller = authorizer_->Check(*context, Scope::kIngest);
  if (!caller.ok()) {
    return RefuseStream<zhibiao::v1::IngestRequest, zhibiao::v1::IngestResult>(
        ToGrpcStatus(caller.status()));
  }
  return new StreamReactor(this, context, *std::move(caller));
}

}  // namespace zb::ingest
