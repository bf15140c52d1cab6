#include "common/pipeline/report_check.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/base/grpc_status.h"
#include "common/pipeline/report_builder.h"
#include "common/text/normalize.h"

namespace zb::pipeline {
namespace {

bool HasControlCharacter(absl::string_view s) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) return true;
  }
  return false;
}

absl::Status TooLong(absl::string_view field, size_t bytes, int64_t limit) {
  return absl::InvalidArgumentError(
      absl::StrCat(field, " is ", bytes, " bytes, over the limit of ", limit));
}

bool IsLowerHex(absl::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isdigit(c) && !(c >= 'a' && c <= 'f')) return false;
  }
  return true;
}

// [begin, end] inside [0, length].
bool SpanInside(int64_t begin, int64_t end, int64_t length) {
  return begin >= 0 && begin <= end && end <= length;
}

}  // namespace

absl::Status CheckCallerFields(const zhibiao::v1::ReportMeta& meta, const ReportLimits& limits) {
  if (static_cast<int64_t>(meta.source_name().size()) > limits.max_source_name_bytes) {
    return TooLong("source_name", meta.source_name().size(), limits.max_source_name_bytes);
  }
  if (HasControlCharacter(meta.source_name())) {
    return absl::InvalidArgumentError(
        absl::StrCat("source_name has a control character (a line break?): \"",
                     ShortQuote(absl::CHexEscape(meta.source_name()), 60), "\""));
  }
  if (meta.labels_size() > limits.max_labels) {
    return absl::InvalidArgumentError(absl::StrCat(
        "labels: ", meta.labels_size(), " labels, over the limit of ", limits.max_labels));
  }
  for (const auto& [key, value] : meta.labels()) {
    if (key.empty() || static_cast<int64_t>(key.size()) > limits.max_label_key_bytes ||
        HasControlCharacter(key)) {
      return absl::InvalidArgumentError(
          absl::StrCat("labels: key \"", ShortQuote(absl::CHexEscape(key), 40), "\" must be 1..",
                       limits.max_label_key_bytes, " bytes without control characters"));
    }
    if (static_cast<int64_t>(value.size()) > limits.max_label_value_bytes ||
        HasControlCharacter(value)) {
      return absl::InvalidArgumentError(
          absl::StrCat("labels: the value of \"", ShortQuote(key, 40), "\" must be at most ",
                       limits.max_label_value_bytes, " bytes without control characters"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckReport(const zhibiao::v1::Report& report, const ReportLimits& limits,
                         bool require_content_id) {
  const zhibiao::v1::ReportMeta& meta = report.meta();
  if (meta.report_id().size() != 32 || !IsLowerHex(meta.report_id())) {
    return absl::InvalidArgumentError(
        absl::StrCat("report.meta.report_id must be 32 lowercase hex digits, got \"",
                     ShortQuote(absl::CHexEscape(meta.report_id()), 40), "\""));
  }
  if (absl::Status s = CheckCallerFields(meta, limits); !s.ok()) return s;
  for (const auto& [name, value] :
       {std::pair<const char*, const std::string*>{"title", &meta.title()},
        {"issuer", &meta.issuer()},
        {"speaker", &meta.speaker()},
        {"salutation", &meta.salutation()},
        {"signature", &meta.signature()},
        {"source_url", &meta.source_url()}}) {
    if (static_cast<int64_t>(value->size()) > limits.max_meta_field_bytes) {
      return TooLong(absl::StrCat("report.meta.", name), value->size(),
                     limits.max_meta_field_bytes);
    }
  }
  if (report.indicators_size() > limits.max_indicators) {
    return absl::InvalidArgumentError(absl::StrCat("report has ", report.indicators_size(),
                                                   " indicators, over the limit of ",
                                                   limits.max_indicators));
  }
  if (report.sections_size() > limits.max_sections) {
    return absl::InvalidArgumentError(absl::StrCat("report has ", report.sections_size(),
                                                   " sections, over the limit of ",
                                                   limits.max_sections));
  }
  if (report.warnings_size() > limits.max_warnings) {
    return absl::InvalidArgumentError(absl::StrCat("report has ", report.warnings_size(),
                                                   " warnings, over the limit of ",
                                                   limits.max_warnings));
  }
  if (!require_content_id) return absl::OkStatus();

  if (report.sections_size() == 0 || report.normalized_text().empty()) {
    return absl::InvalidArgumentError(
        "report has no sections or no normalized_text: not a parsed document");
  }
  const std::string derived = ReportIdOf(report);
  if (derived != meta.report_id()) {
    return absl::InvalidArgumentError(absl::StrCat("report.meta.report_id ", meta.report_id(),
                                                   " is not the hash of the report's own section "
                                                   "texts (",
                                                   derived,
                                                   "); reports are stored as ingest makes them"));
  }
  if (Sha256Hex(report.normalized_text()) != meta.content_sha256()) {
    return absl::InvalidArgumentError(
        "report.meta.content_sha256 is not the SHA-256 of report.normalized_text");
  }
  const int64_t length = text::CodePointCount(report.normalized_text());
  for (int i = 0; i < report.sections_size(); ++i) {
    const zhibiao::v1::Section& s = report.sections(i);
    if (!SpanInside(s.char_begin(), s.char_end(), length)) {
      return absl::InvalidArgumentError(absl::StrCat("section ", i, " spans [", s.char_begin(),
                                                     ", ", s.char_end(), ") outside the text of ",
                                                     length, " characters"));
    }
  }
  const std::string id_prefix = absl::StrCat(meta.report_id(), ":");
  for (int i = 0; i < report.indicators_size(); ++i) {
    const zhibiao::v1::Indicator& ind = report.indicators(i);
    if (!SpanInside(ind.char_begin(), ind.char_end(), length) ||
        !SpanInside(ind.sentence_char_begin(), ind.sentence_char_end(), length)) {
      return absl::InvalidArgumentError(
          absl::StrCat("indicator ", i, " spans [", ind.char_begin(), ", ", ind.char_end(),
                       ") or its sentence lies outside the text of ", length, " characters"));
    }
    if (ind.report_id() != meta.report_id() || ind.indicator_id().rfind(id_prefix, 0) != 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "indicator ", i, " belongs to report \"",
          ShortQuote(absl::CHexEscape(ind.report_id()), 40), "\", not to ", meta.report_id()));
    }
  }
  return absl::OkStatus();
}

}  // namespace zb::pipeline
