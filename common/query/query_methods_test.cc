// The query methods as plans, without processes: what each asks the shards
// and how it answers from partials built by hand. The whole path over real
// storage processes is services/query/query_service_test.cc.
#include <string>
#include <vector>

#include "common/query/aggregate.h"
#include "common/query/list_regions.h"
#include "common/query/list_reports.h"
#include "common/query/rank.h"
#include "common/query/search.h"
#include "common/query/shard_pages.h"
#include "common/query/time_series.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace zb::query {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

zhibiao::v1::PartialAggregate Partial(
    std::vector<std::string> groups, double sum, double max, int64_t count,
    const std::string& unit = "元",
    zhibiao::v1::UnitKind kind = zhibiao::v1::UNIT_KIND_CURRENCY_CNY) {
  zhibiao::v1::PartialAggregate p;
  for (std::string& g : groups) p.add_group_values(std::move(g));
  p.set_unit(unit);
  p.set_unit_kind(kind);
  p.set_sum(sum);
  p.set_min(max);
  p.set_max(max);
  p.set_count(count);
  return p;
}

TEST(RankQueryTest, RefusesAMetricTheTaxonomyDoesNotKnow) {
  RankQuery::Request request;
  request.set_metric_key("economy.no_such_metric");
  request.set_year(2025);
  RankQuery::Response response;
  absl::StatusOr<ShardPlan> plan = RankQuery::Plan(request, &response);
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(plan.status().message(), HasSubstr("economy.no_such_metric"));
}

TEST(RankQueryTest, AsksEveryShardForItsTopRegionsAndRanksTiesAlike) {
  RankQuery::Request request;
  request.set_metric_key("economy.gdp");
  request.set_year(2025);
  request.set_k(2);
  RankQuery::Response response;
  absl::StatusOr<ShardPlan> plan = RankQuery::Plan(request, &response);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->only_region_code, "");
  EXPECT_EQ(plan->shard_request.ranking().k(), 2);
  EXPECT_THAT(plan->shard_request.group_by(),
              ElementsAre(zhibiao::v1::GROUP_BY_REGION, zhibiao::v1::GROUP_BY_PROVINCE,
                          zhibiao::v1::GROUP_BY_REPORT));
  EXPECT_THAT(plan->shard_request.filter().years(), ElementsAre(2025));
  // Merged partials, sorted by (region, province, report): 河南 and 湖北 tie.
  std::vector<zhibiao::v1::PartialAggregate> merged = {
      Partial({"000000", "000000", "r0"}, 9e13, 9e13, 1),  // no region: never ranked
      Partial({"320000", "320000", "r1"}, 1.4e13, 1.4e13, 1),
      Partial({"410000", "410000", "r2"}, 6e12, 6e12, 1),
      Partial({"420000", "420000", "r3"}, 6e12, 6e12, 1),
      Partial({"430000", "430000", "r4"}, 5e12, 5e12, 1),
  };
  ASSERT_TRUE(plan->answer(merged, ShardTotals()).ok());
  ASSERT_EQ(response.regions_size(), 3);  // the top 2 and the region tied with the second
  EXPECT_EQ(response.regions(0).region_code(), "320000");
  EXPECT_EQ(response.regions(1).rank(), 2);
  EXPECT_EQ(response.regions(2).rank(), 2);
  EXPECT_EQ(response.regions_ranked(), 4);
  EXPECT_EQ(response.unit(), "元");
}

TEST(TimeSeriesQueryTest, AsksOnlyTheRegionsShard) {
  TimeSeriesQuery::Request request;
  request.set_metric_key("economy.gdp");
  request.set_region_code("410000");
  TimeSeriesQuery::Response response;
  absl::StatusOr<ShardPlan> plan = TimeSeriesQuery::Plan(request, &response);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->only_region_code, "410000");
  request.set_region_code("41");
  EXPECT_THAT(TimeSeriesQuery::Plan(request, &response).status().message(),
              HasSubstr("region_code \"41\""));
}

