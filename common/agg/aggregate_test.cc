#include "common/agg/aggregate.h"

#include <random>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace zb::agg {
namespace {

IndicatorRow Row(absl::string_view region, double value, absl::string_view unit,
                 zhibiao::v1::UnitKind kind = zhibiao::v1::UNIT_KIND_COUNT) {
  IndicatorRow r;
  r.metric_key = "case.count";
  r.year = 2021;
  r.region = region;
  r.province = "410000";
  r.value = value;
  r.unit = unit;
  r.unit_kind = kind;
  r.subject = "受理案件";
  r.change = zhibiao::v1::CHANGE_NONE;
  return r;
}

TEST(ValidateTest, NamesTheBadField) {
  zhibiao::v1::IndicatorFilter f;
  f.add_region_codes("41070");
  auto s = ValidateFilter(f);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("filter.region_codes[0]"), absl::string_view::npos);
  google::protobuf::RepeatedField<int> g;
  g.Add(zhibiao::v1::GROUP_BY_YEAR);
  g.Add(zhibiao::v1::GROUP_BY_YEAR);
  EXPECT_EQ(ValidateGroupBy(g).code(), absl::StatusCode::kInvalidArgument);
}

TEST(MatcherTest, AllFieldsAndSubjectText) {
  zhibiao::v1::IndicatorFilter f;
  f.add_years(2021);
  f.set_subject_contains("案件");
  f.set_change(zhibiao::v1::CHANGE_FILTER_LEVELS_ONLY);
  IndicatorMatcher m(f);
  EXPECT_TRUE(m.Matches(Row("410700", 1, "件")));
  IndicatorRow change = Row("410700", 1, "件");
  change.change = zhibiao::v1::CHANGE_INCREASE;
  EXPECT_FALSE(m.Matches(change));
  IndicatorRow other_year = Row("410700", 1, "件");
  other_year.year = 2020;
  EXPECT_FALSE(m.Matches(other_year));
}

TEST(AggregateTest, PartialsMergeExactlyPerUnit) {
  google::protobuf::RepeatedField<int> g;
  g.Add(zhibiao::v1::GROUP_BY_REGION);
  PartialAggregator shard1(g), shard2(g);
  shard1.Add(Row("410700", 10, "件"));
  shard1.Add(Row("410700", 5, "件"));
  shard2.Add(Row("410700", 7, "件"));
  shard2.Add(Row("410700", 90, "%", zhibiao::v1::UNIT_KIND_PERCENT));
  PartialMerger merger;
  for (const auto& p : shard1.Finish()) merger.Add(p);
  for (const auto& p : shard2.Finish()) merger.Add(p);
  auto rows = merger.Merged();
  ASSERT_EQ(rows.size(), 2u);  // one per unit: % and 件 are never mixed
  EXPECT_EQ(rows[0].unit(), "%");
  EXPECT_EQ(rows[1].unit(), "件");
  EXPECT_EQ(rows[1].count(), 3);
  EXPECT_EQ(rows[1].sum(), 22);
  EXPECT_EQ(rows[1].min(), 5);
  EXPECT_EQ(rows[1].max(), 10);
}

// What three shards answer: each sorted by (group values, unit), groups
// overlapping between shards. The one-pass merge equals PartialMerger's.
TEST(AggregateTest, SortedShardAnswersMergeInOnePassLikePartialMerger) {
  std::mt19937 rng(11);
  for (int round = 0; round < 50; ++round) {
    google::protobuf::RepeatedField<int> g;
    g.Add(zhibiao::v1::GROUP_BY_REGION);
    g.Add(zhibiao::v1::GROUP_BY_YEAR);
    std::vector<google::protobuf::RepeatedPtrField<zhibiao::v1::PartialAggregate>> shards(3);
    for (auto& shard : shards) {
      PartialAggregator aggregator(g, /*keep_values=*/true);
      const int rows = static_cast<int>(rng() % 40);
      for (int i = 0; i < rows; ++i) {
        const std::string region = absl::StrCat("41", rng() % 10, "000");  // outlives the row
        IndicatorRow row = Row(region, rng() % 1000 / 7.0, rng() % 3 == 0 ? "%" : "件");
        row.year = 2018 + static_cast<int>(rng() % 4);
        aggregator.Add(row);
      }
      for (auto& p : aggregator.Finish()) *shard.Add() = std::move(p);
    }
    PartialMerger merger;
    for (const auto& shard : shards) {
      for (const auto& p : shard) merger.Add(p);
    }
    const auto expected = merger.Merged();
    const auto merged = MergeSortedPartials({&shards[0], &shards[1], &shards[2]});
    ASSERT_EQ(merged.size(), expected.size());
    for (size_t i = 0; i < merged.size(); ++i) {
      ASSERT_EQ(merged[i].SerializeAsString(), expected[i].SerializeAsString())
          << round << " " << i;
    }
  }
}

