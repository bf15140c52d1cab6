// Structure of a normalised report text: the site chrome a clipped page
// brings along (left out of every section), the front matter (title, also
// when split over two lines; delivery and speaker lines of a speech; the
// page's date and source), the salutation, headings at every level
// (第一部分, 一、, (一), 1., (1), ①), also when a whole report stands on one
// line, the section tree with code-point offsets, and the closing signature
// and date.
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
  std::string title;       // title lines joined, spaces between CJK characters removed; "" if none
  std::string salutation;  // "云溪县人民代表大会常务委员会:", "各位代表:" or ""
  std::string signature;   // closing issuer line or ""
  std::string date_line;   // closing date line as written, or ""
  // Front matter of a speech: "——2026年1月26日在河南省第十四届人民代表大会第四次
  // 会议上" and "河南省人民政府省长 王凯", as written, or "".
  std::string delivery_line;
  std::string speaker_line;
  // What the page's chrome said: its date line ("2026-02-03", "2026-02-09
  // 09:45:30") and source ("河南日报"), as written, or "".
  std::string page_date;
  std::string page_source;
  // Other lines before the body that are neither chrome nor one of the above
  // (a second title, "省长赵刚作政府工作报告"), in order.
  std::vector<std::string> front_lines;
  int chrome_lines = 0;  // lines left out as site chrome
  // Sections in document order: "0" (preamble, if it has text) then headings.
  std::vector<zhibiao::v1::Section> sections;
  // Code-point offsets where the body begins and ends (front matter,
  // signature, date and trailing chrome excluded).
  int64_t body_begin = 0;
  int64_t body_end = 0;
};

// Parses `text` (NFKC-normalised, LF line ends).
DocumentStructure ParseStructure(absl::string_view text);

}  // namespace zb::doc

#endif  // ZHIBIAO_COMMON_DOC_STRUCTURE_H_
