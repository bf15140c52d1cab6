// Fuzz target: the quantity recognizer and the indicator stage on arbitrary
// (valid UTF-8) text, with the invariants every figure must keep.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "common/doc/structure.h"
#include "common/extract/indicators.h"
#include "common/extract/quantities.h"
#include "common/taxonomy/taxonomy.h"
#include "common/text/decode.h"
#include "common/text/normalize.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (zb::text::FindInvalidUtf8(bytes) != absl::string_view::npos) return 0;
  const std::string text = zb::text::NormalizeNfkc(bytes).text;
  const zb::extract::CodePointText t(text);
  int64_t previous_end = 0;
  for (const auto& q : zb::extract::FindQuantities(t)) {
    // Figures are in order, do not overlap, and lie inside the text.
    if (q.begin < previous_end || q.end <= q.begin || q.end > t.size()) std::abort();
    previous_end = q.end;
  }
  auto structure = zb::doc::ParseStructure(text);
  auto indicators = zb::extract::ExtractIndicators(text, structure.sections, 2021);
  zb::taxonomy::AssignMetricKeys(zb::taxonomy::Taxonomy::Default(), text, structure.sections,
                                 &indicators);
  return 0;
}
