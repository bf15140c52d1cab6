// PDF reader (poppler-cpp): text in reading order, with the lines a layout
// wrapped in the middle of a sentence, word or number joined again, page
// numbers dropped, and the spaces extraction puts between digits and CJK
// characters removed.
#include <poppler-document.h>
#include <poppler-global.h>
#include <poppler-page.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/doc/formats.h"
#include "common/doc/structure.h"
#include "common/text/normalize.h"
#include "common/text/numerals.h"

namespace zb::doc {
namespace {

void IgnorePopplerMessage(const std::string&, void*) {}

// "3", "- 3 -", "— 3 —", "第3页", "3/12": page furniture, not text.
bool IsPageNumber(absl::string_view line) {
  std::string compact;
  for (char c : line) {
    if (!absl::ascii_isspace(static_cast<unsigned char>(c))) compact.push_back(c);
  }
  absl::string_view s = compact;
  for (absl::string_view dash : {"-", "—", "–"}) {
    if (absl::StartsWith(s, dash) && absl::EndsWith(s, dash) && s.size() > 2 * dash.size()) {
      s = s.substr(dash.size(), s.size() - 2 * dash.size());
    }
  }
  if (absl::StartsWith(s, "第") && absl::EndsWith(s, "页")) s = s.substr(3, s.size() - 6);
  if (s.empty() || s.size() > 7) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(c) && c != '/') return false;
  }
  return true;
}

// Sentence-final characters after NFKC (。 stays, ! ? : ; become ASCII).
bool EndsSentence(absl::string_view line) {
  for (absl::string_view end : {"。", "!", "?", ":", ";", "”", "…"}) {
    if (absl::EndsWith(line, end)) return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<DocumentText> ReadPdfDocument(absl::string_view bytes, const ReadLimits& limits,
                                             const CallBudget& budget) {
  poppler::set_debug_error_function(IgnorePopplerMessage, nullptr);
  // A file cut short loses its cross-reference table and trailer; poppler
  // would reconstruct what it can and silently drop the rest.
  absl::string_view tail = bytes.substr(bytes.size() > 2048 ? bytes.size() - 2048 : 0);
  if (!absl::StrContains(tail, "%%EOF")) {
    return absl::InvalidArgumentError(
        "truncated PDF: no %%EOF marker at the end of the file; send the complete file");
  }
  std::unique_ptr<poppler::document> document(
      poppler::document::load_from_raw_data(bytes.data(), static_cast<int>(bytes.size())));
  if (document == nullptr) {
    return absl::InvalidArgumentError("damaged PDF: poppler cannot read its structure");
  }
  if (document->is_locked()) {
    return absl::InvalidArgumentError(
        "encrypted PDF: it needs a password to open; send an unprotected copy");
  }
  const int pages = document->pages();
  if (pages <= 0) return absl::InvalidArgumentError("PDF has no pages");
  if (pages > limits.max_pdf_pages) {
    return absl::InvalidArgumentError(absl::StrCat("PDF has ", pages, " pages, over the limit of ",
                                                   limits.max_pdf_pages, " (--max_pdf_pages)"));
  }

  std::vector<std::string> lines;
  for (int i = 0; i < pages; ++i) {
    if (absl::Status s = budget.Check("reading the PDF"); !s.ok()) return s;
    std::unique_ptr<poppler::page> page(document->create_page(i));
    if (page == nullptr) continue;
    poppler::byte_array utf8 =
        page->text(poppler::rectf(), poppler::page::non_raw_non_physical_layout).to_utf8();
    std::string text(utf8.begin(), utf8.end());
    for (absl::string_view raw : absl::StrSplit(text, absl::ByAnyChar("\n\f"))) {
      std::string line = text::NormalizeNfkc(raw).text;
      line = text::RemoveSpacesAroundCjk(line);
      absl::string_view trimmed = absl::StripAsciiWhitespace(line);
      if (trimmed.empty() || IsPageNumber(trimmed)) continue;
      lines.emplace_back(trimmed);
    }
  }
  if (lines.empty()) {
    return absl::InvalidArgumentError(
        "PDF has no extractable text (a scanned image? OCR is not supported)");
  }

  // The width of a full line: the 90th percentile of line lengths.
  std::vector<int64_t> lengths;
  for (const std::string& l : lines) lengths.push_back(text::CodePointCount(l));
  std::vector<int64_t> sorted = lengths;
  std::sort(sorted.begin(), sorted.end());
  const int64_t full = sorted[sorted.size() * 9 / 10];

  // A line continues on the next one when it fills the width and the next
  // line does not start a heading; a short line or a heading ends a paragraph.
  DocumentText out;
  out.format = zhibiao::v1::DOCUMENT_FORMAT_PDF;
  std::string paragraph;
  for (size_t i = 0; i < lines.size(); ++i) {
    paragraph = paragraph.empty()
                    ? lines[i]
                    : text::RemoveSpacesAroundCjk(absl::StrCat(paragraph, " ", lines[i]));
    const bool last = i + 1 == lines.size();
    const bool next_is_heading = !last && MatchHeading(lines[i + 1]).has_value();
    const bool short_line = lengths[i] < full * 85 / 100;
    const bool ends = last || next_is_heading || short_line ||
                      (EndsSentence(lines[i]) && lengths[i] < full * 95 / 100);
    if (ends) {
      absl::StrAppend(&out.utf8, paragraph, "\n");
      paragraph.clear();
    }
  }
  return out;
}

}  // namespace zb::doc
