#include "common/agg/aggregate.h"

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
  for (double p : {0, 20, 50, 90, 100}) percentiles.push_back(NearestRankPercentile(rows[0].values(), p));
  EXPECT_EQ(percentiles, (std::vector<double>{1, 1, 5, 9, 9}));
}

zhibiao::v1::PartialAggregate RegionGroup(absl::string_view region, double sum, int64_t count,
                                          absl::string_view unit = "件",
                                          zhibiao::v1::UnitKind kind = zhibiao::v1::UNIT_KIND_COUNT) {
  zhibiao::v1::PartialAggregate p;
  p.add_group_values(std::string(region));
  p.add_group_values("410000");
  p.set_unit(std::string(unit));
  p.set_unit_kind(kind);
  p.set_sum(sum);
  p.set_count(count);
  return p;
}

std::vector<std::string> RegionsOf(const std::vector<zhibiao::v1::PartialAggregate>& groups) {
  std::vector<std::string> out;
  for (const auto& g : groups) out.push_back(g.group_values(0));
  return out;
}

TEST(CutToTopRegionsTest, KeepsTheFirstKRanksAndEveryRegionTiedWithTheKth) {
  std::vector<zhibiao::v1::PartialAggregate> groups = {
      RegionGroup("000000", 1000, 1),  // unknown region: never ranked
      RegionGroup("410100", 50, 1), RegionGroup("410200", 70, 2), RegionGroup("410300", 70, 1),
      RegionGroup("410400", 70, 1), RegionGroup("410500", 10, 1), RegionGroup("410600", 90, 1)};
  zhibiao::v1::RegionRanking ranking;
  ranking.set_k(2);
  ranking.set_metric_additive(true);
  const RankingCut cut = CutToTopRegions(ranking, &groups);
  ASSERT_TRUE(cut.applied);
  EXPECT_EQ(cut.regions_ranked, 6);
  EXPECT_EQ(cut.counts_by_unit, (std::map<std::string, int64_t>{{"件", 7}}));
  // 90 first, then three regions tied at 70: all kept, in group order.
  EXPECT_EQ(RegionsOf(groups), (std::vector<std::string>{"410200", "410300", "410400", "410600"}));
}

TEST(CutToTopRegionsTest, BottomRanksAndMeansForNonAdditiveMetrics) {
  std::vector<zhibiao::v1::PartialAggregate> groups = {
      RegionGroup("410100", 50, 1), RegionGroup("410200", 60, 3), RegionGroup("410300", 30, 1)};
  zhibiao::v1::RegionRanking ranking;
  ranking.set_k(1);
  ranking.set_bottom(true);
  ranking.set_metric_additive(false);  // means: 50, 20, 30
  ASSERT_TRUE(CutToTopRegions(ranking, &groups).applied);
  EXPECT_EQ(RegionsOf(groups), (std::vector<std::string>{"410200"}));
}

TEST(CutToTopRegionsTest, LeavesGroupsAloneWithSeveralUnitsOrNoK) {
  std::vector<zhibiao::v1::PartialAggregate> groups = {
      RegionGroup("410100", 50, 1), RegionGroup("410200", 60, 1, "%", zhibiao::v1::UNIT_KIND_PERCENT)};
  zhibiao::v1::RegionRanking ranking;
  ranking.set_k(1);
  EXPECT_FALSE(CutToTopRegions(ranking, &groups).applied);
  EXPECT_EQ(groups.size(), 2u);
  ranking.set_k(0);
  std::vector<zhibiao::v1::PartialAggregate> one = {RegionGroup("410100", 50, 1)};
  EXPECT_FALSE(CutToTopRegions(ranking, &one).applied);
  EXPECT_EQ(one.size(), 1u);
}

}  // namespace
}  // namespace zb::agg
