#include "tools/score/scorer.h"

#include "gtest/gtest.h"

namespace zb::score {
namespace {

zhibiao::v1::Indicator Ind(int64_t begin, int64_t end, double value, const std::string& unit) {
  zhibiao::v1::Indicator ind;
  ind.set_char_begin(begin);
  ind.set_char_end(end);
  ind.set_section_id("1");
  ind.mutable_quantity()->set_value(value);
  ind.mutable_quantity()->set_unit(unit);
  ind.mutable_quantity()->set_qualifier(zhibiao::v1::QUALIFIER_EXACT);
  return ind;
}

TEST(ScorerTest, MatchesBySpanAndValueAndCountsSharedSpansOnce) {
  zhibiao::v1::Report report;
  // "一、甲\n办理2次,再办2次,合格率、优秀率达100%,2021年。"
  report.set_normalized_text("一、甲\n办理2次,再办2次,合格率、优秀率达100%,2021年。");
  auto* s = report.add_sections();
  s->set_section_id("1");
  s->set_path("一");
  *report.add_indicators() = Ind(6, 8, 2, "次");
  *report.add_indicators() = Ind(11, 13, 2, "次");
  *report.add_indicators() = Ind(22, 26, 100, "%");
  *report.add_indicators() = Ind(22, 26, 100, "%");    // the enumeration's second item
  *report.add_indicators() = Ind(27, 31, 2021, "件");  // a false positive on a not-indicator
  auto gold = ParseGold(
      "{\"kind\":\"report\",\"not_indicators\":[\"2021年\"]}\n"
      "{\"kind\":\"indicator\",\"text\":\"2次\",\"value\":2,\"unit\":\"次\",\"qualifier\":"
      "\"exact\",\"section\":\"一\"}\n"
      "{\"kind\":\"indicator\",\"text\":\"2次\",\"value\":2,\"unit\":\"次\",\"qualifier\":"
      "\"exact\",\"section\":\"一\"}\n"
      "{\"kind\":\"indicator\",\"text\":\"100%\",\"value\":100,\"unit\":\"%\",\"qualifier\":"
      "\"exact\",\"section\":\"一\"}\n"
      "{\"kind\":\"indicator\",\"text\":\"9年\",\"value\":9,\"unit\":\"年\",\"qualifier\":"
      "\"exact\",\"section\":\"一\",\"uncertain\":true}\n");
  ASSERT_TRUE(gold.ok()) << gold.status();
  Score score = ScoreReport(report, *gold);
  EXPECT_EQ(score.matched, 3);
  EXPECT_EQ(score.gold_certain, 3);
  EXPECT_EQ(score.extracted_figures, 4);  // 2次, 2次, 100% (once), 2021年
  EXPECT_DOUBLE_EQ(score.recall, 1.0);
  EXPECT_DOUBLE_EQ(score.precision, 0.75);
  EXPECT_EQ(score.not_indicator_hits.size(), 1u);
  EXPECT_DOUBLE_EQ(score.section_accuracy, 1.0);
}

TEST(ScorerTest, WrongValueIsAMissAndAFalsePositive) {
  zhibiao::v1::Report report;
  report.set_normalized_text("办理3次");
  *report.add_indicators() = Ind(2, 4, 4, "次");
  auto gold = ParseGold(
      "{\"kind\":\"indicator\",\"text\":\"3次\",\"value\":3,\"unit\":\"次\",\"qualifier\":"
      "\"exact\"}");
  ASSERT_TRUE(gold.ok());
  Score score = ScoreReport(report, *gold);
  EXPECT_EQ(score.matched, 0);
  EXPECT_EQ(score.misses.size(), 1u);
  EXPECT_EQ(score.false_positives.size(), 1u);
}

}  // namespace
}  // namespace zb::score
