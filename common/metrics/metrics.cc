#include "common/metrics/metrics.h"

#include <utility>

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <google/protobuf/descriptor.h>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/base/port_file.h"

namespace zb {

// The scrape-time samples of every callback, as one collectable.
class Metrics::Callbacks : public prometheus::Collectable {
 public:
  void Add(std::function<std::vector<Sample>()> collect) {
    absl::MutexLock lock(&mu_);
    collects_.push_back(std::move(collect));
  }
  std::vector<prometheus::MetricFamily> Collect() const override {
    std::vector<std::function<std::vector<Sample>()>> collects;
    {
      absl::MutexLock lock(&mu_);
      collects = collects_;
    }
    std::vector<prometheus::MetricFamily> out;
    for (const auto& collect : collects) {
      for (const Sample& sample : collect()) {
        prometheus::MetricFamily family;
        family.name = sample.name;
        family.help = sample.help;
        family.type =
            sample.counter ? prometheus::MetricType::Counter : prometheus::MetricType::Gauge;
        prometheus::ClientMetric metric;
        if (sample.counter) {
          metric.counter.value = sample.value;
        } else {
          metric.gauge.value = sample.value;
        }
        family.metric.push_back(std::move(metric));
        out.push_back(std::move(family));
      }
    }
    return out;
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<std::function<std::vector<Sample>()>> collects_ ABSL_GUARDED_BY(mu_);
};

Metrics& Metrics::Global() {
  static Metrics* metrics = new Metrics();
  return *metrics;
}

Metrics::Metrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      callbacks_(std::make_shared<Callbacks>()),
      calls_(prometheus::BuildCounter()
                 .Name("zhibiao_rpc_requests_total")
                 .Help("Finished gRPC calls by method and status code")
                 .Register(*registry_)),
      latency_(prometheus::BuildHistogram()
                   .Name("zhibiao_rpc_latency_seconds")
                   .Help("gRPC call latency by method, from first byte to status")
                   .Register(*registry_)),
      http_requests_(prometheus::BuildCounter()
                         .Name("zhibiao_http_requests_total")
                         .Help("Finished HTTP requests (web service) by route and status")
                         .Register(*registry_)),
      http_latency_(prometheus::BuildHistogram()
                        .Name("zhibiao_http_latency_seconds")
                        .Help("HTTP request latency (web service) by route")
                        .Register(*registry_)),
      reports_(
          prometheus::BuildCounter()
              .Name("zhibiao_reports_ingested_total")
              .Help("Reports ingest finished, by outcome (stored, unchanged, replaced, failed)")
              .Register(*registry_)),
      indicators_(prometheus::BuildCounter()
                      .Name("zhibiao_indicators_ingested_total")
                      .Help("Indicators of reports ingest stored or replaced")
                      .Register(*registry_)
                      .Add({})) {}

absl::Status Metrics::Serve(const std::string& listen, const std::string& port_file) {
  try {
    // civetweb reports failures to listen by throwing; keep that inside.
    exposer_ = std::make_unique<prometheus::Exposer>(listen, 2);
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("cannot serve metrics on ", listen, ": ", e.what()));
  }
  exposer_->RegisterCollectable(registry_);
  exposer_->RegisterCollectable(callbacks_);
  const std::vector<int> ports = exposer_->GetListeningPorts();
  port_ = ports.empty() ? 0 : ports.front();
  if (!port_file.empty()) return WritePortFile(port_file, port_);
  return absl::OkStatus();
}

void Metrics::StopServing() { exposer_.reset(); }

Metrics::MethodSeries& Metrics::SeriesOf(absl::string_view method) {
  auto it = series_.find(method);
  if (it != series_.end()) return it->second;
  // First call of this name: a method of a compiled-in service
  // ("/pkg.Service/Method") gets series of its own, anything else shares
  // "unknown", so callers cannot grow the series without bound.
  std::string name = "unknown";
  if (method.size() > 1 && method[0] == '/') {
    std::string full(method.substr(1));
    const size_t slash = full.rfind('/');
    if (slash != std::string::npos) {
      full[slash] = '.';
      if (google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(full) != nullptr) {
        name = std::string(method);
      }
    }
  }
  auto [entry, inserted] = series_.try_emplace(name);
  if (inserted) {
    static const prometheus::Histogram::BucketBoundaries kBuckets = {
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
    entry->second.name = name;
    entry->second.latency = &latency_.Add({{"method", name}}, kBuckets);
  }
  return entry->second;
}

void Metrics::RecordCall(absl::string_view method, grpc::StatusCode code, absl::Duration latency) {
  const int c =
      static_cast<int>(code) >= 0 && static_cast<int>(code) <= 16 ? static_cast<int>(code) : 2;
  absl::MutexLock lock(&series_mu_);
  MethodSeries& series = SeriesOf(method);
  if (series.by_code[c] == nullptr) {
    series.by_code[c] =
        &calls_.Add({{"method", series.name},
                     {"code", absl::StatusCodeToString(static_cast<absl::StatusCode>(c))}});
  }
  series.by_code[c]->Increment();
  series.latency->Observe(absl::ToDoubleSeconds(latency));
}

void Metrics::RecordHttp(absl::string_view route, int status, absl::Duration latency) {
  const std::string name(route);
  http_requests_.Add({{"route", name}, {"status", absl::StrCat(status)}}).Increment();
  static const prometheus::Histogram::BucketBoundaries kBuckets = {
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  http_latency_.Add({{"route", name}}, kBuckets).Observe(absl::ToDoubleSeconds(latency));
}

void Metrics::RecordIngest(absl::string_view outcome, int64_t indicators) {
  reports_.Add({{"outcome", std::string(outcome)}}).Increment();
  if (indicators > 0) indicators_.Increment(static_cast<double>(indicators));
}

void Metrics::AddScrapeCallback(std::function<std::vector<Sample>()> collect) {
  callbacks_->Add(std::move(collect));
}

}  // namespace zb