TEST(AggregateQueryTest, RefusesAGroupThatMixesUnits) {
  AggregateQuery::Request request;
  request.add_group_by(zhibiao::v1::GROUP_BY_REGION);
  AggregateQuery::Response response;
  absl::StatusOr<ShardPlan> plan = AggregateQuery::Plan(request, &response);
  ASSERT_TRUE(plan.ok()) << plan.status();
  std::vector<zhibiao::v1::PartialAggregate> merged = {
      Partial({"410000"}, 3, 2, 2, "人", zhibiao::v1::UNIT_KIND_COUNT),
      Partial({"410000"}, 9, 9, 1, "元"),
  };
  absl::Status answered = plan->answer(merged, ShardTotals());
  EXPECT_EQ(answered.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(answered.message(), HasSubstr("mixes units"));
}

TEST(ListRegionsQueryTest, CountsReportsFiguresAndYearsPerRegion) {
  ListRegionsQuery::Request request;
  ListRegionsQuery::Response response;
  absl::StatusOr<ShardPlan> plan = ListRegionsQuery::Plan(request, &response);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_TRUE(plan->shard_request.include_superseded());
  // By (region, province, year, report), then unit: report r1 has figures in two units.
  std::vector<zhibiao::v1::PartialAggregate> merged = {
      Partial({"000000", "000000", "2024", "r9"}, 1, 1, 4),
      Partial({"410000", "410000", "2024", "r1"}, 1, 1, 5, "人", zhibiao::v1::UNIT_KIND_COUNT),
      Partial({"410000", "410000", "2024", "r1"}, 1, 1, 3),
      Partial({"410000", "410000", "2025", "r2"}, 1, 1, 7),
      Partial({"410700", "410000", "2025", "r3"}, 1, 1, 2),
  };
  ASSERT_TRUE(plan->answer(merged, ShardTotals()).ok());
  ASSERT_EQ(response.regions_size(), 2);
  const zhibiao::v1::RegionCoverage& henan = response.regions(0);
  EXPECT_EQ(henan.region_code(), "410000");
  EXPECT_EQ(henan.region_name(), "河南省");
  EXPECT_EQ(henan.report_count(), 2);
  EXPECT_EQ(henan.figure_count(), 15);
  EXPECT_THAT(henan.years(), ElementsAre(2024, 2025));
  EXPECT_EQ(response.regions(1).region_name(), "新乡市");
  EXPECT_EQ(response.regions(1).province_code(), "410000");
  EXPECT_EQ(response.unplaced_figure_count(), 4);
  EXPECT_EQ(response.unplaced_report_count(), 1);
}

TEST(ListRegionsQueryTest, RefusesABadFilter) {
  ListRegionsQuery::Request request;
  request.mutable_filter()->add_region_codes("41");
  ListRegionsQuery::Response response;
  EXPECT_EQ(ListRegionsQuery::Plan(request, &response).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(SearchQueryTest, NormalisesWordsAndContinuesEachShardAfterItsCursor) {
  SearchQuery::Request request;
  request.add_words("ＧＤＰ");  // full-width, as some reports write it
  std::vector<ShardCursor> cursors(3);
  cursors[1].last_key = "k1";
  cursors[2].exhausted = true;
  request.set_page_token(EncodeListToken(cursors));
  absl::StatusOr<ListingPlan<SearchQuery::Request>> plan = SearchQuery::Plan(request, 3);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->page_size, SearchQuery::kDefaultPageSize);
  ASSERT_EQ(plan->per_shard.size(), 3u);
  EXPECT_THAT(plan->per_shard[0].words(), ElementsAre("GDP"));
  EXPECT_EQ(plan->per_shard[0].page_token(), "");
  EXPECT_EQ(plan->per_shard[1].page_token(), ShardPageToken("k1"));
  EXPECT_TRUE(plan->cursors[2].exhausted);
  // A token issued for 3 shards is refused by a suite of 2.
  EXPECT_THAT(SearchQuery::Plan(request, 2).status().message(), HasSubstr("3 storage shards"));
  request.clear_words();
  EXPECT_THAT(SearchQuery::Plan(request, 3).status().message(), HasSubstr("give words"));
}

TEST(ListReportsQueryTest, RefusesPageSizesOutsideTheLimit) {
  ListReportsQuery::Request request;
  request.set_page_size(1001);
  EXPECT_THAT(ListReportsQuery::Plan(request, 2).status().message(),
              HasSubstr("page_size 1001 is outside 0..1000"));
  request.set_page_size(0);
  absl::StatusOr<ListingPlan<ListReportsQuery::Request>> plan = ListReportsQuery::Plan(request, 2);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->per_shard[1].page_size(), ListReportsQuery::kDefaultPageSize);
}

TEST(ListTokenTest, RoundTripsAndRejectsOtherShardCounts) {
  std::vector<ShardCursor> cursors(2);
  cursors[0].last_key = std::string("\x41\x00\x07", 3);
  cursors[1].exhausted = true;
  auto back = DecodeListToken(EncodeListToken(cursors), 2);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ((*back)[0].last_key, cursors[0].last_key);
  EXPECT_TRUE((*back)[1].exhausted);
  EXPECT_EQ(DecodeListToken(EncodeListToken(cursors), 3).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(TakePageTest, TakesTheSmallestKeysOverShardsAndMarksEmptyOnesExhausted) {
  std::vector<ShardCursor> cursors(2);
  std::vector<std::pair<size_t, size_t>> taken;
  const bool more = TakePage({{"a", "c"}, {"b"}}, {false, false}, 2, &cursors, &taken);
  EXPECT_TRUE(more);
  EXPECT_THAT(taken, ElementsAre(std::make_pair(size_t{0}, size_t{0}),
                                 std::make_pair(size_t{1}, size_t{0})));
  EXPECT_EQ(cursors[0].last_key, "a");
  EXPECT_FALSE(cursors[0].exhausted);
  EXPECT_TRUE(cursors[1].exhausted);
}

}  // namespace
}  // namespace zb::query
