#include "common/taxonomy/taxonomy.h"

#include <cstdio>
#include <map>
#include <set>

#include "absl/strings/str_split.h"
#include "common/pipeline/report_builder.h"
#include "common/testing/fixtures.h"
#include "common/text/normalize.h"
#include "gtest/gtest.h"

namespace zb::taxonomy {
namespace {

TEST(TaxonomyTest, ShippedFileParses) {
  const Taxonomy& t = Taxonomy::Default();
  EXPECT_GE(t.version(), 1);
  EXPECT_GE(t.entries().size(), 151u);
  for (const Entry& e : t.entries()) {
    EXPECT_FALSE(e.patterns.empty()) << e.key;
    EXPECT_TRUE(e.unit_kind == "count" || e.unit_kind == "percent" ||
                e.unit_kind == "currency_cny" || e.unit_kind == "duration" ||
                e.unit_kind == "average" || e.unit_kind == "score" || e.unit_kind == "measure")
        << e.key;
    // Only counts and money add up across regions.
    if (e.additive) {
      EXPECT_TRUE(e.unit_kind == "count" || e.unit_kind == "currency_cny" ||
                  e.unit_kind == "measure")
          << e.key;
    }
  }
  EXPECT_FALSE(Taxonomy::Parse("{").ok());
}

TEST(TaxonomyTest, NearestCueAndUnitDecide) {
  const Taxonomy& t = Taxonomy::Default();
  FigureContext f;
  f.before = "全年收到行政复议申请";
  f.sentence = "全年收到行政复议申请56件";
  f.unit = "件";
  f.unit_written = "件";
  f.kind = zhibiao::v1::UNIT_KIND_COUNT;
  const std::string key = t.Map(f);
  ASSERT_FALSE(key.empty());
  EXPECT_EQ(key.rfind("admin_reconsideration.", 0), 0u) << key;
  // A percentage is never mapped onto a count key unless it is a change of it.
  f.unit = "%";
  f.unit_written = "%";
  f.kind = zhibiao::v1::UNIT_KIND_PERCENT;
  const std::string rate = t.Map(f);
  if (!rate.empty()) {
    EXPECT_EQ(t.Find(rate)->unit_kind, "percent") << rate;
  }
}

// The mapping of the gold figures against the expected keys in
// tests/data/<report>.keys.tsv (annotated by reading the report and the
// taxonomy): at least 80% of the mappable figures get the expected key.
class SampleMappingTest : public ::testing::TestWithParam<const char*> {};

TEST_P(SampleMappingTest, FiguresGetTheirKeys) {
  const std::string name = GetParam();
  const std::string tsv = testing::ReadFileOrEmpty(testing::TestDataPath(name + ".keys.tsv"));
  ASSERT_FALSE(tsv.empty());
  auto report =
      pipeline::BuildReport(testing::ReadFileOrEmpty(testing::TestDataPath(name + ".txt")), name);
  ASSERT_TRUE(report.ok()) << report.status();
  std::map<std::string, std::string> path_of;
  for (const auto& s : report->sections()) path_of[s.section_id()] = s.path();
  std::set<int> used;
  int expected = 0, right = 0;
  std::string listing;
  for (absl::string_view line : absl::StrSplit(tsv, '\n', absl::SkipEmpty())) {
    if (line[0] == '#') continue;
    std::vector<std::string> f = absl::StrSplit(line, '\t');
    if (f.size() < 3 || f[2].empty()) continue;
    ++expected;
    const std::string text = text::NormalizeNfkc(f[0]).text;
    std::string got = "(figure not extracted)";
    for (int i = 0; i < report->indicators_size(); ++i) {
      const auto& ind = report->indicators(i);
      if (used.count(i) || path_of[ind.section_id()] != f[1]) continue;
      if (ind.text().find(text) == std::string::npos && text.find(ind.text()) == std::string::npos)
        continue;
      used.insert(i);
      got = ind.metric_key();
      break;
    }
    const bool ok = got == f[2];
    right += ok;
    listing += (ok ? "  ok   " : "  MISS ") + f[0] + " [" + f[1] + "] expected " + f[2] + " got " +
               got + "\n";
  }
  ASSERT_GT(expected, 40);
  const double share = static_cast<double>(right) / expected;
  std::printf("taxonomy mapping of %s: %d/%d = %.3f\n%s", name.c_str(), right, expected, share,
              listing.c_str());
  EXPECT_GE(share, 0.80) << listing;
}

INSTANTIATE_TEST_SUITE_P(Reports, SampleMappingTest,
                         ::testing::Values("xinxiang-2021", "yunxi-2022"));

}  // namespace
}  // namespace zb::taxonomy
