// zhibiao.v1.StorageService over one IndicatorStore: validates requests,
// hands writes to the store's group-commit writer and reads to an executor,
// and maps absl::Status to grpc::Status. No storage logic lives here.
#ifndef ZHIBIAO_SERVICES_STORAGE_STORAGE_SERVICE_H_
#define ZHIBIAO_SERVICES_STORAGE_STORAGE_SERVICE_H_

#include "common/pipeline/report_check.h"
#include "common/rpc/auth.h"
#include "common/rpc/executor.h"
#include "common/store/indicator_store.h"
#include "services/storage/write_watchers.h"
#include "zhibiao/v1/storage.grpc.pb.h"

namespace zb::storage {

// Thread-safe. Does not own `store`, `readers` or `scanners`; they must
// outlive it. Streaming scans run on `scanners` (they wait on slow clients),
// so they never hold up reads and aggregations on `readers`; when null,
// scans share `readers`.
class StorageServiceImpl final : public zhibiao::v1::StorageService::CallbackService {
 public:
  // `authorizer` checks every call's token (null: every call allowed).
  // With `watchers` (not owned), writes are answered only once the result
  // caches holding read leases have confirmed them (see WriteWatchers), and
  // WatchWrites grants leases; without, WatchWrites is FAILED_PRECONDITION.
  StorageServiceImpl(store::IndicatorStore* store, Executor* readers, Executor* scanners = nullptr,
                     const Authorizer* authorizer = nullptr, WriteWatchers* watchers = nullptr);

  // PutReport refuses reports that are not what ingest makes of a document
  // (pipeline::CheckReport). Tests and benchmarks that store synthetic
  // reports, without text, turn the content checks off (limits still hold).
  void AcceptSyntheticReportsForTesting() { require_content_id_ = false; }
  void set_report_limits(const pipeline::ReportLimits& limits) { report_limits_ = limits; }

  grpc::ServerUnaryReactor* PutReport(grpc::CallbackServerContext* context,
                                      const zhibiao::v1::PutReportRequest* request,
                                      zhibiao::v1::PutReportResponse* response) override;
  grpc::ServerUnaryReactor* GetReport(grpc::CallbackServerContext* context,
                                      const zhibiao::v1::GetReportRequest* request,
                                      zhibiao::v1::GetReportResponse* response) override;
  grpc::ServerUnaryReactor* ListReports(grpc::CallbackServerContext* context,
                                        const zhibiao::v1::ListReportsRequest* request,
                                        zhibiao::v1::ListReportsResponse* response) override;
  grpc::ServerUnaryReactor* DeleteReport(grpc::CallbackServerContext* context,
                                         const zhibiao::v1::DeleteReportRequest* request,
                                         zhibiao::v1::DeleteReportResponse* response) override;
  grpc::ServerUnaryReactor* SettleReport(grpc::CallbackServerContext* context,
                                         const zhibiao::v1::SettleReportRequest* request,
                                         zhibiao::v1::SettleReportResponse* response) override;
  grpc::ServerUnaryReactor* AggregateIndicators(
      grpc::CallbackServerContext* context, const zhibiao::v1::AggregateIndicatorsRequest* request,
      zhibiao::v1::AggregateIndicatorsResponse* response) override;
  grpc::ServerWriteReactor<zhibiao::v1::ScanIndicatorsResponse>* ScanIndicators(
      grpc::CallbackServerContext* context,
      const zhibiao::v1::ScanIndicatorsRequest* request) override;
  grpc::ServerUnaryReactor* Checkpoint(grpc::CallbackServerContext* context,
                                       const zhibiao::v1::CheckpointRequest* request,
                                       zhibiao::v1::CheckpointResponse* response) override;
  grpc::ServerUnaryReactor* GetStats(grpc::CallbackServerContext* context,
                                     const zhibiao::v1::GetStatsRequest* request,
                                     zhibiao::v1::GetStatsResponse* response) override;
  grpc::ServerUnaryReactor* Verify(grpc::CallbackServerContext* context,
                                   const zhibiao::v1::VerifyRequest* request,
                                   zhibiao::v1::VerifyResponse* response) override;
  grpc::ServerUnaryReactor* SearchIndicators(
      grpc::CallbackServerContext* context, const zhibiao::v1::SearchIndicatorsRequest* request,
      zhibiao::v1::SearchIndicatorsResponse* response) override;
  grpc::ServerBidiReactor<zhibiao::v1::WatchWritesRequest, zhibiao::v1::WatchWritesEvent>*
  WatchWrites(grpc::CallbackServerContext* context) override;

 private:
  // Runs `answer` once the write that made the index reach its current
  // generation may be acknowledged (at once without watchers).
  void AfterWriteConfirmed(std::function<void()> answer);

  // Runs `work` on the readers executor and finishes `reactor` with its
  // status; RESOURCE_EXHAUSTED when the executor's queue is full.
  // Refuses the call first unless its token has `scope`.
  grpc::ServerUnaryReactor* OnReader(grpc::CallbackServerContext* context, Scope scope,
                                     std::function<absl::Status()> work);

  // An admin write of one report (DeleteReport, SettleReport): refuses the
  // call unless its token has the admin scope, queues `write` for
  // `report_id`, audits its outcome as `action`, and, unless it failed
  // otherwise than NOT_FOUND, answers with what `respond` makes of it once
  // the caches confirmed the write (a "not there" may be thanks to one still
  // waiting for them).
  grpc::ServerUnaryReactor* AdminWrite(
      grpc::CallbackServerContext* context, const char* action, const std::string& report_id,
      std::function<void(std::string, store::IndicatorStore::DeleteCallback)> write,
      std::function<absl::Status(const absl::StatusOr<int>&)> respond);

  store::IndicatorStore* const store_;
  Executor* const readers_;
  Executor* const scanners_;
  const Authorizer* const authorizer_;
  WriteWatchers* const watchers_;
  bool require_content_id_ = true;
  pipeline::ReportLimits report_limits_;
};

}  // namespace zb::storage

#endif  // ZHIBIAO_SERVICES_STORAGE_STORAGE_SERVICE_H_
