// The query service against an independent oracle. A generated corpus
// (tools/corpus) of more than 1,000 reports is ingested through the real
// ingest binary into three storage shard processes; then hundreds of
// randomised Aggregate, Rank, TimeSeries and Compare queries go to the real
// query binary, and every answer is checked against a brute-force answer
// computed here from the generator's truth. The oracle shares no code with
// the services: its filters, revised-report rule, weights, unit checks,
// ordering and ranking are written out again below from the README's rules.
#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/testing/service_process.h"
#include "tests/testing/suite_processes.h"
#include "tools/corpus/corpus_generator.h"
#include "zhibiao/v1/ingest.grpc.pb.h"
#include "zhibiao/v1/query.grpc.pb.h"

namespace zb {
namespace {

using ::zb::testing::ServiceProcess;
namespace v1 = ::zhibiao::v1;

// What the taxonomy says of the generated metrics, written out by hand.
const std::set<std::string> kNotAdditive = {"training.exam_pass_rate", "gov_services.on_time_rate",
                                            "gov_services.online_rate", "business_env.startup_time",
                                            "admin_litigation.head_appearance_rate"};
const std::map<std::string, std::string> kWeightOf = {
    {"training.exam_pass_rate", "training.exam_takers"},
    {"gov_services.on_time_rate", "gov_services.transactions"}};

// One true figure with the report facts the queries need.
struct Fact {
  int report = 0;  // index into the corpus
  std::string region, province, report_id, published, metric, unit;
  int year = 0;
  double value = 0, low = 0, high = 0;
  v1::UnitKind kind = v1::UNIT_KIND_UNSPECIFIED;
  v1::Qualifier qualifier = v1::QUALIFIER_EXACT;
  v1::Change change = v1::CHANGE_NONE;
  bool target = false;
  bool superseded = false;
};

bool IsChange(const Fact& f) {
  return f.change == v1::CHANGE_INCREASE || f.change == v1::CHANGE_DECREASE;
}
bool Additive(v1::UnitKind k) {
  return k == v1::UNIT_KIND_COUNT || k == v1::UNIT_KIND_CURRENCY_CNY;
}

bool Near(double a, double b) {
  return std::fabs(a - b) <= 1e-9 * std::max({1.0, std::fabs(a), std::fabs(b)});
}

class QueryOracleTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    state_ = new State;
    State& s = *state_;
    s.work = testing::MakeTempDir("oracle");
    testing::SuiteFlags flags;
    flags.shards = 3;
    absl::StatusOr<testing::SuiteProcesses> suite = testing::StartSuite(s.work, flags);
    ASSERT_TRUE(suite.ok()) << suite.status();
    s.shards = std::move(suite->storage);
    s.ingest = std::move(suite->ingest);
    s.query = std::move(suite->query);

    corpus::CorpusOptions options;
    options.regions = 210;
    options.years = 5;
    options.revision_share = 0.1;
    options.seed = 2026;
    s.corpus = corpus::GenerateCorpus(options);
    ASSERT_GE(s.corpus.size(), 1000u);

    // Ingest with a few calls in flight; revisions after their originals
    // do not matter (publication dates decide), so any order will do.
    s.report_ids.resize(s.corpus.size());
    absl::Mutex mu;
    std::vector<std::string> failures;
    std::vector<std::thread> workers;
    const int kWorkers = 8;
    for (int w = 0; w < kWorkers; ++w) {
      workers.emplace_back([&, w] {
        auto stub = v1::IngestService::NewStub(s.ingest->channel());
        for (size_t i = w; i < s.corpus.size(); i += kWorkers) {
          v1::IngestRequest request;
          request.set_content(s.corpus[i].bytes);
          request.set_source_name(s.corpus[i].file_name);
          v1::IngestResponse response;
          grpc::ClientContext context;
          context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
          grpc::Status status = stub->Ingest(&context, request, &response);
          absl::MutexLock lock(&mu);
          if (!status.ok()) {
            failures.push_back(absl::StrCat(s.corpus[i].file_name, ": ", status.error_message()));
          } else {
            s.report_ids[i] = response.report_id();
          }
        }
      });
    }
    for (auto& t : workers) t.join();
    ASSERT_TRUE(failures.empty()) << absl::StrJoin(failures, "\n");
    BuildFacts();
  }

