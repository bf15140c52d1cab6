#include "common/doc/metadata.h"

#include "gtest/gtest.h"

namespace zb::doc {
namespace {

zhibiao::v1::ReportMeta Derive(const std::string& text, std::vector<zhibiao::v1::Warning>* w) {
  zhibiao::v1::ReportMeta meta;
  DeriveMetadata(ParseStructure(text), text, RegionTable::Default(), &meta, w);
  return meta;
}

TEST(MetadataTest, GovernmentReport) {
  std::vector<zhibiao::v1::Warning> w;
  auto meta = Derive("新乡市人民政府 关于2021年法治政府建设情况的报告\n正文。\n新乡市人民政府\n2022年2月25日\n", &w);
  EXPECT_EQ(meta.issuer(), "新乡市人民政府");
  EXPECT_EQ(meta.region().code(), "410700");
  EXPECT_EQ(meta.report_year(), 2021);
  EXPECT_EQ(meta.published_date(), "2022-02-25");
  EXPECT_TRUE(w.empty());
}

TEST(MetadataTest, DepartmentTakesItsGovernmentsRegion) {
  std::vector<zhibiao::v1::Warning> w;
  auto meta = Derive("新乡市司法局2022年法治政府建设情况报告\n正文。\n二〇二三年一月十日\n", &w);
  EXPECT_EQ(meta.issuer(), "新乡市司法局");
  EXPECT_EQ(meta.region().name(), "新乡市");
  EXPECT_EQ(meta.report_year(), 2022);
  EXPECT_EQ(meta.published_date(), "2023-01-10");
}

TEST(MetadataTest, UnknownRegionIsAWarningNotAnError) {
  std::vector<zhibiao::v1::Warning> w;
  auto meta = Derive("云溪县人民政府关于2022年度法治政府建设情况的报告\n正文。\n云溪县人民政府\n2023年3月15日\n", &w);
  EXPECT_EQ(meta.region().name(), "云溪县");
  EXPECT_EQ(meta.region().code(), "");
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].code(), "region_unresolved");
}

TEST(MetadataTest, YearFromPublicationWhenTitleHasNone) {
  std::vector<zhibiao::v1::Warning> w;
  auto meta = Derive("郑州市人民政府法治政府建设情况报告\n正文没有年份。\n郑州市人民政府\n2023-02-20\n", &w);
  EXPECT_EQ(meta.report_year(), 2022);
}

TEST(MetadataTest, LongRunsOfChineseDigitsAreNotYears) {
  // Found by the decode_structure fuzzer: a run of 三 overflowed the year reader.
  std::vector<zhibiao::v1::Warning> w;
  auto meta = Derive(std::string("报告") + "三三三三三三三三三三三三年\n正文。\n", &w);
  EXPECT_EQ(meta.report_year(), 0);
}

}  // namespace
}  // namespace zb::doc
