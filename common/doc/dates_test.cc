#include "common/doc/dates.h"

#include "gtest/gtest.h"

namespace zb::doc {
namespace {

TEST(DatesTest, ParsesEveryWrittenForm) {
  for (const char* line : {"2022年2月25日", "2022-02-25", "2022.2.25", "2022/02/25",
                           "二〇二二年二月二十五日", " 2022年2月25日 "}) {
    auto d = ParseDateLine(line);
    ASSERT_TRUE(d.has_value()) << line;
    EXPECT_EQ(d->Iso(), "2022-02-25") << line;
  }
}

TEST(DatesTest, RejectsNonDates) {
  for (const char* line : {"2022年", "2022年13月1日", "新乡市人民政府", "2022年2月25日印发",
                           "12345", "二〇三五年远景目标"}) {
    EXPECT_FALSE(ParseDateLine(line).has_value()) << line;
  }
}

TEST(DatesTest, PrefixReportsLength) {
  size_t length = 0;
  auto d = ParseDatePrefix("2023年3月15日发布", &length);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(length, std::string("2023年3月15日").size());
}

}  // namespace
}  // namespace zb::doc