  static void TearDownTestSuite() {
    delete state_;
    state_ = nullptr;
  }

  // Flattens the truth and applies the revised-report rule: per region,
  // year, metric and kind of figure, only the latest published report counts.
  static void BuildFacts() {
    State& s = *state_;
    for (size_t i = 0; i < s.corpus.size(); ++i) {
      const auto& r = s.corpus[i];
      for (const auto& f : r.figures) {
        Fact fact;
        fact.report = static_cast<int>(i);
        fact.region = r.region_code;
        fact.province = r.province_code;
        fact.report_id = s.report_ids[i];
        fact.published = r.published_date;
        fact.year = r.year;
        fact.metric = f.metric_key;
        fact.unit = f.unit;
        fact.value = f.value;
        fact.low = f.low;
        fact.high = f.high;
        fact.kind = f.kind;
        fact.qualifier = f.qualifier;
        fact.change = f.change;
        fact.target = f.is_target;
        s.facts.push_back(fact);
      }
    }
    std::map<std::tuple<std::string, int, std::string, int>, std::string> latest;  // -> published
    auto cell = [](const Fact& f) {
      return std::make_tuple(f.region, f.year, f.metric, f.target ? 2 : IsChange(f) ? 1 : 0);
    };
    for (const Fact& f : s.facts) {
      std::string& best = latest[cell(f)];
      best = std::max(best, f.published);
    }
    for (Fact& f : s.facts) f.superseded = f.published != latest[cell(f)];
    for (const Fact& f : s.facts) {
      s.provinces.insert(f.province);
      s.regions.insert(f.region);
      s.superseded += f.superseded;
    }
  }

  struct State {
    std::string work;
    std::vector<std::unique_ptr<ServiceProcess>> shards;
    std::unique_ptr<ServiceProcess> ingest, query;
    std::vector<corpus::GeneratedReport> corpus;
    std::vector<std::string> report_ids;
    std::vector<Fact> facts;
    std::set<std::string> provinces, regions;
    int superseded = 0;
  };
  static State* state_;

  std::unique_ptr<v1::QueryService::Stub> Query() {
    return v1::QueryService::NewStub(state_->query->channel());
  }

  static double ValueUnder(const Fact& f, v1::QualifiedValues policy) {
    if (f.qualifier == v1::QUALIFIER_RANGE && policy == v1::QUALIFIED_VALUES_RANGE_LOW)
      return f.low;
    if (f.qualifier == v1::QUALIFIER_RANGE && policy == v1::QUALIFIED_VALUES_RANGE_HIGH)
      return f.high;
    return f.value;
  }
  static bool Kept(const Fact& f, v1::QualifiedValues policy, bool include_superseded) {
    if (f.superseded && !include_superseded) return false;
    return policy != v1::QUALIFIED_VALUES_EXACT_ONLY || f.qualifier == v1::QUALIFIER_EXACT;
  }
  // The weight of a fact's figure: its report's level figure of the weight metric.
  static std::optional<double> WeightOf(const Fact& f) {
    auto w = kWeightOf.find(f.metric);
    if (w == kWeightOf.end()) return std::nullopt;
    for (const auto& g : state_->corpus[f.report].figures) {
      if (g.metric_key == w->second && g.change == v1::CHANGE_NONE && !g.is_target) return g.value;
    }
    return std::nullopt;
  }
};

QueryOracleTest::State* QueryOracleTest::state_ = nullptr;

template <typename T>
std::vector<T> Sample(const std::vector<T>& from, int max, std::mt19937* rng) {
  std::vector<T> copy = from;
  std::shuffle(copy.begin(), copy.end(), *rng);
  copy.resize(std::min<size_t>(copy.size(), (*rng)() % (max + 1)));
  return copy;
}

struct OracleRow {
  std::vector<std::string> group;
  std::string unit;
  v1::UnitKind kind = v1::UNIT_KIND_UNSPECIFIED;
  std::string metric;  // when grouped by metric
  std::vector<double> values;
  int64_t inexact = 0;
  double weighted_sum = 0, weight_sum = 0;
  int64_t weighted = 0;
};

