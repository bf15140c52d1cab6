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

namespace {

// Digit by digit, without units: 二〇二二. No leading 〇 in a run of several.
std::optional<int64_t> ParseDigitByDigit(const std::vector<char32_t>& cps) {
  if (cps.size() > 15 || (cps.size() > 1 && ChineseDigitValue(cps[0]) == 0)) return std::nullopt;
  int64_t v = 0;
  for (char32_t c : cps) v = v * 10 + ChineseDigitValue(c);
  return v;
}

// A numeral with units, read one code point at a time: sections split by 亿
// and 万; inside a section 千 百 十. Each step returns false for a form that
// is no numeral (一二百, 十百, 一亿二亿).
class PositionalNumeral {
 public:
  explicit PositionalNumeral(const std::vector<char32_t>& cps) : cps_(cps) {}

  std::optional<int64_t> Parse() {
    for (size_t k = 0; k < cps_.size(); ++k) {
      const int d = ChineseDigitValue(cps_[k]);
      const bool ok = d >= 0 ? Digit(k, d) : Unit(k, ChineseUnitValue(cps_[k]));
      if (!ok) return std::nullopt;
    }
    if (digit_ > 0) {
      // A trailing digit right after a unit means one step below it: 三万五 =
      // 35000, 两千三 = 2300; after 零 or with no unit before it is units: 一百零五 = 105.
      const bool abbreviated = digit_follows_unit_ && last_unit_ >= 10;
      section_ += abbreviated ? digit_ * (last_unit_ / 10) : digit_;
    }
    return total_ + wan_part_ + section_;
  }

 private:
  bool Digit(size_t k, int d) {
    digit_follows_unit_ = k > 0 && ChineseUnitValue(cps_[k - 1]) > 0;
    if (digit_ > 0 && !last_was_zero_) return false;  // two digits in a row: 一二百
    if (d == 0) {
      last_was_zero_ = true;
      digit_ = -1;
      last_unit_ = 0;
      return true;
    }
    digit_ = d;
    last_was_zero_ = false;
    return true;
  }

  bool Unit(size_t k, int64_t unit) {
    last_was_zero_ = false;
    if (unit < 10000) {
      if (digit_ < 0) {
        // Only a leading unit implies one: 十二, 千余人次; 百十 does not parse.
        if (k != 0) return false;
        digit_ = 1;
      }
      if (last_unit_ != 0 && unit >= last_unit_) return false;  // 十百
      section_ += digit_ * unit;
      last_unit_ = unit;
      digit_ = -1;
      return true;
    }
    if (digit_ > 0) section_ += digit_;
    if (unit == 10000) {
      if (section_ == 0) {
        if (k != 0) return false;
        section_ = 1;  // a leading 万 (万余件)
      }
      wan_part_ += section_ * 10000;
    } else {  // 亿
      const int64_t below = wan_part_ + section_;
      // 亿 comes once (一万亿 is 10^12; 一亿二亿 is not a numeral), which also
      // keeps every value far below int64 overflow.
      if (total_ != 0 || below == 0) return false;
      total_ = below * 100000000;
      wan_part_ = 0;
    }
    section_ = 0;
    digit_ = -1;
    last_unit_ = unit;
    return true;
  }

  const std::vector<char32_t>& cps_;
  int64_t total_ = 0;      // completed 亿 sections
  int64_t wan_part_ = 0;   // completed 万 section below the current 亿
  int64_t section_ = 0;    // current section below 万
  int64_t digit_ = -1;     // pending digit
  int64_t last_unit_ = 0;  // last small unit seen in the section (for 三万五 = 35000)
  bool last_was_zero_ = false;
  bool digit_follows_unit_ = false;  // the pending digit came right after a unit
};

}  // namespace

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
  if (!has_unit) return ParseDigitByDigit(cps);
  return PositionalNumeral(cps).Parse();
}

}  // namespace zb::text
