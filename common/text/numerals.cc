#include "common/text/numerals.h"

#include <vector>

namespace zb::text {

int ChineseDigitValue(char32_t c) {
  switch (c) {
    case U'零':
    case U'〇': return 0;
    case U'一':
    case U'壹': return 1;
    case U'二':
    case U'两':
    case U'贰': return 2;
    case U'三':
    case U'叁': return 3;
    case U'四':
    case U'肆': return 4;
    case U'五':
    case U'伍': return 5;
    case U'六':
    case U'陆': return 6;
    case U'七':
    case U'柒': return 7;
    case U'八':
    case U'捌': return 8;
    case U'九':
    case U'玖': return 9;
    default: return -1;
  }
}

int64_t ChineseUnitValue(char32_t c) {
  switch (c) {
    case U'十':
    case U'拾': return 10;
    case U'百':
    case U'佰': return 100;
    case U'千':
    case U'仟': return 1000;
    case U'万':
    case U'萬': return 10000;
    case U'亿': return 100000000;
    default: return 0;
  }
}

std::optional<int64_t> ParseChineseNumber(absl::string_view s) {
  std::vector<char32_t> cps;
  for (size_t i = 0; i < s.size();) cps.push_back(NextCodePoint(s, &i));
  if (cps.empty()) return std::nullopt;
  bool has_unit = false;
  for (char32_t c : cps) {
    if (ChineseUnitValue(c) > 0) {
      has_unit = true;
    } else if (ChineseDigitValue(c) < 0) {
      return std::nullopt;
    }
  }
  if (!has_unit) {  // digit by digit: 二〇二二
    if (cps.size() > 15 || (cps.size() > 1 && ChineseDigitValue(cps[0]) == 0)) return std::nullopt;
    int64_t v = 0;
    for (char32_t c : cps) v = v * 10 + ChineseDigitValue(c);
    // A lone multi-digit run of 两 is not a numeral form anyone writes.
    return v;
  }
  // Positional: sections split by 亿 and 万; inside a section 千 百 十.
  int64_t total = 0;      // completed 亿 sections
  int64_t wan_part = 0;   // completed 万 section below the current 亿
  int64_t section = 0;    // current section below 万
  int64_t digit = -1;     // pending digit
  int64_t last_unit = 0;  // last small unit seen in the section (for 三万五 = 35000)
  bool last_was_zero = false;
  bool digit_follows_unit = false;  // the pending digit came right after a unit
  for (size_t k = 0; k < cps.size(); ++k) {
    const char32_t c = cps[k];
    const int d = ChineseDigitValue(c);
    if (d >= 0) {
      digit_follows_unit = k > 0 && ChineseUnitValue(cps[k - 1]) > 0;
      if (digit > 0 && !last_was_zero) return std::nullopt;  // two digits in a row: 一二百
      if (d == 0) {
        last_was_zero = true;
        digit = -1;
        last_unit = 0;
        continue;
      }
      digit = d;
      last_was_zero = false;
      continue;
    }
    const int64_t unit = ChineseUnitValue(c);
    last_was_zero = false;
    if (unit < 10000) {
      if (digit < 0) {
        // Only a leading unit implies one: 十二, 千余人次; 百十 does not parse.
        if (k != 0) return std::nullopt;
        digit = 1;
      }
      if (last_unit != 0 && unit >= last_unit) return std::nullopt;  // 十百
      section += digit * unit;
      last_unit = unit;
      digit = -1;
    } else if (unit == 10000) {
      if (digit > 0) section += digit;
      if (section == 0) {
        if (k != 0) return std::nullopt;
        section = 1;  // a leading 万 (万余件)
      }
      wan_part += section * 10000;
      section = 0;
      digit = -1;
      last_unit = 10000;
    } else {  // 亿
      if (digit > 0) section += digit;
      const int64_t below = wan_part + section;
      // 亿 comes once (一万亿 is 10^12; 一亿二亿 is not a numeral), which also
      // keeps every value far below int64 overflow.
      if (total != 0 || (below == 0 && total == 0)) return std::nullopt;
      total = (total + below) * 100000000;
      wan_part = 0;
      section = 0;
      digit = -1;
      last_unit = 100000000;
    }
  }
  if (digit > 0) {
    // A trailing digit right after a unit means one step below it: 三万五 = 35000,
    // 两千三 = 2300; after 零 or with no unit before it is units: 一百零五 = 105.
    const bool abbreviated = digit_follows_unit && last_unit >= 10;
    section += abbreviated ? digit * (last_unit / 10) : digit;
  }
  return total + wan_part + section;
}

}  // namespace zb::text
