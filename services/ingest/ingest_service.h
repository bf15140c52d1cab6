// zhibiao.v1.IngestService: parses documents on a bounded executor (never on
// gRPC's callback threads) and stores each report on the storage shard its
// region routes to, retrying a storage shard that is unavailable with
// backoff within the call's deadline. Ingest takes one document a call,
// IngestStream many on one stream with a bounded number in flight.
#ifndef ZHIBIAO_SERVICES_INGEST_INGEST_SERVICE_H_
#define ZHIBIAO_SERVICES_INGEST_INGEST_SERVICE_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/pipeline/report_builder.h"
#include "common/rpc/auth.h"
#include "common/rpc/executor.h"
#include "common/rpc/storage_shards.h"
#include "zhibiao/v1/ingest.grpc.pb.h"

namespace zb::ingest {

struct IngestOptions {
  pipeline::BuildOptions build;
  // Upper bound of storing one report, retries included, plus one second per
  // storage_bytes_per_second of the report (a 100 MB report is checked,
  // written and synced for seconds); the client's own deadline wins if earlier.
  absl::Duration storage_timeout = absl::Seconds(10);
  int64_t storage_bytes_per_second = int64_t{8} << 20;
  // First wait before retrying an unavailable storage shard; doubles up to
  // max_retry_backoff.
  absl::Duration retry_backoff = absl::Milliseconds(50);
  absl::Duration max_retry_backoff = absl::Seconds(1);
  // Documents of one IngestStream parsed or stored at once.
  int stream_window = 16;
  // Longest parse of one document, whatever the client's deadline.
  absl::Duration max_parse_time = absl::Seconds(60);
  // Largest report sent to storage (storage's own message limit must allow it).
  int64_t max_report_bytes = 256 << 20;
};

// One document to ingest. The strings and labels must outlive the job.
struct IngestJob {
  const std::string* content = nullptr;
  const std::string* source_name = nullptr;
  const google::protobuf::Map<std::string, std::string>* labels = nullptr;
  const zhibiao::v1::ReportHints* hints = nullptr;  // what the caller knows; nullptr for none
  // IngestRequest.replaces_report_id (reextract's moves); "" for none.
  std::string replaces_report_id;
  absl::Time deadline = absl::InfiniteFuture();  // the client's
  std::string request_id;                        // passed on to storage as x-request-id
  std::string caller;                            // who asked, for the audit line
  std::function<bool()> cancelled;               // the client went away
};

// Where documents are parsed. Large documents (at least
// large_document_bytes) go to a pool of their own, so a burst of large or
// slow documents cannot take every parser from ordinary ones; `large` null
// means one pool for all.
struct ParserPools {
  Executor* ordinary = nullptr;
  Executor* large = nullptr;
  size_t large_document_bytes = size_t{4} << 20;

  Executor* For(size_t document_bytes) const {
    return large != nullptr && document_bytes >= large_document_bytes ? large : ordinary;
  }
};

// Thread-safe. Does not own its arguments; they must outlive it.
class IngestServiceImpl final : public zhibiao::v1::IngestService::CallbackService {
 public:
  IngestServiceImpl(StorageShards* shards, ParserPools parsers, const Authorizer* authorizer,
                    IngestOptions options);

  grpc::ServerUnaryReactor* Parse(grpc::CallbackServerContext* context,
                                  const zhibiao::v1::ParseRequest* request,
                                  zhibiao::v1::ParseResponse* response) override;
  grpc::ServerUnaryReactor* Ingest(grpc::CallbackServerContext* context,
                                   const zhibiao::v1::IngestRequest* request,
                                   zhibiao::v1::IngestResponse* response) override;
  grpc::ServerBidiReactor<zhibiao::v1::IngestRequest, zhibiao::v1::IngestResult>* IngestStream(
      grpc::CallbackServerContext* context) override;

  // Parses and stores one document; `done` runs once, on a parser or gRPC
  // thread, with the outcome.
  void IngestDocument(IngestJob job,
                      std::function<void(absl::Status, zhibiao::v1::IngestResponse)> done);

  const IngestOptions& options() const { return options_; }

 private:
  class StreamReactor;
  // Stores `report` (attempt `attempt`, 0-based) and retries an unavailable
  // shard after a backoff while the job's deadline allows.
  struct StoreState;
  void StoreAttempt(std::shared_ptr<StoreState> state);
  // Builds the report of one document within the job's deadline and
  // max_parse_time, and refuses one larger than max_report_bytes.
  absl::StatusOr<zhibiao::v1::Report> Build(const std::string& content,
                                            const std::string& source_name,
                                            const zhibiao::v1::ReportHints& hints,
                                            absl::Time deadline,
                                            std::function<bool()> cancelled) const;

  StorageShards* const shards_;
  const ParserPools parsers_;
  const Authorizer* const authorizer_;
  const IngestOptions options_;
};

}  // namespace zb::ingest

#endif  // ZHIBIAO_SERVICES_INGEST_INGEST_SERVICE_H_
