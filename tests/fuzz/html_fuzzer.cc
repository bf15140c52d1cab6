// Fuzz target: arbitrary bytes through the HTML reader (gumbo) and the
// structure parser.
#include <cstddef>
#include <cstdint>

#include "common/doc/formats.h"
#include "common/doc/structure.h"
#include "common/text/normalize.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto text = zb::doc::ReadHtmlDocument(bytes);
  if (!text.ok()) return 0;
  zb::doc::ParseStructure(zb::text::NormalizeNfkc(text->utf8).text);
  return 0;
}
