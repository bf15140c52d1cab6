// Golden output of the extractor: what it extracts from the fixtures and the
// development-set reports, one line per indicator, kept in
// tests/data/golden/<name>.tsv under a header naming the extractor and
// taxonomy versions. When the output changes while the versions do not, the
// test fails: a change of the rules is a new version (stored reports record
// it, and re-extraction brings them up to date). To accept a new output after
// bumping the version, run the test with ZB_UPDATE_GOLDEN=1 and review the
// diff of tests/data/golden.
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "common/extract/indicators.h"
#include "common/pipeline/report_builder.h"
#include "common/taxonomy/taxonomy.h"
#include "common/testing/fixtures.h"
#include "gtest/gtest.h"
#include "tools/score/scorer.h"

namespace zb {
namespace {

struct Source {
  std::string name;  // tests/data/golden/<name>.tsv
  std::string path;  // the document
};

std::vector<Source> Sources() {
  std::vector<Source> out = {{"xinxiang-2021", testing::SharedFixturePath("xinxiang-2021.txt")},
                             {"yunxi-2022", testing::TestDataPath("yunxi-2022.txt")}};
  for (const char* name : {"beijing-2026", "guizhou-2026", "hainan-2026", "henan-2026",
                           "jiangsu-2026", "ningxia-2026", "qinghai-2026", "shaanxi-2026"}) {
    auto gold = score::ParseGold(testing::ReadFileOrEmpty(
        testing::TestDataPath(absl::StrCat("corpus/", name, ".gold.jsonl"))));
    if (gold.ok()) out.push_back({name, testing::SharedPath(gold->source)});
  }
  return out;
}

std::string Header() {
  return absl::StrCat("# extractor ", extract::kExtractorVersion, " taxonomy ",
                      taxonomy::Taxonomy::Default().version(),
                      "\n# "
                      "text\tvalue\tlow\thigh\tunit\tqualifier\tchange\ttarget\tperiod\tsection\tsu"
                      "bject\tmetric\n");
}

std::string Render(const zhibiao::v1::Report& report) {
  std::string out = Header();
  std::map<std::string, std::string> path_of;
  for (const auto& s : report.sections()) path_of[s.section_id()] = s.path();
  for (const auto& ind : report.indicators()) {
    const auto& q = ind.quantity();
    absl::StrAppend(&out, ind.text(), "\t",
                    absl::StrFormat("%.17g\t%.17g\t%.17g", q.value(), q.low(), q.high()), "\t",
                    q.unit(), "\t", zhibiao::v1::Qualifier_Name(q.qualifier()), "\t",
                    zhibiao::v1::Change_Name(ind.change()), "\t", ind.is_target() ? "target" : "",
                    "\t", ind.period_start(), "-", ind.period_end(), "\t",
                    path_of[ind.section_id()], "\t", ind.subject(), "\t", ind.metric_key(), "\n");
  }
  return out;
}

TEST(GoldenOutputTest, OutputChangesOnlyWithTheVersion) {
  const bool update = std::getenv("ZB_UPDATE_GOLDEN") != nullptr;
  int compared = 0;
  for (const Source& source : Sources()) {
    SCOPED_TRACE(source.name);
    const std::string document = testing::ReadFileOrEmpty(source.path);
    if (document.empty()) continue;  // ../shared absent
    auto report = pipeline::BuildReport(document, source.path);
    ASSERT_TRUE(report.ok()) << report.status();
    const std::string got = Render(*report);
    const std::string golden_path =
        testing::TestDataPath(absl::StrCat("golden/", source.name, ".tsv"));
    if (update) {
      std::ofstream(golden_path, std::ios::binary) << got;
      continue;
    }
    const std::string want = testing::ReadFileOrEmpty(golden_path);
    ASSERT_FALSE(want.empty()) << golden_path << " is missing; run with ZB_UPDATE_GOLDEN=1";
    ++compared;
    if (want == got) continue;
    const std::string want_header = want.substr(0, want.find('\n'));
    const std::string got_header = got.substr(0, got.find('\n'));
    if (want_header != got_header) {
      ADD_FAILURE() << golden_path << " was recorded for \"" << want_header
                    << "\", this build is \"" << got_header
                    << "\": review the new output and record it with ZB_UPDATE_GOLDEN=1";
      continue;
    }
    std::vector<std::string> a = absl::StrSplit(want, '\n'), b = absl::StrSplit(got, '\n');
    size_t i = 0;
    while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
    ADD_FAILURE()
        << "the extractor's output changed while its version (" << extract::kExtractorVersion
        << ") and the taxonomy's did not; bump kExtractorVersion (common/extract/indicators.h) or "
           "the "
           "taxonomy version, then record with ZB_UPDATE_GOLDEN=1. First difference at line "
        << i + 1 << ":\n  recorded: " << (i < a.size() ? a[i] : "(end)")
        << "\n  now:      " << (i < b.size() ? b[i] : "(end)");
  }
  if (!update) {
    EXPECT_GE(compared, 2);
  }
}

}  // namespace
}  // namespace zb
