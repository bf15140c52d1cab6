#include "common/extract/indicators.h"

#include "common/doc/structure.h"
#include "gtest/gtest.h"

namespace zb::extract {
namespace {

std::vector<zhibiao::v1::Indicator> Extract(const std::string& text, int year = 2021) {
  doc::DocumentStructure s = doc::ParseStructure(text);
  return ExtractIndicators(text, s.sections, year);
}

TEST(SubjectTest, DropsScopeAndLinkWords) {
  EXPECT_EQ(SubjectFromClause("全市共排查矛盾纠纷"), "排查矛盾纠纷");
  EXPECT_EQ(SubjectFromClause("问题解决率为"), "问题解决率");
  EXPECT_EQ(SubjectFromClause("县处级以上领导干部累计参加学习"), "县处级以上领导干部累计参加学习");
  EXPECT_EQ(SubjectFromClause("2021年全市审计机关共审计项目"), "审计机关共审计项目");
}

TEST(IndicatorsTest, ChangeVersusLevel) {
  auto inds = Extract(
      "报告\n一、工作\n为企业减税降费2,350.6万元,同比增长12.4%;新增贷款3.2亿元。"
      "权责清单新增691项,删除144项。开办时间压缩至0.5个工作日,综合指数下降3.4%。\n");
  ASSERT_EQ(inds.size(), 7u);
  EXPECT_EQ(inds[0].change(), zhibiao::v1::CHANGE_NONE);
  EXPECT_EQ(inds[1].change(), zhibiao::v1::CHANGE_INCREASE);
  EXPECT_EQ(inds[2].change(), zhibiao::v1::CHANGE_NONE);  // 新增贷款: a flow named by its noun
  EXPECT_EQ(inds[3].change(), zhibiao::v1::CHANGE_INCREASE);
  EXPECT_EQ(inds[4].change(), zhibiao::v1::CHANGE_DECREASE);
  EXPECT_EQ(inds[5].change(), zhibiao::v1::CHANGE_NONE);  // 压缩至: the new level
  EXPECT_EQ(inds[6].change(), zhibiao::v1::CHANGE_DECREASE);
}

TEST(IndicatorsTest, TargetsInPlanSectionsAndGoalSentences) {
  auto inds = Extract(
      "报告\n一、工作成效\n办理案件30件。\n二、2022年工作打算\n开展普法活动不少于200场。\n"
      "三、其他\n力争案卷优秀率达到95%以上。\n");
  ASSERT_EQ(inds.size(), 3u);
  EXPECT_FALSE(inds[0].is_target());
  EXPECT_TRUE(inds[1].is_target());
  EXPECT_TRUE(inds[2].is_target());
}

TEST(IndicatorsTest, EnumerationSharingOneFigureGivesOneIndicatorEach) {
  auto inds = Extract("报告\n(一)文件\n报备及时率、合法合规率达100%。\n");
  ASSERT_EQ(inds.size(), 2u);
  EXPECT_EQ(inds[0].subject(), "报备及时率");
  EXPECT_EQ(inds[1].subject(), "合法合规率");
  EXPECT_EQ(inds[0].char_begin(), inds[1].char_begin());
}

TEST(IndicatorsTest, SectionsAndOffsets) {
  const std::string text = "报告\n一、甲\n(一)乙\n受理案件358件。\n";
  auto inds = Extract(text);
  ASSERT_EQ(inds.size(), 1u);
  EXPECT_EQ(inds[0].section_id(), "1.1");
  EXPECT_EQ(inds[0].text(), "358件");
  // "报告\n一、甲\n(一)乙\n受理案件" is 16 code points.
  EXPECT_EQ(inds[0].char_begin(), 16);
  EXPECT_EQ(inds[0].char_end(), 20);
  EXPECT_EQ(inds[0].sentence(), "受理案件358件");
}

}  // namespace
}  // namespace zb::extract
