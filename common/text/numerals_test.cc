#include "common/text/numerals.h"

#include <random>
#include <string>

#include "gtest/gtest.h"

namespace zb::text {
namespace {

TEST(ParseChineseNumberTest, CommonForms) {
  const std::pair<const char*, int64_t> cases[] = {
      {"十二", 12},       {"一百零五", 105}, {"两千三百", 2300},
      {"二十三", 23},     {"十", 10},        {"二〇二二", 2022},
      {"三万五", 35000},  {"两千三", 2300},  {"一亿五千万", 150000000},
      {"千", 1000},       {"十万", 100000},  {"三百零六万", 3060000},
      {"一千零一", 1001}, {"六十五", 65},    {"八", 8}};
  for (const auto& [text, value] : cases) {
    auto v = ParseChineseNumber(text);
    ASSERT_TRUE(v.has_value()) << text;
    EXPECT_EQ(*v, value) << text;
  }
}

TEST(ParseChineseNumberTest, RejectsMalformed) {
  for (const char* text : {"", "一二百", "十百", "法治", "百十", "万亿万亿七亿", "一亿二亿",
                           "二二二二二二二二二二二二二二二二二二"}) {
    EXPECT_FALSE(ParseChineseNumber(text).has_value()) << text;
  }
}

// An independent writer of Chinese numerals (the way people write them:
// 零 for skipped places inside a section and between sections, 十 without
// a leading 一 at the start).
std::string Write(int64_t n) {
  static const char* kDigits[] = {"零", "一", "二", "三", "四", "五", "六", "七", "八", "九"};
  if (n == 0) return "零";
  auto section = [&](int64_t v, bool leading) {
    static const char* kSmall[] = {"千", "百", "十", ""};
    const int64_t div[] = {1000, 100, 10, 1};
    std::string out;
    bool zero = false;
    bool started = false;
    for (int i = 0; i < 4; ++i) {
      int d = static_cast<int>(v / div[i] % 10);
      if (d == 0) {
        if (started) zero = true;
        continue;
      }
      if (zero) out += "零";
      zero = false;
      if (!(leading && !started && i == 2 && d == 1)) out += kDigits[d];
      out += kSmall[i];
      started = true;
    }
    return out;
  };
  std::string out;
  const int64_t yi = n / 100000000, wan = n / 10000 % 10000, rest = n % 10000;
  if (yi > 0) out += (yi >= 10000 ? Write(yi) : section(yi, true)) + "亿";
  if (wan > 0) {
    if (yi > 0 && wan < 1000) out += "零";
    out += section(wan, yi == 0) + "万";
  }
  if (rest > 0) {
    if ((yi > 0 || wan > 0) && rest < 1000) out += "零";
    out += section(rest, yi == 0 && wan == 0);
  }
  return out;
}

TEST(ParseChineseNumberTest, PropertyEveryIntegerRoundTrips) {
  std::mt19937_64 rng(20261125);
  std::vector<int64_t> values = {0,     1,      10,      11,        20,        100,
                                 101,   110,    1000,    1001,      1010,      10000,
                                 10001, 100000, 1000000, 100000000, 100010000, 1000000000000};
  for (int i = 0; i < 20000; ++i) {
    const int digits = 1 + static_cast<int>(rng() % 13);
    int64_t limit = 1;
    for (int k = 0; k < digits; ++k) limit *= 10;
    values.push_back(static_cast<int64_t>(rng() % static_cast<uint64_t>(limit)));
  }
  for (int64_t v : values) {
    const std::string written = Write(v);
    auto parsed = ParseChineseNumber(written);
    ASSERT_TRUE(parsed.has_value()) << v << " " << written;
    ASSERT_EQ(*parsed, v) << written;
  }
}

}  // namespace
}  // namespace zb::text
