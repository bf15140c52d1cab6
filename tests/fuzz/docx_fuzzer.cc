// Fuzz target: the DOCX reader (libzip, then libxml2 without entities or
// DTDs). Input that is already a ZIP goes in as it is; anything else becomes
// word/document.xml of an otherwise valid package, so the mutations reach
// the XML walk instead of dying at the ZIP signature.
#include <zip.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/match.h"
#include "common/doc/formats.h"

namespace {

// A ZIP holding `xml` as word/document.xml, built in memory; "" on failure.
std::string PackageWithDocumentXml(const std::string& xml) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* buffer = zip_source_buffer_create(nullptr, 0, 0, &error);
  if (buffer == nullptr) return "";
  zip_source_keep(buffer);
  zip_t* archive = zip_open_from_source(buffer, ZIP_TRUNCATE, &error);
  zip_error_fini(&error);
  if (archive == nullptr) {
    zip_source_free(buffer);
    return "";
  }
  // libzip copies nothing until zip_close: `xml` outlives it.
  zip_source_t* file = zip_source_buffer(archive, xml.data(), xml.size(), 0);
  if (file == nullptr || zip_file_add(archive, "word/document.xml", file, ZIP_FL_OVERWRITE) < 0) {
    if (file != nullptr) zip_source_free(file);
    zip_discard(archive);
    zip_source_free(buffer);
    return "";
  }
  std::string out;
  if (zip_close(archive) == 0 && zip_source_open(buffer) == 0) {
    char chunk[65536];
    zip_int64_t n;
    while ((n = zip_source_read(buffer, chunk, sizeof(chunk))) > 0) out.append(chunk, n);
    zip_source_close(buffer);
  } else {
    zip_discard(archive);
  }
  zip_source_free(buffer);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  zb::doc::ReadLimits limits;
  limits.max_docx_xml_bytes = 4u << 20;  // the limit is part of what is fuzzed
  if (absl::StartsWith(bytes, "PK")) {
    (void)zb::doc::ReadDocxDocument(bytes, limits);
  } else {
    const std::string package = PackageWithDocumentXml(bytes);
    if (!package.empty()) (void)zb::doc::ReadDocxDocument(package, limits);
  }
  return 0;
}
