#include "common/regions/regions.h"

#include "gtest/gtest.h"

namespace zb::regions {
namespace {

TEST(RegionTableTest, ShippedTableCoversProvincesCitiesCounties) {
  EXPECT_GT(RegionTable::Default().size(), 3000u);
}

TEST(RegionTableTest, ResolvesGovernmentsAndDepartments) {
  const RegionTable& t = RegionTable::Default();
  auto xinxiang = t.ResolvePrefix("新乡市人民政府");
  ASSERT_TRUE(xinxiang.has_value());
  EXPECT_EQ(xinxiang->code(), "410700");
  EXPECT_EQ(xinxiang->province(), "河南省");
  EXPECT_EQ(xinxiang->province_code(), "410000");
  EXPECT_EQ(xinxiang->level(), zhibiao::v1::REGION_LEVEL_CITY);
  auto department = t.ResolvePrefix("新乡市司法局");
  ASSERT_TRUE(department.has_value());
  EXPECT_EQ(department->code(), "410700");
  auto nested = t.ResolvePrefix("湖北省十堰市郧西县人民政府");
  ASSERT_TRUE(nested.has_value());
  EXPECT_EQ(nested->code(), "420322");
  EXPECT_EQ(nested->level(), zhibiao::v1::REGION_LEVEL_COUNTY);
  auto province = t.ResolvePrefix("河南省人民政府");
  ASSERT_TRUE(province.has_value());
  EXPECT_EQ(province->code(), "410000");
  EXPECT_EQ(province->level(), zhibiao::v1::REGION_LEVEL_PROVINCE);
}

TEST(RegionTableTest, AmbiguousOrUnknownNamesDoNotResolve) {
  const RegionTable& t = RegionTable::Default();
  EXPECT_FALSE(t.ResolvePrefix("云溪县人民政府").has_value());
  // 朝阳区 exists in Beijing and in Changchun: only a parent decides.
  EXPECT_FALSE(t.ResolvePrefix("朝阳区人民政府").has_value());
  auto beijing = t.ResolvePrefix("北京市朝阳区人民政府");
  ASSERT_TRUE(beijing.has_value());
  EXPECT_EQ(beijing->code(), "110105");
}

TEST(RegionTableTest, FindByCode) {
  auto r = RegionTable::Default().FindByCode("410700");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->name(), "新乡市");
  EXPECT_FALSE(RegionTable::Default().FindByCode("999999").has_value());
}

// The shipped table lists some cities without counties (东莞市, 中山市) as
// their own parent; lookups must still come back (they once looped forever).
TEST(RegionTableTest, RowsThatAreTheirOwnParentDoNotHang) {
  const RegionTable& table = RegionTable::Default();
  auto dongguan = table.FindByCode("441900");
  ASSERT_TRUE(dongguan.has_value());
  EXPECT_EQ(dongguan->name(), "东莞市");
  // It comes back (today without a region: the row has no province).
  auto resolved = table.ResolvePrefix("东莞市人民政府");
  if (resolved.has_value()) {
    EXPECT_EQ(resolved->code(), "441900");
  }
}

}  // namespace
}  // namespace zb::regions
