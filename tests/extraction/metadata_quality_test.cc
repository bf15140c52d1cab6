// Metadata on real documents: for every report of shared/corpus and every
// fixture, the kind, region and year reported on must be right, and the
// title and publication date right on at least 95 % of them — once from the
// text alone, once with the source address a collection platform would give
// as a hint. Expected values: tests/data/metadata/expected.tsv (written from
// SOURCES.tsv and by reading the files, never from the extractor).
#include <cstdio>
#include <vector>

#include "absl/strings/str_split.h"
#include "common/doc/metadata.h"
#include "common/pipeline/report_builder.h"
#include "common/testing/fixtures.h"
#include "gtest/gtest.h"

namespace zb {
namespace {

struct Expected {
  std::string path, title, issuer, region_code, kind, published_text, published, source_url;
  int report_year = 0;
};

std::vector<Expected> ReadExpected() {
  std::vector<Expected> out;
  const std::string tsv = testing::ReadFileOrEmpty(testing::TestDataPath("metadata/expected.tsv"));
  for (absl::string_view line : absl::StrSplit(tsv, '\n', absl::SkipEmpty())) {
    if (line[0] == '#' || absl::StartsWith(line, "path\t")) continue;
    std::vector<std::string> f = absl::StrSplit(line, '\t');
    if (f.size() < 9) continue;
    Expected e{f[0], f[1], f[2], f[3], f[4], f[6], f[7], f[8]};
    e.report_year = std::stoi(f[5]);
    out.push_back(std::move(e));
  }
  return out;
}

void CheckAll(bool with_url_hint) {
  const std::vector<Expected> expected = ReadExpected();
  ASSERT_GE(expected.size(), 29u);
  int checked = 0, titles_ok = 0, dates_ok = 0, issuers_ok = 0;
  for (const Expected& e : expected) {
    const std::string document = testing::ReadFileOrEmpty(testing::SharedPath(e.path));
    if (document.empty()) GTEST_SKIP() << "../shared/" << e.path << " is absent";
    zhibiao::v1::ReportHints hints;
    if (with_url_hint) hints.set_source_url(e.source_url);
    auto report = pipeline::BuildReport(document, e.path, hints);
    ASSERT_TRUE(report.ok()) << e.path << ": " << report.status();
    const auto& m = report->meta();
    ++checked;
    EXPECT_EQ(m.region().code(), e.region_code) << e.path << " region " << m.region().name();
    EXPECT_EQ(doc::KindName(m.kind()), e.kind) << e.path;
    EXPECT_EQ(m.report_year(), e.report_year) << e.path;
    const std::string& date = with_url_hint ? e.published : e.published_text;
    titles_ok += m.title() == e.title;
    dates_ok += m.published_date() == date;
    issuers_ok += m.issuer() == e.issuer;
    if (m.title() != e.title)
      std::printf("  title  %s: \"%s\" (expected \"%s\")\n", e.path.c_str(), m.title().c_str(),
                  e.title.c_str());
    if (m.published_date() != date)
      std::printf("  date   %s: %s (expected %s)\n", e.path.c_str(), m.published_date().c_str(),
                  date.c_str());
    if (m.issuer() != e.issuer)
      std::printf("  issuer %s: \"%s\" (expected \"%s\")\n", e.path.c_str(), m.issuer().c_str(),
                  e.issuer.c_str());
  }
  std::printf(
      "metadata%s: %d documents; region, kind and year asserted on each; title %d/%d, "
      "date %d/%d, issuer %d/%d\n",
      with_url_hint ? " (source address as hint)" : "", checked, titles_ok, checked, dates_ok,
      checked, issuers_ok, checked);
  EXPECT_GE(titles_ok, 0.95 * checked);
  EXPECT_GE(dates_ok, 0.95 * checked);
}

TEST(MetadataQualityTest, FromTheTextAlone) { CheckAll(false); }
TEST(MetadataQualityTest, WithTheSourceAddressAsHint) { CheckAll(true); }

}  // namespace
}  // namespace zb
