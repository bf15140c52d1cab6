// Report metadata from the parsed structure: document kind, title, issuer,
// region, the year reported on and the publication date, found wherever the
// text says them (title, delivery and speaker lines of a speech, salutation,
// signature and closing date, the page's date line, and when nothing else
// names it, the region the body speaks of as its own), and the caller's
// hints, which win. What cannot be found becomes a warning, not an error.
#ifndef ZHIBIAO_COMMON_DOC_METADATA_H_
#define ZHIBIAO_COMMON_DOC_METADATA_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/doc/structure.h"
#include "common/regions/regions.h"
#include "zhibiao/v1/report.pb.h"

namespace zb::doc {

using regions::RegionCodeSet;
using regions::RegionMention;
using regions::RegionTable;

// INVALID_ARGUMENT naming the field for a hint that cannot be right: a region
// code not in the GB/T 2260 table, a year outside 1949..2100, a date that is
// not ISO 8601, a kind out of range, over-long strings.
absl::Status ValidateHints(const zhibiao::v1::ReportHints& hints, const RegionTable& regions);

// Fills title, issuer, region, kind, report_year, published_date,
// delivered_date, speaker, source_url, salutation and signature of `meta`,
// and appends warnings for what could not be resolved and for hints that
// contradict the text. REQUIRES: ValidateHints(hints) is OK.
void DeriveMetadata(const DocumentStructure& structure, const RegionTable& regions,
                    const zhibiao::v1::ReportHints& hints, zhibiao::v1::ReportMeta* meta,
                    std::vector<zhibiao::v1::Warning>* warnings);

// The kind a title and body have: 政府工作报告, 法治政府建设报告, 统计公报 or other.
zhibiao::v1::DocumentKind DetectKind(const DocumentStructure& structure);

// The issuer named by a title ("新乡市人民政府关于…的报告" → "新乡市人民政府"), or "".
std::string IssuerFromTitle(absl::string_view title);

// The short name of a kind, as the CLI and logs print it: "rule_of_law",
// "work_report", "statistics", "other", "" for unspecified.
const char* KindName(zhibiao::v1::DocumentKind kind);

}  // namespace zb::doc

#endif  // ZHIBIAO_COMMON_DOC_METADATA_H_
