#include "common/pipeline/report_builder.h"

#include <openssl/evp.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/doc/formats.h"
#include "common/doc/metadata.h"
#include "common/doc/structure.h"
#include "common/extract/indicators.h"
#include "common/regions/regions.h"
#include "common/taxonomy/taxonomy.h"
#include "common/text/normalize.h"
#include "common/text/numerals.h"

namespace zb::pipeline {

std::string Sha256Hex(absl::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  std::string hex;
  hex.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) absl::StrAppendFormat(&hex, "%02x", digest[i]);
  return hex;
}

std::string ExtractorVersion() {
  return absl::StrCat(extract::kExtractorVersion, "+taxonomy-",
                      taxonomy::Taxonomy::Default().version());
}

bool ExtractorVersionBefore(absl::string_view a, absl::string_view b) {
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (absl::ascii_isdigit(a[i]) && absl::ascii_isdigit(b[j])) {
      while (i < a.size() && a[i] == '0') ++i;
      while (j < b.size() && b[j] == '0') ++j;
      const size_t a_start = i, b_start = j;
      while (i < a.size() && absl::ascii_isdigit(a[i])) ++i;
      while (j < b.size() && absl::ascii_isdigit(b[j])) ++j;
      const absl::string_view x = a.substr(a_start, i - a_start),
                              y = b.substr(b_start, j - b_start);
      if (x.size() != y.size()) return x.size() < y.size();
      if (x != y) return x < y;
      continue;
    }
    if (a[i] != b[j]) return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[j]);
    ++i;
    ++j;
  }
  return i == a.size() && j < b.size();
}

std::string ReportIdOf(const zhibiao::v1::Report& report) {
  std::string canonical;
  for (const auto& section : report.sections()) {
    const std::string& t = section.text();
    for (size_t i = 0; i < t.size();) {
      const size_t start = i;
      const char32_t c = text::NextCodePoint(t, &i);
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0x3000 || c == 0xA0) continue;
      canonical.append(t, start, i - start);
    }
  }
  return Sha256Hex(canonical).substr(0, 32);
}

absl::StatusOr<zhibiao::v1::Report> BuildReport(absl::string_view content,
                                                absl::string_view source_name,
                                                const BuildOptions& options) {
  return BuildReport(content, source_name, zhibiao::v1::ReportHints(), options);
}

absl::StatusOr<zhibiao::v1::Report> BuildReport(absl::string_view content,
                                                absl::string_view source_name,
                                                const zhibiao::v1::ReportHints& hints,
                                                const BuildOptions& options,
                                                const CallBudget& budget) {
  if (absl::Status s = doc::ValidateHints(hints, regions::RegionTable::Default()); !s.ok())
    return s;
  if (content.size() > options.max_document_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat("document of ", content.size(), " bytes is over the limit of ",
                     options.max_document_bytes, " bytes (ingest's --max_document_mb)"));
  }
  absl::StatusOr<doc::DocumentText> document = doc::ReadDocument(content, options.read, budget);
  if (!document.ok()) return document.status();
  if (absl::Status s = budget.Check("normalising the text"); !s.ok()) return s;

  text::NormalizedText normalized = text::NormalizeNfkc(document->utf8);
  document->utf8 = std::string();  // the normalised copy is the one kept
  if (absl::Status s = budget.Check("finding the structure"); !s.ok()) return s;
  doc::DocumentStructure structure = doc::ParseStructure(normalized.text);
  if (absl::Status s = budget.Check("deriving the metadata"); !s.ok()) return s;
  if (structure.sections.empty()) {
    // Only a title (or front matter): it is the whole text, and kept as such.
    zhibiao::v1::Section only;
    only.set_section_id("0");
    only.set_text(structure.title);
    only.set_char_begin(0);
    only.set_char_end(text::CodePointCount(normalized.text));
    structure.sections.push_back(std::move(only));
    if (structure.title.empty()) {
      return absl::InvalidArgumentError(
          "document has no text apart from web-page chrome: nothing to extract");
    }
  }

  zhibiao::v1::Report report;
  zhibiao::v1::ReportMeta* meta = report.mutable_meta();
  std::vector<zhibiao::v1::Warning> warnings;
  doc::DeriveMetadata(structure, regions::RegionTable::Default(), hints, meta, &warnings);
  meta->set_source_name(std::string(source_name));
  meta->set_format(document->format);
  meta->set_detected_encoding(document->encoding);
  meta->set_extractor_version(ExtractorVersion());
  meta->set_content_sha256(Sha256Hex(normalized.text));

  const extract::CodePointText code_points(normalized.text);
  extract::ExtractBounds bounds;
  bounds.max_figures = options.max_indicators;
  bounds.budget = &budget;
  absl::StatusOr<std::vector<zhibiao::v1::Indicator>> extracted =
      extract::ExtractIndicators(code_points, structure.sections,
                                 extract::ReportTime{meta->report_year(), meta->kind()}, bounds);
  if (!extracted.ok()) return extracted.status();
  std::vector<zhibiao::v1::Indicator> indicators = *std::move(extracted);
  if (absl::Status s = budget.Check("mapping figures to metrics"); !s.ok()) return s;
  taxonomy::AssignMetricKeys(taxonomy::Taxonomy::Default(), code_points, structure.sections,
                             &indicators);
  for (auto& section : structure.sections) *report.add_sections() = std::move(section);
  meta->set_report_id(ReportIdOf(report));
  for (auto& indicator : indicators) {
    indicator.set_report_id(meta->report_id());
    indicator.set_indicator_id(absl::StrCat(meta->report_id(), ":", indicator.seq()));
    *report.add_indicators() = std::move(indicator);
  }
  for (auto& w : warnings) *report.add_warnings() = std::move(w);
  report.set_normalized_text(std::move(normalized.text));
  return report;
}

}  // namespace zb::pipeline
