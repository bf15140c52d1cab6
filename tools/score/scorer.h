// Scores extracted indicators against a gold annotation (the JSONL format of
// shared/fixtures/README.md): precision, recall, and the unit, qualifier,
// direction, section and target accuracy of matched indicators.
//
// Matching: a gold line is located in the normalised text by its `text`
// (NFKC, white space ignored, searched in file order); an extracted figure
// matches it when their spans overlap and the value agrees within 0.01%
// relative (low and high for ranges). Each gold line matches at most once.
// Indicators that share one span (an enumeration sharing a figure) count as
// one extracted figure. Figures matched to `uncertain` lines count on neither
// side.
#ifndef ZHIBIAO_TOOLS_SCORE_SCORER_H_
#define ZHIBIAO_TOOLS_SCORE_SCORER_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "zhibiao/v1/report.pb.h"

namespace zb::score {

struct GoldIndicator {
  std::string text;
  std::optional<double> value;  // nullopt for ranges
  std::optional<double> low, high;
  std::string unit;
  std::string qualifier;  // exact, approx, at_least, at_most, range
  std::string direction;  // "", increase, decrease
  std::string section;
  std::string subject;
  bool uncertain = false;
  bool target = false;
  std::string period;  // "2025", "2021-2025", or "" when the gold leaves it open
};

struct Gold {
  std::string title, issuer, region, province, region_code, published;
  int report_year = 0;
  std::vector<std::string> not_indicators;
  std::vector<GoldIndicator> indicators;
  // For a gold file that annotates part of a document: the ranges of whole
  // lines (1-based, inclusive) it covers. Only figures there are scored.
  std::vector<std::pair<int, int>> excerpts;
  std::string source;  // the document, relative to ../shared ("corpus/gzbg-2026/henan-2026.txt")
};

absl::StatusOr<Gold> ParseGold(absl::string_view jsonl);

struct Score {
  int gold_certain = 0;
  int extracted_figures = 0;  // distinct spans, excluding those matched to uncertain gold
  int matched = 0;            // certain gold lines matched
  double precision = 0, recall = 0;
  int unit_ok = 0, qualifier_ok = 0, direction_ok = 0, section_ok = 0, target_ok = 0;
  int period_checked = 0, period_ok = 0;  // matched lines whose gold states a period
  double unit_accuracy = 0, qualifier_accuracy = 0, direction_accuracy = 0;
  double section_accuracy = 0, target_accuracy = 0, period_accuracy = 0;
  std::vector<std::string> misses;           // gold lines not found
  std::vector<std::string> false_positives;  // extracted figures matching no gold line
  std::vector<std::string> not_indicator_hits;
  std::vector<std::string> mismatches;  // matched with a wrong unit/qualifier/...
  std::vector<std::string> unlocated;   // gold texts not found in the document
  // Per gold indicator line, in order: the index in report.indicators() of
  // the figure it matched, -1 when none.
  std::vector<int> matched_indicator;
};

Score ScoreReport(const zhibiao::v1::Report& report, const Gold& gold);

// An indicator's period as gold writes it: "2025", "2021-2025", "" when unknown.
std::string PeriodLabel(const zhibiao::v1::Indicator& indicator);

// A human-readable summary, one figure a line, then the lists.
std::string FormatScore(const Score& score, bool details);

}  // namespace zb::score

#endif  // ZHIBIAO_TOOLS_SCORE_SCORER_H_
