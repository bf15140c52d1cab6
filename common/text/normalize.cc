#include "common/text/normalize.h"

#include <unicode/normalizer2.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

#include <utility>
#include <vector>

namespace zb::text {
namespace {

// Code points NFKC would rewrite but zhibiao keeps: circled and parenthesised
// numbers (①, ⑴, ⒈, ❶), which number headings and list items.
bool KeepAsWritten(UChar32 c) {
  return (c >= 0x2460 && c <= 0x24FF) || (c >= 0x2776 && c <= 0x2793) ||
         (c >= 0x3251 && c <= 0x325F) || (c >= 0x32B1 && c <= 0x32BF);
}

void AppendUtf8(UChar32 c, std::string* out) {
  char buf[4];
  int32_t len = 0;
  UBool error = false;
  U8_APPEND(reinterpret_cast<uint8_t*>(buf), len, 4, c, error);
  if (!error) out->append(buf, len);
}

bool IsSpaceCp(UChar32 c) { return c == ' ' || c == '\t' || c == 0x3000 || c == 0xA0; }

// CJK ideographs and CJK/full-width punctuation.
bool IsCjkCp(UChar32 c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3000 && c <= 0x303F) ||
         (c >= 0xFF00 && c <= 0xFFEF) || (c >= 0x2010 && c <= 0x2027) || c == 0x3007;
}

}  // namespace

std::string RemoveSpacesAroundCjk(absl::string_view utf8) {
  std::vector<std::pair<UChar32, absl::string_view>> cps;
  const auto* s = reinterpret_cast<const uint8_t*>(utf8.data());
  const int32_t length = static_cast<int32_t>(utf8.size());
  for (int32_t i = 0; i < length;) {
    int32_t start = i;
    UChar32 c;
    U8_NEXT(s, i, length, c);
    cps.emplace_back(c, utf8.substr(start, i - start));
  }
  // PDF extraction puts spaces around digits and Latin runs inside Chinese
  // text; a space next to a CJK character never separates words.
  auto joins = [](UChar32 a, UChar32 b) { return IsCjkCp(a) || IsCjkCp(b); };
  std::string out;
  out.reserve(utf8.size());
  for (size_t k = 0; k < cps.size();) {
    if (!IsSpaceCp(cps[k].first)) {
      out.append(cps[k].second.data(), cps[k].second.size());
      ++k;
      continue;
    }
    size_t j = k;
    while (j < cps.size() && IsSpaceCp(cps[j].first)) ++j;
    const bool inner = k > 0 && j < cps.size();
    if (inner && !joins(cps[k - 1].first, cps[j].first)) out.push_back(' ');
    k = j;
  }
  return out;
}

NormalizedText NormalizeNfkc(absl::string_view utf8) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfkc = icu::Normalizer2::getNFKCInstance(status);
  NormalizedText out;
  out.text.reserve(utf8.size());
  out.source_offsets.reserve(utf8.size() / 2 + 1);

  const auto* s = reinterpret_cast<const uint8_t*>(utf8.data());
  const int32_t length = static_cast<int32_t>(utf8.size());
  int32_t i = 0;
  int32_t source_cp = 0;  // code point index of s[i] in the input
  icu::UnicodeString segment;
  icu::UnicodeString normalized;
  while (i < length) {
    UChar32 c;
    int32_t next = i;
    U8_NEXT(s, next, length, c);
    if (c == '\r') {
      out.text.push_back('\n');
      out.source_offsets.push_back(source_cp);
      ++source_cp;
      i = next;
      if (i < length && s[i] == '\n') {  // CRLF: the LF is dropped
        ++i;
        ++source_cp;
      }
      continue;
    }
    if (c < 0x80 || c < 0 || KeepAsWritten(c) || nfkc->isInert(c)) {
      // Fast path: ASCII and code points NFKC leaves alone and that do not
      // combine with what follows.
      if (c < 0) c = 0xFFFD;
      AppendUtf8(c, &out.text);
      out.source_offsets.push_back(source_cp);
      ++source_cp;
      i = next;
      continue;
    }
    // Collect a segment: this code point and following ones up to the next
    // normalisation boundary, normalise it, and map every output code point
    // to the segment's first input code point.
    const int32_t segment_start_cp = source_cp;
    segment.remove();
    segment.append(c);
    ++source_cp;
    i = next;
    while (i < length) {
      UChar32 d;
      int32_t after = i;
      U8_NEXT(s, after, length, d);
      if (d < 0 || d == '\r' || KeepAsWritten(d) || nfkc->hasBoundaryBefore(d)) break;
      segment.append(d);
      ++source_cp;
      i = after;
    }
    status = U_ZERO_ERROR;
    nfkc->normalize(segment, normalized, status);
    if (U_FAILURE(status)) normalized = segment;
    for (int32_t k = 0; k < normalized.length();) {
      const UChar32 n = normalized.char32At(k);
      AppendUtf8(n, &out.text);
      out.source_offsets.push_back(segment_start_cp);
      k += U16_LENGTH(n);
    }
  }
  out.source_offsets.push_back(source_cp);
  return out;
}

}  // namespace zb::text
