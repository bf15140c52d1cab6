// zhibiao-load: an async gRPC load generator for the zhibiao services. Drives
// one RPC at a fixed concurrency (closed loop) or a fixed rate (open loop)
// for a duration and prints throughput and latency percentiles.
//
//   zhibiao-load --rpc=put --target=127.0.0.1:7410 --concurrency=32 --duration_s=10
//   zhibiao-load --rpc=aggregate --target=127.0.0.1:7402 --rate=1000 --duration_s=10
//   zhibiao-load --rpc=http_rank --target=http://127.0.0.1:7480 --rate=1000 --duration_s=20
//
// RPCs: put (storage PutReport of sample-sized reports, each with a new id),
// ingest (IngestService.Ingest of sample variants), aggregate (query,
// grouped by region), get (query GetReport of --report_id), http_rank (Rank as
// JSON through zhibiao-web's POST /v1/query/Rank, one keep-alive connection per
// worker; --concurrency workers).
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/pipeline/report_builder.h"
#include "common/rpc/channels.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "tools/corpus/sample_variants.h"
#include "zhibiao/v1/ingest.grpc.pb.h"
#include "zhibiao/v1/query.grpc.pb.h"
#include "zhibiao/v1/storage.grpc.pb.h"

ABSL_FLAG(
    std::string, rpc, "put",
    "put, ingest, aggregate (grouped by region), aggregate_metric (one metric by year), rank, "
    "timeseries, get, health (grpc.health.v1 Check: the bare cost of one gRPC call) or "
    "http_rank (Rank as JSON through zhibiao-web; --target=http://HOST:PORT)");
ABSL_FLAG(std::string, target, "127.0.0.1:7410", "service address");
ABSL_FLAG(int, concurrency, 16, "calls in flight (closed loop); with --rate, the most in flight");
ABSL_FLAG(double, rate, 0, "calls per second (open loop); 0 for closed loop");
ABSL_FLAG(double, duration_s, 10, "how long to run");
ABSL_FLAG(std::string, sample, "", "document to send (default: tests/data/xinxiang-2021.txt)");
ABSL_FLAG(std::string, report_id, "", "report id for --rpc=get");
ABSL_FLAG(int, channels, 2, "gRPC channels to spread calls over");
ABSL_FLAG(bool, blocking, false,
          "one call at a time with the blocking stub API on the calling thread, as a simple "
          "client (psql) calls: the latency of a sequential client without the async "
          "machinery's thread hand-over; needs --concurrency=1 and no --rate");
ABSL_FLAG(int, timeout_ms, 10000, "deadline of each call");
ABSL_FLAG(
    std::string, corpus_dir, "",
    "ingest: send every file of this folder once (e.g. from zhibiao-gencorpus) instead of variants "
    "of --sample; the run ends when all are sent");
ABSL_FLAG(std::string, metric, "enforcement.cases",
          "aggregate_metric, rank, timeseries: metric key");
ABSL_FLAG(int, year, 2021, "rank: year");
ABSL_FLAG(int, k, 10, "rank: how many regions");
ABSL_FLAG(std::string, region_codes, "",
          "timeseries: comma-separated region codes, one per call in turn");
ABSL_FLAG(std::string, figures, "",
          "rank, http_rank: MetricFigures name (METRIC_FIGURES_TARGET_CHANGES)");
ABSL_FLAG(std::string, unit, "", "rank, http_rank: the base unit to rank by");

namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Blocking HTTP calls on `workers` threads, each with its own keep-alive
// connection: POST `path` with `body` for every call queued.
class HttpWorkers {
 public:
  HttpWorkers(const std::string& base_url, int workers) {
    for (int i = 0; i < workers; ++i) {
      threads_.emplace_back([this, base_url] {
        httplib::Client client(base_url);
        client.set_keep_alive(true);
        client.set_tcp_nodelay(true);
        client.set_read_timeout(std::chrono::milliseconds(absl::GetFlag(FLAGS_timeout_ms)));
        while (true) {
          std::function<void(httplib::Client*)> job;
          {
            absl::MutexLock lock(&mu_);
            mu_.Await(absl::Condition(
                +[](HttpWorkers* w) { return w->stop_ || !w->jobs_.empty(); }, this));
            if (jobs_.empty()) return;
            job = std::move(jobs_.front());
            jobs_.erase(jobs_.begin());
          }
          job(&client);
        }
      });
    }
  }
  ~HttpWorkers() {
    {
      absl::MutexLock lock(&mu_);
      stop_ = true;
    }
    for (auto& t : threads_) t.join();
  }
  void Post(const std::string& path, const std::string& body,
            std::function<void(grpc::Status)> done) {
    absl::MutexLock lock(&mu_);
    jobs_.push_back([path, body, done](httplib::Client* client) {
      httplib::Result r = client->Post(path.c_str(), body, "application/json");
      // The server closed the kept-alive connection (after its request limit):
      // a browser sends the request again on a new one, and so does this.
      if (!r) r = client->Post(path.c_str(), body, "application/json");
      if (!r)
        return done(grpc::Status(grpc::StatusCode::UNAVAILABLE, httplib::to_string(r.error())));
      if (r->status != 200) {
        return done(grpc::Status(grpc::StatusCode::UNKNOWN,
                                 absl::StrCat("HTTP ", r->status, ": ", r->body)));
      }
      done(grpc::Status::OK);
    });
  }

 private:
  absl::Mutex mu_;
  bool stop_ = false;
  std::vector<std::function<void(httplib::Client*)>> jobs_;
  std::vector<std::thread> threads_;
};

