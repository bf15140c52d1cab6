#include "common/doc/formats.h"

#include <zip.h>

#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/text/decode.h"

namespace zb::doc {
namespace {

bool StartsWithBytes(absl::string_view s, absl::string_view magic) {
  return s.size() >= magic.size() && s.substr(0, magic.size()) == magic;
}

struct ZipCloser {
  void operator()(zip_t* z) const { zip_discard(z); }
};

// Names a ZIP's kind by its entries.
Detection DetectZip(absl::string_view bytes) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
  if (source == nullptr) return {DetectedKind::kArchive, "damaged ZIP archive"};
  std::unique_ptr<zip_t, ZipCloser> archive(zip_open_from_source(source, ZIP_RDONLY, &error));
  if (archive == nullptr) {
    zip_source_free(source);
    zip_error_fini(&error);
    return {DetectedKind::kArchive, "damaged ZIP archive"};
  }
  zip_error_fini(&error);
  if (zip_name_locate(archive.get(), "word/document.xml", 0) >= 0) {
    return {DetectedKind::kDocx, "DOCX"};
  }
  if (zip_name_locate(archive.get(), "content.xml", 0) >= 0) {
    return {DetectedKind::kOdt, "OpenDocument (ODT) file"};
  }
  return {DetectedKind::kZipNotDocx, "ZIP archive that is not DOCX (no word/document.xml)"};
}

bool LooksLikeHtml(absl::string_view head) {
  std::string lower = absl::AsciiStrToLower(head.substr(0, 1024));
  for (absl::string_view tag :
       {"<!doctype html", "<html", "<head", "<body", "<meta ", "<p>", "<div"}) {
    if (absl::StrContains(lower, tag)) return true;
  }
  return false;
}

}  // namespace

Detection DetectFormat(absl::string_view bytes) {
  if (bytes.empty()) return {DetectedKind::kEmpty, "empty document"};
  if (absl::StrContains(bytes.substr(0, 1024), "%PDF-")) return {DetectedKind::kPdf, "PDF"};
  if (StartsWithBytes(bytes, "PK\x03\x04")) return DetectZip(bytes);
  if (StartsWithBytes(bytes, "PK\x05\x06")) return {DetectedKind::kZipNotDocx, "empty ZIP archive"};
  if (StartsWithBytes(bytes, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1")) {
    return {DetectedKind::kOle2, "legacy Word/WPS document (OLE2 .doc/.wps)"};
  }
  if (StartsWithBytes(bytes, "\x89PNG")) return {DetectedKind::kImage, "PNG image"};
  if (StartsWithBytes(bytes, "\xFF\xD8\xFF")) return {DetectedKind::kImage, "JPEG image"};
  if (StartsWithBytes(bytes, "GIF8")) return {DetectedKind::kImage, "GIF image"};
  if (StartsWithBytes(bytes, absl::string_view("II*\0", 4)) ||
      StartsWithBytes(bytes, absl::string_view("MM\0*", 4)))
    return {DetectedKind::kImage, "TIFF image"};
  if (StartsWithBytes(bytes, "\x1F\x8B")) return {DetectedKind::kArchive, "gzip archive"};
  if (StartsWithBytes(bytes, "Rar!")) return {DetectedKind::kArchive, "RAR archive"};
  if (StartsWithBytes(bytes, "7z\xBC\xAF\x27\x1C")) return {DetectedKind::kArchive, "7z archive"};
  if (LooksLikeHtml(bytes)) return {DetectedKind::kHtml, "HTML"};
  return {DetectedKind::kText, "text"};
}

absl::StatusOr<DocumentText> ReadTextDocument(absl::string_view bytes) {
  absl::StatusOr<text::DecodedText> decoded = text::DecodeToUtf8(bytes);
  if (!decoded.ok()) return decoded.status();
  DocumentText out;
  out.format = zhibiao::v1::DOCUMENT_FORMAT_TEXT;
  out.encoding = decoded->encoding;
  out.utf8 = std::move(decoded->utf8);
  return out;
}

absl::StatusOr<DocumentText> ReadDocument(absl::string_view bytes, const ReadLimits& limits,
                                          const CallBudget& budget) {
  const Detection detection = DetectFormat(bytes);
  absl::StatusOr<DocumentText> text = absl::InternalError("unreachable");
  switch (detection.kind) {
    case DetectedKind::kEmpty:
      return absl::InvalidArgumentError("empty document: the request has no content bytes");
    case DetectedKind::kText: text = ReadTextDocument(bytes); break;
    case DetectedKind::kHtml: text = ReadHtmlDocument(bytes, limits, budget); break;
    case DetectedKind::kPdf: text = ReadPdfDocument(bytes, limits, budget); break;
    case DetectedKind::kDocx: text = ReadDocxDocument(bytes, limits, budget); break;
    case DetectedKind::kZipNotDocx:
    case DetectedKind::kOdt:
    case DetectedKind::kOle2:
    case DetectedKind::kImage:
    case DetectedKind::kArchive:
      return absl::InvalidArgumentError(
          absl::StrCat("unsupported format: detected ", detection.name,
                       "; zhibiao reads plain text (UTF-8, GB18030, UTF-16), HTML, PDF and DOCX"));
  }
  if (!text.ok()) return text.status();
  // Blank documents carry nothing to index: say so instead of storing nothing.
  bool blank = true;
  for (char c : text->utf8) {
    if (!absl::ascii_isspace(static_cast<unsigned char>(c))) {
      // U+3000 and NBSP are white space too.
      blank = false;
      break;
    }
  }
  if (!blank) {
    std::string stripped = text->utf8;
    for (absl::string_view ws : {"\u3000", "\u00A0", "\uFEFF"}) {
      for (size_t at; (at = stripped.find(std::string(ws))) != std::string::npos;) {
        stripped.erase(at, ws.size());
      }
    }
    blank = absl::StripAsciiWhitespace(stripped).empty();
  }
  if (blank) {
    return absl::InvalidArgumentError(
        absl::StrCat("empty document: the ", detection.name, " has only white space"));
  }
  return text;
}

}  // namespace zb::doc
