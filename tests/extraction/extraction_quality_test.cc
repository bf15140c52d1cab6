// Extraction quality against the gold annotations, through the scorer:
// every format variant of the sample, the synthetic county report and every
// report of the development set (tests/data/corpus, annotated by reading the
// real work reports of ../shared/corpus) must reach the precision, recall and
// accuracies the product promises.
#include <algorithm>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
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
  EXPECT_GE(s.target_accuracy, 0.95) << details;
  if (s.period_checked > 0) {
    EXPECT_GE(s.period_accuracy, 0.95) << details;
  }
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

// The development set: each gold file names its source under ../shared and
// the line ranges it annotates. Section accuracy is printed, not asserted
// (headings written inside paragraphs are not yet found as sections).
std::vector<std::string> DevelopmentSet() {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry :
       std::filesystem::directory_iterator(testing::TestDataPath("corpus"), ec)) {
    const std::string file = entry.path().filename().string();
    const std::string suffix = ".gold.jsonl";
    if (file.size() > suffix.size() &&
        file.compare(file.size() - suffix.size(), suffix.size(), suffix) == 0) {
      names.push_back(file.substr(0, file.size() - suffix.size()));
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

class DevelopmentSetTest : public ::testing::TestWithParam<std::string> {};

TEST_P(DevelopmentSetTest, MeetsTheTargets) {
  const std::string gold_text =
      testing::ReadFileOrEmpty(testing::TestDataPath("corpus/" + GetParam() + ".gold.jsonl"));
  ASSERT_FALSE(gold_text.empty());
  auto gold = score::ParseGold(gold_text);
  ASSERT_TRUE(gold.ok()) << gold.status();
  ASSERT_FALSE(gold->source.empty()) << "a development-set gold file names its source";
  ASSERT_GE(gold->indicators.size(), 50u)
      << "a development-set excerpt carries at least 50 figures";
  const std::string document = testing::ReadFileOrEmpty(testing::SharedPath(gold->source));
  if (document.empty()) GTEST_SKIP() << "../shared/" << gold->source << " is absent";
  auto report = pipeline::BuildReport(document, gold->source);
  ASSERT_TRUE(report.ok()) << report.status();
  const score::Score s = score::ScoreReport(*report, *gold);
  const std::string details = score::FormatScore(s, true);
  EXPECT_GE(s.precision, 0.97) << details;
  EXPECT_GE(s.recall, 0.97) << details;
  EXPECT_GE(s.unit_accuracy, 0.95) << details;
  EXPECT_GE(s.qualifier_accuracy, 0.95) << details;
  EXPECT_GE(s.direction_accuracy, 0.95) << details;
  EXPECT_GE(s.target_accuracy, 0.95) << details;
  EXPECT_GT(s.period_checked, 0) << details;
  EXPECT_GE(s.period_accuracy, 0.95) << details;
  EXPECT_TRUE(s.not_indicator_hits.empty()) << details;
  EXPECT_TRUE(s.unlocated.empty()) << details;
  std::printf("%s: %s", GetParam().c_str(), score::FormatScore(s, false).c_str());
}

TEST(DevelopmentSetTest, CoversEightReportsOfSixProvinces) {
  std::set<std::string> provinces;
  for (const std::string& name : DevelopmentSet()) {
    auto gold = score::ParseGold(
        testing::ReadFileOrEmpty(testing::TestDataPath("corpus/" + name + ".gold.jsonl")));
    ASSERT_TRUE(gold.ok()) << name << ": " << gold.status();
    provinces.insert(gold->province);
  }
  EXPECT_GE(DevelopmentSet().size(), 8u);
  EXPECT_GE(provinces.size(), 6u);
}

// The taxonomy mapping on the development set: every gold line has an
// expected key in tests/data/corpus/<name>.keys.tsv (judged by reading the
// sentence; empty when no key of the taxonomy has that meaning). Of the
// figures with an expected key, at least 85 % must get it. The listing of
// every keyed line is printed so that a change to the taxonomy can be read.
TEST(TaxonomyMappingTest, DevelopmentSetFiguresGetTheirKeys) {
  int keyed = 0, right = 0, names = 0, unkeyed = 0, wrongly_keyed = 0;
  std::string listing;
  for (const std::string& name : DevelopmentSet()) {
    const std::string keys_text =
        testing::ReadFileOrEmpty(testing::TestDataPath("corpus/" + name + ".keys.tsv"));
    ASSERT_FALSE(keys_text.empty()) << name << " has no keys.tsv";
    auto gold = score::ParseGold(
        testing::ReadFileOrEmpty(testing::TestDataPath("corpus/" + name + ".gold.jsonl")));
    ASSERT_TRUE(gold.ok()) << name << ": " << gold.status();
    std::vector<std::vector<std::string>> rows;
    for (absl::string_view line : absl::StrSplit(keys_text, '\n')) {
      if (line.empty() || line[0] == '#') continue;
      rows.push_back(absl::StrSplit(line, '\t'));
    }
    ASSERT_EQ(rows.size(), gold->indicators.size())
        << name << ": one keys.tsv line per gold indicator line";
    const std::string document = testing::ReadFileOrEmpty(testing::SharedPath(gold->source));
    if (document.empty()) continue;
    ++names;
    auto report = pipeline::BuildReport(document, gold->source);
    ASSERT_TRUE(report.ok()) << report.status();
    const score::Score s = score::ScoreReport(*report, *gold);
    for (size_t i = 0; i < rows.size(); ++i) {
      ASSERT_GE(rows[i].size(), 3u) << name << " keys.tsv line " << i + 1;
      ASSERT_EQ(rows[i][0], gold->indicators[i].text)
          << name << " keys.tsv line " << i + 1 << " is out of step";
      const std::string& expected = rows[i][2];
      if (expected.empty()) {
        // A key where the meaning has none puts a figure into the wrong ranking.
        const int index = s.matched_indicator[i];
        if (index >= 0 && !report->indicators(index).metric_key().empty()) {
          ++wrongly_keyed;
          absl::StrAppend(&listing, "  EXTRA ", name, "  ", rows[i][0], "  ",
                          report->indicators(index).subject(), "  got ",
                          report->indicators(index).metric_key(), "\n");
        }
        ++unkeyed;
        continue;
      }
      ++keyed;
      const int index = s.matched_indicator[i];
      const std::string got =
          index < 0 ? "(not extracted)" : report->indicators(index).metric_key();
      const bool ok = got == expected;
      right += ok;
      absl::StrAppend(&listing, ok ? "  ok   " : "  MISS ", name, "  ", rows[i][0], "  ",
                      index < 0 ? "" : report->indicators(index).subject(), "  expected ", expected,
                      ok ? "" : absl::StrCat("  got ", got.empty() ? "(none)" : got), "\n");
    }
  }
  if (names == 0) GTEST_SKIP() << "../shared/corpus is absent";
  const double share = keyed == 0 ? 0 : static_cast<double>(right) / keyed;
  std::printf("%s", listing.c_str());
  std::printf(
      "taxonomy mapping: %d of %d keyed figures get their key (%.1f %%); %d of %d figures without "
      "one get a key\n",
      right, keyed, 100 * share, wrongly_keyed, unkeyed);
  EXPECT_GE(keyed, 300);
  EXPECT_GE(share, 0.85);
}

INSTANTIATE_TEST_SUITE_P(Corpus, DevelopmentSetTest, ::testing::ValuesIn(DevelopmentSet()),
                         [](const ::testing::TestParamInfo<std::string>& param_info) {
                           std::string name = param_info.param;
                           for (char& ch : name) {
                             if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace zb
