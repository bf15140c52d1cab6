// From quantities to indicators: the subject phrase each figure measures,
// change versus level and its direction, targets for a coming year, the
// section it sits in, and one indicator per item when an enumeration shares
// one figure (报备及时率、合法合规率达100%).
#ifndef ZHIBIAO_COMMON_EXTRACT_INDICATORS_H_
#define ZHIBIAO_COMMON_EXTRACT_INDICATORS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/base/call_budget.h"
#include "common/extract/quantities.h"
#include "zhibiao/v1/report.pb.h"

namespace zb::extract {

// Version of the extraction rules; stored on every report (with the taxonomy
// version) so reports can be re-extracted when it changes.
inline constexpr absl::string_view kExtractorVersion = "extract-5";

// What the extractor knows about the report as a whole.
struct ReportTime {
  int report_year = 0;  // the year reported on; 0 if unknown
  zhibiao::v1::DocumentKind kind = zhibiao::v1::DOCUMENT_KIND_UNSPECIFIED;
};

// Extracts indicators from `text` (NFKC-normalised) whose sections (with
// code-point offsets into `text`) are `sections`. The report year tells
// targets for the coming year from achieved figures and dates each figure
// (period_start/period_end). Indicators get seq, text, sentence, offsets,
// subject, change, is_target, period and section_id; report_id and
// metric_key are left for the caller.
std::vector<zhibiao::v1::Indicator> ExtractIndicators(
    absl::string_view text, const std::vector<zhibiao::v1::Section>& sections, int report_year);
// The same over text already decoded into code points (shared with the taxonomy stage).
std::vector<zhibiao::v1::Indicator> ExtractIndicators(
    const CodePointText& text, const std::vector<zhibiao::v1::Section>& sections, int report_year);
std::vector<zhibiao::v1::Indicator> ExtractIndicators(
    const CodePointText& text, const std::vector<zhibiao::v1::Section>& sections,
    const ReportTime& time);

// What one extraction may cost.
struct ExtractBounds {
  // More figures than this in one document is RESOURCE_EXHAUSTED
  // (--max_indicators): real reports have hundreds to a few thousand.
  int64_t max_figures = 200000;
  const CallBudget* budget = nullptr;  // checked between figures; nullptr for none
};
// The same, stopping with the budget's status when it runs out.
absl::StatusOr<std::vector<zhibiao::v1::Indicator>> ExtractIndicators(
    const CodePointText& text, const std::vector<zhibiao::v1::Section>& sections,
    const ReportTime& time, const ExtractBounds& bounds);

// The subject a clause gives the figure that ends it: scope words (全市, 全年,
// 共, 累计) and linking verbs (达, 为) dropped. Exposed for tests.
std::string SubjectFromClause(absl::string_view clause);

// The items of a respective list, the words before 分别 in "A、B分别增长x、y",
// one per figure of the run that follows (`count`): split at 、 (and at 和,
// 与, 及 when 、 gives too few), 城乡 and 一二三产 expanded, short modifiers
// completed with the last item's head (城镇、农村居民收入 → 城镇居民收入).
// Empty when the list does not give exactly `count` items.
std::vector<std::string> RespectiveItems(absl::string_view list, size_t count);

}  // namespace zb::extract

#endif  // ZHIBIAO_COMMON_EXTRACT_INDICATORS_H_
