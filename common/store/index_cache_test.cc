#include "common/store/index_cache.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <random>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/agg/aggregate.h"
#include "common/store/indicator_store.h"
#include "gtest/gtest.h"

namespace zb::store {
namespace {

zhibiao::v1::Report RandomReport(int n, std::mt19937* rng, const std::string& version = "v1") {
  zhibiao::v1::Report r;
  r.mutable_meta()->set_report_id(absl::StrFormat("%032x", n));
  r.mutable_meta()->set_report_year(2019 + (*rng)() % 4);
  r.mutable_meta()->set_extractor_version(version);
  r.mutable_meta()->set_kind(static_cast<zhibiao::v1::DocumentKind>(n % 5));
  const int region = (*rng)() % 12;
  r.mutable_meta()->mutable_region()->set_code(
      absl::StrFormat("%02d%02d00", 41 + region % 3, 1 + region));
  r.mutable_meta()->mutable_region()->set_province_code(
      absl::StrFormat("%02d0000", 41 + region % 3));
  const int count = 1 + (*rng)() % 12;
  for (int i = 0; i < count; ++i) {
    auto* ind = r.add_indicators();
    ind->set_seq(i);
    ind->set_metric_key((*rng)() % 4 == 0 ? "" : absl::StrCat("m", (*rng)() % 5));
    ind->set_subject((*rng)() % 2 ? "受理案件" : "化解率");
    ind->set_is_target((*rng)() % 7 == 0);
    ind->set_change(static_cast<zhibiao::v1::Change>((*rng)() % 3 + 1));
    // Targets for the next year; other figures mostly with the period left open.
    if (ind->is_target()) {
      ind->set_period_start(r.meta().report_year() + 1);
      ind->set_period_end(r.meta().report_year() + 1 + (*rng)() % 2 * 4);
    } else if ((*rng)() % 3 == 0) {
      ind->set_period_end(r.meta().report_year());
    }
    auto* q = ind->mutable_quantity();
    q->set_value(static_cast<double>((*rng)() % 1000) / 4);
    q->set_qualifier(static_cast<zhibiao::v1::Qualifier>((*rng)() % 5 + 1));
    const bool percent = (*rng)() % 3 == 0;
    q->set_unit(percent ? "%" : "件");
    q->set_kind(percent ? zhibiao::v1::UNIT_KIND_PERCENT : zhibiao::v1::UNIT_KIND_COUNT);
  }
  return r;
}

std::string Dump(const std::vector<zhibiao::v1::PartialAggregate>& groups) {
  std::string out;
  for (const auto& g : groups) absl::StrAppend(&out, g.ShortDebugString(), "\n");
  return out;
}

// The in-memory index answers exactly what a RocksDB scan answers, for random
// data, filters and groupings, through puts, replacements and deletes.
TEST(IndexCacheTest, AgreesWithTheRocksDbScan) {
  StoreOptions options;
  options.data_dir = absl::StrCat(::testing::TempDir(), "/index_cache_test_", getpid());
  std::filesystem::remove_all(options.data_dir);
  auto store = IndicatorStore::Open(options);
  ASSERT_TRUE(store.ok()) << store.status();
  std::mt19937 rng(42);
  for (int n = 0; n < 200; ++n) ASSERT_TRUE((*store)->Put(RandomReport(n, &rng)).ok());
  for (int n = 0; n < 40; ++n)
    ASSERT_TRUE((*store)->Put(RandomReport(n, &rng, "v2")).ok());  // replace
  for (int n = 150; n < 200; ++n) ASSERT_TRUE((*store)->Delete(absl::StrFormat("%032x", n)).ok());

  const std::vector<std::vector<int>> groupings = {
      {},
      {zhibiao::v1::GROUP_BY_REGION},
      {zhibiao::v1::GROUP_BY_METRIC, zhibiao::v1::GROUP_BY_YEAR},
      {zhibiao::v1::GROUP_BY_PROVINCE, zhibiao::v1::GROUP_BY_SUBJECT},
      {zhibiao::v1::GROUP_BY_REGION, zhibiao::v1::GROUP_BY_PERIOD_END}};
  for (int q = 0; q < 60; ++q) {
    zhibiao::v1::IndicatorFilter filter;
    if (rng() % 2) filter.add_metric_keys(absl::StrCat("m", rng() % 5));
    if (rng() % 3 == 0) filter.add_years(2019 + rng() % 4);
    if (rng() % 3 == 0) filter.add_province_codes(absl::StrFormat("%02d0000", 41 + rng() % 3));
    if (rng() % 3 == 0) {
      const int region = static_cast<int>(rng() % 12);
      filter.add_region_codes(absl::StrFormat("%02d%02d00", 41 + region % 3, 1 + region));
      if (rng() % 2) filter.add_region_codes("419900");  // never stored
    }
    if (rng() % 4 == 0) filter.add_units("件");
    if (rng() % 4 == 0) filter.set_subject_contains("率");
    if (rng() % 4 == 0) {
      filter.set_exclude_targets(true);
    } else if (rng() % 4 == 0) {
      filter.set_targets_only(true);
    }
    if (rng() % 4 == 0) filter.add_period_end_years(2020 + rng() % 8);
    if (rng() % 4 == 0) filter.set_change(zhibiao::v1::CHANGE_FILTER_LEVELS_ONLY);
    if (rng() % 5 == 0) filter.add_qualifiers(zhibiao::v1::QUALIFIER_EXACT);
    if (rng() % 4 == 0) {
      filter.add_document_kinds(static_cast<zhibiao::v1::DocumentKind>(rng() % 5));
      if (rng() % 2) filter.add_document_kinds(zhibiao::v1::DOCUMENT_KIND_STATISTICAL_BULLETIN);
    }
    google::protobuf::RepeatedField<int> group_by;
    for (int g : groupings[q % groupings.size()]) group_by.Add(g);

    std::vector<zhibiao::v1::PartialAggregate> cached;
    const bool values = q % 2 == 0;
    zhibiao::v1::AggregateIndicatorsRequest request;
    *request.mutable_filter() = filter;
    *request.mutable_group_by() = group_by;
    request.set_include_values(values);
    request.set_include_superseded(true);  // the scan counts every report
    ASSERT_TRUE((*store)->AggregatePartials(request, &cached).ok());
    agg::PartialAggregator scan(group_by, values);
    ASSERT_TRUE((*store)->Aggregate(filter, &scan).ok());
    std::vector<zhibiao::v1::PartialAggregate> scanned = scan.Finish();
    ASSERT_EQ(Dump(cached), Dump(scanned)) << filter.ShortDebugString();
  }
  (*store)->Close();
  // Reopened, the index is loaded from RocksDB and still agrees.
  auto reopened = IndicatorStore::Open(options);
  ASSERT_TRUE(reopened.ok());
  google::protobuf::RepeatedField<int> by_region;
  by_region.Add(zhibiao::v1::GROUP_BY_REGION);
  std::vector<zhibiao::v1::PartialAggregate> cached;
  zhibiao::v1::AggregateIndicatorsRequest request;
  *request.mutable_group_by() = by_region;
  request.set_include_superseded(true);
  ASSERT_TRUE((*reopened)->AggregatePartials(request, &cached).ok());
  agg::PartialAggregator scan(by_region);
  ASSERT_TRUE((*reopened)->Aggregate({}, &scan).ok());
  EXPECT_EQ(Dump(cached), Dump(scan.Finish()));
  (*reopened)->Close();
  std::filesystem::remove_all(options.data_dir);
}

// Targets are found in the year they are set for, results in their report
// year; figures with an open period count in their report year.
TEST(IndexCacheTest, TargetsAreFoundInTheYearTheyAreSetFor) {
  StoreOptions options;
  options.data_dir = absl::StrCat(::testing::TempDir(), "/index_cache_period_test_", getpid());
  std::filesystem::remove_all(options.data_dir);
  auto store = IndicatorStore::Open(options);
  ASSERT_TRUE(store.ok()) << store.status();
  zhibiao::v1::Report r;
  r.mutable_meta()->set_report_id(absl::StrFormat("%032x", 1));
  r.mutable_meta()->set_report_year(2025);
  r.mutable_meta()->mutable_region()->set_code("410000");
  r.mutable_meta()->mutable_region()->set_province_code("410000");
  auto add = [&r](double value, bool target, int period_end, zhibiao::v1::Change change) {
    auto* ind = r.add_indicators();
    ind->set_seq(r.indicators_size() - 1);
    ind->set_metric_key("economy.gdp");
    ind->set_is_target(target);
    ind->set_change(change);
    ind->set_period_start(period_end);
    ind->set_period_end(period_end);
    ind->mutable_quantity()->set_value(value);
    ind->mutable_quantity()->set_unit("%");
    ind->mutable_quantity()->set_kind(zhibiao::v1::UNIT_KIND_PERCENT);
  };
  add(5.6, false, 2025, zhibiao::v1::CHANGE_INCREASE);  // 2025年增长5.6%
  add(5.0, true, 2026, zhibiao::v1::CHANGE_INCREASE);   // 2026年目标增长5%左右
  add(4.5, true, 2030, zhibiao::v1::CHANGE_INCREASE);   // 十五五 goal
  add(6.0, false, 0, zhibiao::v1::CHANGE_INCREASE);     // period left open
  ASSERT_TRUE((*store)->Put(r).ok());
  auto sum_of = [&](const zhibiao::v1::IndicatorFilter& filter) {
    zhibiao::v1::AggregateIndicatorsRequest request;
    *request.mutable_filter() = filter;
    std::vector<zhibiao::v1::PartialAggregate> cached;
    EXPECT_TRUE((*store)->AggregatePartials(request, &cached).ok());
    agg::PartialAggregator scan(request.group_by());
    EXPECT_TRUE((*store)->Aggregate(filter, &scan).ok());
    const auto scanned = scan.Finish();
    EXPECT_EQ(Dump(cached), Dump(scanned));
    return cached.empty() ? 0.0 : cached[0].sum();
  };
  zhibiao::v1::IndicatorFilter targets;
  targets.set_targets_only(true);
  targets.add_period_end_years(2026);
  EXPECT_DOUBLE_EQ(sum_of(targets), 5.0);
  targets.set_period_end_years(0, 2030);
  EXPECT_DOUBLE_EQ(sum_of(targets), 4.5);
  zhibiao::v1::IndicatorFilter results;
  results.set_exclude_targets(true);
  results.add_period_end_years(2025);
  EXPECT_DOUBLE_EQ(sum_of(results), 11.6);  // the open period counts in the report year
  (*store)->Close();
  std::filesystem::remove_all(options.data_dir);
}

// A document kind filter keeps the figures of reports of those kinds, and the
// revised-report rule then applies within each kind: the later 统计公报 of a
// region and year supersedes its 政府工作报告's figure for everyone but those
// who ask for work reports.
TEST(IndexCacheTest, DocumentKindsKeepTheFiguresOfReportsOfThoseKinds) {
  StoreOptions options;
  options.data_dir = absl::StrCat(::testing::TempDir(), "/index_cache_kind_test_", getpid());
  std::filesystem::remove_all(options.data_dir);
  auto store = IndicatorStore::Open(options);
  ASSERT_TRUE(store.ok()) << store.status();
  auto put = [&](int n, zhibiao::v1::DocumentKind kind, const char* published, double value) {
    zhibiao::v1::Report r;
    r.mutable_meta()->set_report_id(absl::StrFormat("%032x", n));
    r.mutable_meta()->set_report_year(2025);
    r.mutable_meta()->set_kind(kind);
    r.mutable_meta()->set_published_date(published);
    r.mutable_meta()->mutable_region()->set_code("410000");
    r.mutable_meta()->mutable_region()->set_province_code("410000");
    auto* ind = r.add_indicators();
    ind->set_metric_key("economy.gdp");
    ind->set_subject("地区生产总值");
    ind->mutable_quantity()->set_value(value);
    ind->mutable_quantity()->set_unit("元");
    ind->mutable_quantity()->set_kind(zhibiao::v1::UNIT_KIND_CURRENCY_CNY);
    ASSERT_TRUE((*store)->Put(r).ok());
  };
  put(1, zhibiao::v1::DOCUMENT_KIND_GOVERNMENT_WORK_REPORT, "2026-01-26", 5);
  put(2, zhibiao::v1::DOCUMENT_KIND_STATISTICAL_BULLETIN, "2026-03-10", 7);
  auto sum_of = [&](std::vector<zhibiao::v1::DocumentKind> kinds) {
    zhibiao::v1::AggregateIndicatorsRequest request;
    for (auto kind : kinds) request.mutable_filter()->add_document_kinds(kind);
    EXPECT_TRUE(agg::ValidateFilter(request.filter()).ok());
    std::vector<zhibiao::v1::PartialAggregate> cached;
    EXPECT_TRUE((*store)->AggregatePartials(request, &cached).ok());
    return cached.empty() ? 0.0 : cached[0].sum();
  };
  EXPECT_DOUBLE_EQ(sum_of({}), 7);  // the later report counts
  EXPECT_DOUBLE_EQ(sum_of({zhibiao::v1::DOCUMENT_KIND_GOVERNMENT_WORK_REPORT}), 5);
  EXPECT_DOUBLE_EQ(sum_of({zhibiao::v1::DOCUMENT_KIND_STATISTICAL_BULLETIN}), 7);
  EXPECT_DOUBLE_EQ(sum_of({zhibiao::v1::DOCUMENT_KIND_STATISTICAL_BULLETIN,
                           zhibiao::v1::DOCUMENT_KIND_GOVERNMENT_WORK_REPORT}),
                   12);
  EXPECT_DOUBLE_EQ(sum_of({zhibiao::v1::DOCUMENT_KIND_RULE_OF_LAW_REPORT}), 0);
  zhibiao::v1::IndicatorFilter bad;
  bad.add_document_kinds(static_cast<zhibiao::v1::DocumentKind>(9));
  EXPECT_EQ(agg::ValidateFilter(bad).code(), absl::StatusCode::kInvalidArgument);
  (*store)->Close();
  std::filesystem::remove_all(options.data_dir);
}

// Rank pushdown: the groups kept are exactly the regions of the first k
// ranks and their ties, worked out here from the full grouping.
TEST(IndexCacheTest, RankingKeepsTheTopRegionsAndTheirTies) {
  StoreOptions options;
  options.data_dir = absl::StrCat(::testing::TempDir(), "/index_cache_rank_test_", getpid());
  std::filesystem::remove_all(options.data_dir);
  auto store = IndicatorStore::Open(options);
  ASSERT_TRUE(store.ok()) << store.status();
  std::mt19937 rng(7);
  for (int n = 0; n < 300; ++n) ASSERT_TRUE((*store)->Put(RandomReport(n, &rng)).ok());
  for (const bool bottom : {false, true}) {
    for (const int k : {1, 3, 5, 20}) {
      zhibiao::v1::AggregateIndicatorsRequest request;
      request.mutable_filter()->add_metric_keys("m1");
      request.mutable_filter()->add_units("件");
      request.mutable_filter()->add_years(2020);
      request.add_group_by(zhibiao::v1::GROUP_BY_REGION);
      request.add_group_by(zhibiao::v1::GROUP_BY_PROVINCE);
      request.add_group_by(zhibiao::v1::GROUP_BY_REPORT);
      std::vector<zhibiao::v1::PartialAggregate> all;
      ASSERT_TRUE((*store)->AggregatePartials(request, &all).ok());
      // A region's value: the sum of each of its reports' largest figure.
      std::map<std::string, double> value_of;
      for (const auto& g : all) value_of[g.group_values(0)] += g.max();
      std::vector<double> sums;
      for (const auto& [region, v] : value_of) sums.push_back(v);
      std::sort(sums.begin(), sums.end());
      if (!bottom) std::reverse(sums.begin(), sums.end());
      ASSERT_FALSE(sums.empty());
      const double kth = sums[std::min<size_t>(k, sums.size()) - 1];
      std::set<std::string> expected;
      for (const auto& [region, v] : value_of) {
        if (bottom ? v <= kth : v >= kth) expected.insert(region);
      }

      request.mutable_ranking()->set_k(k);
      request.mutable_ranking()->set_bottom(bottom);
      request.mutable_ranking()->set_metric_additive(true);
      std::vector<zhibiao::v1::PartialAggregate> ranked;
      agg::RankingCut cut;
      ASSERT_TRUE((*store)->AggregatePartials(request, &ranked, &cut).ok());
      ASSERT_TRUE(cut.applied);
      EXPECT_EQ(cut.regions_ranked, static_cast<int64_t>(value_of.size()));
      int64_t figures = 0;
      for (const auto& g : all) figures += g.count();
      EXPECT_EQ(cut.counts_by_unit, (std::map<std::string, int64_t>{{"件", figures}}));
      std::set<std::string> got;
      for (const auto& g : ranked) got.insert(g.group_values(0));
      EXPECT_EQ(got, expected) << "k=" << k << " bottom=" << bottom;
      EXPECT_TRUE(std::is_sorted(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
        return a.group_values(0) < b.group_values(0);
      }));
    }
  }
  // Several units: no cut, every group.
  zhibiao::v1::AggregateIndicatorsRequest mixed;
  mixed.mutable_filter()->add_metric_keys("m1");
  mixed.add_group_by(zhibiao::v1::GROUP_BY_REGION);
  mixed.add_group_by(zhibiao::v1::GROUP_BY_PROVINCE);
  mixed.add_group_by(zhibiao::v1::GROUP_BY_REPORT);
  std::vector<zhibiao::v1::PartialAggregate> all;
  ASSERT_TRUE((*store)->AggregatePartials(mixed, &all).ok());
  mixed.mutable_ranking()->set_k(1);
  std::vector<zhibiao::v1::PartialAggregate> ranked;
  agg::RankingCut cut;
  ASSERT_TRUE((*store)->AggregatePartials(mixed, &ranked, &cut).ok());
  EXPECT_FALSE(cut.applied);
  EXPECT_EQ(Dump(ranked), Dump(all));
  (*store)->Close();
  std::filesystem::remove_all(options.data_dir);
}

}  // namespace
}  // namespace zb::store
