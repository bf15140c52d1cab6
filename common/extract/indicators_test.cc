#include "common/extract/indicators.h"

#include "common/doc/structure.h"
#include "gtest/gtest.h"

namespace zb::extract {
namespace {

std::vector<zhibiao::v1::Indicator> Extract(const std::string& text, int year = 2021) {
  doc::DocumentStructure s = doc::ParseStructure(text);
  return ExtractIndicators(text, s.sections, year);
}

std::vector<zhibiao::v1::Indicator> ExtractWorkReport(const std::string& text, int year = 2025) {
  doc::DocumentStructure s = doc::ParseStructure(text);
  const CodePointText t(text);
  return ExtractIndicators(t, s.sections,
                           ReportTime{year, zhibiao::v1::DOCUMENT_KIND_GOVERNMENT_WORK_REPORT});
}

std::string PeriodOf(const zhibiao::v1::Indicator& ind) {
  if (ind.period_start() == ind.period_end()) return std::to_string(ind.period_end());
  return std::to_string(ind.period_start()) + "-" + std::to_string(ind.period_end());
}

TEST(SubjectTest, DropsScopeAndLinkWords) {
  EXPECT_EQ(SubjectFromClause("全市共排查矛盾纠纷"), "排查矛盾纠纷");
  EXPECT_EQ(SubjectFromClause("问题解决率为"), "问题解决率");
  EXPECT_EQ(SubjectFromClause("县处级以上领导干部累计参加学习"), "县处级以上领导干部累计参加学习");
  EXPECT_EQ(SubjectFromClause("2021年全市审计机关共审计项目"), "审计机关共审计项目");
}

TEST(SubjectTest, DropsReachVerbsTheYearAFigureIsDatedByAndListCommas) {
  EXPECT_EQ(SubjectFromClause("生产总值从2020年的"), "生产总值");
  EXPECT_EQ(SubjectFromClause("粮食播种面积稳定在"), "粮食播种面积");
  EXPECT_EQ(SubjectFromClause("四大主导产业占GDP比重较2020年"), "四大主导产业占GDP比重");
  EXPECT_EQ(SubjectFromClause("、高铁营业里程"), "高铁营业里程");
  EXPECT_EQ(SubjectFromClause("常住人口由上年"), "常住人口");
  EXPECT_EQ(SubjectFromClause("力争人均预期寿命"), "人均预期寿命");
  EXPECT_EQ(SubjectFromClause("全年实现地区生产总值"), "地区生产总值");
  EXPECT_EQ(SubjectFromClause("全省生产总值增长到2025年的"), "生产总值");
  // Four digits without 年 are no year.
  EXPECT_EQ(SubjectFromClause("G2020的"), "G2020的");
}

// The levels of 从A增长到B, and of 突破A、达B, are of the subject before A,
// and a milestone 台阶 is not a unit.
TEST(IndicatorsTest, LevelsReachedShareTheSubjectOfTheirStart) {
  auto inds = ExtractWorkReport(
      "报告\n一、过去五年\n全省生产总值从2020年的3.68万亿元增长到2025年的4.93万亿元,"
      "一般公共预算收入从3826.5亿元"
      "增长到4398.6亿元。地区生产总值突破3万亿元、达3.6万亿元。地区生产总值迈上5万亿台阶。\n");
  std::vector<std::string> subjects;
  for (const auto& i : inds) subjects.push_back(i.text() + " " + i.subject());
  EXPECT_EQ(subjects,
            (std::vector<std::string>{"3.68万亿元 生产总值", "4.93万亿元 生产总值",
                                      "3826.5亿元 一般公共预算收入", "4398.6亿元 一般公共预算收入",
                                      "突破3万亿元 地区生产总值", "3.6万亿元 地区生产总值"}));
  EXPECT_EQ(PeriodOf(inds[0]), "2020");
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

// The periods of a work report: the year reviewed, the five-year plan, the
// coming year's targets and the next plan's goals, each from the markers the
// text itself writes.
TEST(IndicatorsTest, PeriodsOfAWorkReport) {
  auto inds = ExtractWorkReport(
      "政府工作报告\n一、2025年和“十四五”时期工作回顾\n2025年是极不平凡的一年。地区生产总值增长5.2%"
      "。\n"
      "过去五年,地区生产总值年均增长5.5%,城镇化率从2020年的53.2%提升到2025年的57.7%,"
      "较2020年提高4.5个百分点。\n"
      "二、“十五五”时期主要目标任务\n地区生产总值年均增长5%左右。\n"
      "三、2026年重点工作\n今年主要预期目标是:地区生产总值增长5%左右;城镇新增就业60万人以上。\n");
  ASSERT_EQ(inds.size(), 8u);
  const char* expected[] = {"2025",      "2021-2025", "2020", "2025",
                            "2021-2025", "2026-2030", "2026", "2026"};
  const bool targets[] = {false, false, false, false, false, true, true, true};
  for (size_t k = 0; k < inds.size(); ++k) {
    EXPECT_EQ(PeriodOf(inds[k]), expected[k]) << inds[k].text();
    EXPECT_EQ(inds[k].is_target(), targets[k]) << inds[k].text();
  }
}

// A plan named as what kind of year this is (今年是“十五五”起步之年) dates the
// paragraph by that year, or leaves it to the year already named; it does
// not make the year's work a five-year goal.
TEST(IndicatorsTest, APlanNamingTheYearDoesNotMakeItsWorkFiveYearGoals) {
  const char* openers[] = {"今年是“十五五”起步之年", "今年是实施“十五五”规划的开局之年",
                           "今年是“十五五”承上启下的关键之年"};
  for (const char* opener : openers) {
    auto inds = ExtractWorkReport(std::string("政府工作报告\n三、2026年主要工作\n") + opener +
                                  ",我们要扎实做好各项工作。\n（一）扩大内需\n"
                                  "完善商贸流通体系,建成县域快递物流中心44个。\n");
    ASSERT_EQ(inds.size(), 1u) << opener;
    EXPECT_EQ(PeriodOf(inds[0]), "2026") << opener;
    EXPECT_TRUE(inds[0].is_target()) << opener;
  }
}

// A paragraph presenting the coming plan's document speaks of its period to
// the paragraph's end, under a heading that names both plans.
TEST(IndicatorsTest, AParagraphPresentingThePlanDocumentSetsItsGoals) {
  auto inds = ExtractWorkReport(
      "政府工作报告\n二、“十四五”时期发展成就和“十五五”时期主要目标任务\n"
      "过去五年,地区生产总值年均增长5.5%。\n"
      "根据省委建议,我们编制了“十五五”规划纲要(草案),提交大会审查。《纲要》细化提出25项主要指标。"
      "经济发展方面,提出地区生产总值年均增长5%左右。\n");
  ASSERT_EQ(inds.size(), 3u);
  EXPECT_EQ(PeriodOf(inds[0]), "2021-2025");
  EXPECT_FALSE(inds[0].is_target());
  EXPECT_EQ(PeriodOf(inds[2]), "2026-2030");
  EXPECT_TRUE(inds[2].is_target());
  EXPECT_EQ(inds[2].subject(), "地区生产总值");
}

// Running totals say so; over a five-year span they are no one year's value.
TEST(IndicatorsTest, RunningTotalsAreMarkedCumulative) {
  auto inds = ExtractWorkReport(
      "政府工作报告\n一、“十四五”时期工作回顾\n过去五年,一般公共预算收入累计完成3."
      "7万亿元、5年增长18.7%,"
      "地方一般公共预算收入突破500亿元。\n二、2025年工作\n全年城镇新增就业110万人。\n");
  ASSERT_EQ(inds.size(), 4u);
  EXPECT_TRUE(inds[0].cumulative()) << inds[0].text();
  EXPECT_EQ(PeriodOf(inds[0]), "2021-2025");
  EXPECT_FALSE(inds[2].cumulative()) << inds[2].text();
  EXPECT_FALSE(inds[3].cumulative()) << inds[3].text();
}

TEST(IndicatorsTest, EnumeratedFiguresShareTheChangeWord) {
  auto inds =
      ExtractWorkReport("报告\n一、回顾\n城镇和农村居民人均可支配收入分别增长3.9%和5.7%。\n");
  ASSERT_EQ(inds.size(), 2u);
  EXPECT_EQ(inds[0].change(), zhibiao::v1::CHANGE_INCREASE);
  EXPECT_EQ(inds[1].change(), zhibiao::v1::CHANGE_INCREASE);
}

TEST(IndicatorsTest, RespectiveEnumerationsPairItemsWithFigures) {
  auto inds = ExtractWorkReport(
      "报告\n一、回顾\n城镇和农村常住居民人均可支配收入分别增长3.9%和5.7%。"
      "其中一二三产增加值年均分别增长3.5%、6%、5%。"
      "生产安全事故起数、死亡人数比2020年分别下降65.3%、58.3%。"
      "城乡居民人均可支配收入分别达6.9万元、3.4万元,增长4.2%、5.3%。"
      "城乡居民人均收入年均增长5.3%、7.7%。"
      "林木覆盖率、湿地保护率分别达24.1%和50.2%。\n");
  std::vector<std::string> subjects;
  for (const auto& ind : inds) subjects.push_back(ind.subject());
  const std::vector<std::string> expected = {"城镇常住居民人均可支配收入",
                                             "农村常住居民人均可支配收入",
                                             "一产增加值",
                                             "二产增加值",
                                             "三产增加值",
                                             "生产安全事故起数",
                                             "死亡人数",
                                             "城镇居民人均可支配收入",
                                             "农村居民人均可支配收入",
                                             "城镇居民人均可支配收入",
                                             "农村居民人均可支配收入",
                                             "城镇居民人均收入",
                                             "农村居民人均收入",
                                             "林木覆盖率",
                                             "湿地保护率"};
  EXPECT_EQ(subjects, expected);
}

TEST(IndicatorsTest, RespectiveItemsNeedAsManyItemsAsFigures) {
  EXPECT_EQ(RespectiveItems("交通、水利、能源领域投资额", 3),
            (std::vector<std::string>{"交通领域投资额", "水利领域投资额", "能源领域投资额"}));
  EXPECT_TRUE(RespectiveItems("地区生产总值", 2).empty());
  EXPECT_TRUE(RespectiveItems("甲、乙、丙", 2).empty());
}

TEST(IndicatorsTest, ObtainedIsNotATargetInAReview) {
  auto inds =
      ExtractWorkReport("报告\n一、“十四五”时期工作回顾\n过去五年,争取国家政策性资金超千亿元。\n");
  ASSERT_EQ(inds.size(), 1u);
  EXPECT_FALSE(inds[0].is_target());
  EXPECT_EQ(PeriodOf(inds[0]), "2021-2025");
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
