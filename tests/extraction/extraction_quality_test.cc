// Extraction quality against the gold annotations, through the scorer:
// every format variant of the sample and the synthetic county report must
// reach the precision, recall and accuracies the product promises.
#include "common/pipeline/report_builder.h"
#include "common/testing/fixtures.h"
#include "gtest/gtest.h"
#include "tools/score/scorer.h"

namespace zb {
namespace {

struct Case {
  const char* document;  // under shared/fixtures (or tests/data)
  const char* gold;
};

class ExtractionQualityTest : public ::testing::TestWithParam<Case> {};

TEST_P(ExtractionQualityTest, MeetsTheTargets) {
  const Case& c = GetParam();
  std::string document = testing::ReadFileOrEmpty(testing::SharedFixturePath(c.document));
  if (document.empty()) document = testing::ReadFileOrEmpty(testing::TestDataPath(c.document));
  std::string gold_text = testing::ReadFileOrEmpty(testing::SharedFixturePath(c.gold));
  if (gold_text.empty()) gold_text = testing::ReadFileOrEmpty(testing::TestDataPath(c.gold));
  if (document.empty() || gold_text.empty()) GTEST_SKIP() << c.document << " is absent";
  auto gold = score::ParseGold(gold_text);
  ASSERT_TRUE(gold.ok()) << gold.status();
  auto report = pipeline::BuildReport(document, c.document);
  ASSERT_TRUE(report.ok()) << report.status();
  const score::Score s = score::ScoreReport(*report, *gold);
  const std::string details = score::FormatScore(s, true);
  EXPECT_GE(s.precision, 0.97) << details;
  EXPECT_GE(s.recall, 0.97) << details;
  EXPECT_GE(s.unit_accuracy, 0.95) << details;
  EXPECT_GE(s.qualifier_accuracy, 0.95) << details;
  EXPECT_GE(s.direction_accuracy, 0.95) << details;
  EXPECT_TRUE(s.not_indicator_hits.empty()) << details;
  EXPECT_TRUE(s.unlocated.empty()) << details;
  std::printf("%s: %s", c.document, score::FormatScore(s, false).c_str());
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, ExtractionQualityTest,
    ::testing::Values(Case{"xinxiang-2021.txt", "xinxiang-2021.gold.jsonl"},
                      Case{"xinxiang-2021.fullwidth.txt", "xinxiang-2021.gold.jsonl"},
                      Case{"xinxiang-2021.gb18030.txt", "xinxiang-2021.gold.jsonl"},
                      Case{"xinxiang-2021.bom-crlf.txt", "xinxiang-2021.gold.jsonl"},
                      Case{"xinxiang-2021.html", "xinxiang-2021.gold.jsonl"},
                      Case{"xinxiang-2021.docx", "xinxiang-2021.gold.jsonl"},
                      Case{"xinxiang-2021.pdf", "xinxiang-2021.gold.jsonl"},
                      Case{"yunxi-2022.txt", "yunxi-2022.gold.jsonl"}),
    [](const ::testing::TestParamInfo<Case>& param_info) {
      std::string name = param_info.param.document;
      for (char& ch : name) {
        if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
      }
      return name;
    });

}  // namespace
}  // namespace zb
