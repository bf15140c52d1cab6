// The years a figure is about. Reports say it once for many figures: a
// heading (“十四五”时期和2025年工作回顾), a paragraph opener (过去五年, 这一年,
// 今年, 2026年), a plan named in passing (“十五五”时期), a year written in the
// clause (2025年人均生产总值, 从2020年的51%), a base compared with (较2020年,
// 比“十三五”末). TimeMarkers finds every such marker once per report; PeriodOf
// dates one figure from the nearest marker before it that still applies.
#ifndef ZHIBIAO_COMMON_EXTRACT_PERIODS_H_
#define ZHIBIAO_COMMON_EXTRACT_PERIODS_H_

#include <cstdint>
#include <vector>

#include "common/extract/quantities.h"
#include "zhibiao/v1/report.pb.h"

namespace zb::extract {

// Inclusive years; start == end for one year; 0/0 when unknown.
struct Period {
  int start = 0;
  int end = 0;
  bool future = false;  // after the year reported on: a goal, not a result
};

// A place where the text names the years it is speaking of.
struct TimeMarker {
  int64_t at = 0;         // code point where the marker starts
  int64_t applies_until;  // code point after which it no longer applies
  Period period;
  bool base = false;  // a base compared with (较2020年), not the figure's own period
};

// Every time marker of a report, in text order. Immutable; thread-compatible.
class TimeMarkers {
 public:
  TimeMarkers(const CodePointText& text, int report_year, zhibiao::v1::DocumentKind kind);

  // The nearest marker before `at` (and not before `floor`) that still
  // applies at `at` and is not a base; nullptr when there is none.
  const TimeMarker* ScopeAt(int64_t at, int64_t floor) const;
  // The last base marker in [begin, end), or nullptr.
  const TimeMarker* BaseIn(int64_t begin, int64_t end) const;

  const std::vector<TimeMarker>& markers() const { return markers_; }

 private:
  std::vector<TimeMarker> markers_;
};

// The period of one figure: the scope at its clause, a base year in its
// clause for changes (较2020年提高14个百分点 → 2021–Y), targets never in the
// past; the report year (or the next year for targets) when nothing says.
// `starting_level` is a figure written as where a change started (从5.6万元增至…):
// over a span of years it is the level of the year before the span.
Period PeriodOf(const TimeMarkers& markers, int64_t clause_begin, int64_t figure_begin,
                int64_t floor, bool is_change, bool is_target, bool starting_level,
                int report_year);

}  // namespace zb::extract

#endif  // ZHIBIAO_COMMON_EXTRACT_PERIODS_H_
