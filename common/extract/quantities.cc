#include "common/extract/quantities.h"

#include <cmath>
#include <optional>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/text/normalize.h"
#include "common/text/numerals.h"

namespace zb::extract {

using zhibiao::v1::Quantity;
using zhibiao::v1::UnitKind;

CodePointText::CodePointText(absl::string_view utf8) : utf8_(utf8) {
  cps_.reserve(utf8.size() / 2);
  byte_offsets_.reserve(utf8.size() / 2 + 1);
  for (size_t i = 0; i < utf8.size();) {
    byte_offsets_.push_back(static_cast<uint32_t>(i));
    cps_.push_back(text::NextCodePoint(utf8, &i));
  }
  byte_offsets_.push_back(static_cast<uint32_t>(utf8.size()));
}

absl::string_view CodePointText::Slice(int64_t begin, int64_t end) const {
  if (begin < 0) begin = 0;
  if (end > size()) end = size();
  if (end <= begin) return {};
  return utf8_.substr(byte_offsets_[begin], byte_offsets_[end] - byte_offsets_[begin]);
}

bool CodePointText::Matches(int64_t i, absl::string_view word) const {
  if (i < 0 || i >= size()) return false;
  return absl::StartsWith(utf8_.substr(byte_offsets_[i]), word);
}

bool CodePointText::MatchesBefore(int64_t i, absl::string_view word) const {
  if (i <= 0 || i > size()) return false;
  return absl::EndsWith(utf8_.substr(0, byte_offsets_[i]), word);
}

namespace {

bool IsDigit(char32_t c) { return c >= '0' && c <= '9'; }
bool IsLatin(char32_t c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

// Units and measure words, longest first, with the base unit and factor.
struct UnitSpec {
  absl::string_view written;
  absl::string_view base;
  double factor;
};
constexpr UnitSpec kUnits[] = {
    {"个百分点", "个百分点", 1}, {"百分点", "个百分点", 1},
    {"万亿元", "元", 1e12}, {"千万元", "元", 1e7}, {"百万元", "元", 1e6},
    {"亿元", "元", 1e8}, {"万元", "元", 1e4}, {"千元", "元", 1e3}, {"元", "元", 1},
    {"个工作日", "工作日", 1}, {"工作日", "工作日", 1}, {"个小时", "小时", 1},
    {"小时", "小时", 1}, {"分钟", "分钟", 1}, {"学时", "学时", 1}, {"课时", "课时", 1},
    {"个月", "个月", 1}, {"天", "天", 1}, {"日", "日", 1}, {"周", "周", 1},
    {"人次", "人次", 1}, {"户次", "户次", 1}, {"家次", "家次", 1}, {"批次", "批次", 1},
    {"件次", "件次", 1}, {"场次", "场次", 1}, {"车次", "车次", 1}, {"架次", "架次", 1},
    {"人(次)", "人次", 1}, {"次", "次", 1},
    {"平方公里", "平方公里", 1}, {"平方米", "平方米", 1}, {"立方米", "立方米", 1},
    {"公里", "公里", 1}, {"千米", "公里", 1}, {"公顷", "公顷", 1}, {"亩", "亩", 1},
    {"吨", "吨", 1}, {"千瓦", "千瓦", 1}, {"米", "米", 1},
    {"件", "件", 1}, {"起", "起", 1}, {"名", "名", 1}, {"人", "人", 1}, {"个", "个", 1},
    {"项", "项", 1}, {"家", "家", 1}, {"所", "所", 1}, {"场", "场", 1}, {"条", "条", 1},
    {"部", "部", 1}, {"卷", "卷", 1}, {"份", "份", 1}, {"户", "户", 1}, {"期", "期", 1},
    {"批", "批", 1}, {"篇", "篇", 1}, {"本", "本", 1}, {"册", "册", 1}, {"套", "套", 1},
    {"台", "台", 1}, {"辆", "辆", 1}, {"处", "处", 1}, {"座", "座", 1}, {"间", "间", 1},
    {"类", "类", 1}, {"种", "种", 1}, {"支", "支", 1}, {"位", "位", 1}, {"宗", "宗", 1},
    {"笔", "笔", 1}, {"轮", "轮", 1}, {"班", "班", 1}, {"堂", "堂", 1}, {"节", "节", 1},
    {"例", "例", 1}, {"床", "床", 1}, {"栋", "栋", 1}, {"幢", "幢", 1}, {"张", "张", 1},
    {"封", "封", 1}, {"块", "块", 1}, {"岁", "岁", 1}, {"倍", "倍", 1}, {"分", "分", 1},
    {"%", "%", 1}, {"‰", "‰", 1},
};

// Nouns counted without a measure word (9县区, 12乡镇): the noun is the unit.
constexpr absl::string_view kCountedNouns[] = {
    "县(市、区)", "县(市)", "县市区", "县区", "乡镇(街道)", "乡镇", "街道", "社区", "村(社区)",
    "行政村", "部门", "单位"};

// Scale words after an Arabic number.
struct ScaleSpec {
  absl::string_view written;
  double factor;
};
constexpr ScaleSpec kScales[] = {
    {"万亿", 1e12}, {"千万", 1e7}, {"百万", 1e6}, {"亿", 1e8}, {"万", 1e4}, {"千", 1e3}};

enum class Qual { kExact, kApprox, kAtLeast, kAtMost };

struct QualSpec {
  absl::string_view written;
  Qual qual;
};
// Before the number, longest first.
constexpr QualSpec kPreQualifiers[] = {
    {"不少于", Qual::kAtLeast}, {"不低于", Qual::kAtLeast}, {"不超过", Qual::kAtMost},
    {"不高于", Qual::kAtMost}, {"超过", Qual::kAtLeast}, {"多于", Qual::kAtLeast},
    {"高于", Qual::kAtLeast}, {"大于", Qual::kAtLeast}, {"至少", Qual::kAtLeast},
    {"不到", Qual::kAtMost}, {"不足", Qual::kAtMost}, {"少于", Qual::kAtMost},
    {"低于", Qual::kAtMost}, {"最多", Qual::kAtMost}, {"大约", Qual::kApprox},
    {"将近", Qual::kApprox}, {"接近", Qual::kApprox}, {"约", Qual::kApprox},
    {"近", Qual::kApprox}, {"逾", Qual::kAtLeast}, {"超", Qual::kAtLeast}};
// Right after the number or its scale word, before the unit.
constexpr QualSpec kInnerQualifiers[] = {{"余", Qual::kAtLeast}, {"多", Qual::kAtLeast}};
// After the unit.
constexpr QualSpec kPostQualifiers[] = {
    {"以上", Qual::kAtLeast}, {"以下", Qual::kAtMost}, {"以内", Qual::kAtMost},
    {"之内", Qual::kAtMost}, {"左右", Qual::kApprox}, {"上下", Qual::kApprox},
    {"余", Qual::kAtLeast}, {"多", Qual::kAtLeast}, {"内", Qual::kAtMost}};

// Spans the recognizer must not look into: book titles 《》, document numbers
// 〔〕 [] 【】, and short quoted names “1211” “十四五” “两个确保”.
std::vector<bool> ProtectedSpans(const CodePointText& t) {
  struct Pair {
    char32_t open, close;
    int64_t max_len;
  };
  static constexpr Pair kPairs[] = {{U'《', U'》', 80}, {U'〔', U'〕', 20}, {'[', ']', 20},
                                    {U'【', U'】', 20}, {U'“', U'”', 12}, {U'「', U'」', 12},
                                    {'"', '"', 12}};
  std::vector<bool> out(t.size(), false);
  for (int64_t i = 0; i < t.size(); ++i) {
    const char32_t c = t.at(i);
    const Pair* pair = nullptr;
    for (const Pair& p : kPairs) {
      if (p.open == c) pair = &p;
    }
    if (pair == nullptr) continue;
    int64_t j = i + 1;
    while (j < t.size() && j - i <= pair->max_len && t.at(j) != pair->close && t.at(j) != '\n') ++j;
    if (j < t.size() && t.at(j) == pair->close && j - i <= pair->max_len) {
      for (int64_t k = i; k <= j; ++k) out[k] = true;
      i = j;
    }
  }
  return out;
}

// Reads an Arabic number at i: digits, optional ",ddd" groups, optional decimals.
// Returns its end, or i when there is none.
int64_t ReadArabic(const CodePointText& t, int64_t i, std::string* digits) {
  int64_t j = i;
  digits->clear();
  while (IsDigit(t.at(j))) digits->push_back(static_cast<char>(t.at(j++)));
  if (j == i) return i;
  // Thousands groups: exactly three digits after each comma.
  while (t.at(j) == ',' && IsDigit(t.at(j + 1)) && IsDigit(t.at(j + 2)) && IsDigit(t.at(j + 3)) &&
         !IsDigit(t.at(j + 4))) {
    digits->push_back(',');
    for (int k = 1; k <= 3; ++k) digits->push_back(static_cast<char>(t.at(j + k)));
    j += 4;
  }
  if (t.at(j) == '.' && IsDigit(t.at(j + 1))) {
    digits->push_back('.');
    ++j;
    while (IsDigit(t.at(j))) digits->push_back(static_cast<char>(t.at(j++)));
  }
  return j;
}

// Reads a run of Chinese numeral characters at i; returns its end.
int64_t ReadChineseRun(const CodePointText& t, int64_t i) {
  int64_t j = i;
  while (j < t.size() && text::IsChineseNumeralChar(t.at(j))) ++j;
  return j;
}

struct Number {
  int64_t begin = 0;
  int64_t end = 0;
  double value = 0;
  bool chinese = false;
  bool only_scale_char = false;  // 千, 万, 百 alone
  bool integer_digits_only = false;
  size_t digit_count = 0;
};

// A number (Arabic or Chinese) at i, or nullopt.
std::optional<Number> ReadNumber(const CodePointText& t, int64_t i) {
  Number n;
  n.begin = i;
  if (IsDigit(t.at(i))) {
    std::string digits;
    n.end = ReadArabic(t, i, &digits);
    if (!ParseArabic(digits, &n.value)) return std::nullopt;
    n.integer_digits_only = digits.find_first_of(",.") == std::string::npos;
    n.digit_count = digits.size();
    return n;
  }
  if (!text::IsChineseNumeralChar(t.at(i))) return std::nullopt;
  int64_t end = ReadChineseRun(t, i);
  // Trim trailing scale characters that belong to the unit (亿元 is handled
  // by the unit table; here only the numeral itself is read).
  while (end > i) {
    auto v = text::ParseChineseNumber(t.Slice(i, end));
    if (v) {
      n.end = end;
      n.value = static_cast<double>(*v);
      n.chinese = true;
      n.only_scale_char = end - i == 1 && text::ChineseUnitValue(t.at(i)) > 0;
      return n;
    }
    --end;
  }
  return std::nullopt;
}

// kUnits by their first code point, longest first within each list.
struct IndexedUnit {
  const UnitSpec* spec;
  int64_t code_points;
};
const absl::flat_hash_map<char32_t, std::vector<IndexedUnit>>& UnitsByFirstChar() {
  static const auto* index = [] {
    auto* m = new absl::flat_hash_map<char32_t, std::vector<IndexedUnit>>();
    for (const UnitSpec& u : kUnits) {
      size_t i = 0;
      const char32_t first = text::NextCodePoint(u.written, &i);
      (*m)[first].push_back({&u, text::CodePointCount(u.written)});
    }
    return m;
  }();
  return *index;
}

const UnitSpec* MatchUnit(const CodePointText& t, int64_t i, int64_t* end) {
  const auto& index = UnitsByFirstChar();
  auto it = index.find(t.at(i));
  if (it == index.end()) return nullptr;
  for (const IndexedUnit& u : it->second) {
    if (t.Matches(i, u.spec->written)) {
      *end = i + u.code_points;
      return u.spec;
    }
  }
  return nullptr;
}

Qual Combine(Qual a, Qual b) {
  if (a == Qual::kAtLeast || b == Qual::kAtLeast) return Qual::kAtLeast;
  if (a == Qual::kAtMost || b == Qual::kAtMost) return Qual::kAtMost;
  if (a == Qual::kApprox || b == Qual::kApprox) return Qual::kApprox;
  return Qual::kExact;
}

zhibiao::v1::Qualifier ToProto(Qual q) {
  switch (q) {
    case Qual::kApprox: return zhibiao::v1::QUALIFIER_APPROX;
    case Qual::kAtLeast: return zhibiao::v1::QUALIFIER_AT_LEAST;
    case Qual::kAtMost: return zhibiao::v1::QUALIFIER_AT_MOST;
    default: return zhibiao::v1::QUALIFIER_EXACT;
  }
}

}  // namespace

bool ParseArabic(absl::string_view s, double* value) {
  std::string plain;
  for (char c : s) {
    if (c != ',') plain.push_back(c);
  }
  if (plain.empty() || plain.front() == '.' || plain.back() == '.') return false;
  char* end = nullptr;
  *value = std::strtod(plain.c_str(), &end);
  return end != nullptr && *end == '\0';
}

const char* QualifierName(zhibiao::v1::Qualifier qualifier) {
  switch (qualifier) {
    case zhibiao::v1::QUALIFIER_APPROX: return "approx";
    case zhibiao::v1::QUALIFIER_AT_LEAST: return "at_least";
    case zhibiao::v1::QUALIFIER_AT_MOST: return "at_most";
    case zhibiao::v1::QUALIFIER_RANGE: return "range";
    default: return "exact";
  }
}

UnitKind UnitKindOf(absl::string_view unit) {
  if (unit == "%" || unit == "‰") return zhibiao::v1::UNIT_KIND_PERCENT;
  if (unit == "个百分点") return zhibiao::v1::UNIT_KIND_PERCENT_POINT;
  if (unit == "元") return zhibiao::v1::UNIT_KIND_CURRENCY_CNY;
  for (absl::string_view d : {"工作日", "小时", "分钟", "学时", "课时", "个月", "天", "日", "周", "年"}) {
    if (unit == d) return zhibiao::v1::UNIT_KIND_DURATION;
  }
  for (absl::string_view o : {"平方公里", "平方米", "立方米", "公里", "公顷", "亩", "吨", "千瓦", "米",
                              "岁", "倍", "分"}) {
    if (unit == o) return zhibiao::v1::UNIT_KIND_OTHER;
  }
  return zhibiao::v1::UNIT_KIND_COUNT;
}

std::vector<FoundQuantity> FindQuantities(const CodePointText& t) {
  std::vector<FoundQuantity> out;
  const std::vector<bool> protect = ProtectedSpans(t);
  int64_t i = 0;
  while (i < t.size()) {
    const char32_t c = t.at(i);
    // Not the middle of a number: 1,234 or 3.5 continue the digits before them.
    const bool after_separator =
        (t.at(i - 1) == '.' || t.at(i - 1) == ',') && IsDigit(t.at(i - 2));
    const bool starts_number =
        (IsDigit(c) && !IsDigit(t.at(i - 1)) && !after_separator) ||
        (text::IsChineseNumeralChar(c) && !text::IsChineseNumeralChar(t.at(i - 1)));
    if (!starts_number || protect[i]) {
      ++i;
      continue;
    }
    FoundQuantity q;
    Qual qual = Qual::kExact;
    double value = 0, low = 0, high = 0;
    bool is_range = false;
    std::string unit_written, base_unit, scale_written;
    double unit_factor = 1;
    int64_t j = 0;
    int64_t number_begin = i;

    // 百分之X / 千分之X
    if (t.Matches(i, "百分之") || t.Matches(i, "千分之")) {
      const bool permille = t.Matches(i, "千分之");
      auto n = ReadNumber(t, i + 3);
      if (!n) {
        i += 3;
        continue;
      }
      value = n->value;
      j = n->end;
      base_unit = permille ? "‰" : "%";
      unit_written = permille ? "千分之" : "百分之";
    } else {
      auto n = ReadNumber(t, i);
      if (!n) {
        ++i;
        continue;
      }
      j = n->end;
      // Fraction X分之Y: a share, in percent.
      if (n->chinese && t.Matches(j, "分之")) {
        auto numerator = ReadNumber(t, j + 2);
        if (numerator && n->value > 0) {
          value = numerator->value / n->value * 100.0;
          value = std::round(value * 10000.0) / 10000.0;
          j = numerator->end;
          base_unit = "%";
          unit_written = "分之";
          goto have_value;
        }
        i = j;
        continue;
      }
      // Exclusions before the number.
      {
        const char32_t prev = t.at(i - 1);
        if (prev == U'第' || IsLatin(prev) || prev == U'·' || prev == '.' ||
            (prev == ':' && IsDigit(t.at(i - 2)))) {
          i = j;
          continue;
        }
        // A bare 一 with a measure word is almost always an idiom (一次性, 一个窗口).
        if (n->chinese && j - i == 1 && t.at(i) == U'一') {
          i = j;
          continue;
        }
      }
      value = n->value;
      // Scale word after an Arabic number: 3.2万, 4.5亿.
      if (!n->chinese) {
        for (const ScaleSpec& s : kScales) {
          if (t.Matches(j, s.written)) {
            // 万元/亿元 are units that carry their own scale.
            bool unit_follows = false;
            for (absl::string_view money : {"万元", "亿元", "万亿元", "千万元", "百万元", "千元"}) {
              unit_follows = unit_follows || t.Matches(j, money);
            }
            if (unit_follows) break;
            value *= s.factor;
            scale_written = std::string(s.written);
            j += text::CodePointCount(s.written);
            break;
          }
        }
      } else if (n->end - n->begin >= 1) {
        // Record the scale a Chinese numeral used, e.g. 两千三百 (none) or 三万 (万).
        absl::string_view written = t.Slice(n->begin, n->end);
        if (absl::EndsWith(written, "亿")) scale_written = "亿";
        else if (absl::EndsWith(written, "万")) scale_written = "万";
      }
      // Inner qualifier: 余, 多 (400余场, 30多次, 420万余条).
      bool had_inner = false;
      for (const QualSpec& qs : kInnerQualifiers) {
        if (t.Matches(j, qs.written)) {
          qual = Combine(qual, qs.qual);
          j += 1;
          had_inner = true;
          break;
        }
      }
      // Scale after the inner qualifier: 3万余 → handled; 30余万 (30余万人).
      if (had_inner && !n->chinese && scale_written.empty()) {
        for (const ScaleSpec& s : kScales) {
          if (t.Matches(j, s.written) && !t.Matches(j, "万元") && !t.Matches(j, "亿元")) {
            value *= s.factor;
            scale_written = std::string(s.written);
            j += text::CodePointCount(s.written);
            break;
          }
        }
      }
      // A lone scale character (千, 万) is a quantity only with 余/多: 千余人次.
      if (n->only_scale_char && !had_inner) {
        i = j;
        continue;
      }
      // Range: 5-8名, 3至5次, 15~20学时.
      if (!had_inner) {
        const char32_t sep = t.at(j);
        const bool sep_ok = sep == '-' || sep == '~' || sep == U'—' || sep == U'–' ||
                            sep == U'至' || sep == U'到' || sep == U'～';
        if (sep_ok) {
          int64_t k = j + 1;
          auto second = ReadNumber(t, k);
          if (second && second->chinese == n->chinese && second->value > n->value) {
            int64_t after = second->end;
            double second_value = second->value;
            if (!scale_written.empty()) {
              // 3-5万: the scale follows the second number.
            } else if (!n->chinese) {
              for (const ScaleSpec& s : kScales) {
                if (t.Matches(after, s.written) && !t.Matches(after, "万元") && !t.Matches(after, "亿元")) {
                  value *= s.factor;
                  second_value *= s.factor;
                  scale_written = std::string(s.written);
                  after += text::CodePointCount(s.written);
                  break;
                }
              }
            }
            int64_t unit_end = 0;
            if (MatchUnit(t, after, &unit_end) != nullptr || t.at(after) == '%') {
              is_range = true;
              low = value;
              high = second_value;
              j = after;
            }
          }
        }
      }
      // Unit, possibly after a space (PDF exports and some portals write "856 名").
      {
        int64_t unit_end = 0;
        const int64_t unit_at = t.at(j) == ' ' && !IsDigit(t.at(j + 1)) ? j + 1 : j;
        const UnitSpec* u = MatchUnit(t, unit_at, &unit_end);
        if (u != nullptr) {
          unit_written = std::string(u->written);
          base_unit = std::string(u->base);
          unit_factor = u->factor;
          j = unit_end;
        } else if (!n->chinese) {
          for (absl::string_view noun : kCountedNouns) {
            if (unit_at == j && t.Matches(j, noun)) {
              unit_written = std::string(noun);
              base_unit = std::string(noun);
              j += text::CodePointCount(noun);
              break;
            }
          }
        }
      }
      if (base_unit.empty()) {
        i = j > i ? j : i + 1;
        continue;
      }
      // Exclusions after the unit.
      // Dates: 2月25日, 25日 after 月; months are never a measure here.
      if ((base_unit == "日" && (t.at(i - 1) == U'月' || t.Matches(i - 1, "月"))) ||
          t.at(n->end) == U'月') {
        i = j;
        continue;
      }
      // Clock times: 10时30分, 8点30分.
      if (base_unit == "分" && (t.at(i - 1) == U'时' || t.at(i - 1) == U'点')) {
        i = j;
        continue;
      }
      // Long digit strings are codes and ids, not counts.
      if (!n->chinese && n->integer_digits_only && n->digit_count >= 9 && scale_written.empty()) {
        i = j;
        continue;
      }
      // "24小时" names an around-the-clock service unless it bounds a time (24小时内).
      if (base_unit == "小时" && value == 24 && !t.Matches(j, "内") && !t.Matches(j, "以内")) {
        i = j;
        continue;
      }
      // A number glued to Latin letters or a version: 5G, 4.0版.
      if (IsLatin(t.at(j)) || (base_unit == "分" && t.Matches(j, "之"))) {
        i = j;
        continue;
      }
      // Chinese numerals inside a word: 十九大, 一网通办 have no unit; 一批 in
      // 第一批 was caught by 第. A Chinese numeral right after a CJK letter
      // that is not a verb of counting is part of a word (统一, 唯一).
      if (n->chinese && number_begin > 0) {
        const char32_t prev = t.at(number_begin - 1);
        if (prev == U'统' || prev == U'唯' || prev == U'之' || prev == U'万' || prev == U'千' ||
            prev == U'百') {
          i = j;
          continue;
        }
      }
    }
  have_value:
    // Post qualifiers: 以上, 以下, 以内, 左右.
    for (const QualSpec& qs : kPostQualifiers) {
      if (qs.written == "余" || qs.written == "多") continue;
      if (t.Matches(j, qs.written)) {
        // 内 only as a bound of time or count: 3日内, 5次内.
        qual = Combine(qual, qs.qual);
        j += text::CodePointCount(qs.written);
        break;
      }
    }
    // Pre qualifiers: the longest match right before the number.
    int64_t begin = number_begin;
    for (const QualSpec& qs : kPreQualifiers) {
      const int64_t len = text::CodePointCount(qs.written);
      if (t.MatchesBefore(number_begin, qs.written)) {
        // 最近, 附近 are not approximations.
        if (qs.written == "近" && (t.at(number_begin - 2) == U'最' || t.at(number_begin - 2) == U'附')) {
          break;
        }
        qual = Combine(qual, qs.qual);
        begin = number_begin - len;
        break;
      }
    }
    q.begin = begin;
    q.end = j;
    q.number_begin = number_begin;
    Quantity& quantity = q.quantity;
    if (is_range) {
      quantity.set_qualifier(zhibiao::v1::QUALIFIER_RANGE);
      quantity.set_low(low * unit_factor);
      quantity.set_high(high * unit_factor);
      quantity.set_value((low + high) / 2 * unit_factor);
    } else {
      quantity.set_qualifier(ToProto(qual));
      quantity.set_value(value * unit_factor);
      quantity.set_low(value * unit_factor);
      quantity.set_high(value * unit_factor);
    }
    quantity.set_unit(base_unit);
    quantity.set_unit_written(unit_written);
    quantity.set_scale_written(scale_written);
    quantity.set_kind(UnitKindOf(base_unit));
    out.push_back(std::move(q));
    i = j;
  }
  return out;
}

}  // namespace zb::extract
