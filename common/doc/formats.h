// Format detection from a document's bytes (never its name) and the readers
// that turn each supported format into plain UTF-8 text, one paragraph a line:
// text, HTML (gumbo), PDF (poppler-cpp) and DOCX (libzip + libxml2).
#ifndef ZHIBIAO_COMMON_DOC_FORMATS_H_
#define ZHIBIAO_COMMON_DOC_FORMATS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "zhibiao/v1/report.pb.h"

namespace zb::doc {

// What the bytes are. Unsupported kinds are detected so the error can name them.
enum class DetectedKind {
  kText, kHtml, kPdf, kDocx,
  kZipNotDocx, kOdt, kOle2, kImage, kArchive, kEmpty,
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

// Detects the format and reads the text. INVALID_ARGUMENT names the problem:
// an empty or blank document, an unsupported format (naming the detected one),
// undecodable text, a damaged, truncated or password-protected PDF, a ZIP that
// is not DOCX, an HTML page with no article text.
absl::StatusOr<DocumentText> ReadDocument(absl::string_view bytes);

// Per-format readers (exposed for tests and fuzzers).
absl::StatusOr<DocumentText> ReadTextDocument(absl::string_view bytes);
absl::StatusOr<DocumentText> ReadHtmlDocument(absl::string_view bytes);
absl::StatusOr<DocumentText> ReadPdfDocument(absl::string_view bytes);
absl::StatusOr<DocumentText> ReadDocxDocument(absl::string_view bytes);

}  // namespace zb::doc

#endif  // ZHIBIAO_COMMON_DOC_FORMATS_H_
