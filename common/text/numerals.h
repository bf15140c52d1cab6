// Chinese numerals: 一 二 两 三 … 十 百 千 万 亿, 〇/零, in positional (一百零五,
// 两千三百) and digit-by-digit (二〇二二) forms.
#ifndef ZHIBIAO_COMMON_TEXT_NUMERALS_H_
#define ZHIBIAO_COMMON_TEXT_NUMERALS_H_

#include <cstdint>
#include <optional>

#include "absl/strings/string_view.h"

namespace zb::text {

// The digit value (0..9) of a Chinese digit character (零〇一二两三四五六七八九),
// or -1. `c` is a Unicode code point.
int ChineseDigitValue(char32_t c);

// 10, 100, 1000, 10^4, 10^8 for 十 百 千 万 亿 (and 拾 佰 仟 萬), else 0.
int64_t ChineseUnitValue(char32_t c);

// True for any character ParseChineseNumber accepts.
inline bool IsChineseNumeralChar(char32_t c) {
  return ChineseDigitValue(c) >= 0 || ChineseUnitValue(c) > 0;
}

// Parses a whole string of Chinese numeral characters (UTF-8), e.g. "一百零五"
// → 105, "两千三百" → 2300, "十二" → 12, "二〇二二" → 2022, "三万五" → 35000.
// nullopt if `s` is empty or not a well-formed numeral.
std::optional<int64_t> ParseChineseNumber(absl::string_view s);

// Decodes the code point at s[*i] and advances *i; U+FFFD for a bad byte.
// Inline: it is the inner loop of every scan over text.
inline char32_t NextCodePoint(absl::string_view s, size_t* i) {
  const auto c = static_cast<unsigned char>(s[*i]);
  if (c < 0x80) {
    ++*i;
    return c;
  }
  const int len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
  if (len == 1 || *i + len > s.size()) {
    ++*i;
    return 0xFFFD;
  }
  char32_t cp = c & (0x7F >> len);
  for (int k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[*i + k]) & 0x3F);
  *i += len;
  return cp;
}

}  // namespace zb::text

#endif  // ZHIBIAO_COMMON_TEXT_NUMERALS_H_