class Load {
 public:
  Load() {
    rpc_ = absl::GetFlag(FLAGS_rpc);
    if (rpc_ == "http_rank") {
      http_ = std::make_unique<HttpWorkers>(absl::GetFlag(FLAGS_target),
                                            std::max(1, absl::GetFlag(FLAGS_concurrency)));
      http_body_ = absl::StrCat(R"({"metricKey":")", absl::GetFlag(FLAGS_metric), R"(","year":)",
                                absl::GetFlag(FLAGS_year), R"(,"k":)", absl::GetFlag(FLAGS_k),
                                R"(,"options":{"figures":")",
                                absl::GetFlag(FLAGS_figures).empty() ? "METRIC_FIGURES_UNSPECIFIED"
                                                                     : absl::GetFlag(FLAGS_figures),
                                R"(","unit":")", absl::GetFlag(FLAGS_unit), R"("}})");
    }
    for (int i = 0; i < std::max(1, absl::GetFlag(FLAGS_channels)); ++i) {
      grpc::ChannelArguments args;
      args.SetInt("zhibiao.channel", i);  // distinct channels, not one shared subchannel
      args.SetMaxReceiveMessageSize(64 << 20);
      args.SetMaxSendMessageSize(64 << 20);
      // "ipv4:a,b" (several replicas): spread the calls over all of them.
      args.SetLoadBalancingPolicyName("round_robin");
      auto channel = grpc::CreateCustomChannel(absl::GetFlag(FLAGS_target),
                                               grpc::InsecureChannelCredentials(), args);
      storage_.push_back(zhibiao::v1::StorageService::NewStub(channel));
      ingest_.push_back(zhibiao::v1::IngestService::NewStub(channel));
      query_.push_back(zhibiao::v1::QueryService::NewStub(channel));
      health_.push_back(grpc::health::v1::Health::NewStub(channel));
    }
    std::string path = absl::GetFlag(FLAGS_sample);
    if (path.empty()) path = std::string(ZB_SOURCE_DIR) + "/tests/data/xinxiang-2021.txt";
    sample_ = ReadFile(path);
    if (rpc_ == "put") {
      auto report = zb::pipeline::BuildReport(sample_, path);
      if (report.ok()) template_report_ = *std::move(report);
    }
    const std::string dir = absl::GetFlag(FLAGS_corpus_dir);
    if (!dir.empty()) {
      std::error_code ec;
      for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
        if (entry.is_regular_file() && entry.path().filename() != "truth.tsv") {
          corpus_files_.push_back(entry.path().string());
        }
      }
      std::sort(corpus_files_.begin(), corpus_files_.end());
    }
    for (absl::string_view code :
         absl::StrSplit(absl::GetFlag(FLAGS_region_codes), ',', absl::SkipEmpty())) {
      region_codes_.emplace_back(code);
    }
  }

  // Calls beyond this are not made (the corpus is sent once); -1: no limit.
  int64_t limit() const {
    return corpus_files_.empty() ? -1 : static_cast<int64_t>(corpus_files_.size());
  }

  bool Valid(std::string* why) const {
    static const std::set<std::string> kRpcs = {
        "put",        "ingest", "aggregate", "aggregate_metric", "rank",
        "timeseries", "get",    "health",    "http_rank"};
    if (!kRpcs.count(rpc_)) {
      *why =
          "--rpc must be put, ingest, aggregate, aggregate_metric, rank, timeseries, get, health "
          "or http_rank";
      return false;
    }
    if (rpc_ == "timeseries" && region_codes_.empty()) {
      *why = "--rpc=timeseries needs --region_codes";
      return false;
    }
    if (!absl::GetFlag(FLAGS_corpus_dir).empty() && corpus_files_.empty()) {
      *why = "--corpus_dir has no files";
      return false;
    }
    if (sample_.empty()) {
      *why = "the sample document is empty or missing";
      return false;
    }
    if (rpc_ == "http_rank" && (blocking_ || absl::GetFlag(FLAGS_target).rfind("http", 0) != 0)) {
      *why = "--rpc=http_rank needs --target=http://HOST:PORT (zhibiao-web) and no --blocking";
      return false;
    }
    if (blocking_ && (absl::GetFlag(FLAGS_concurrency) != 1 || absl::GetFlag(FLAGS_rate) > 0)) {
      *why = "--blocking makes one call at a time: it needs --concurrency=1 and no --rate";
      return false;
    }
    return true;
  }

  // Issues call number n; `done` gets its status.
  void Call(int64_t n, std::function<void(grpc::Status)> done) {
    if (http_) return http_->Post("/v1/query/Rank", http_body_, std::move(done));
    auto context = std::make_shared<grpc::ClientContext>();
    zb::SetTimeout(context.get(), absl::Milliseconds(absl::GetFlag(FLAGS_timeout_ms)));
    const size_t c = static_cast<size_t>(n) % storage_.size();
    if (rpc_ == "put") {
      auto request = std::make_shared<zhibiao::v1::PutReportRequest>();
      // A new report each call, as storage accepts it: its id derives from
      // its section texts, so the last section gets the call's own mark.
      zhibiao::v1::Report* report = request->mutable_report();
      *report = template_report_;
      zhibiao::v1::Section* last = report->mutable_sections(report->sections_size() - 1);
      last->set_text(
          absl::StrFormat("%s\n%016x%016x", last->text(), run_id_, static_cast<uint64_t>(n)));
      const std::string id = zb::pipeline::ReportIdOf(*report);
      report->mutable_meta()->set_report_id(id);
      for (auto& indicator : *report->mutable_indicators()) {
        indicator.set_report_id(id);
        indicator.set_indicator_id(absl::StrCat(id, ":", indicator.seq()));
      }
      auto response = std::make_shared<zhibiao::v1::PutReportResponse>();
      if (blocking_) return done(storage_[c]->PutReport(context.get(), *request, response.get()));
      storage_[c]->async()->PutReport(
          context.get(), request.get(), response.get(),
          [context, request, response, done](grpc::Status s) { done(s); });
    } else if (rpc_ == "ingest") {
      auto request = std::make_shared<zhibiao::v1::IngestRequest>();
      if (!corpus_files_.empty()) {
        request->set_content(ReadFile(corpus_files_[n]));
        request->set_source_name(corpus_files_[n]);
      } else {
        // Sample-sized reports of 24 cities, so they spread over the shards.
        request->set_content(zb::corpus::SampleVariant(
            sample_, n + static_cast<int64_t>(run_id_ % 1000000) * 1000000));
      }
      auto response = std::make_shared<zhibiao::v1::IngestResponse>();
      if (blocking_) return done(ingest_[c]->Ingest(context.get(), *request, response.get()));
      ingest_[c]->async()->Ingest(context.get(), request.get(), response.get(),
                                  [context, request, response, done](grpc::Status s) { done(s); });
    } else if (rpc_ == "aggregate" || rpc_ == "aggregate_metric") {
      auto request = std::make_shared<zhibiao::v1::AggregateRequest>();
      if (rpc_ == "aggregate") {
        request->add_group_by(zhibiao::v1::GROUP_BY_REGION);
      } else {
        request->mutable_filter()->add_metric_keys(absl::GetFlag(FLAGS_metric));
        request->add_group_by(zhibiao::v1::GROUP_BY_YEAR);
      }
      request->set_split_by_unit(true);
      auto response = std::make_shared<zhibiao::v1::AggregateResponse>();
      if (blocking_) return done(query_[c]->Aggregate(context.get(), *request, response.get()));
      query_[c]->async()->Aggregate(
          context.get(), request.get(), response.get(),
          [context, request, response, done](grpc::Status s) { done(s); });
    } else if (rpc_ == "rank") {
      auto request = std::make_shared<zhibiao::v1::RankRequest>();
      request->set_metric_key(absl::GetFlag(FLAGS_metric));
      request->set_year(absl::GetFlag(FLAGS_year));
      request->set_k(absl::GetFlag(FLAGS_k));
      zhibiao::v1::MetricFigures figures = zhibiao::v1::METRIC_FIGURES_UNSPECIFIED;
      if (zhibiao::v1::MetricFigures_Parse(absl::GetFlag(FLAGS_figures), &figures)) {
        request->mutable_options()->set_figures(figures);
      }
      request->mutable_options()->set_unit(absl::GetFlag(FLAGS_unit));
      auto response = std::make_shared<zhibiao::v1::RankResponse>();
      if (blocking_) return done(query_[c]->Rank(context.get(), *request, response.get()));
      query_[c]->async()->Rank(context.get(), request.get(), response.get(),
                               [context, request, response, done](grpc::Status s) { done(s); });
    } else if (rpc_ == "timeseries") {
      auto request = std::make_shared<zhibiao::v1::TimeSeriesRequest>();
      request->set_metric_key(absl::GetFlag(FLAGS_metric));
      request->set_region_code(region_codes_[static_cast<size_t>(n) % region_codes_.size()]);
      auto response = std::make_shared<zhibiao::v1::TimeSeriesResponse>();
      if (blocking_) return done(query_[c]->TimeSeries(context.get(), *request, response.get()));
      query_[c]->async()->TimeSeries(
          context.get(), request.get(), response.get(),
          [context, request, response, done](grpc::Status s) { done(s); });
    } else if (rpc_ == "health") {
      auto request = std::make_shared<grpc::health::v1::HealthCheckRequest>();
      auto response = std::make_shared<grpc::health::v1::HealthCheckResponse>();
      if (blocking_) return done(health_[c]->Check(context.get(), *request, response.get()));
      health_[c]->async()->Check(context.get(), request.get(), response.get(),
                                 [context, request, response, done](grpc::Status s) { done(s); });
    } else {
      auto request = std::make_shared<zhibiao::v1::GetReportRequest>();
      request->set_report_id(absl::GetFlag(FLAGS_report_id));
      auto response = std::make_shared<zhibiao::v1::GetReportResponse>();
      if (blocking_) return done(query_[c]->GetReport(context.get(), *request, response.get()));
      query_[c]->async()->GetReport(
          context.get(), request.get(), response.get(),
          [context, request, response, done](grpc::Status s) { done(s); });
    }
  }

  uint64_t run_id_ = static_cast<uint64_t>(absl::ToUnixNanos(absl::Now()));

 private:
  const bool blocking_ = absl::GetFlag(FLAGS_blocking);
  std::string rpc_;
  std::string sample_;
  std::vector<std::string> corpus_files_;
  std::vector<std::string> region_codes_;
  zhibiao::v1::Report template_report_;
  std::vector<std::unique_ptr<zhibiao::v1::StorageService::Stub>> storage_;
  std::vector<std::unique_ptr<zhibiao::v1::IngestService::Stub>> ingest_;
  std::vector<std::unique_ptr<grpc::health::v1::Health::Stub>> health_;
  std::vector<std::unique_ptr<zhibiao::v1::QueryService::Stub>> query_;
  std::unique_ptr<HttpWorkers> http_;
  std::string http_body_;
};

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "zhibiao-load: drive a zhibiao RPC and print throughput and latency");
  absl::ParseCommandLine(argc, argv);
  Load load;
  std::string why;
  if (!load.Valid(&why)) {
    std::fprintf(stderr, "%s\n", why.c_str());
    return 2;
  }
  const int concurrency = std::max(1, absl::GetFlag(FLAGS_concurrency));
  const double rate = absl::GetFlag(FLAGS_rate);
  const bool blocking = absl::GetFlag(FLAGS_blocking);
  const absl::Duration duration = absl::Seconds(absl::GetFlag(FLAGS_duration_s));

  absl::Mutex mu;
  std::vector<double> latencies_ms;
  std::map<int, int64_t> errors;
  std::atomic<int64_t> next{0}, in_flight{0};
  std::atomic<bool> stopping{false};
  const absl::Time start = absl::Now();
  const absl::Time end = start + duration;

  const int64_t limit = load.limit();
  std::function<void()> issue = [&]() {
    const int64_t n = next.fetch_add(1);
    if (limit >= 0 && n >= limit) return;  // every corpus file sent
    const absl::Time t0 = absl::Now();
    ++in_flight;
    load.Call(n, [&, t0](grpc::Status status) {
      const double ms = absl::ToDoubleMilliseconds(absl::Now() - t0);
      {
        absl::MutexLock lock(&mu);
        if (status.ok())
          latencies_ms.push_back(ms);
        else
          ++errors[static_cast<int>(status.error_code())];
      }
      --in_flight;
      // Closed loop: every finished call starts the next until the end
      // (the blocking loop below does that itself).
      if (rate <= 0 && !blocking && !stopping.load() && (limit >= 0 || absl::Now() < end)) issue();
    });
  };

  if (blocking) {
    while ((limit < 0 || next.load() < limit) && (limit >= 0 || absl::Now() < end)) issue();
    stopping = true;
  } else if (rate <= 0) {
    for (int i = 0; i < concurrency; ++i) issue();
    if (limit >= 0) {
      // A corpus run lasts until every file was sent.
      while (next.load() < limit) absl::SleepFor(absl::Milliseconds(20));
    } else {
      absl::SleepFor(duration);
    }
    stopping = true;
  } else {
    // Open loop: calls start on schedule; a full window counts as a miss.
    const absl::Duration interval = absl::Seconds(1.0 / rate);
    int64_t dropped = 0;
    for (absl::Time t = start; t < end; t += interval) {
      const absl::Time now = absl::Now();
      if (t > now) absl::SleepFor(t - now);
      if (in_flight.load() >= concurrency) {
        ++dropped;
        continue;
      }
      issue();
    }
    stopping = true;
    if (dropped > 0)
      std::printf("dropped %lld calls: %d already in flight\n", static_cast<long long>(dropped),
                  concurrency);
  }
  const absl::Time wait_until = absl::Now() + absl::Seconds(30);
  while (in_flight.load() > 0 && absl::Now() < wait_until) absl::SleepFor(absl::Milliseconds(5));
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);

  absl::MutexLock lock(&mu);
  std::sort(latencies_ms.begin(), latencies_ms.end());
  auto pct = [&](double p) {
    if (latencies_ms.empty()) return 0.0;
    const size_t i =
        std::min(latencies_ms.size() - 1, static_cast<size_t>(p * latencies_ms.size()));
    return latencies_ms[i];
  };
  int64_t failed = 0;
  for (const auto& [code, count] : errors) failed += count;
  std::printf("rpc=%s target=%s %s\n", absl::GetFlag(FLAGS_rpc).c_str(),
              absl::GetFlag(FLAGS_target).c_str(),
              rate > 0   ? absl::StrFormat("rate=%.0f/s", rate).c_str()
              : blocking ? "blocking calls, one at a time"
                         : absl::StrFormat("concurrency=%d", concurrency).c_str());
  std::printf("ok=%zu failed=%lld in %.2fs: %.1f calls/s\n", latencies_ms.size(),
              static_cast<long long>(failed), seconds, latencies_ms.size() / seconds);
  std::printf("latency ms: p50=%.3f p90=%.3f p99=%.3f max=%.3f\n", pct(0.50), pct(0.90), pct(0.99),
              latencies_ms.empty() ? 0.0 : latencies_ms.back());
  for (const auto& [code, count] : errors) {
    std::printf("errors with code %d: %lld\n", code, static_cast<long long>(count));
  }
  return failed == 0 ? 0 : 1;
}
