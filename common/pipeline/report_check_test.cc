#include "common/pipeline/report_check.h"

#include "common/pipeline/report_builder.h"
#include "common/testing/fixtures.h"
#include "gtest/gtest.h"

namespace zb::pipeline {
namespace {

zhibiao::v1::Report Sample() {
  auto report = BuildReport(testing::ReadFileOrEmpty(testing::TestDataPath("xinxiang-2021.txt")),
                            "xinxiang-2021.txt");
  EXPECT_TRUE(report.ok()) << report.status();
  return *std::move(report);
}

void ExpectRefused(const zhibiao::v1::Report& report, absl::string_view part) {
  absl::Status s = CheckReport(report, ReportLimits());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_NE(s.message().find(part), absl::string_view::npos) << s;
}

TEST(ReportCheckTest, WhatIngestBuildsPasses) {
  EXPECT_TRUE(CheckReport(Sample(), ReportLimits()).ok());
}

TEST(ReportCheckTest, ForgedIdsTextsAndSpansAreRefusedByName) {
  zhibiao::v1::Report bare;
  bare.mutable_meta()->set_report_id(std::string(32, '0'));
  ExpectRefused(bare, "not a parsed document");

  zhibiao::v1::Report forged = Sample();
  forged.mutable_meta()->set_report_id(std::string(32, '0'));
  ExpectRefused(forged, "not the hash");

  zhibiao::v1::Report edited = Sample();
  edited.mutable_sections(1)->set_text("改过的文字");
  ExpectRefused(edited, "not the hash");

  zhibiao::v1::Report other_text = Sample();
  other_text.set_normalized_text("别的文字");
  ExpectRefused(other_text, "content_sha256");

  zhibiao::v1::Report span = Sample();
  span.mutable_indicators(0)->set_char_end(1 << 30);
  ExpectRefused(span, "outside the text");

  zhibiao::v1::Report stolen = Sample();
  stolen.mutable_indicators(0)->set_report_id(std::string(32, 'a'));
  ExpectRefused(stolen, "belongs to report");

  zhibiao::v1::Report bad_id = Sample();
  bad_id.mutable_meta()->set_report_id("ZZZ");
  ExpectRefused(bad_id, "32 lowercase hex");
}

TEST(ReportCheckTest, CallerFieldsAreBounded) {
  zhibiao::v1::Report report = Sample();
  report.mutable_meta()->set_source_name("a\nb.txt");
  ExpectRefused(report, "control character");
  report = Sample();
  report.mutable_meta()->set_source_name(std::string(5000, 'x'));
  ExpectRefused(report, "source_name is 5000 bytes");
  report = Sample();
  for (int i = 0; i < 65; ++i) (*report.mutable_meta()->mutable_labels())[std::to_string(i)] = "v";
  ExpectRefused(report, "65 labels");
  report = Sample();
  (*report.mutable_meta()->mutable_labels())["k"] = std::string(2000, 'v');
  ExpectRefused(report, "the value of \"k\"");
}

TEST(ReportCheckTest, SyntheticReportsPassOnlyTheLimitsWhenAllowed) {
  zhibiao::v1::Report synthetic;
  synthetic.mutable_meta()->set_report_id(std::string(32, '1'));
  EXPECT_TRUE(CheckReport(synthetic, ReportLimits(), /*require_content_id=*/false).ok());
  ReportLimits limits;
  limits.max_indicators = 1;
  synthetic.add_indicators();
  synthetic.add_indicators();
  EXPECT_FALSE(CheckReport(synthetic, limits, false).ok());
}

}  // namespace
}  // namespace zb::pipeline
