// The ingestion pipeline as one call: document bytes in, a complete Report
// out (format and encoding detection, text extraction, NFKC normalisation,
// structure, metadata, indicators, report id). Pure and thread-safe; used by
// the ingest service and by `zhibiao parse`.
#ifndef ZHIBIAO_COMMON_PIPELINE_REPORT_BUILDER_H_
#define ZHIBIAO_COMMON_PIPELINE_REPORT_BUILDER_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/base/call_budget.h"
#include "common/doc/formats.h"
#include "zhibiao/v1/report.pb.h"

namespace zb::pipeline {

struct BuildOptions {
  // Larger documents are refused with RESOURCE_EXHAUSTED.
  size_t max_document_bytes = 32u << 20;
  // What reading one document may cost (DOCX XML size, HTML shape, PDF pages).
  doc::ReadLimits read;
  // More figures in one document is RESOURCE_EXHAUSTED.
  int64_t max_indicators = 200000;
};

// Builds the report for `content`. `source_name` is informational only (the
// format is detected from the bytes). Errors: INVALID_ARGUMENT for empty,
// blank, unsupported or damaged documents; RESOURCE_EXHAUSTED over the limit.
absl::StatusOr<zhibiao::v1::Report> BuildReport(absl::string_view content,
                                                absl::string_view source_name,
                                                const BuildOptions& options = {});
// The same with what the caller knows about the document: hints win over
// the text (doc::DeriveMetadata); a hint that cannot be right is
// INVALID_ARGUMENT naming it.
// Every stage checks `budget` and stops with its status (DEADLINE_EXCEEDED,
// CANCELLED) when it runs out.
absl::StatusOr<zhibiao::v1::Report> BuildReport(absl::string_view content,
                                                absl::string_view source_name,
                                                const zhibiao::v1::ReportHints& hints,
                                                const BuildOptions& options = {},
                                                const CallBudget& budget = CallBudget());

// The report id of a report's sections: 32 hex digits of SHA-256 over their
// texts with all white space removed (see ReportMeta.report_id).
std::string ReportIdOf(const zhibiao::v1::Report& report);

// Version string of everything that shapes indicators (extractor and taxonomy).
std::string ExtractorVersion();

// Whether extractor version `a` is older than `b`: runs of digits compare as
// numbers, other characters as bytes, so "extract-3+taxonomy-10" comes after
// "extract-3+taxonomy-9". The empty version (a report stored before versions
// were) is older than any other.
bool ExtractorVersionBefore(absl::string_view a, absl::string_view b);

// Lowercase hex SHA-256 of `data`.
std::string Sha256Hex(absl::string_view data);

}  // namespace zb::pipeline

#endif  // ZHIBIAO_COMMON_PIPELINE_REPORT_BUILDER_H_
