// Report metadata from the parsed structure: issuer, region, report year and
// publication date. What cannot be found becomes a warning, not an error.
#ifndef ZHIBIAO_COMMON_DOC_METADATA_H_
#define ZHIBIAO_COMMON_DOC_METADATA_H_

#include <vector>

#include "common/doc/regions.h"
#include "common/doc/structure.h"
#include "zhibiao/v1/report.pb.h"

namespace zb::doc {

// Fills title, issuer, region, report_year, published_date, salutation and
// signature of `meta`, and appends warnings for what could not be resolved.
void DeriveMetadata(const DocumentStructure& structure, absl::string_view text,
                    const RegionTable& regions, zhibiao::v1::ReportMeta* meta,
                    std::vector<zhibiao::v1::Warning>* warnings);

// The issuer named by a title ("新乡市人民政府关于…的报告" → "新乡市人民政府"), or "".
std::string IssuerFromTitle(absl::string_view title);

}  // namespace zb::doc

#endif  // ZHIBIAO_COMMON_DOC_METADATA_H_
