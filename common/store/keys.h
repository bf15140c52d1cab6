// Key and value encodings of the storage layout (docs/storage.md). Keys are
// built so that byte order is query order:
//
//   reports           report_id (32 ASCII hex)                    -> zhibiao.v1.Report
//   report_by_region  region(6) | year(2, BE) | report_id(32)     -> zhibiao.v1.ReportMeta
//   ind_by_metric     metric(escaped) | year(2, BE) | region(6) |
//                     report_id(32) | seq(4, BE)                  -> IndexValue (below)
//   meta              "schema_version"                            -> decimal string
//                     "arriving/" report_id                       -> the report id it replaces
//
// region is the six-digit GB/T 2260 code, "000000" when unresolved. year is
// an unsigned 16-bit big-endian integer (0 when unknown). metric is escaped so
// that any byte string sorts correctly and ends unambiguously: 0x00 becomes
// 0x00 0xFF and the string ends with 0x00 0x01 (the unmapped metric "" is the
// two bytes 0x00 0x01 and sorts first).
#ifndef ZHIBIAO_COMMON_STORE_KEYS_H_
#define ZHIBIAO_COMMON_STORE_KEYS_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "zhibiao/v1/report.pb.h"

namespace zb::store {

inline constexpr size_t kReportIdBytes = 32;
inline constexpr size_t kRegionBytes = 6;
inline constexpr absl::string_view kUnknownRegion = "000000";

// Appends `s` escaped and terminated (order-preserving).
void AppendEscaped(absl::string_view s, std::string* out);
// Reads an escaped string from the front of *in, advancing it.
bool ReadEscaped(absl::string_view* in, std::string* out);

void AppendUint16(uint16_t v, std::string* out);
void AppendUint32(uint32_t v, std::string* out);
uint16_t DecodeUint16(const char* p);
uint32_t DecodeUint32(const char* p);

// A region code as stored: the code if it is six digits, else "000000".
std::string RegionKeyPart(absl::string_view code);
uint16_t YearKeyPart(int32_t year);

std::string ReportKey(absl::string_view report_id);
std::string RegionIndexKey(const zhibiao::v1::ReportMeta& meta);

// Prefix of every ind_by_metric key of `metric_key`; with a year, of that year.
std::string MetricPrefix(absl::string_view metric_key);
std::string MetricYearPrefix(absl::string_view metric_key, int32_t year);
std::string IndicatorKey(const zhibiao::v1::ReportMeta& meta, const zhibiao::v1::Indicator& ind);

// The parts of an ind_by_metric key. Views point into the key (or into
// `metric_scratch` when the metric had escaped bytes); no allocation on the
// common path, since aggregations decode every entry they scan.
struct IndicatorKeyParts {
  absl::string_view metric_key;
  uint16_t year = 0;
  absl::string_view region;
  absl::string_view report_id;
  uint32_t seq = 0;
  std::string metric_scratch;
};
bool ParseIndicatorKey(absl::string_view key, IndicatorKeyParts* parts);

// What an index entry holds: enough to filter and aggregate without reading
// the report. Layout: value, low, high (IEEE double, little-endian), qualifier,
// change, flags (bit 0: is_target), unit kind (one byte each), province(6),
// then unit, subject and section_id as varint-length-prefixed strings, then
// period_end (uint16, little-endian), the report's DocumentKind (one byte);
// each absent in entries written before it.
// Views point into the encoded value.
struct IndexValue {
  double value = 0;
  double low = 0;
  double high = 0;
  uint8_t qualifier = 0;
  uint8_t change = 0;
  bool is_target = false;
  bool period_total = false;  // Indicator.cumulative over several years
  uint8_t unit_kind = 0;
  absl::string_view province;  // six digits or "000000"
  absl::string_view unit;
  absl::string_view subject;
  absl::string_view section_id;
  uint16_t period_end = 0;    // Indicator.period_end, 0 when open
  uint8_t document_kind = 0;  // ReportMeta.kind, 0 (unspecified) in older entries
};

std::string EncodeIndexValue(const zhibiao::v1::ReportMeta& meta,
                             const zhibiao::v1::Indicator& ind);
bool DecodeIndexValue(absl::string_view in, IndexValue* out);

}  // namespace zb::store

#endif  // ZHIBIAO_COMMON_STORE_KEYS_H_
