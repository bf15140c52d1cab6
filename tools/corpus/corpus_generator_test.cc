#include "tools/corpus/corpus_generator.h"

#include <algorithm>
#include <cmath>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/pipeline/report_builder.h"
#include "gtest/gtest.h"

namespace zb::corpus {
namespace {

std::string Describe(const std::string& metric, double value, double low, double high,
                     const std::string& unit, int qualifier, int change, bool target) {
  return absl::StrFormat("%s %.6f [%.6f,%.6f] %s q=%d c=%d t=%d", metric, value, low, high, unit,
                         qualifier, change, target);
}

// Every generated report parses to the region, year and date it was written
// for, and its indicators are exactly its true figures: the oracle tests can
// trust the truth.
TEST(CorpusGeneratorTest, PipelineExtractsExactlyTheTrueFigures) {
  CorpusOptions options;
  options.regions = 60;
  options.years = 3;
  options.revision_share = 0.2;
  options.seed = 7;
  const auto reports = GenerateCorpus(options);
  ASSERT_GE(reports.size(), 180u);
  int revisions = 0, html = 0, gb = 0, inexact = 0, targets = 0, changes = 0;
  for (const GeneratedReport& r : reports) {
    SCOPED_TRACE(r.file_name);
    auto built = pipeline::BuildReport(r.bytes, r.file_name);
    ASSERT_TRUE(built.ok()) << built.status();
    EXPECT_EQ(built->meta().region().code(), r.region_code);
    EXPECT_EQ(built->meta().region().province_code(), r.province_code);
    EXPECT_EQ(built->meta().report_year(), r.year);
    EXPECT_EQ(built->meta().published_date(), r.published_date);
    std::vector<std::string> want, got;
    for (const TrueFigure& f : r.figures) {
      want.push_back(Describe(f.metric_key, f.value, f.low, f.high, f.unit, f.qualifier, f.change,
                              f.is_target));
      inexact += f.qualifier != zhibiao::v1::QUALIFIER_EXACT;
      targets += f.is_target;
      changes += f.change != zhibiao::v1::CHANGE_NONE;
    }
    for (const auto& ind : built->indicators()) {
      const auto& q = ind.quantity();
      got.push_back(Describe(ind.metric_key(), q.value(), q.low(), q.high(), q.unit(),
                             q.qualifier(), ind.change(), ind.is_target()));
    }
    std::sort(want.begin(), want.end());
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, want) << r.bytes;
    revisions += r.is_revision;
    html += r.format == zhibiao::v1::DOCUMENT_FORMAT_HTML;
    gb += r.encoding == "GB18030";
  }
  // The corpus exercises what the query semantics depend on.
  EXPECT_GT(revisions, 10);
  EXPECT_GT(html, 10);
  EXPECT_GT(gb, 10);
  EXPECT_GT(inexact, 50);
  EXPECT_GT(targets, 30);
  EXPECT_GT(changes, 50);
}

TEST(CorpusGeneratorTest, SameSeedSameCorpus) {
  CorpusOptions options;
  options.regions = 5;
  options.years = 2;
  const auto a = GenerateCorpus(options);
  const auto b = GenerateCorpus(options);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].bytes, b[i].bytes);
}

}  // namespace
}  // namespace zb::corpus
