#include "common/doc/dates.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "common/text/numerals.h"

namespace zb::doc {
namespace {

// Reads ASCII digits (at most max_digits) at s[*i].
std::optional<int> ReadDigits(absl::string_view s, size_t* i, int max_digits) {
  int v = 0, n = 0;
  while (*i < s.size() && absl::ascii_isdigit(s[*i]) && n < max_digits) {
    v = v * 10 + (s[*i] - '0');
    ++*i;
    ++n;
  }
  if (n == 0 || (*i < s.size() && absl::ascii_isdigit(s[*i]))) return std::nullopt;
  return v;
}

// Reads Chinese numeral characters at s[*i] and parses them.
std::optional<int> ReadChinese(absl::string_view s, size_t* i) {
  size_t j = *i;
  while (j < s.size()) {
    size_t k = j;
    char32_t c = text::NextCodePoint(s, &k);
    if (!text::IsChineseNumeralChar(c)) break;
    j = k;
  }
  if (j == *i) return std::nullopt;
  auto v = text::ParseChineseNumber(s.substr(*i, j - *i));
  if (!v || *v > 9999) return std::nullopt;
  *i = j;
  return static_cast<int>(*v);
}

bool Consume(absl::string_view s, size_t* i, absl::string_view word) {
  if (!absl::StartsWith(s.substr(*i), word)) return false;
  *i += word.size();
  return true;
}

bool Valid(const Date& d) {
  return d.year >= 1949 && d.year <= 2100 && d.month >= 1 && d.month <= 12 && d.day >= 1 &&
         d.day <= 31;
}

}  // namespace

std::string Date::Iso() const { return absl::StrFormat("%04d-%02d-%02d", year, month, day); }

std::optional<Date> ParseDatePrefix(absl::string_view s, size_t* length) {
  size_t i = 0;
  Date d;
  if (!s.empty() && absl::ascii_isdigit(s[0])) {
    auto y = ReadDigits(s, &i, 4);
    if (!y || i != 4) return std::nullopt;
    d.year = *y;
    if (Consume(s, &i, "年")) {
      auto m = ReadDigits(s, &i, 2);
      if (!m || !Consume(s, &i, "月")) return std::nullopt;
      auto day = ReadDigits(s, &i, 2);
      if (!day || !(Consume(s, &i, "日") || Consume(s, &i, "号"))) return std::nullopt;
      d.month = *m;
      d.day = *day;
    } else {
      if (i >= s.size()) return std::nullopt;
      const char sep = s[i];
      if (sep != '-' && sep != '.' && sep != '/') return std::nullopt;
      ++i;
      auto m = ReadDigits(s, &i, 2);
      if (!m || i >= s.size() || s[i] != sep) return std::nullopt;
      ++i;
      auto day = ReadDigits(s, &i, 2);
      if (!day) return std::nullopt;
      d.month = *m;
      d.day = *day;
    }
  } else {
    // 二〇二二年二月二十五日: the year digit by digit.
    size_t j = 0;
    auto y = ReadChinese(s, &j);
    if (!y || *y < 1949 || !Consume(s, &j, "年")) return std::nullopt;
    auto m = ReadChinese(s, &j);
    if (!m || !Consume(s, &j, "月")) return std::nullopt;
    auto day = ReadChinese(s, &j);
    if (!day || !(Consume(s, &j, "日") || Consume(s, &j, "号"))) return std::nullopt;
    d = {*y, *m, *day};
    i = j;
  }
  if (!Valid(d)) return std::nullopt;
  *length = i;
  return d;
}

std::optional<Date> ParseDateLine(absl::string_view line) {
  line = absl::StripAsciiWhitespace(line);
  size_t length = 0;
  auto d = ParseDatePrefix(line, &length);
  if (!d || length != line.size()) return std::nullopt;
  return d;
}

}  // namespace zb::doc
