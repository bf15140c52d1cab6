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

namespace {

bool IsDigit(char32_t c) { return c >= '0' && c <= '9'; }
bool IsCjkLetter(char32_t c) { return c >= 0x4E00 && c <= 0x9FFF; }
bool IsLatin(char32_t c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

// The unit lexicon: every measure word and unit the recognizer knows, as
// written, with the base unit its value is normalised to, the power of ten
// the written form carries (亿元 = 10^8 元) and the unit kind. Longest forms
// first within one first character (the index below keeps table order).
struct UnitSpec {
  absl::string_view written;
  absl::string_view base;
  int exp10;
  UnitKind kind;
};
constexpr UnitKind kCount = zhibiao::v1::UNIT_KIND_COUNT;
constexpr UnitKind kPercent = zhibiao::v1::UNIT_KIND_PERCENT;
constexpr UnitKind kPoint = zhibiao::v1::UNIT_KIND_PERCENT_POINT;
constexpr UnitKind kCny = zhibiao::v1::UNIT_KIND_CURRENCY_CNY;
constexpr UnitKind kDuration = zhibiao::v1::UNIT_KIND_DURATION;
constexpr UnitKind kMeasure = zhibiao::v1::UNIT_KIND_OTHER;
constexpr UnitSpec kUnits[] = {
    // Rates and shares.
    {"个百分点", "个百分点", 0, kPoint},
    {"百分点", "个百分点", 0, kPoint},
    {"%", "%", 0, kPercent},
    {"‰", "‰", 0, kPercent},
    {"倍", "倍", 0, kMeasure},
    {"成", "成", 0, kMeasure},
    // Money: 元 with its written multipliers; foreign currencies in their own unit.
    {"万亿元", "元", 12, kCny},
    {"千万元", "元", 7, kCny},
    {"百万元", "元", 6, kCny},
    {"亿元", "元", 8, kCny},
    {"万元", "元", 4, kCny},
    {"千元", "元", 3, kCny},
    {"元", "元", 0, kCny},
    {"美元", "美元", 0, kMeasure},
    {"欧元", "欧元", 0, kMeasure},
    {"港元", "港元", 0, kMeasure},
    {"港币", "港元", 0, kMeasure},
    {"日元", "日元", 0, kMeasure},
    // Time.
    {"个工作日", "工作日", 0, kDuration},
    {"工作日", "工作日", 0, kDuration},
    {"个小时", "小时", 0, kDuration},
    {"小时", "小时", 0, kDuration},
    {"分钟", "分钟", 0, kDuration},
    {"学时", "学时", 0, kDuration},
    {"课时", "课时", 0, kDuration},
    {"个月", "个月", 0, kDuration},
    {"天", "天", 0, kDuration},
    {"日", "日", 0, kDuration},
    {"周", "周", 0, kDuration},
    // Counts of events and people, compounds with 次 first.
    {"人次", "人次", 0, kCount},
    {"户次", "户次", 0, kCount},
    {"家次", "家次", 0, kCount},
    {"批次", "批次", 0, kCount},
    {"件次", "件次", 0, kCount},
    {"场次", "场次", 0, kCount},
    {"车次", "车次", 0, kCount},
    {"架次", "架次", 0, kCount},
    {"航次", "航次", 0, kCount},
    {"艘次", "艘次", 0, kCount},
    {"班次", "班次", 0, kCount},
    {"人(次)", "人次", 0, kCount},
    {"百亿亿次/秒", "次/秒", 18, kMeasure},
    {"亿亿次/秒", "次/秒", 16, kMeasure},
    {"次", "次", 0, kCount},
    // Length, area, volume, mass, energy and power, concentration.
    {"平方公里", "平方公里", 0, kMeasure},
    {"平方千米", "平方公里", 0, kMeasure},
    {"平方米", "平方米", 0, kMeasure},
    {"立方米", "立方米", 0, kMeasure},
    {"公里", "公里", 0, kMeasure},
    {"千米", "公里", 0, kMeasure},
    {"公顷", "公顷", 0, kMeasure},
    {"亩", "亩", 0, kMeasure},
    {"吨标准煤", "吨标准煤", 0, kMeasure},
    {"吨标煤", "吨标准煤", 0, kMeasure},
    {"标准煤", "吨标准煤", 0, kMeasure},
    {"吨", "吨", 0, kMeasure},
    {"公斤", "公斤", 0, kMeasure},
    {"千克", "公斤", 0, kMeasure},
    {"斤", "斤", 0, kMeasure},
    {"千瓦时", "千瓦时", 0, kMeasure},
    {"千瓦", "千瓦", 0, kMeasure},
    {"兆瓦", "千瓦", 3, kMeasure},
    {"吉瓦时", "吉瓦时", 0, kMeasure},
    {"吉瓦", "千瓦", 6, kMeasure},
    {"微克/立方米", "微克/立方米", 0, kMeasure},
    {"毫克/立方米", "毫克/立方米", 0, kMeasure},
    {"标箱", "标箱", 0, kMeasure},
    {"标准箱", "标箱", 0, kMeasure},
    {"米", "米", 0, kMeasure},
    {"摄氏度", "℃", 0, kMeasure},
    {"℃", "℃", 0, kMeasure},
    {"°C", "℃", 0, kMeasure},
    // Measure words of things counted.
    {"件", "件", 0, kCount},
    {"起", "起", 0, kCount},
    {"名", "名", 0, kCount},
    {"人", "人", 0, kCount},
    {"个", "个", 0, kCount},
    {"项", "项", 0, kCount},
    {"家", "家", 0, kCount},
    {"所", "所", 0, kCount},
    {"场", "场", 0, kCount},
    {"条", "条", 0, kCount},
    {"部", "部", 0, kCount},
    {"卷", "卷", 0, kCount},
    {"份", "份", 0, kCount},
    {"户", "户", 0, kCount},
    {"期", "期", 0, kCount},
    {"批", "批", 0, kCount},
    {"篇", "篇", 0, kCount},
    {"本", "本", 0, kCount},
    {"册", "册", 0, kCount},
    {"套", "套", 0, kCount},
    {"台", "台", 0, kCount},
    {"辆", "辆", 0, kCount},
    {"艘", "艘", 0, kCount},
    {"架", "架", 0, kCount},
    {"列", "列", 0, kCount},
    {"款", "款", 0, kCount},
    {"处", "处", 0, kCount},
    {"座", "座", 0, kCount},
    {"间", "间", 0, kCount},
    {"类", "类", 0, kCount},
    {"种", "种", 0, kCount},
    {"支", "支", 0, kCount},
    {"位", "位", 0, kCount},
    {"宗", "宗", 0, kCount},
    {"笔", "笔", 0, kCount},
    {"轮", "轮", 0, kCount},
    {"班", "班", 0, kCount},
    {"堂", "堂", 0, kCount},
    {"节", "节", 0, kCount},
    {"例", "例", 0, kCount},
    {"床", "床", 0, kCount},
    {"栋", "栋", 0, kCount},
    {"幢", "幢", 0, kCount},
    {"张", "张", 0, kCount},
    {"封", "封", 0, kCount},
    {"块", "块", 0, kCount},
    {"头", "头", 0, kCount},
    {"只", "只", 0, kCount},
    {"棵", "棵", 0, kCount},
    {"株", "株", 0, kCount},
    {"枚", "枚", 0, kCount},
    {"颗", "颗", 0, kCount},
    {"岁", "岁", 0, kMeasure},
    {"分", "分", 0, kMeasure},
};

// Units written in Latin letters right after the number (55GWh, 160Eflops).
constexpr UnitSpec kLatinUnits[] = {
    {"EFLOPS", "EFLOPS", 0, kMeasure}, {"Eflops", "EFLOPS", 0, kMeasure},
    {"EFlops", "EFLOPS", 0, kMeasure}, {"PFLOPS", "PFLOPS", 0, kMeasure},
    {"Pflops", "PFLOPS", 0, kMeasure}, {"PFlops", "PFLOPS", 0, kMeasure},
    {"GWh", "GWh", 0, kMeasure},       {"TWh", "GWh", 3, kMeasure},
    {"kWh", "千瓦时", 0, kMeasure},    {"GW", "千瓦", 6, kMeasure},
    {"MW", "千瓦", 3, kMeasure},       {"kW", "千瓦", 0, kMeasure},
    {"km", "公里", 0, kMeasure},
};

// What a unit is per: 元/月, 元/人, 吨/年 (after the unit, a slash and one of these).
constexpr absl::string_view kPerUnits[] = {
    "百亿元", "亿元", "万元", "万人", "千人", "人·年", "平方米", "立方米", "人",     "月", "年",
    "日",     "天",   "小时", "吨",   "亩",   "户",    "次",     "公里",   "千瓦时", "辆"};

// Nouns counted without a measure word (9县区, 12乡镇): the noun is the unit.
constexpr absl::string_view kCountedNouns[] = {"县(市、区)", "县(市)", "县市区", "县区",
                                               "乡镇(街道)", "乡镇",   "街道",   "社区",
                                               "村(社区)",   "行政村", "部门",   "单位"};

// People counted in magnitudes without a measure word (71.3万监测对象,
// 惠及17万婴幼儿, 100多万群众): counted in 人.
constexpr absl::string_view kPeopleNouns[] = {
    "监测对象", "脱贫人口", "婴幼儿", "儿童", "学生", "老年人", "老人",
    "群众",     "农民工",   "劳动力", "居民", "职工", "农户",   "游客",
    "人口",     "患者",     "残疾人", "妇女", "青年", "毕业生", "考生"};
// Units written before a magnitude that has none after it (医疗旅游人次86.5万).
constexpr absl::string_view kUnitsBefore[] = {"人次", "人数", "户数"};

// Scale words after an Arabic number.
struct ScaleSpec {
  absl::string_view written;
  int exp10;
};
constexpr ScaleSpec kScales[] = {{"万亿", 12}, {"千亿", 11}, {"百亿", 10}, {"千万", 7},
                                 {"百万", 6},  {"亿", 8},    {"万", 4},    {"千", 3}};

enum class Qual { kExact, kApprox, kAtLeast, kAtMost };

struct QualSpec {
  absl::string_view written;
  Qual qual;
};
// Before the number, longest first.
constexpr QualSpec kPreQualifiers[] = {
    {"不少于", Qual::kAtLeast}, {"不低于", Qual::kAtLeast}, {"不超过", Qual::kAtMost},
    {"不高于", Qual::kAtMost},  {"超过", Qual::kAtLeast},   {"多于", Qual::kAtLeast},
    {"高于", Qual::kAtLeast},   {"大于", Qual::kAtLeast},   {"至少", Qual::kAtLeast},
    {"突破", Qual::kAtLeast},   {"不到", Qual::kAtMost},    {"不足", Qual::kAtMost},
    {"少于", Qual::kAtMost},    {"低于", Qual::kAtMost},    {"最多", Qual::kAtMost},
    {"大约", Qual::kApprox},    {"将近", Qual::kApprox},    {"接近", Qual::kApprox},
    {"约", Qual::kApprox},      {"近", Qual::kApprox},      {"逾", Qual::kAtLeast},
    {"超", Qual::kAtLeast}};
// Right after the number or its scale word, before the unit.
constexpr QualSpec kInnerQualifiers[] = {{"余", Qual::kAtLeast}, {"多", Qual::kAtLeast}};
// After the unit.
constexpr QualSpec kPostQualifiers[] = {
    {"以上", Qual::kAtLeast}, {"以下", Qual::kAtMost}, {"以内", Qual::kAtMost},
    {"之内", Qual::kAtMost},  {"左右", Qual::kApprox}, {"上下", Qual::kApprox},
    {"余", Qual::kAtLeast},   {"多", Qual::kAtLeast},  {"内", Qual::kAtMost}};

// Spans the recognizer must not look into: book titles 《》, document numbers
// 〔〕 [] 【】, and short quoted names “1211” “十四五” “两个确保”.
std::vector<bool> ProtectedSpans(const CodePointText& t) {
  struct Pair {
    char32_t open, close;
    int64_t max_len;
  };
  static constexpr Pair kPairs[] = {{U'《', U'》', 80}, {U'〔', U'〕', 20}, {'[', ']', 20},
                                    {U'【', U'】', 20}, {U'“', U'”', 12},   {U'「', U'」', 12},
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
  std::string
      decimal;  // the digits as written, without separators ("3.26"); the integer for Chinese
  bool chinese = false;
  bool scale_only = false;  // 千, 万, 万亿 alone: a magnitude, not a count
  bool integer_digits_only = false;
  size_t digit_count = 0;
};

bool IsScaleChar(char32_t c) { return c == U'百' || c == U'千' || c == U'万' || c == U'亿'; }

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
    for (char c : digits) {
      if (c != ',') n.decimal.push_back(c);
    }
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
      n.decimal = std::to_string(*v);
      n.chinese = true;
      n.scale_only = true;
      for (int64_t k = i; k < end; ++k) n.scale_only = n.scale_only && IsScaleChar(t.at(k));
      return n;
    }
    --end;
  }
  return std::nullopt;
}

