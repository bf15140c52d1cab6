// The quantity recognizer: finds every figure in normalised report text
// (Arabic and Chinese numerals, 万/亿 multipliers, fractions, 百分之X, ranges,
// qualifiers and units) and normalises it to a base unit, while leaving out
// what only looks like a figure: dates, years, document numbers, ordinals,
// names and slogans that contain numerals, phone numbers and list markers.
#ifndef ZHIBIAO_COMMON_EXTRACT_QUANTITIES_H_
#define ZHIBIAO_COMMON_EXTRACT_QUANTITIES_H_

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "zhibiao/v1/report.pb.h"

namespace zb::extract {

// Normalised text as code points, with UTF-8 byte offsets for slicing.
// Immutable; cheap lookups by code-point index.
class CodePointText {
 public:
  explicit CodePointText(absl::string_view utf8);
  int64_t size() const { return static_cast<int64_t>(cps_.size()); }
  char32_t at(int64_t i) const { return i >= 0 && i < size() ? cps_[i] : 0; }
  // UTF-8 of code points [begin, end).
  absl::string_view Slice(int64_t begin, int64_t end) const;
  absl::string_view utf8() const { return utf8_; }
  // Whether code points at i spell `word` (UTF-8). Inline byte loops: the
  // words are a few bytes and mostly differ in the first, so this beats a
  // memcmp call on the extractor's hot path.
  bool Matches(int64_t i, absl::string_view word) const {
    if (i < 0 || i >= size()) return false;
    const size_t at = byte_offsets_[i];
    if (utf8_.size() - at < word.size()) return false;
    for (size_t k = 0; k < word.size(); ++k) {
      if (utf8_[at + k] != word[k]) return false;
    }
    return true;
  }
  // Whether the code points just before i spell `word`.
  bool MatchesBefore(int64_t i, absl::string_view word) const {
    if (i <= 0 || i > size()) return false;
    const size_t end = byte_offsets_[i];
    if (end < word.size()) return false;
    const size_t at = end - word.size();
    for (size_t k = word.size(); k-- > 0;) {  // the last byte differs first
      if (utf8_[at + k] != word[k]) return false;
    }
    return true;
  }

 private:
  absl::string_view utf8_;
  std::vector<char32_t> cps_;
  std::vector<uint32_t> byte_offsets_;  // size() + 1 entries
};

// One recognised figure.
struct FoundQuantity {
  int64_t begin = 0;  // code points, covering qualifier words and unit as written
  int64_t end = 0;
  int64_t number_begin = 0;  // the numeral itself
  zhibiao::v1::Quantity quantity;
};

// Finds every quantity in `text`, in order, without overlaps; stops after
// `max_found` of them (a caller refusing more than N asks for N + 1).
std::vector<FoundQuantity> FindQuantities(const CodePointText& text,
                                          size_t max_found = std::numeric_limits<size_t>::max());

// The gold-format name of a qualifier: "exact", "approx", "at_least",
// "at_most" or "range".
const char* QualifierName(zhibiao::v1::Qualifier qualifier);

// The unit kind of a base unit ("元" → CURRENCY_CNY, "%" → PERCENT, ...).
zhibiao::v1::UnitKind UnitKindOf(absl::string_view base_unit);

// Parses an Arabic number with optional thousands separators and decimals
// ("1,234.5"); false if malformed.
bool ParseArabic(absl::string_view s, double* value);

}  // namespace zb::extract

#endif  // ZHIBIAO_COMMON_EXTRACT_QUANTITIES_H_
