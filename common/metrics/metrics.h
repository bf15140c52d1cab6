// Prometheus metrics of one zhibiao process (prometheus-cpp), served as
// text at http://--metrics_listen/metrics: calls by method and code, call
// latency histograms, what ingest ingested, and figures a service computes
// when scraped (storage's RocksDB figures). One registry per process.
#ifndef ZHIBIAO_COMMON_METRICS_METRICS_H_
#define ZHIBIAO_COMMON_METRICS_METRICS_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace zb {

// Thread-safe.
class Metrics {
 public:
  // The process's metrics (created on first use, never destroyed).
  static Metrics& Global();

  // Serves /metrics on `listen` ("HOST:PORT", port 0 picks one, written to
  // `port_file` when given). UNAVAILABLE when it cannot listen.
  absl::Status Serve(const std::string& listen, const std::string& port_file);
  int port() const { return port_; }
  // Stops serving /metrics (waits for scrapes in progress): call before
  // what the scrape callbacks read is destroyed. Not concurrent with Serve.
  void StopServing();

  // One finished call of `method` ("/zhibiao.v1.QueryService/Rank"). Names
  // that are not methods of a compiled-in service count as "unknown", so
  // callers cannot grow the series without bound.
  void RecordCall(absl::string_view method, grpc::StatusCode code, absl::Duration latency);
  // One finished HTTP request (the web service) on `route` ("/v1/query/Rank",
  // "/", "/assets"; callers keep the set bounded) with HTTP `status`.
  void RecordHttp(absl::string_view route, int status, absl::Duration latency);
  // One report ingest finished with `outcome` ("stored", "unchanged",
  // "replaced", "failed") and how many indicators it stored.
  void RecordIngest(absl::string_view outcome, int64_t indicators);

  // A gauge or counter computed at every scrape.
  struct Sample {
    std::string name;  // zhibiao_storage_disk_bytes
    std::string help;
    bool counter = false;  // else a gauge
    double value = 0;
  };
  void AddScrapeCallback(std::function<std::vector<Sample>()> collect);

  prometheus::Registry& registry() { return *registry_; }

 private:
  Metrics();
  class Callbacks;

  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<Callbacks> callbacks_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  int port_ = 0;
  // The series of each (method, code) and method, made once.
  struct MethodSeries {
    std::string name;  // the method label: the method, or "unknown"
    prometheus::Histogram* latency = nullptr;
    prometheus::Counter* by_code[17] = {};
  };
  MethodSeries& SeriesOf(absl::string_view method) ABSL_EXCLUSIVE_LOCKS_REQUIRED(series_mu_);
  absl::Mutex series_mu_;
  absl::flat_hash_map<std::string, MethodSeries> series_ ABSL_GUARDED_BY(series_mu_);

  prometheus::Family<prometheus::Counter>& calls_;
  prometheus::Family<prometheus::Histogram>& latency_;
  prometheus::Family<prometheus::Counter>& http_requests_;
  prometheus::Family<prometheus::Histogram>& http_latency_;
  prometheus::Family<prometheus::Counter>& reports_;
  prometheus::Counter& indicators_;
};

}  // namespace zb

#endif  // ZHIBIAO_COMMON_METRICS_METRICS_H_
