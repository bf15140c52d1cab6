// Fuzz target: what storage and query check in a request before acting on
// it. The bytes are decoded as a PutReport's report (CheckReport), as a
// query filter (ValidateFilter) and as a search request (ValidateSearchWords
// and its filter): a check must never crash, hang or allocate without bound,
// whatever the message holds.
#include <cstddef>
#include <cstdint>

#include "common/agg/aggregate.h"
#include "common/pipeline/report_check.h"
#include "zhibiao/v1/aggregate.pb.h"
#include "zhibiao/v1/report.pb.h"
#include "zhibiao/v1/storage.pb.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  zhibiao::v1::Report report;
  if (report.ParseFromArray(data, static_cast<int>(size))) {
    (void)zb::pipeline::CheckReport(report, zb::pipeline::ReportLimits());
    (void)zb::pipeline::CheckReport(report, zb::pipeline::ReportLimits(), false);
  }
  zhibiao::v1::IndicatorFilter filter;
  if (filter.ParseFromArray(data, static_cast<int>(size))) (void)zb::agg::ValidateFilter(filter);
  zhibiao::v1::SearchIndicatorsRequest search;
  if (search.ParseFromArray(data, static_cast<int>(size))) {
    (void)zb::agg::ValidateSearchWords(search.words());
    (void)zb::agg::ValidateFilter(search.filter());
  }
  return 0;
}
