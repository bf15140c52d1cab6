#include "common/store/index_cache.h"

#include <filesystem>
#include <random>

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
  const int region = (*rng)() % 12;
  r.mutable_meta()->mutable_region()->set_code(absl::StrFormat("%02d%02d00", 41 + region % 3, 1 + region));
  r.mutable_meta()->mutable_region()->set_province_code(absl::StrFormat("%02d0000", 41 + region % 3));
  const int count = 1 + (*rng)() % 12;
  for (int i = 0; i < count; ++i) {
    auto* ind = r.add_indicators();
    ind->set_seq(i);
    ind->set_metric_key((*rng)() % 4 == 0 ? "" : absl::StrCat("m", (*rng)() % 5));
    ind->set_subject((*rng)() % 2 ? "受理案件" : "化解率");
    ind->set_is_target((*rng)() % 7 == 0);
    ind->set_change(static_cast<zhibiao::v1::Change>((*rng)() % 3 + 1));
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
  for (int n = 0; n < 40; ++n) ASSERT_TRUE((*store)->Put(RandomReport(n, &rng, "v2")).ok());  // replace
  for (int n = 150; n < 200; ++n) ASSERT_TRUE((*store)->Delete(absl::StrFormat("%032x", n)).ok());

  const std::vector<std::vector<int>> groupings = {
      {}, {zhibiao::v1::GROUP_BY_REGION}, {zhibiao::v1::GROUP_BY_METRIC, zhibiao::v1::GROUP_BY_YEAR},
      {zhibiao::v1::GROUP_BY_PROVINCE, zhibiao::v1::GROUP_BY_SUBJECT}};
  for (int q = 0; q < 60; ++q) {
    zhibiao::v1::IndicatorFilter filter;
    if (rng() % 2) filter.add_metric_keys(absl::StrCat("m", rng() % 5));
    if (rng() % 3 == 0) filter.add_years(2019 + rng() % 4);
    if (rng() % 3 == 0) filter.add_province_codes(absl::StrFormat("%02d0000", 41 + rng() % 3));
    if (rng() % 4 == 0) filter.add_units("件");
    if (rng() % 4 == 0) filter.set_subject_contains("率");
    if (rng() % 4 == 0) filter.set_exclude_targets(true);
    if (rng() % 4 == 0) filter.set_change(zhibiao::v1::CHANGE_FILTER_LEVELS_ONLY);
    if (rng() % 5 == 0) filter.add_qualifiers(zhibiao::v1::QUALIFIER_EXACT);
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
}

}  // namespace
}  // namespace zb::store
