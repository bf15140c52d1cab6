#include "common/base/logging.h"

#include "gtest/gtest.h"

namespace zb {
namespace {

TEST(JsonStringTest, EscapesQuotesControlCharactersAndKeepsUtf8) {
  std::string out;
  AppendJsonString("a\"b\\c\n\x01 新乡", &out);
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\n\\u0001 新乡\"");
}

TEST(LogFieldTest, ConvertsNumbersAndStrings) {
  LogField n("n", 42);
  LogField d("d", 1.5);
  LogField s("s", "text");
  EXPECT_EQ(n.value, "42");
  EXPECT_EQ(d.value, "1.5");
  EXPECT_EQ(s.value, "text");
}

TEST(LogTest, WritesOneJsonLinePerEvent) {
  testing::internal::CaptureStderr();
  SetLogService("test");
  LogInfo("unit_test_event", {{"k", "v"}, {"n", 3}});
  SetMinLogLevel(LogLevel::kWarning);
  LogInfo("dropped_event");
  SetMinLogLevel(LogLevel::kInfo);
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(
      err.find("\"service\":\"test\",\"event\":\"unit_test_event\",\"k\":\"v\",\"n\":\"3\"}\n"),
      std::string::npos)
      << err;
  EXPECT_EQ(err.find("dropped_event"), std::string::npos);
}

}  // namespace
}  // namespace zb
