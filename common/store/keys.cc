#include "common/store/keys.h"

#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace zb::store {
namespace {

void AppendVarint(uint32_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

bool ReadVarint(absl::string_view* in, uint32_t* v) {
  *v = 0;
  for (int shift = 0; shift <= 28 && !in->empty(); shift += 7) {
    const auto byte = static_cast<uint8_t>((*in)[0]);
    in->remove_prefix(1);
    *v |= static_cast<uint32_t>(byte & 0x7F) << shift;
    if ((byte & 0x80) == 0) return true;
  }
  return false;
}

void AppendDouble(double d, std::string* out) {
  char buf[8];
  std::memcpy(buf, &d, 8);
  out->append(buf, 8);
}

double ReadDouble(const char* p) {
  double d;
  std::memcpy(&d, p, 8);
  return d;
}

void AppendLengthPrefixed(absl::string_view s, std::string* out) {
  AppendVarint(static_cast<uint32_t>(s.size()), out);
  out->append(s.data(), s.size());
}

bool ReadLengthPrefixed(absl::string_view* in, absl::string_view* out) {
  uint32_t n = 0;
  if (!ReadVarint(in, &n) || in->size() < n) return false;
  *out = in->substr(0, n);
  in->remove_prefix(n);
  return true;
}

}  // namespace

void AppendEscaped(absl::string_view s, std::string* out) {
  for (char c : s) {
    out->push_back(c);
    if (c == '\0') out->push_back('\xFF');
  }
  out->push_back('\0');
  out->push_back('\x01');
}

bool ReadEscaped(absl::string_view* in, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in->size();) {
    const char c = (*in)[i];
    if (c != '\0') {
      out->push_back(c);
      ++i;
      continue;
    }
    if (i + 1 >= in->size()) return false;
    const char next = (*in)[i + 1];
    if (next == '\x01') {
      in->remove_prefix(i + 2);
      return true;
    }
    if (next != '\xFF') return false;
    out->push_back('\0');
    i += 2;
  }
  return false;
}

void AppendUint16(uint16_t v, std::string* out) {
  out->push_back(static_cast<char>(v >> 8));
  out->push_back(static_cast<char>(v & 0xFF));
}

void AppendUint32(uint32_t v, std::string* out) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out->push_back(static_cast<char>((v >> shift) & 0xFF));
}

uint16_t DecodeUint16(const char* p) {
  return static_cast<uint16_t>((static_cast<uint8_t>(p[0]) << 8) | static_cast<uint8_t>(p[1]));
}

uint32_t DecodeUint32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

std::string RegionKeyPart(absl::string_view code) {
  if (code.size() != kRegionBytes) return std::string(kUnknownRegion);
  for (char c : code) {
    if (!absl::ascii_isdigit(c)) return std::string(kUnknownRegion);
  }
  return std::string(code);
}

uint16_t YearKeyPart(int32_t year) {
  return year > 0 && year < 65536 ? static_cast<uint16_t>(year) : 0;
}

std::string ReportKey(absl::string_view report_id) { return std::string(report_id); }

std::string RegionIndexKey(const zhibiao::v1::ReportMeta& meta) {
  std::string key = RegionKeyPart(meta.region().code());
  AppendUint16(YearKeyPart(meta.report_year()), &key);
  key.append(meta.report_id());
  return key;
}

std::string MetricPrefix(absl::string_view metric_key) {
  std::string key;
  AppendEscaped(metric_key, &key);
  return key;
}

std::string MetricYearPrefix(absl::string_view metric_key, int32_t year) {
  std::string key = MetricPrefix(metric_key);
  AppendUint16(YearKeyPart(year), &key);
  return key;
}

std::string IndicatorKey(const zhibiao::v1::ReportMeta& meta, const zhibiao::v1::Indicator& ind) {
  std::string key = MetricYearPrefix(ind.metric_key(), meta.report_year());
  key.append(RegionKeyPart(meta.region().code()));
  key.append(meta.report_id());
  AppendUint32(static_cast<uint32_t>(ind.seq()), &key);
  return key;
}

