// zhibiao.v1.IngestService: parses documents on a bounded executor (never on
// gRPC's callback threads) and stores each report on the storage shard its
// region routes to, with a deadline on every storage call.
#ifndef ZHIBIAO_SERVICES_INGEST_INGEST_SERVICE_H_
#define ZHIBIAO_SERVICES_INGEST_INGEST_SERVICE_H_

#include <functional>
#include <string>

#include "absl/time/time.h"
#include "common/pipeline/report_builder.h"
#include "common/rpc/executor.h"
#include "common/rpc/storage_shards.h"
#include "zhibiao/v1/ingest.grpc.pb.h"

namespace zb::ingest {

struct IngestOptions {
  pipeline::BuildOptions build;
  // Upper bound of one storage call; the client's own deadline wins if earlier.
  absl::Duration storage_timeout = absl::Seconds(10);
};

// Thread-safe. Does not own `shards` or `parsers`; both must outlive it.
class IngestServiceImpl final : public zhibiao::v1::IngestService::CallbackService {
 public:
  IngestServiceImpl(StorageShards* shards, Executor* parsers, IngestOptions options);

  grpc::ServerUnaryReactor* Parse(grpc::CallbackServerContext* context,
                                  const zhibiao::v1::ParseRequest* request,
                                  zhibiao::v1::ParseResponse* response) override;
  grpc::ServerUnaryReactor* Ingest(grpc::CallbackServerContext* context,
                                   const zhibiao::v1::IngestRequest* request,
                                   zhibiao::v1::IngestResponse* response) override;

 private:
  // Builds the report of `content` on the parser executor, then calls `then`
  // there; finishes `reactor` itself on errors and when the queue is full.
  // `content` and `source_name` belong to the request and outlive the call.
  void BuildThen(grpc::CallbackServerContext* context, grpc::ServerUnaryReactor* reactor,
                 const std::string* content, const std::string* source_name,
                 std::function<void(zhibiao::v1::Report)> then);
  void StoreReport(grpc::CallbackServerContext* context, grpc::ServerUnaryReactor* reactor,
                   zhibiao::v1::Report report, zhibiao::v1::IngestResponse* response);

  StorageShards* const shards_;
  Executor* const parsers_;
  const IngestOptions options_;
};

}  // namespace zb::ingest

#endif  // ZHIBIAO_SERVICES_INGEST_INGEST_SERVICE_H_