// The value of a number written with `exp10` more powers of ten (3.26 and
// 万 → 32600), computed from the written digits so that it is the double
// nearest the exact decimal, never a product carrying float noise.
double ScaledValue(const Number& n, int exp10) {
  if (exp10 == 0) return n.value;
  const std::string scientific = absl::StrCat(n.decimal, "e", exp10);
  return std::strtod(scientific.c_str(), nullptr);
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

// Words that begin with a unit but are none: 迈上5万亿台阶 is a milestone, not
// machines; 建立3本台账 counts 本.
constexpr absl::string_view kWordsStartingWithAUnit[] = {"台阶", "台账", "台风"};

bool StartsAWordThatIsNoUnit(const CodePointText& t, int64_t i, absl::string_view unit) {
  for (absl::string_view word : kWordsStartingWithAUnit) {
    if (absl::StartsWith(word, unit) && t.Matches(i, word)) return true;
  }
  return false;
}

const UnitSpec* MatchUnit(const CodePointText& t, int64_t i, int64_t* end) {
  const auto& index = UnitsByFirstChar();
  auto it = index.find(t.at(i));
  if (it == index.end()) return nullptr;
  for (const IndexedUnit& u : it->second) {
    if (t.Matches(i, u.spec->written) && !StartsAWordThatIsNoUnit(t, i, u.spec->written)) {
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
  for (const UnitSpec& u : kUnits) {
    if (u.base == unit) return u.kind;
  }
  for (const UnitSpec& u : kLatinUnits) {
    if (u.base == unit) return u.kind;
  }
  if (unit == "年") return zhibiao::v1::UNIT_KIND_DURATION;
  // Compound units (元/月, 人次/年) are rates of their numerator.
  const size_t slash = unit.find('/');
  if (slash != absl::string_view::npos) return zhibiao::v1::UNIT_KIND_OTHER;
  return zhibiao::v1::UNIT_KIND_COUNT;
}

namespace {

bool IsCjk(char32_t c) { return c >= 0x4E00 && c <= 0x9FFF; }

bool IsRangeSeparator(char32_t c) {
  return c == '-' || c == '~' || c == U'—' || c == U'–' || c == U'至' || c == U'到' || c == U'～';
}

// The scale word (万, 亿, 千万, ...) at j, unless a unit that carries its own
// scale is written there (万元, 千瓦, 百亿亿次/秒): the unit wins.
const ScaleSpec* MatchScale(const CodePointText& t, int64_t j) {
  int64_t unit_end = 0;
  if (MatchUnit(t, j, &unit_end) != nullptr) return nullptr;
  for (const ScaleSpec& s : kScales) {
    if (t.Matches(j, s.written)) return &s;
  }
  return nullptr;
}

// What follows a unit that makes the figure a name, a rank or a threshold of
// something else rather than a measured quantity; each rule is named.
struct FollowerRule {
  absl::string_view name;
  absl::string_view unit;      // the base unit the rule applies to ("" any)
  bool chinese_only;           // only after Chinese numerals (十一届九次全会, 二期)
  absl::string_view follower;  // written right after the unit
};
constexpr FollowerRule kFollowerRules[] = {
    {"session ordinal (九次全会, 三次会议)", "次", true, "全会"},
    {"session ordinal", "次", true, "会议"},
    {"session ordinal", "次", true, "全体会议"},
    {"session ordinal", "次", true, "代表大会"},
    {"session ordinal", "次", true, "党代会"},
    {"three sectors (三次产业)", "次", true, "产业"},
    {"rule name (中央八项规定)", "项", true, "规定"},
    {"solar terms (二十四节气)", "节", true, "气"},
    {"anniversary (80周年)", "周", false, "年"},
    {"digit count (两位数增长)", "位", true, "数"},
    {"vehicle class (三四轮车)", "轮", true, "车"},
    {"specification (30万吨级, 10万千瓦级)", "", false, "级"},
    {"milestone (迈上4个万亿元台阶)", "", false, "台阶"},
    {"age band (3岁以下)", "岁", false, "以下"},
    {"age band", "岁", false, "以上"},
    {"age band", "岁", false, "及以下"},
};

const FollowerRule* FollowerRuleAt(const CodePointText& t, int64_t j, absl::string_view base_unit,
                                   bool chinese) {
  for (const FollowerRule& r : kFollowerRules) {
    if (!r.unit.empty() && r.unit != base_unit) continue;
    if (r.chinese_only && !chinese) continue;
    if (t.Matches(j, r.follower)) return &r;
  }
  return nullptr;
}

// A milestone counted in magnitudes: 迈上4个万亿元台阶, 连跨3个千亿级台阶
// (the count and the magnitude both describe the step, not a level).
bool IsMilestone(const CodePointText& t, int64_t j) {
  for (int64_t k = j; k < j + 8 && k < t.size(); ++k) {
    if (t.Matches(k, "台阶") || t.Matches(k, "大关") || t.Matches(k, "关口")) return true;
    const char32_t c = t.at(k);
    if (!IsCjk(c) || c == U'，' || c == U'、') return false;
  }
  return false;
}

// A threshold names the things it bounds: 亿元以上项目, 10万千瓦及以下机组,
// 20户以上自然村. After 以上/以下 (and an optional 的) comes a head noun of
// the things counted, not the end of the clause.
constexpr absl::string_view kThresholdHeads[] = {
    "项目",   "重大项目", "大项目", "企业", "农村",   "村寨", "工业企业", "机组",
    "自然村", "村",       "城市",   "县城", "工程",   "园区", "集群",     "产业集群",
    "医院",   "学校",     "老年人", "老人", "人口",   "家庭", "景区",     "港口",
    "码头",   "河流",     "湖泊",   "水库", "道路",   "公路", "商户",     "经营主体",
    "规模",   "客户",     "船舶",   "车辆", "货车",   "煤矿", "矿山",     "锅炉",
    "建筑",   "楼",       "职工",   "人员", "婴幼儿", "儿童"};
bool IsThreshold(const CodePointText& t, int64_t after_qualifier) {
  const int64_t at = t.at(after_qualifier) == U'的' ? after_qualifier + 1 : after_qualifier;
  for (absl::string_view head : kThresholdHeads) {
    if (t.Matches(at, head)) return true;
  }
  return false;
}

// Heads of service and policy names that hours are written before.
bool NamesAService(const CodePointText& t, int64_t j) {
  for (absl::string_view head : {"过境", "免签", "自助", "服务", "经济圈", "值班", "在线", "不打烊",
                                 "营业", "热线", "全天候", "通关", "生活圈"}) {
    if (t.Matches(j, head)) return true;
  }
  return false;
}

bool NamesATotal(absl::string_view between) {
  for (absl::string_view verb :
       {"带动", "撬动", "吸引", "完成", "实现", "累计", "投入", "带来", "合计", "共计", "总计"}) {
    if (absl::StrContains(between, verb)) return true;
  }
  return false;
}

bool SameClause(const CodePointText& t, int64_t begin, int64_t end) {
  for (int64_t k = begin; k < end; ++k) {
    const char32_t c = t.at(k);
    if (c == ',' || c == U'，' || c == U'。' || c == ';' || c == '\n' || c == ':' || c == U'、')
      return false;
  }
  return true;
}

// Arabic fraction a/b (1/4, 1/10以上): a share, in percent. Not a date (2025/1/2).
bool ReadArabicFraction(const CodePointText& t, int64_t i, int64_t* end, double* percent) {
  int64_t j = i;
  while (IsDigit(t.at(j))) ++j;
  if (j == i || j - i > 2 || t.at(j) != '/' || !IsDigit(t.at(j + 1))) return false;
  int64_t k = j + 1;
  while (IsDigit(t.at(k))) ++k;
  if (k - j - 1 > 3 || t.at(k) == '/' || t.at(i - 1) == '/' || IsDigit(t.at(k)) || t.at(k) == '.')
    return false;
  double a = 0, b = 0;
  if (!ParseArabic(t.Slice(i, j), &a) || !ParseArabic(t.Slice(j + 1, k), &b) || b < 2 || a >= b)
    return false;
  *percent = std::round(a / b * 100.0 * 10000.0) / 10000.0;
  *end = k;
  return true;
}

// What is known of the figure being read at one position. The phases of
// FindQuantities fill it in order; a phase that finds the text is no figure
// returns false with `resume` set to where scanning goes on.
struct Reading {
  int64_t number_begin = 0;      // where the number starts (its qualifiers may start before)
  int64_t end = 0;               // where what is read so far ends
  int64_t resume = 0;            // where scanning goes on when the figure is rejected
  std::optional<Number> number;  // the number as read (not for a share read whole)
  std::optional<Number> range_high;
  int exp10 = 0;           // the power of ten written with the number (万, 亿)
  int unit_exp10 = 0;      // and the one its unit brings (万元)
  bool had_inner = false;  // 400余场, 30多次
  Qual qual = Qual::kExact;
  double value = 0;
  bool is_range = false;
  double low = 0, high = 0;
  std::string unit_written, base_unit, scale_written;
  UnitKind kind = zhibiao::v1::UNIT_KIND_UNSPECIFIED;

  bool Reject(int64_t at) {
    resume = at;
    return false;
  }
  void SetShare(double percent, int64_t share_end, absl::string_view written, bool permille) {
    value = percent;
    end = share_end;
    base_unit = permille ? "‰" : "%";
    unit_written = std::string(written);
    kind = zhibiao::v1::UNIT_KIND_PERCENT;
  }
};

// Whether a number starts at i: not the middle of one (1,234 or 3.5 continue
// the digits before them).
bool StartsNumber(const CodePointText& t, int64_t i) {
  const char32_t c = t.at(i);
  const bool after_separator = (t.at(i - 1) == '.' || t.at(i - 1) == ',') && IsDigit(t.at(i - 2));
  return (IsDigit(c) && !IsDigit(t.at(i - 1)) && !after_separator) ||
         (text::IsChineseNumeralChar(c) && !text::IsChineseNumeralChar(t.at(i - 1)));
}

enum class Share { kNone, kRead, kRejected };

// 百分之X, 千分之X and a/b (1/4): a share read whole, in percent.
Share ReadShare(const CodePointText& t, int64_t i, Reading* r) {
  if (t.Matches(i, "百分之") || t.Matches(i, "千分之")) {
    const bool permille = t.Matches(i, "千分之");
    auto n = ReadNumber(t, i + 3);
    // 进入ESI前千分之一: a rank, not a share.
    if (n && t.MatchesBefore(i, "前")) {
      r->Reject(n->end);
      return Share::kRejected;
    }
    if (!n) {
      r->Reject(i + 3);
      return Share::kRejected;
    }
    r->SetShare(n->value, n->end, permille ? "千分之" : "百分之", permille);
    return Share::kRead;
  }
  double percent = 0;
  int64_t end = 0;
  if (ReadArabicFraction(t, i, &end, &percent) && !IsLatin(t.at(i - 1)) && !IsLatin(t.at(end))) {
    r->SetShare(percent, end, "/", false);
    return Share::kRead;
  }
  return Share::kNone;
}

// X分之Y after a Chinese numeral X: a share, in percent.
bool ReadChineseFraction(const CodePointText& t, Reading* r) {
  const Number& n = *r->number;
  auto numerator = ReadNumber(t, r->end + 2);
  if (!numerator || n.value <= 0) return r->Reject(r->end);
  r->SetShare(std::round(numerator->value / n.value * 100.0 * 10000.0) / 10000.0, numerator->end,
              "分之", false);
  return true;
}

// Words before the number that make it no figure: 第3, 每10万人 (the
// denominator of a rate), a version (v2.1), a time (8:30), and a bare 一
// with a measure word, which is almost always an idiom (一次性, 一个窗口).
bool KeptBeforeNumber(const CodePointText& t, Reading* r) {
  const Number& n = *r->number;
  const int64_t i = r->number_begin;
  const char32_t prev = t.at(i - 1);
  if (prev == U'第' || IsLatin(prev) || prev == U'·' || prev == '.' || prev == U'届' ||
      prev == U'每' || (prev == ':' && IsDigit(t.at(i - 2)))) {
    return r->Reject(r->end);
  }
  if (n.chinese && r->end - i == 1 && t.at(i) == U'一') return r->Reject(r->end);
  return true;
}

// Adds a scale word at r->end (3.2万, 4.5亿) to the reading.
void ReadScaleWord(const CodePointText& t, Reading* r) {
  if (const ScaleSpec* s = MatchScale(t, r->end)) {
    r->exp10 += s->exp10;
    r->scale_written = std::string(s->written);
    r->end += text::CodePointCount(s->written);
  }
}

// The scale after an Arabic number (a unit with its own scale wins), the
// scale a Chinese numeral used (三万: 万), an inner qualifier (400余场,
// 30多次, 420万余条) and a scale after it (30余万人). A magnitude alone (千,
// 万, 万亿) is a quantity only when bounded: 千余人次, 超万列, 近万人, 突破万亿元.
bool ReadScaleAndInnerQualifier(const CodePointText& t, Reading* r) {
  const Number& n = *r->number;
  if (!n.chinese) {
    ReadScaleWord(t, r);
  } else {
    absl::string_view written = t.Slice(n.begin, n.end);
    if (absl::EndsWith(written, "亿")) {
      r->scale_written = "亿";
    } else if (absl::EndsWith(written, "万")) {
      r->scale_written = "万";
    }
  }
  for (const QualSpec& qs : kInnerQualifiers) {
    if (t.Matches(r->end, qs.written)) {
      r->qual = Combine(r->qual, qs.qual);
      r->end += 1;
      r->had_inner = true;
      break;
    }
  }
  if (r->had_inner && !n.chinese && r->scale_written.empty()) ReadScaleWord(t, r);
  if (n.scale_only && !r->had_inner) {
    bool bounded = false;
    for (absl::string_view pre : {"超", "近", "逾", "约", "突破", "超过"}) {
      bounded = bounded || t.MatchesBefore(r->number_begin, pre);
    }
    if (!bounded) return r->Reject(r->end);
  }
  return true;
}

// A range: 5-8名, 3至5次, 15~20学时, 3-5万人 (the scale follows the second
// number). Only a second number followed by a unit makes one.
void ReadRange(const CodePointText& t, Reading* r) {
  const Number& n = *r->number;
  if (r->had_inner || !IsRangeSeparator(t.at(r->end))) return;
  auto second = ReadNumber(t, r->end + 1);
  if (!second || second->chinese != n.chinese || second->value <= n.value) return;
  int64_t after = second->end;
  int second_exp = r->exp10;
  std::string second_scale;
  if (r->scale_written.empty() && !n.chinese) {
    if (const ScaleSpec* s = MatchScale(t, after)) {
      second_exp = s->exp10;
      second_scale = std::string(s->written);
      after += text::CodePointCount(s->written);
    }
  }
  int64_t unit_end = 0;
  if (MatchUnit(t, after, &unit_end) == nullptr) return;
  r->range_high = *second;
  r->exp10 = second_exp;
  if (!second_scale.empty()) r->scale_written = second_scale;
  r->end = after;
}

// The measure word or unit at `unit_at`, Latin units (km) right after an
// Arabic number, less measure words that are verbs or nouns here (建成,
// 头等, 5成); nullptr if none.
const UnitSpec* MatchMeasureWord(const CodePointText& t, int64_t unit_at, const Number& n,
                                 int64_t end, int64_t* unit_end) {
  const UnitSpec* u = MatchUnit(t, unit_at, unit_end);
  if (u == nullptr && !n.chinese && unit_at == end) {
    for (const UnitSpec& latin : kLatinUnits) {
      if (t.Matches(end, latin.written) &&
          !IsLatin(t.at(end + text::CodePointCount(latin.written)))) {
        u = &latin;
        *unit_end = end + text::CodePointCount(latin.written);
        break;
      }
    }
  }
  if (u != nullptr && n.chinese && (u->base == "头" || u->base == "只")) u = nullptr;
  if (u != nullptr && u->base == "成") {
    for (absl::string_view w :
         {"为", "立", "功", "效", "果", "本", "员", "都", "熟", "绩", "型", "交", "就", "长"}) {
      if (t.Matches(*unit_end, w)) u = nullptr;
    }
    if (u != nullptr && !n.chinese) u = nullptr;  // 5成 is rare; 10成 never a share
  }
  return u;
}

// A counted noun right after an Arabic number (kCountedNouns), or years as a
// length of time, not a date: 9.6年, 10.2年左右, 年限达11年.
void ReadCountedNounOrYears(const CodePointText& t, int64_t unit_at, Reading* r) {
  const Number& n = *r->number;
  for (absl::string_view noun : kCountedNouns) {
    if (unit_at == r->end && t.Matches(r->end, noun)) {
      r->unit_written = std::string(noun);
      r->base_unit = std::string(noun);
      r->kind = zhibiao::v1::UNIT_KIND_COUNT;
      r->end += text::CodePointCount(noun);
      break;
    }
  }
  if (!r->base_unit.empty() || t.at(r->end) != U'年' || !r->scale_written.empty()) return;
  const bool decimal = !n.integer_digits_only;
  const bool bounded = t.Matches(r->end + 1, "左右") || t.Matches(r->end + 1, "以上");
  const int64_t begin = r->number_begin;
  const bool span = t.MatchesBefore(begin, "年限达") || t.MatchesBefore(begin, "年限为") ||
                    t.MatchesBefore(begin, "年限") || t.MatchesBefore(begin, "期限");
  if ((decimal || bounded || span) && n.value < 100) {
    r->unit_written = "年";
    r->base_unit = "年";
    r->kind = zhibiao::v1::UNIT_KIND_DURATION;
    r->end += 1;
  }
}

// The unit, possibly after a space (PDF exports and some portals write
// "856 名"), with a rate's denominator (645元/月, 1.2万元/人, 30吨/年).
void ReadUnit(const CodePointText& t, Reading* r) {
  const Number& n = *r->number;
  int64_t unit_end = 0;
  const int64_t unit_at = t.at(r->end) == ' ' && !IsDigit(t.at(r->end + 1)) ? r->end + 1 : r->end;
  const UnitSpec* u = MatchMeasureWord(t, unit_at, n, r->end, &unit_end);
  if (u == nullptr) {
    if (!n.chinese) ReadCountedNounOrYears(t, unit_at, r);
    return;
  }
  r->unit_written = std::string(t.Slice(unit_at, unit_end));
  r->base_unit = std::string(u->base);
  r->unit_exp10 = u->exp10;
  r->kind = u->kind;
  r->end = unit_end;
  if (t.at(r->end) != '/') return;
  for (absl::string_view per : kPerUnits) {
    if (t.Matches(r->end + 1, per)) {
      const int64_t per_end = r->end + 1 + text::CodePointCount(per);
      r->unit_written = std::string(t.Slice(unit_at, per_end));
      r->base_unit = absl::StrCat(r->base_unit, "/", per);
      r->kind = zhibiao::v1::UNIT_KIND_OTHER;
      r->end = per_end;
      break;
    }
  }
}

// A magnitude without a measure word: 17万婴幼儿, 2000多亿方, and a count
// whose unit was named before it (人次86.5万).
void ReadUnitOfAMagnitude(const CodePointText& t, Reading* r) {
  if (!r->base_unit.empty() || r->number->chinese || r->scale_written.empty()) return;
  for (absl::string_view noun : kPeopleNouns) {
    if (t.Matches(r->end, noun)) {
      r->unit_written = std::string(noun);
      r->base_unit = "人";
      r->kind = zhibiao::v1::UNIT_KIND_COUNT;
      r->end += text::CodePointCount(noun);
      return;
    }
  }
  if (t.at(r->end) == U'方' && !IsCjkLetter(t.at(r->end + 1))) {
    r->unit_written = "方";  // colloquial 立方米 (亿方 of gas and water)
    r->base_unit = "立方米";
    r->kind = zhibiao::v1::UNIT_KIND_OTHER;
    r->end += 1;
    return;
  }
  if (IsCjkLetter(t.at(r->end)) || IsDigit(t.at(r->end))) return;
  for (absl::string_view before : kUnitsBefore) {
    if (t.MatchesBefore(r->number_begin, before)) {
      r->unit_written = "";
      r->base_unit = before == "户数" ? "户" : "人次";
      if (before == "人数") r->base_unit = "人";
      r->kind = zhibiao::v1::UNIT_KIND_COUNT;
      return;
    }
  }
}

// A range written with the unit twice (5%-5.5%, 4.5%—5%), then the values
// from the written digits and every power of ten written with them.
void ReadRangeWithUnitTwiceAndValues(const CodePointText& t, Reading* r) {
  const Number& n = *r->number;
  if (!r->range_high && !r->had_inner && IsRangeSeparator(t.at(r->end)) &&
      IsDigit(t.at(r->end + 1)) && !n.chinese) {
    auto second = ReadNumber(t, r->end + 1);
    int64_t unit_end = 0;
    if (second && second->value > n.value && MatchUnit(t, second->end, &unit_end) != nullptr &&
        t.Slice(second->end, unit_end) == r->unit_written) {
      r->range_high = *second;
      r->end = unit_end;
    }
  }
  r->value = ScaledValue(n, r->exp10 + r->unit_exp10);
  if (r->range_high) {
    r->is_range = true;
    r->low = r->value;
    r->high = ScaledValue(*r->range_high, r->exp10 + r->unit_exp10);
  }
}

// Dates (2月25日; months are never a measure here), clock times (10时30分),
// long digit strings (codes and ids), "24小时" naming an around-the-clock
// service unless it bounds a time (24小时内), hours before a service or
// policy (240小时过境免签), and a number glued to Latin letters or a version
// (5G, 4.0版).
bool IsDateTimeOrCode(const CodePointText& t, const Reading& r) {
  const Number& n = *r.number;
  const int64_t i = r.number_begin;
  const int64_t j = r.end;
  if ((r.base_unit == "日" && (t.at(i - 1) == U'月' || t.Matches(i - 1, "月"))) ||
      t.at(n.end) == U'月') {
    return true;
  }
  if (r.base_unit == "分" && (t.at(i - 1) == U'时' || t.at(i - 1) == U'点')) return true;
  if (!n.chinese && n.integer_digits_only && n.digit_count >= 9 && r.scale_written.empty()) {
    return true;
  }
  if (r.base_unit == "小时" &&
      ((n.value == 24 && !t.Matches(j, "内") && !t.Matches(j, "以内")) || NamesAService(t, j))) {
    return true;
  }
  return IsLatin(t.at(j)) || (r.base_unit == "分" && t.Matches(j, "之"));
}

// A figure that is no result: a bounded magnitude right after a count in the
// same clause is the threshold the counted things pass (191家工业企业营业收入
// 超百亿元; what they did together, 8支基金带动社会投资超千亿元, is a total);
// a product's specification after a superlative (全球最高10米液压支架); names,
// ranks, specifications and milestones (kFollowerRules); phases of a project
// (二期工程; Arabic counts of sessions stay: 举办40期); a Chinese numeral
// inside a word (统一, 唯一, 十九大).
bool IsNoResult(const CodePointText& t, const Reading& r, const std::vector<FoundQuantity>& out) {
  const Number& n = *r.number;
  const int64_t begin = r.number_begin;
  const int64_t j = r.end;
  if (n.scale_only && !out.empty() && out.back().quantity.kind() == zhibiao::v1::UNIT_KIND_COUNT &&
      SameClause(t, out.back().end, begin) && !NamesATotal(t.Slice(out.back().end, begin))) {
    return true;
  }
  if (r.kind == zhibiao::v1::UNIT_KIND_OTHER && IsCjkLetter(t.at(j)) && !t.Matches(j, "以") &&
      !t.Matches(j, "左右") && !t.Matches(j, "的")) {
    for (absl::string_view w : {"最高", "最大", "最长", "最深", "最重", "最宽", "最快"}) {
      if (t.MatchesBefore(begin, w)) return true;
    }
  }
  if (FollowerRuleAt(t, j, r.base_unit, n.chinese) != nullptr || IsMilestone(t, j)) return true;
  if (n.chinese && r.base_unit == "期") return true;
  if (n.chinese && begin > 0) {
    const char32_t prev = t.at(begin - 1);
    if (prev == U'统' || prev == U'唯' || prev == U'之' || prev == U'万' || prev == U'千' ||
        prev == U'百') {
      return true;
    }
  }
  return false;
}

// Post qualifiers: 以上, 以下, 以内, 左右, 及以下. A threshold (亿元以上项目,
// 10万千瓦及以下机组) bounds what it names and is no figure.
bool ReadPostQualifiers(const CodePointText& t, Reading* r) {
  bool bounded_after = false;
  for (const QualSpec& qs : kPostQualifiers) {
    if (qs.written == "余" || qs.written == "多") continue;
    const int64_t j = r->end;
    const int64_t at =
        t.Matches(j, "及") && (t.Matches(j + 1, "以上") || t.Matches(j + 1, "以下")) ? j + 1 : j;
    if (t.Matches(at, qs.written)) {
      r->qual = Combine(r->qual, qs.qual);
      r->end = at + text::CodePointCount(qs.written);
      bounded_after = qs.written == "以上" || qs.written == "以下";
      break;
    }
  }
  if (bounded_after && IsThreshold(t, r->end)) return r->Reject(r->end);
  return true;
}

// Reads the figure whose number starts at r->number_begin, phase by phase.
bool ReadFigure(const CodePointText& t, const std::vector<FoundQuantity>& out, Reading* r) {
  const int64_t i = r->number_begin;
  switch (ReadShare(t, i, r)) {
    case Share::kRejected: return false;
    case Share::kRead: return ReadPostQualifiers(t, r);
    case Share::kNone: break;
  }
  r->number = ReadNumber(t, i);
  if (!r->number) return r->Reject(i + 1);
  r->end = r->number->end;
  if (r->number->chinese && t.Matches(r->end, "分之")) {
    return ReadChineseFraction(t, r) && ReadPostQualifiers(t, r);
  }
  if (!KeptBeforeNumber(t, r) || !ReadScaleAndInnerQualifier(t, r)) return false;
  ReadRange(t, r);
  ReadUnit(t, r);
  ReadUnitOfAMagnitude(t, r);
  if (r->base_unit.empty()) return r->Reject(r->end > i ? r->end : i + 1);
  ReadRangeWithUnitTwiceAndValues(t, r);
  if (IsDateTimeOrCode(t, *r) || IsNoResult(t, *r, out)) return r->Reject(r->end);
  return ReadPostQualifiers(t, r);
}

// The figure read, with the longest pre qualifier right before the number
// (超过, 近; 最近 and 附近 are not approximations).
FoundQuantity FigureOf(const CodePointText& t, const Reading& r) {
  Qual qual = r.qual;
  int64_t begin = r.number_begin;
  for (const QualSpec& qs : kPreQualifiers) {
    if (!t.MatchesBefore(r.number_begin, qs.written)) continue;
    if (qs.written == "近" &&
        (t.at(r.number_begin - 2) == U'最' || t.at(r.number_begin - 2) == U'附')) {
      break;
    }
    qual = Combine(qual, qs.qual);
    begin = r.number_begin - text::CodePointCount(qs.written);
    break;
  }
  FoundQuantity q;
  q.begin = begin;
  q.end = r.end;
  q.number_begin = r.number_begin;
  Quantity& quantity = q.quantity;
  if (r.is_range) {
    quantity.set_qualifier(zhibiao::v1::QUALIFIER_RANGE);
    quantity.set_low(r.low);
    quantity.set_high(r.high);
    quantity.set_value((r.low + r.high) / 2);
  } else {
    quantity.set_qualifier(ToProto(qual));
    quantity.set_value(r.value);
    quantity.set_low(r.value);
    quantity.set_high(r.value);
  }
  quantity.set_unit(r.base_unit);
  quantity.set_unit_written(r.unit_written);
  quantity.set_scale_written(r.scale_written);
  quantity.set_kind(r.kind != zhibiao::v1::UNIT_KIND_UNSPECIFIED ? r.kind
                                                                 : UnitKindOf(r.base_unit));
  return q;
}

}  // namespace

std::vector<FoundQuantity> FindQuantities(const CodePointText& t, size_t max_found) {
  std::vector<FoundQuantity> out;
  const std::vector<bool> protect = ProtectedSpans(t);
  int64_t i = 0;
  while (i < t.size()) {
    if (!StartsNumber(t, i) || protect[i]) {
      ++i;
      continue;
    }
    Reading reading;
    reading.number_begin = i;
    if (!ReadFigure(t, out, &reading)) {
      i = reading.resume;
      continue;
    }
    out.push_back(FigureOf(t, reading));
    if (out.size() >= max_found) break;
    i = reading.end;
  }
  return out;
}

}  // namespace zb::extract
