// Fuzz target: arbitrary bytes through text decoding, NFKC normalisation,
// structure and metadata parsing. Must never crash, hang or leak.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/doc/formats.h"
#include "common/doc/metadata.h"
#include "common/doc/structure.h"
#include "common/text/decode.h"
#include "common/text/normalize.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto decoded = zb::text::DecodeToUtf8(bytes);
  if (!decoded.ok()) return 0;
  zb::text::NormalizedText normalized = zb::text::NormalizeNfkc(decoded->utf8);
  zb::doc::DocumentStructure structure = zb::doc::ParseStructure(normalized.text);
  zhibiao::v1::ReportMeta meta;
  std::vector<zhibiao::v1::Warning> warnings;
  zb::doc::DeriveMetadata(structure, zb::regions::RegionTable::Default(),
                          zhibiao::v1::ReportHints(), &meta, &warnings);
  return 0;
}
