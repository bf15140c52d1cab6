// Fuzz target: arbitrary bytes through the PDF reader (poppler-cpp, with a
// page limit) and the structure parser on what it reads.
#include <cstddef>
#include <cstdint>

#include "common/doc/formats.h"
#include "common/doc/structure.h"
#include "common/text/normalize.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  zb::doc::ReadLimits limits;
  limits.max_pdf_pages = 50;
  auto text = zb::doc::ReadPdfDocument(bytes, limits);
  if (!text.ok()) return 0;
  zb::doc::ParseStructure(zb::text::NormalizeNfkc(text->utf8).text);
  return 0;
}
