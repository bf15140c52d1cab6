#include "common/webapi/answer_tables.h"

#include <gtest/gtest.h>

#include "zhibiao/v1/query.pb.h"

namespace zb::webapi {
namespace {

TEST(AnswerTablesTest, ARankRowNamesItsRegionAndProvince) {
  zhibiao::v1::RankResponse reply;
  reply.set_metric_key("economy.gdp");
  reply.set_year(2026);
  reply.set_unit("%");
  auto* e = reply.add_regions();
  e->set_rank(1);
  e->set_region_code("460000");
  e->set_province_code("460000");
  e->set_value(6);
  e->set_count(2);
  absl::StatusOr<Table> t = AnswerTable("Rank", reply, regions::RegionTable::Default());
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_EQ(t->rows.size(), 1u);
  ASSERT_EQ(t->rows[0].size(), t->columns.size());
  EXPECT_EQ(t->rows[0][1].text, "海南省");
  EXPECT_EQ(t->rows[0][4].number, 6);
  EXPECT_EQ(t->rows[0][5].text, "%");
  EXPECT_EQ(t->name, "Rank economy.gdp 2026");
}

TEST(AnswerTablesTest, ACompareRowLeavesMissingValuesEmpty) {
  zhibiao::v1::CompareResponse reply;
  reply.set_base_year(2024);
  reply.set_year(2025);
  auto* c = reply.add_regions();
  c->set_region_code("410700");
  c->set_value(3);
  absl::StatusOr<Table> t = AnswerTable("Compare", reply, regions::RegionTable::Default());
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->columns[3], "2024年");
  EXPECT_EQ(t->rows[0][0].text, "新乡市");
  EXPECT_FALSE(t->rows[0][3].number.has_value());
  EXPECT_EQ(t->rows[0][4].number, 3);
}

TEST(AnswerTablesTest, DocumentsHaveNoTable) {
  zhibiao::v1::GetSectionResponse reply;
  EXPECT_FALSE(HasAnswerTable("GetSection"));
  absl::StatusOr<Table> t = AnswerTable("GetSection", reply, regions::RegionTable::Default());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_NE(t.status().message().find("Rank"), std::string::npos);
}

}  // namespace
}  // namespace zb::webapi