TEST_F(QueryOracleTest, RandomAggregatesAgreeWithTheOracle) {
  const State& s = *state_;
  ASSERT_GT(s.superseded, 50) << "the corpus must exercise the revised-report rule";
  std::mt19937 rng(20261125);
  const std::vector<std::string>& metrics = corpus::GeneratedMetricKeys();
  const std::vector<std::string> provinces(s.provinces.begin(), s.provinces.end());
  const std::vector<std::string> regions(s.regions.begin(), s.regions.end());
  const std::vector<int> dims = {v1::GROUP_BY_METRIC, v1::GROUP_BY_REGION, v1::GROUP_BY_PROVINCE,
                                 v1::GROUP_BY_YEAR, v1::GROUP_BY_REPORT};
  const std::vector<int> aggregations = {v1::AGGREGATION_COUNT, v1::AGGREGATION_SUM,
                                         v1::AGGREGATION_AVG, v1::AGGREGATION_MIN,
                                         v1::AGGREGATION_MAX};
  int errors_expected = 0, rows_compared = 0;
  const int kQueries = 160;
  for (int q = 0; q < kQueries; ++q) {
    v1::AggregateRequest request;
    auto* f = request.mutable_filter();
    const bool weighted = rng() % 6 == 0;
    if (weighted) {
      f->add_metric_keys(rng() % 2 ? "training.exam_pass_rate" : "gov_services.on_time_rate");
      if (rng() % 4 == 0) f->add_metric_keys("enforcement.cases");  // no weight: refused
      request.add_aggregations(v1::AGGREGATION_WEIGHTED_AVG);
    } else {
      for (const auto& m : Sample(metrics, 3, &rng)) f->add_metric_keys(m);
    }
    if (rng() % 2) {
      for (int y : Sample(std::vector<int>{2019, 2020, 2021, 2022, 2023}, 3, &rng)) f->add_years(y);
    }
    if (rng() % 3 == 0)
      for (const auto& p : Sample(provinces, 4, &rng)) f->add_province_codes(p);
    if (rng() % 5 == 0)
      for (const auto& r : Sample(regions, 20, &rng)) f->add_region_codes(r);
    if (rng() % 4 == 0) f->add_units(rng() % 2 ? "件" : "%");
    if (rng() % 4 == 0) f->add_qualifiers(rng() % 2 ? v1::QUALIFIER_EXACT : v1::QUALIFIER_APPROX);
    f->set_change(static_cast<v1::ChangeFilter>(rng() % 3));
    f->set_exclude_targets(rng() % 2);
    for (int d : Sample(dims, 3, &rng)) request.add_group_by(static_cast<v1::GroupBy>(d));
    if (!weighted) {
      for (int a : Sample(aggregations, 3, &rng))
        request.add_aggregations(static_cast<v1::Aggregation>(a));
    }
    if (rng() % 4 == 0) {
      request.add_percentiles(rng() % 101);
      request.add_percentiles(50);
    }
    request.set_qualified_values(static_cast<v1::QualifiedValues>(rng() % 5));
    request.set_include_superseded(rng() % 4 == 0);
    request.set_split_by_unit(rng() % 3 == 0);
    if (rng() % 2) {
      request.set_order_by(static_cast<v1::Aggregation>(1 + rng() % 5));
      request.set_descending(rng() % 2);
    }
    request.set_page_size(rng() % 3 == 0 ? 1 + rng() % 7 : 0);
    SCOPED_TRACE(request.ShortDebugString());

    // The oracle.
    const v1::QualifiedValues policy = request.qualified_values();
    std::map<std::pair<std::vector<std::string>, std::string>, OracleRow> groups;
    bool expect_error = false;
    auto requested = [&](v1::Aggregation a) {
      return std::find(request.aggregations().begin(), request.aggregations().end(), a) !=
             request.aggregations().end();
    };
    const bool sum_asked =
        requested(v1::AGGREGATION_SUM) || request.order_by() == v1::AGGREGATION_SUM;
    const bool defaults = request.aggregations().empty();
    for (const auto& m : f->metric_keys()) {
      if (sum_asked && kNotAdditive.count(m)) expect_error = true;
      if (weighted && !kWeightOf.count(m)) expect_error = true;
    }
    for (const Fact& fact : s.facts) {
      if (!Kept(fact, policy, request.include_superseded())) continue;
      auto in = [](const auto& field, const auto& v) {
        return field.empty() || std::find(field.begin(), field.end(), v) != field.end();
      };
      if (!in(f->metric_keys(), fact.metric) || !in(f->years(), fact.year) ||
          !in(f->province_codes(), fact.province) || !in(f->region_codes(), fact.region) ||
          !in(f->units(), fact.unit) || !in(f->qualifiers(), static_cast<int>(fact.qualifier))) {
        continue;
      }
      if (f->exclude_targets() && fact.target) continue;
      if (f->change() == v1::CHANGE_FILTER_LEVELS_ONLY && IsChange(fact)) continue;
      if (f->change() == v1::CHANGE_FILTER_CHANGES_ONLY && !IsChange(fact)) continue;
      std::vector<std::string> group;
      std::string metric;
      for (int d : request.group_by()) {
        switch (d) {
          case v1::GROUP_BY_METRIC:
            group.push_back(fact.metric);
            metric = fact.metric;
            break;
          case v1::GROUP_BY_REGION: group.push_back(fact.region); break;
          case v1::GROUP_BY_PROVINCE: group.push_back(fact.province); break;
          case v1::GROUP_BY_YEAR: group.push_back(absl::StrCat(fact.year)); break;
          case v1::GROUP_BY_REPORT: group.push_back(fact.report_id); break;
        }
      }
      OracleRow& row = groups[{group, fact.unit}];
      row.group = group;
      row.unit = fact.unit;
      row.kind = fact.kind;
      row.metric = metric;
      const double v = ValueUnder(fact, policy);
      row.values.push_back(v);
      row.inexact += fact.qualifier != v1::QUALIFIER_EXACT;
      if (auto w = WeightOf(fact)) {
        row.weighted_sum += v * *w;
        row.weight_sum += *w;
        ++row.weighted;
      }
    }
    if (!request.split_by_unit()) {
      std::map<std::vector<std::string>, int> units;
      for (const auto& [key, row] : groups) {
        if (++units[key.first] > 1) expect_error = true;
      }
    }
    std::vector<v1::AggregateRow> expected;
    for (auto& [key, row] : groups) {
      v1::AggregateRow out;
      for (const auto& g : row.group) out.add_group_values(g);
      out.set_unit(row.unit);
      out.set_count(static_cast<int64_t>(row.values.size()));
      out.set_inexact_count(row.inexact);
      double sum = 0;
      for (double v : row.values) sum += v;
      bool may_sum = Additive(row.kind) && !kNotAdditive.count(row.metric);
      for (const auto& m : f->metric_keys()) may_sum = may_sum && !kNotAdditive.count(m);
      if (sum_asked && !may_sum) expect_error = true;
      if ((defaults || sum_asked) && may_sum) out.set_sum(sum);
      if (defaults || requested(v1::AGGREGATION_AVG) || request.order_by() == v1::AGGREGATION_AVG) {
        out.set_mean(sum / row.values.size());
      }
      std::sort(row.values.begin(), row.values.end());
      if (defaults || requested(v1::AGGREGATION_MIN) || request.order_by() == v1::AGGREGATION_MIN) {
        out.set_min(row.values.front());
      }
      if (defaults || requested(v1::AGGREGATION_MAX) || request.order_by() == v1::AGGREGATION_MAX) {
        out.set_max(row.values.back());
      }
      if (weighted) {
        out.set_weighted_count(row.weighted);
        if (row.weight_sum > 0) out.set_weighted_mean(row.weighted_sum / row.weight_sum);
      }
      for (double p : request.percentiles()) {
        const int n = static_cast<int>(row.values.size());
        int rank = static_cast<int>(std::ceil(p / 100.0 * n));
        rank = std::max(1, std::min(n, rank));
        out.add_percentiles(row.values[rank - 1]);
      }
      expected.push_back(out);
    }
    if (request.order_by() != v1::AGGREGATION_UNSPECIFIED || request.descending()) {
      auto value_of = [&](const v1::AggregateRow& r) -> std::optional<double> {
        switch (request.order_by()) {
          case v1::AGGREGATION_COUNT: return static_cast<double>(r.count());
          case v1::AGGREGATION_SUM:
            if (r.has_sum()) return r.sum();
            return std::nullopt;
          case v1::AGGREGATION_AVG:
            if (r.has_mean()) return r.mean();
            return std::nullopt;
          case v1::AGGREGATION_MIN:
            if (r.has_min()) return r.min();
            return std::nullopt;
          case v1::AGGREGATION_MAX:
            if (r.has_max()) return r.max();
            return std::nullopt;
          default: return std::nullopt;
        }
      };
      auto key = [](const v1::AggregateRow& r) {
        return std::make_pair(
            std::vector<std::string>(r.group_values().begin(), r.group_values().end()), r.unit());
      };
      std::stable_sort(expected.begin(), expected.end(), [&](const auto& a, const auto& b) {
        if (request.order_by() == v1::AGGREGATION_UNSPECIFIED) {
          return request.descending() ? key(b) < key(a) : key(a) < key(b);
        }
        auto x = value_of(a), y = value_of(b);
        if (x.has_value() != y.has_value()) return x.has_value();
        if (x && *x != *y) return request.descending() ? *x > *y : *x < *y;
        return key(a) < key(b);
      });
    }

    // The service, page by page.
    std::vector<v1::AggregateRow> got;
    grpc::Status status;
    std::string token;
    int pages = 0;
    do {
      v1::AggregateRequest page = request;
      page.set_page_token(token);
      v1::AggregateResponse response;
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
      status = Query()->Aggregate(&context, page, &response);
      if (!status.ok()) break;
      ASSERT_TRUE(response.missing_shards().empty());
      EXPECT_EQ(response.total_rows(), static_cast<int64_t>(expected.size()));
      got.insert(got.end(), response.rows().begin(), response.rows().end());
      token = response.next_page_token();
      ASSERT_LT(++pages, 100000);
    } while (!token.empty());
    if (expect_error) {
      ++errors_expected;
      EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
      continue;
    }
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_EQ(got.size(), expected.size());
    for (size_t i = 0; i < got.size(); ++i) {
      const auto& g = got[i];
      const auto& e = expected[i];
      SCOPED_TRACE(
          absl::StrCat("row ", i, ": ", e.ShortDebugString(), " got ", g.ShortDebugString()));
      ASSERT_EQ(std::vector<std::string>(g.group_values().begin(), g.group_values().end()),
                std::vector<std::string>(e.group_values().begin(), e.group_values().end()));
      EXPECT_EQ(g.unit(), e.unit());
      EXPECT_EQ(g.count(), e.count());
      EXPECT_EQ(g.inexact_count(), e.inexact_count());
      EXPECT_EQ(g.has_sum(), e.has_sum());
      if (g.has_sum() && e.has_sum()) {
        EXPECT_TRUE(Near(g.sum(), e.sum()));
      }
      EXPECT_EQ(g.has_mean(), e.has_mean());
      if (g.has_mean() && e.has_mean()) {
        EXPECT_TRUE(Near(g.mean(), e.mean()));
      }
      EXPECT_EQ(g.has_min(), e.has_min());
      EXPECT_EQ(g.min(), e.min());
      EXPECT_EQ(g.has_max(), e.has_max());
      EXPECT_EQ(g.max(), e.max());
      EXPECT_EQ(g.weighted_count(), e.weighted_count());
      EXPECT_EQ(g.has_weighted_mean(), e.has_weighted_mean());
      if (g.has_weighted_mean() && e.has_weighted_mean()) {
        EXPECT_TRUE(Near(g.weighted_mean(), e.weighted_mean()));
      }
      ASSERT_EQ(g.percentiles_size(), e.percentiles_size());
      for (int k = 0; k < g.percentiles_size(); ++k) EXPECT_EQ(g.percentiles(k), e.percentiles(k));
      ++rows_compared;
    }
  }
  // Both outcomes are exercised: answers to compare, and refusals.
  EXPECT_GT(errors_expected, 10);
  EXPECT_LT(errors_expected, kQueries / 2);
  EXPECT_GT(rows_compared, 5000);
  std::printf("aggregates: %d queries, %d refused as the oracle predicted, %d rows compared\n",
              kQueries, errors_expected, rows_compared);
}

