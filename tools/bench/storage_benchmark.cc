// In-process storage figures:
//   BM_AggregateByRegion  one aggregation grouped by region over 1,000,000
//                         index entries (20,000 reports × 50 indicators, 300
//                         regions, 5 years) from the in-memory columnar index
//   BM_AggregateByRegionScan  the same by a RocksDB scan (fill_cache=false)
//   BM_PutSynced          synced PutReport of sample-sized reports from 16
//                         writers sharing group commits (no gRPC)
// Peak RSS of the process is reported as the rss_peak_mb counter.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "benchmark/benchmark.h"
#include "common/agg/aggregate.h"
#include "common/pipeline/report_builder.h"
#include "common/store/indicator_store.h"

namespace {

double PeakRssMb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return 0;
}

std::string TempDir(const std::string& name) {
  std::string dir = absl::StrCat(std::filesystem::temp_directory_path().string(), "/zb_bench_",
                                 name, "_", getpid());
  std::filesystem::remove_all(dir);
  return dir;
}

zhibiao::v1::Report SyntheticReport(int n, int indicators) {
  zhibiao::v1::Report r;
  auto* m = r.mutable_meta();
  m->set_report_id(absl::StrFormat("%032x", n));
  m->set_report_year(2018 + n % 5);
  m->set_extractor_version("bench");
  const int region = n % 300;
  m->mutable_region()->set_code(absl::StrFormat("%02d%02d00", 11 + region / 10, 1 + region % 10));
  m->mutable_region()->set_province_code(absl::StrFormat("%02d0000", 11 + region / 10));
  for (int i = 0; i < indicators; ++i) {
    auto* ind = r.add_indicators();
    ind->set_seq(i);
    ind->set_metric_key(absl::StrCat("area", i % 17, ".metric", i % 50));
    ind->set_subject("受理行政复议案件");
    auto* q = ind->mutable_quantity();
    q->set_value(n % 1000 + i);
    q->set_low(q->value());
    q->set_high(q->value());
    q->set_unit(i % 3 == 0 ? "%" : "件");
    q->set_kind(i % 3 == 0 ? zhibiao::v1::UNIT_KIND_PERCENT : zhibiao::v1::UNIT_KIND_COUNT);
  }
  return r;
}

class MillionIndicators {
 public:
  static MillionIndicators& Get() {
    static auto* instance = new MillionIndicators();
    return *instance;
  }
  zb::store::IndicatorStore* store() { return store_.get(); }

 private:
  MillionIndicators() {
    zb::store::StoreOptions options;
    options.data_dir = TempDir("aggregate");
    options.sync = false;  // loading only; the timed part reads
    store_ = *zb::store::IndicatorStore::Open(options);
    std::vector<std::thread> writers;
    for (int w = 0; w < 4; ++w) {
      writers.emplace_back([this, w] {
        for (int n = w; n < 20000; n += 4) (void)store_->Put(SyntheticReport(n, 50));
      });
    }
    for (auto& t : writers) t.join();
    (void)store_->CompactAll();  // steady state: one sorted run, as after a bulk load
  }
  std::unique_ptr<zb::store::IndicatorStore> store_;
};

// The path AggregateIndicators takes: the in-memory columnar index.
void BM_AggregateByRegion(benchmark::State& state) {
  auto* store = MillionIndicators::Get().store();
  google::protobuf::RepeatedField<int> group_by;
  group_by.Add(zhibiao::v1::GROUP_BY_REGION);
  int64_t scanned = 0;
  for (auto _ : state) {
    std::vector<zhibiao::v1::PartialAggregate> groups;
    zhibiao::v1::AggregateIndicatorsRequest request;
    *request.mutable_group_by() = group_by;
    scanned = *store->AggregatePartials(request, &groups);
    benchmark::DoNotOptimize(groups);
  }
  state.counters["entries"] = static_cast<double>(scanned);
  state.counters["rss_peak_mb"] = PeakRssMb();
}
BENCHMARK(BM_AggregateByRegion)->Unit(benchmark::kMillisecond)->MinTime(3);

// The same aggregation by a RocksDB scan (every report alike; the reference the index is tested
// against).
void BM_AggregateByRegionScan(benchmark::State& state) {
  auto* store = MillionIndicators::Get().store();
  google::protobuf::RepeatedField<int> group_by;
  group_by.Add(zhibiao::v1::GROUP_BY_REGION);
  int64_t scanned = 0;
  for (auto _ : state) {
    zb::agg::PartialAggregator aggregator(group_by);
    scanned = *store->Aggregate(zhibiao::v1::IndicatorFilter(), &aggregator);
    benchmark::DoNotOptimize(aggregator.Finish());
  }
  state.counters["entries"] = static_cast<double>(scanned);
}
BENCHMARK(BM_AggregateByRegionScan)->Unit(benchmark::kMillisecond)->MinTime(3);

void BM_PutSynced(benchmark::State& state) {
  static zb::store::IndicatorStore* store = [] {
    zb::store::StoreOptions options;
    options.data_dir = TempDir("put");
    return zb::store::IndicatorStore::Open(options)->release();
  }();
  static const zhibiao::v1::Report sample = [] {
    std::ifstream in(std::string(ZB_SOURCE_DIR) + "/tests/data/xinxiang-2021.txt");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return *zb::pipeline::BuildReport(text, "sample");
  }();
  static std::atomic<int64_t> counter{1000000};
  for (auto _ : state) {
    zhibiao::v1::Report r = sample;
    r.mutable_meta()->set_report_id(absl::StrFormat("%032x", counter.fetch_add(1)));
    auto result = store->Put(std::move(r));
    if (!result.ok()) state.SkipWithError(std::string(result.status().message()).c_str());
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["rss_peak_mb"] = benchmark::Counter(PeakRssMb(), benchmark::Counter::kAvgThreads);
}
BENCHMARK(BM_PutSynced)->Threads(16)->UseRealTime()->MinTime(3);

}  // namespace
