#include "common/text/normalize.h"

#include "gtest/gtest.h"

namespace zb::text {
namespace {

TEST(NormalizeTest, FullWidthBecomesAsciiAndOffsetsMapBack) {
  // "（一）１,２３４项" : 9 code points in, "(一)1,234项" : 9 code points out.
  NormalizedText n = NormalizeNfkc("（一）１，２３４项");
  EXPECT_EQ(n.text, "(一)1,234项");
  ASSERT_EQ(n.source_offsets.size(), 10u);
  for (int i = 0; i < 9; ++i) EXPECT_EQ(n.source_offsets[i], i);
  EXPECT_EQ(n.source_offsets[9], 9);
}

TEST(NormalizeTest, CrLfAndCrBecomeLf) {
  NormalizedText n = NormalizeNfkc("a\r\nb\rc");
  EXPECT_EQ(n.text, "a\nb\nc");
  EXPECT_EQ(n.source_offsets[2], 3);  // 'b' was at code point 3
  EXPECT_EQ(n.source_offsets[4], 5);  // 'c'
}

TEST(NormalizeTest, ExpansionsMapToTheirSource) {
  NormalizedText n = NormalizeNfkc("x…y");  // … becomes ...
  EXPECT_EQ(n.text, "x...y");
  EXPECT_EQ(n.source_offsets[1], 1);
  EXPECT_EQ(n.source_offsets[3], 1);
  EXPECT_EQ(n.source_offsets[4], 2);
}

TEST(NormalizeTest, CircledNumbersAndCjkPunctuationStay) {
  EXPECT_EQ(NormalizeNfkc("①加强领导。“1211”").text, "①加强领导。“1211”");
}

TEST(RemoveSpacesAroundCjkTest, JoinsNextToCjkKeepsLatinWords) {
  EXPECT_EQ(RemoveSpacesAroundCjk("关于 2021 年法治 政府 完成 PM2.5"),
            "关于2021年法治政府完成PM2.5");
  EXPECT_EQ(RemoveSpacesAroundCjk("PM 2.5 and  more"), "PM 2.5 and more");
}

TEST(CodePointCountTest, CountsCodePoints) { EXPECT_EQ(CodePointCount("a法治1"), 4); }

}  // namespace
}  // namespace zb::text