// A region's value for one metric in one year, as the README defines it.
struct RegionValue {
  double sum = 0;
  int64_t count = 0;
  std::set<std::string> units;
  std::set<std::string> reports;
  std::map<std::string, double> largest_of_report;
  double Value(bool summed) const {
    if (!summed) return sum / count;
    double total = 0;
    for (const auto& [report, largest] : largest_of_report) total += largest;
    return total;
  }
};

TEST_F(QueryOracleTest, RandomRanksSeriesAndComparisonsAgreeWithTheOracle) {
  const State& s = *state_;
  std::mt19937 rng(7);
  const std::vector<std::string>& metrics = corpus::GeneratedMetricKeys();
  const std::vector<std::string> provinces(s.provinces.begin(), s.provinces.end());
  const std::vector<std::string> regions(s.regions.begin(), s.regions.end());
  int queries = 0, points = 0;
  // Values of metric m per (region, year) under the options.
  auto values = [&](const std::string& m, v1::QualifiedValues policy, bool include_superseded) {
    std::map<std::pair<std::string, int>, RegionValue> out;
    for (const Fact& f : s.facts) {
      if (f.metric != m || IsChange(f) || f.target || !Kept(f, policy, include_superseded))
        continue;
      RegionValue& v = out[{f.region, f.year}];
      const double value = ValueUnder(f, policy);
      v.sum += value;
      auto [largest, first] = v.largest_of_report.try_emplace(f.report_id, value);
      if (!first) largest->second = std::max(largest->second, value);
      ++v.count;
      v.units.insert(f.unit);
      v.reports.insert(f.report_id);
    }
    return out;
  };
  for (int q = 0; q < 150; ++q) {
    const std::string& metric = metrics[rng() % metrics.size()];
    v1::MetricQueryOptions options;
    options.set_qualified_values(static_cast<v1::QualifiedValues>(rng() % 5));
    options.set_include_superseded(rng() % 4 == 0);
    const auto by_region_year =
        values(metric, options.qualified_values(), options.include_superseded());
    std::string unit;
    for (const auto& [key, v] : by_region_year) unit = *v.units.begin();
    const v1::UnitKind kind = [&] {
      for (const Fact& f : s.facts)
        if (f.metric == metric && f.unit == unit) return f.kind;
      return v1::UNIT_KIND_UNSPECIFIED;
    }();
    const bool summed = !kNotAdditive.count(metric) && Additive(kind);
    const int kind_of_query = q % 3;
    ++queries;
    if (kind_of_query == 0) {  // Rank
      v1::RankRequest request;
      request.set_metric_key(metric);
      request.set_year(2019 + rng() % 5);
      request.set_k(1 + rng() % 25);
      request.set_bottom(rng() % 2);
      if (rng() % 3 == 0)
        for (const auto& p : Sample(provinces, 5, &rng)) request.add_province_codes(p);
      *request.mutable_options() = options;
      SCOPED_TRACE(request.ShortDebugString());
      std::vector<std::pair<double, std::string>> ranked;
      for (const auto& [key, v] : by_region_year) {
        if (key.second != request.year()) continue;
        const std::string province = key.first.substr(0, 2) + "0000";
        if (!request.province_codes().empty() &&
            std::find(request.province_codes().begin(), request.province_codes().end(), province) ==
                request.province_codes().end()) {
          continue;
        }
        ranked.emplace_back(v.Value(summed), key.first);
      }
      std::sort(ranked.begin(), ranked.end(), [&](const auto& a, const auto& b) {
        if (a.first != b.first) return request.bottom() ? a.first < b.first : a.first > b.first;
        return a.second < b.second;
      });
      v1::RankResponse response;
      grpc::ClientContext context;
      ASSERT_TRUE(Query()->Rank(&context, request, &response).ok());
      EXPECT_EQ(response.regions_ranked(), static_cast<int>(ranked.size()));
      size_t expected_rows = std::min<size_t>(ranked.size(), request.k());
      while (expected_rows > 0 && expected_rows < ranked.size() &&
             ranked[expected_rows].first == ranked[request.k() - 1].first) {
        ++expected_rows;
      }
      ASSERT_EQ(static_cast<size_t>(response.regions_size()), expected_rows);
      for (size_t i = 0; i < expected_rows; ++i) {
        EXPECT_EQ(response.regions(i).region_code(), ranked[i].second);
        EXPECT_TRUE(Near(response.regions(i).value(), ranked[i].first));
        size_t better = 0;
        while (better < i && ranked[better].first != ranked[i].first) ++better;
        EXPECT_EQ(response.regions(i).rank(), static_cast<int>(better + 1));
      }
      points += response.regions_size();
    } else if (kind_of_query == 1) {  // TimeSeries
      v1::TimeSeriesRequest request;
      request.set_metric_key(metric);
      request.set_region_code(regions[rng() % regions.size()]);
      if (rng() % 3 == 0) request.set_from_year(2020);
      *request.mutable_options() = options;
      SCOPED_TRACE(request.ShortDebugString());
      v1::TimeSeriesResponse response;
      grpc::ClientContext context;
      ASSERT_TRUE(Query()->TimeSeries(&context, request, &response).ok());
      std::vector<std::pair<int, const RegionValue*>> expected;
      for (const auto& [key, v] : by_region_year) {
        if (key.first == request.region_code() && key.second >= request.from_year()) {
          expected.emplace_back(key.second, &v);
        }
      }
      ASSERT_EQ(response.points_size(), static_cast<int>(expected.size()));
      for (size_t i = 0; i < expected.size(); ++i) {
        const auto& p = response.points(i);
        EXPECT_EQ(p.year(), expected[i].first);
        EXPECT_TRUE(Near(p.value(), expected[i].second->Value(summed)));
        EXPECT_EQ(p.count(), expected[i].second->count);
        EXPECT_EQ(std::set<std::string>(p.report_ids().begin(), p.report_ids().end()),
                  expected[i].second->reports);
      }
      points += response.points_size();
    } else {  // Compare
      v1::CompareRequest request;
      request.set_metric_key(metric);
      request.set_base_year(2019 + rng() % 4);
      request.set_year(request.base_year() + 1);
      if (rng() % 2)
        for (const auto& p : Sample(provinces, 6, &rng)) request.add_province_codes(p);
      *request.mutable_options() = options;
      SCOPED_TRACE(request.ShortDebugString());
      std::map<std::string, std::pair<std::optional<double>, std::optional<double>>> expected;
      for (const auto& [key, v] : by_region_year) {
        const std::string province = key.first.substr(0, 2) + "0000";
        if (!request.province_codes().empty() &&
            std::find(request.province_codes().begin(), request.province_codes().end(), province) ==
                request.province_codes().end()) {
          continue;
        }
        if (key.second == request.base_year()) expected[key.first].first = v.Value(summed);
        if (key.second == request.year()) expected[key.first].second = v.Value(summed);
      }
      v1::CompareResponse response;
      grpc::ClientContext context;
      ASSERT_TRUE(Query()->Compare(&context, request, &response).ok());
      ASSERT_EQ(response.regions_size(), static_cast<int>(expected.size()));
      int i = 0;
      for (const auto& [region, e] : expected) {
        const auto& c = response.regions(i++);
        EXPECT_EQ(c.region_code(), region);
        EXPECT_EQ(c.has_base_value(), e.first.has_value());
        EXPECT_EQ(c.has_value(), e.second.has_value());
        if (e.first && e.second) {
          EXPECT_TRUE(Near(c.absolute_change(), *e.second - *e.first));
          if (*e.first != 0) {
            EXPECT_TRUE(Near(c.relative_change(), (*e.second - *e.first) / std::fabs(*e.first)));
          }
        }
      }
      points += response.regions_size();
    }
  }
  EXPECT_GT(points, 2000);
  std::printf("metric queries: %d (rank, time series, compare), %d answer rows compared\n", queries,
              points);
}

}  // namespace
}  // namespace zb
