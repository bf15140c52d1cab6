// Structure of a normalised report text: title (also when split over two
// lines), salutation, headings at every level (第一部分, 一、, (一), 1., (1), ①),
// the section tree with code-point offsets, and the closing signature and date.
#ifndef ZHIBIAO_COMMON_DOC_STRUCTURE_H_
#define ZHIBIAO_COMMON_DOC_STRUCTURE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "zhibiao/v1/report.pb.h"

namespace zb::doc {

// Heading styles from the outermost down. A section's level is its depth in
// the tree, so a report that starts at (一) has (一) at level 1.
enum HeadingStyle {
  kPart = 0,      // 第一部分, 第一章
  kChinese,       // 一、
  kParenChinese,  // (一)
  kArabic,        // 1.  1、
  kParenArabic,   // (1)
  kCircled,       // ①
  kStyleCount
};

struct HeadingMatch {
  HeadingStyle style;
  int value;                   // ordinal value: 三 → 3, (2) → 2, ③ → 3
  std::string ordinal;         // as written: "三、", "(二)", "1.", "①", "第一部分"
  std::string path_component;  // as annotators write it: "三", "(二)", "1", "①", "第一部分"
  absl::string_view rest;      // the line after the ordinal
};

// Whether a trimmed, NFKC-normalised line starts with a heading ordinal.
std::optional<HeadingMatch> MatchHeading(absl::string_view line);

struct DocumentStructure {
  std::string title;       // title lines joined, spaces between CJK characters removed
  std::string salutation;  // "云溪县人民代表大会常务委员会:" or ""
  std::string signature;   // closing issuer line or ""
  std::string date_line;   // closing date line as written, or ""
  // Sections in document order: "0" (preamble, if it has text) then headings.
  std::vector<zhibiao::v1::Section> sections;
  // Code-point offsets where the body ends (signature and date excluded).
  int64_t body_end = 0;
};

// Parses `text` (NFKC-normalised, LF line ends).
DocumentStructure ParseStructure(absl::string_view text);

}  // namespace zb::doc

#endif  // ZHIBIAO_COMMON_DOC_STRUCTURE_H_
