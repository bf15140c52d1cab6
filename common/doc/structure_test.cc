#include "common/doc/structure.h"

#include "gtest/gtest.h"

namespace zb::doc {
namespace {

std::vector<std::string> Paths(const DocumentStructure& s) {
  std::vector<std::string> out;
  for (const auto& section : s.sections) out.push_back(section.path());
  return out;
}

TEST(StructureTest, TitleSalutationHeadingsAndClosing) {
  const std::string text =
      "云溪县人民政府关于2022年度法治政府建设情况的报告\n"
      "\n"
      "云溪县人民代表大会常务委员会:\n"
      "2022年,县政府深入贯彻纲要,现将情况报告如下。\n"
      "一、主要工作及成效\n"
      "(一)加强组织领导\n"
      "1.落实第一责任人职责。县政府常务会议专题学法十二次。\n"
      "2.强化考核。分值权重提高至百分之八。\n"
      "(二)依法全面履行政府职能\n"
      "1.深化改革。\n"
      "二、存在的问题\n"
      "一是部分乡镇执法力量薄弱。\n"
      "云溪县人民政府\n"
      "2023年3月15日\n";
  DocumentStructure s = ParseStructure(text);
  EXPECT_EQ(s.title, "云溪县人民政府关于2022年度法治政府建设情况的报告");
  EXPECT_EQ(s.salutation, "云溪县人民代表大会常务委员会:");
  EXPECT_EQ(s.signature, "云溪县人民政府");
  EXPECT_EQ(s.date_line, "2023年3月15日");
  EXPECT_EQ(Paths(s), (std::vector<std::string>{"", "一", "一.(一)", "一.(一).1", "一.(一).2",
                                                "一.(二)", "一.(二).1", "二"}));
  EXPECT_EQ(s.sections[3].section_id(), "1.1.1");
  EXPECT_EQ(s.sections[3].parent_id(), "1.1");
  EXPECT_EQ(s.sections[3].level(), 3);
  EXPECT_EQ(s.sections[3].heading(), "落实第一责任人职责");
  EXPECT_EQ(s.sections[7].text(), "二、存在的问题\n一是部分乡镇执法力量薄弱。");
}

TEST(StructureTest, OffsetsAreCodePointsIntoTheText) {
  const std::string text = "标题报告\n前言。\n一、第一部分内容\n正文1。\n";
  DocumentStructure s = ParseStructure(text);
  ASSERT_EQ(s.sections.size(), 2u);
  // "标题报告\n" is 5 code points, "前言。\n" 4: the heading starts at 9.
  EXPECT_EQ(s.sections[1].char_begin(), 9);
  EXPECT_EQ(s.sections[1].char_end(), 9 + 8 + 1 + 4);
}

TEST(StructureTest, EveryHeadingStyle) {
  const std::string text =
      "报告\n第一部分 总体情况\n一、工作\n(一)执法\n1.培训\n(1)学时\n①课程\n②考试\n(2)人数\n";
  DocumentStructure s = ParseStructure(text);
  EXPECT_EQ(Paths(s), (std::vector<std::string>{
                          "第一部分", "第一部分.一", "第一部分.一.(一)", "第一部分.一.(一).1",
                          "第一部分.一.(一).1.(1)", "第一部分.一.(一).1.(1).①",
                          "第一部分.一.(一).1.(1).②", "第一部分.一.(一).1.(2)"}));
}

TEST(StructureTest, NumbersThatStartBodyLinesAreNotHeadings) {
  const std::string text = "报告\n一、工作\n2021年,全市办理案件3件。\n1.5万人参加。\n3.其他事项\n";
  DocumentStructure s = ParseStructure(text);
  // "3." does not follow "1." or start a list, "1.5万" is a decimal, "2021年" a year.
  EXPECT_EQ(Paths(s), (std::vector<std::string>{"一"}));
}

TEST(MatchHeadingTest, Styles) {
  EXPECT_EQ(MatchHeading("十二、其他")->value, 12);
  EXPECT_EQ(MatchHeading("(十)其他")->style, kParenChinese);
  EXPECT_EQ(MatchHeading("12.其他")->value, 12);
  EXPECT_FALSE(MatchHeading("一是部分乡镇").has_value());
  EXPECT_FALSE(MatchHeading("12345热线").has_value());
}

}  // namespace
}  // namespace zb::doc
