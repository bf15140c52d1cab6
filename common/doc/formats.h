// Format detection from a document's bytes (never its name) and the readers
// that turn each supported format into plain UTF-8 text, one paragraph a line:
// text, HTML (gumbo), PDF (poppler-cpp) and DOCX (libzip + libxml2).
#ifndef ZHIBIAO_COMMON_DOC_FORMATS_H_
#define ZHIBIAO_COMMON_DOC_FORMATS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/base/call_budget.h"
#include "zhibiao/v1/report.pb.h"

namespace zb::doc {

// What the bytes are. Unsupported kinds are detected so the error can name them.
enum class DetectedKind {
  kText,
  kHtml,
  kPdf,
  kDocx,
  kZipNotDocx,
  kOdt,
  kOle2,
  kImage,
  kArchive,
  kEmpty,
};

struct Detection {
  DetectedKind kind;
  std::string name;  // "PDF", "DOCX", "PNG image", "ZIP archive (not DOCX)", ...
};

// Looks at magic numbers and content. Text vs HTML is decided on the first KiB.
Detection DetectFormat(absl::string_view bytes);

// A document's text, before normalisation.
struct DocumentText {
  zhibiao::v1::DocumentFormat format = zhibiao::v1::DOCUMENT_FORMAT_UNSPECIFIED;
  std::string encoding;  // of the source text ("UTF-8", "GB18030", ...; "" for PDF/DOCX)
  std::string utf8;      // one paragraph (or heading, or table row) a line
};

// Bounds on what reading one document may cost, beyond its byte size.
// Exceeding one is INVALID_ARGUMENT naming the limit and its flag.
struct ReadLimits {
  // DOCX: word/document.xml once decompressed (--max_docx_xml_mb).
  size_t max_docx_xml_bytes = 64u << 20;
  // HTML: elements open inside each other (--max_html_depth), and elements
  // in all (--max_html_elements); real pages stay far below both.
  int max_html_depth = 512;
  int64_t max_html_elements = 500000;
  // PDF: pages (--max_pdf_pages).
  int max_pdf_pages = 5000;
};

// Detects the format and reads the text. INVALID_ARGUMENT names the problem:
// an empty or blank document, an unsupported format (naming the detected one),
// undecodable text, a damaged, truncated or password-protected PDF, a ZIP that
// is not DOCX, an HTML page with no article text, a document over one of
// `limits`. Reading stops with the budget's status when it runs out.
absl::StatusOr<DocumentText> ReadDocument(absl::string_view bytes, const ReadLimits& limits = {},
                                          const CallBudget& budget = CallBudget());

// Per-format readers (exposed for tests and fuzzers).
absl::StatusOr<DocumentText> ReadTextDocument(absl::string_view bytes);
absl::StatusOr<DocumentText> ReadHtmlDocument(absl::string_view bytes,
                                              const ReadLimits& limits = {},
                                              const CallBudget& budget = CallBudget());
absl::StatusOr<DocumentText> ReadPdfDocument(absl::string_view bytes, const ReadLimits& limits = {},
                                             const CallBudget& budget = CallBudget());
absl::StatusOr<DocumentText> ReadDocxDocument(absl::string_view bytes,
                                              const ReadLimits& limits = {},
                                              const CallBudget& budget = CallBudget());

}  // namespace zb::doc

#endif  // ZHIBIAO_COMMON_DOC_FORMATS_H_
