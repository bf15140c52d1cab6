// Unicode NFKC normalisation (ICU) that remembers where each normalised code
// point came from, so offsets found in normalised text map back to the text
// as the client sent it. Full-width digits and punctuation become ASCII
// ("１,２３４" → "1,234", "（一）" → "(一)"); CRLF and CR become LF.
// Circled numbers (①②…) are kept as written: they number headings.
#ifndef ZHIBIAO_COMMON_TEXT_NORMALIZE_H_
#define ZHIBIAO_COMMON_TEXT_NORMALIZE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace zb::text {

struct NormalizedText {
  std::string text;  // NFKC, UTF-8, LF line ends
  // For each code point of `text`, the index of the code point of the input
  // it came from; one more entry at the end, the input's length in code points.
  std::vector<int32_t> source_offsets;
};

// REQUIRES: `utf8` is valid UTF-8 (as DecodeToUtf8 returns it).
NormalizedText NormalizeNfkc(absl::string_view utf8);

// Removes white space between two CJK characters and between a digit and a
// CJK character ("关于 2021 年" → "关于2021年", as PDF extraction spaces them);
// other runs of white space become one space; leading and trailing space go.
std::string RemoveSpacesAroundCjk(absl::string_view utf8);

// Number of code points in valid UTF-8 `s`. Inline: scanners call it per token.
inline int64_t CodePointCount(absl::string_view s) {
  int64_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

}  // namespace zb::text

#endif  // ZHIBIAO_COMMON_TEXT_NORMALIZE_H_