TEST(AggregateTest, PartialsOutOfOrderStillMergeExactly) {
  google::protobuf::RepeatedPtrField<zhibiao::v1::PartialAggregate> shard;
  for (const char* region : {"410700", "410100", "410700"}) {  // not sorted, one group twice
    auto* p = shard.Add();
    p->add_group_values(region);
    p->set_unit("件");
    p->set_count(1);
    p->set_sum(2);
  }
  const auto merged = MergeSortedPartials({&shard});
  ASSERT_EQ(merged.size(), 2u);
  EXPECT_EQ(merged[0].group_values(0), "410100");
  EXPECT_EQ(merged[1].count(), 2);
  EXPECT_EQ(merged[1].sum(), 4);
}

TEST(AggregateTest, ValuesMergeSortedForExactPercentiles) {
  google::protobuf::RepeatedField<int> none;
  PartialAggregator a(none, true), b(none, true);
  for (double v : {5.0, 1.0, 9.0}) a.Add(Row("410700", v, "件"));
  for (double v : {4.0, 7.0}) b.Add(Row("410100", v, "件"));
  PartialMerger merger;
  for (const auto& p : a.Finish()) merger.Add(p);
  for (const auto& p : b.Finish()) merger.Add(p);
  // A partial keeps every value in order; merged partials interleave them.
  PartialAggregator c(none, true);
  for (double v : {5.0, 1.0, 9.0, 4.0, 7.0}) c.Add(Row("x", v, "件"));
  const auto single = c.Finish();
  ASSERT_EQ(single.size(), 1u);
  EXPECT_EQ(std::vector<double>(single[0].values().begin(), single[0].values().end()),
            (std::vector<double>{1, 4, 5, 7, 9}));
  auto rows = merger.Merged();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].count(), 5);
  // Values across the two partials: 1 4 5 7 9 (nearest rank).
  std::vector<double> percentiles;
  for (double p : {0, 20, 50, 90, 100})
    percentiles.push_back(NearestRankPercentile(rows[0].values(), p));
  EXPECT_EQ(percentiles, (std::vector<double>{1, 1, 5, 9, 9}));
}

std::vector<std::string> TopRegions(std::vector<std::pair<std::string, double>> values, int k,
                                    bool bottom) {
  std::vector<RankCandidate> candidates;
  for (size_t i = 0; i < values.size(); ++i)
    candidates.push_back({values[i].second, values[i].first, i});
  const size_t keep = SelectTopRegions(&candidates, k, bottom);
  std::vector<std::string> out;
  for (size_t i = 0; i < keep; ++i) out.emplace_back(candidates[i].region_code);
  return out;
}

TEST(SelectTopRegionsTest, KeepsTheFirstKRanksAndEveryRegionTiedWithTheKth) {
  const std::vector<std::pair<std::string, double>> values = {{"410100", 50}, {"410400", 70},
                                                              {"410200", 70}, {"410300", 70},
                                                              {"410500", 10}, {"410600", 90}};
  // 90 first, then three regions tied at 70 (by code): all kept.
  EXPECT_EQ(TopRegions(values, 2, false),
            (std::vector<std::string>{"410600", "410200", "410300", "410400"}));
  EXPECT_EQ(TopRegions(values, 1, false), (std::vector<std::string>{"410600"}));
  EXPECT_EQ(TopRegions(values, 2, true), (std::vector<std::string>{"410500", "410100"}));
  EXPECT_EQ(TopRegions(values, 10, false).size(), 6u);
  EXPECT_TRUE(TopRegions(values, 0, false).empty());
  EXPECT_TRUE(TopRegions({}, 3, false).empty());
}

TEST(RegionValueTest, SumsEachReportsLargestFigureOnlyWhenMetricAndUnitKindAddUp) {
  RegionValue v;
  v.AddReport(/*sum=*/66, /*max=*/36, /*count=*/2);  // 突破30、达36: one report, one value
  v.AddReport(/*sum=*/24, /*max=*/24, /*count=*/1);  // another report of the region
  EXPECT_EQ(v.count(), 3);
  EXPECT_EQ(v.Value(zhibiao::v1::UNIT_KIND_CURRENCY_CNY, true), 60);
  EXPECT_EQ(v.Value(zhibiao::v1::UNIT_KIND_COUNT, true), 60);
  EXPECT_EQ(v.Value(zhibiao::v1::UNIT_KIND_COUNT, false), 30);   // mean of the figures
  EXPECT_EQ(v.Value(zhibiao::v1::UNIT_KIND_PERCENT, true), 30);  // rates never add up
  EXPECT_EQ(RegionValue().Value(zhibiao::v1::UNIT_KIND_COUNT, false), 0);
}

}  // namespace
}  // namespace zb::agg
