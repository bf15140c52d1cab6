#include "common/pipeline/report_builder.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include "absl/strings/str_split.h"
#include "common/testing/fixtures.h"
#include "gtest/gtest.h"

namespace zb::pipeline {
namespace {

using ::zb::testing::ReadFileOrEmpty;
using ::zb::testing::SharedFixturePath;
using ::zb::testing::TestDataPath;

// The first line of a gold file.
google::protobuf::Struct GoldHeader(const std::string& gold_path) {
  const std::string gold = ReadFileOrEmpty(gold_path);
  google::protobuf::Struct header;
  std::string first = gold.substr(0, gold.find('\n'));
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(first, &header).ok()) << gold_path;
  return header;
}

// Top-level sections as [ordinal, heading, number of children].
void ExpectTreeMatchesGold(const zhibiao::v1::Report& report,
                           const google::protobuf::Struct& gold) {
  const auto& expected = gold.fields().at("sections").list_value();
  std::vector<const zhibiao::v1::Section*> top;
  for (const auto& s : report.sections()) {
    if (s.level() == 1) top.push_back(&s);
  }
  ASSERT_EQ(top.size(), static_cast<size_t>(expected.values_size()));
  for (size_t i = 0; i < top.size(); ++i) {
    const auto& e = expected.values(static_cast<int>(i)).list_value();
    EXPECT_EQ(top[i]->path(), e.values(0).string_value());
    EXPECT_EQ(top[i]->heading(), e.values(1).string_value());
    int children = 0;
    for (const auto& s : report.sections()) children += s.parent_id() == top[i]->section_id();
    EXPECT_EQ(children, static_cast<int>(e.values(2).number_value())) << top[i]->path();
  }
}

TEST(ReportBuilderTest, EveryFormatOfTheSampleIsOneReport) {
  const char* variants[] = {"txt",  "fullwidth.txt", "gb18030.txt", "bom-crlf.txt",
                            "html", "docx",          "pdf"};
  if (ReadFileOrEmpty(SharedFixturePath("xinxiang-2021.pdf")).empty()) {
    GTEST_SKIP() << "../shared/fixtures is absent";
  }
  const auto gold = GoldHeader(SharedFixturePath("xinxiang-2021.gold.jsonl"));
  std::optional<zhibiao::v1::Report> first;
  for (const char* variant : variants) {
    SCOPED_TRACE(variant);
    const std::string name = std::string("xinxiang-2021.") + variant;
    auto report = BuildReport(ReadFileOrEmpty(SharedFixturePath(name)), name);
    ASSERT_TRUE(report.ok()) << report.status();
    const auto& m = report->meta();
    EXPECT_EQ(m.title(), gold.fields().at("title").string_value());
    EXPECT_EQ(m.issuer(), gold.fields().at("issuer").string_value());
    EXPECT_EQ(m.region().name(), "新乡市");
    EXPECT_EQ(m.region().code(), "410700");
    EXPECT_EQ(m.region().province(), "河南省");
    EXPECT_EQ(m.report_year(), 2021);
    EXPECT_EQ(m.published_date(), "2022-02-25");
    EXPECT_EQ(m.extractor_version(), ExtractorVersion());
    EXPECT_TRUE(report->warnings().empty());
    ExpectTreeMatchesGold(*report, gold);
    if (!first) {
      first = *report;
      continue;
    }
    EXPECT_EQ(m.report_id(), first->meta().report_id());
    ASSERT_EQ(report->sections_size(), first->sections_size());
    for (int i = 0; i < report->sections_size(); ++i) {
      // Same text up to line breaks (PDF paragraphs are re-joined).
      std::string a = report->sections(i).text(), b = first->sections(i).text();
      a.erase(std::remove(a.begin(), a.end(), '\n'), a.end());
      b.erase(std::remove(b.begin(), b.end(), '\n'), b.end());
      EXPECT_EQ(a, b) << "section " << report->sections(i).path();
    }
  }
}

TEST(ReportBuilderTest, SyntheticCountyReportHasThreeLevelsAndARegionWarning) {
  auto report = BuildReport(ReadFileOrEmpty(TestDataPath("yunxi-2022.txt")), "yunxi-2022.txt");
  ASSERT_TRUE(report.ok()) << report.status();
  ExpectTreeMatchesGold(*report, GoldHeader(TestDataPath("yunxi-2022.gold.jsonl")));
  int max_level = 0;
  for (const auto& s : report->sections()) max_level = std::max(max_level, s.level());
  EXPECT_EQ(max_level, 3);
  EXPECT_EQ(report->meta().salutation(), "云溪县人民代表大会常务委员会:");
  EXPECT_EQ(report->meta().report_year(), 2022);
  EXPECT_EQ(report->meta().published_date(), "2023-03-15");
  ASSERT_EQ(report->warnings_size(), 1);
  EXPECT_EQ(report->warnings(0).code(), "region_unresolved");
}

TEST(ReportBuilderTest, OffsetsPointAtTheIndicatorText) {
  auto report = BuildReport(ReadFileOrEmpty(TestDataPath("yunxi-2022.txt")), "y");
  ASSERT_TRUE(report.ok());
  const std::string& text = report->normalized_text();
  std::vector<size_t> byte_of_cp;
  for (size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) byte_of_cp.push_back(i);
  }
  byte_of_cp.push_back(text.size());
  for (const auto& ind : report->indicators()) {
    const size_t b = byte_of_cp[ind.char_begin()], e = byte_of_cp[ind.char_end()];
    EXPECT_EQ(text.substr(b, e - b), ind.text());
  }
}

TEST(ReportBuilderTest, LimitsAndBadInput) {
  BuildOptions small;
  small.max_document_bytes = 100;
  auto big = BuildReport(std::string(200, 'a'), "big.txt", small);
  EXPECT_EQ(big.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(big.status().message().find("over the limit of 100 bytes"), absl::string_view::npos);
  EXPECT_EQ(BuildReport("", "empty.txt").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
TEST(ExtractorVersionTest, DigitRunsCompareAsNumbersAndEmptyIsOldest) {
  EXPECT_TRUE(ExtractorVersionBefore("extract-2+taxonomy-9", "extract-3+taxonomy-1"));
  EXPECT_TRUE(ExtractorVersionBefore("extract-3+taxonomy-9", "extract-3+taxonomy-10"));
  EXPECT_FALSE(ExtractorVersionBefore("extract-3+taxonomy-10", "extract-3+taxonomy-9"));
  EXPECT_FALSE(ExtractorVersionBefore("extract-3", "extract-3"));
  EXPECT_TRUE(ExtractorVersionBefore("extract-3", "extract-3+taxonomy-1"));  // a prefix is older
  EXPECT_FALSE(ExtractorVersionBefore("extract-03", "extract-3"));           // leading zeros
  EXPECT_TRUE(ExtractorVersionBefore("", "extract-1"));
  EXPECT_FALSE(ExtractorVersionBefore("extract-1", ""));
  EXPECT_TRUE(ExtractorVersionBefore(ExtractorVersion().substr(0, 7), ExtractorVersion()));
}

}  // namespace zb::pipeline