bool ParseIndicatorKey(absl::string_view key, IndicatorKeyParts* parts) {
  // Fast path: no 0x00 inside the metric, so it ends at the first 0x00 0x01.
  const size_t zero = key.find('\0');
  if (zero != absl::string_view::npos && zero + 1 < key.size() && key[zero + 1] == '\x01') {
    parts->metric_key = key.substr(0, zero);
    key.remove_prefix(zero + 2);
  } else {
    if (!ReadEscaped(&key, &parts->metric_scratch)) return false;
    parts->metric_key = parts->metric_scratch;
  }
  if (key.size() != 2 + kRegionBytes + kReportIdBytes + 4) return false;
  parts->year = DecodeUint16(key.data());
  parts->region = key.substr(2, kRegionBytes);
  parts->report_id = key.substr(2 + kRegionBytes, kReportIdBytes);
  parts->seq = DecodeUint32(key.data() + 2 + kRegionBytes + kReportIdBytes);
  return true;
}

std::string EncodeIndexValue(const zhibiao::v1::ReportMeta& meta,
                             const zhibiao::v1::Indicator& ind) {
  std::string out;
  out.reserve(64 + ind.subject().size());
  AppendDouble(ind.quantity().value(), &out);
  AppendDouble(ind.quantity().low(), &out);
  AppendDouble(ind.quantity().high(), &out);
  out.push_back(static_cast<char>(ind.quantity().qualifier()));
  out.push_back(static_cast<char>(ind.change()));
  // Bit 0: a target; bit 1: a total of several years (older entries: 0).
  const bool period_total =
      ind.cumulative() && ind.period_start() != 0 && ind.period_start() < ind.period_end();
  out.push_back(static_cast<char>((ind.is_target() ? 1 : 0) | (period_total ? 2 : 0)));
  out.push_back(static_cast<char>(ind.quantity().kind()));
  out.append(RegionKeyPart(meta.region().province_code()));
  AppendLengthPrefixed(ind.quantity().unit(), &out);
  AppendLengthPrefixed(ind.subject(), &out);
  AppendLengthPrefixed(ind.section_id(), &out);
  const int32_t period_end =
      ind.period_end() >= 0 && ind.period_end() <= 9999 ? ind.period_end() : 0;
  out.push_back(static_cast<char>(period_end & 0xff));
  out.push_back(static_cast<char>(period_end >> 8));
  out.push_back(static_cast<char>(meta.kind()));
  return out;
}

bool DecodeIndexValue(absl::string_view in, IndexValue* out) {
  if (in.size() < 24 + 4 + kRegionBytes) return false;
  out->value = ReadDouble(in.data());
  out->low = ReadDouble(in.data() + 8);
  out->high = ReadDouble(in.data() + 16);
  out->qualifier = static_cast<uint8_t>(in[24]);
  out->change = static_cast<uint8_t>(in[25]);
  out->is_target = (in[26] & 1) != 0;
  out->period_total = (in[26] & 2) != 0;
  out->unit_kind = static_cast<uint8_t>(in[27]);
  out->province = in.substr(28, kRegionBytes);
  in.remove_prefix(28 + kRegionBytes);
  if (!ReadLengthPrefixed(&in, &out->unit) || !ReadLengthPrefixed(&in, &out->subject) ||
      !ReadLengthPrefixed(&in, &out->section_id)) {
    return false;
  }
  out->period_end = 0;
  if (in.size() >= 2) {
    out->period_end =
        static_cast<uint16_t>(static_cast<uint8_t>(in[0]) | (static_cast<uint8_t>(in[1]) << 8));
  }
  out->document_kind = in.size() >= 3 ? static_cast<uint8_t>(in[2]) : 0;
  return true;
}

}  // namespace zb::store
