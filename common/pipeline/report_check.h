// What storage checks of a report it is asked to keep: that it is what the
// pipeline makes of a document (its id derived from its own text, every
// offset inside that text) and within the sizes a report may have. A report
// that fails is refused with INVALID_ARGUMENT naming the field, so neither a
// forged PutReport nor a bug upstream can store what extraction did not produce.
#ifndef ZHIBIAO_COMMON_PIPELINE_REPORT_CHECK_H_
#define ZHIBIAO_COMMON_PIPELINE_REPORT_CHECK_H_

#include <cstdint>

#include "absl/status/status.h"
#include "zhibiao/v1/report.pb.h"

namespace zb::pipeline {

struct ReportLimits {
  int64_t max_indicators = 200000;
  int64_t max_sections = 1000000;
  int64_t max_warnings = 1000;
  int64_t max_labels = 64;
  int64_t max_label_key_bytes = 128;
  int64_t max_label_value_bytes = 1024;
  int64_t max_source_name_bytes = 1024;  // a path or URL
  int64_t max_meta_field_bytes = 4096;   // title, issuer, speaker, salutation, signature, URL
};

// Limits of `report`'s caller-supplied fields (labels, source name): for
// ingest to check before it parses, and for CheckReport.
absl::Status CheckCallerFields(const zhibiao::v1::ReportMeta& meta, const ReportLimits& limits);

// Every check above. With `require_content_id` false the id and text checks
// are skipped (for tests and benchmarks that store synthetic reports).
absl::Status CheckReport(const zhibiao::v1::Report& report, const ReportLimits& limits,
                         bool require_content_id = true);

}  // namespace zb::pipeline

#endif  // ZHIBIAO_COMMON_PIPELINE_REPORT_CHECK_H_
