#include "common/extract/periods.h"

#include <algorithm>
#include <bitset>
#include <limits>

#include "absl/strings/string_view.h"
#include "common/text/numerals.h"

namespace zb::extract {
namespace {

constexpr int64_t kForever = std::numeric_limits<int64_t>::max();

bool IsDigit(char32_t c) { return c >= '0' && c <= '9'; }

// A future marker this far into its line opens the paragraph (or is a
// heading) and speaks for what follows; further in, only for its sentence.
constexpr int64_t kOpenerCodePoints = 30;
// A year written this close to the line's start (after 一、 or ——) dates the
// paragraph; anywhere else (2025年人均生产总值…) only its own sentence.
constexpr int64_t kYearOpenerCodePoints = 4;
// How far 从2020年的 reaches: a figure starting right after it (从2020年底的82.4岁).
constexpr int64_t kFromYearReach = 8;

// Five-year plans by their ordinal: 十四五 is 2021–2025.
struct PlanName {
  absl::string_view written;
  int first_year;
};
constexpr PlanName kPlans[] = {
    {"十二五", 2011}, {"十三五", 2016}, {"十四五", 2021}, {"十五五", 2026}, {"十六五", 2031}};

enum class Span {
  kFiveYearsPast,
  kYearPast,
  kThisYear,
  kLastYear,
  kNextYear,
  kNextFiveYears,
  kGoal
};
struct SpanWord {
  absl::string_view written;
  Span span;
};
// Longest first where one contains another.
constexpr SpanWord kSpanWords[] = {
    {"过去的五年", Span::kFiveYearsPast},
    {"过去五年", Span::kFiveYearsPast},
    {"五年来", Span::kFiveYearsPast},
    {"这五年", Span::kFiveYearsPast},
    {"五年间", Span::kFiveYearsPast},
    {"五年里", Span::kFiveYearsPast},
    {"过去的一年", Span::kYearPast},
    {"过去一年", Span::kYearPast},
    {"这一年", Span::kYearPast},
    {"一年来", Span::kYearPast},
    {"刚刚过去的", Span::kYearPast},
    {"今年以来", Span::kYearPast},
    {"今年", Span::kThisYear},
    {"去年", Span::kLastYear},
    {"上年", Span::kLastYear},
    {"明年", Span::kNextYear},
    {"下一步", Span::kNextYear},
    {"下步", Span::kNextYear},
    {"未来五年", Span::kNextFiveYears},
    {"今后五年", Span::kNextFiveYears},
    {"主要预期目标", Span::kGoal},
    {"预期目标是", Span::kGoal},
    {"预期目标为", Span::kGoal},
    {"主要目标是", Span::kGoal},
    {"目标任务是", Span::kGoal},
};

// Whether a plan name or span word can start with `c`: the scan looks at the
// word lists only where one of them could begin.
bool MayStartAWord(char32_t c) {
  static const auto* firsts = [] {
    auto* bits = new std::bitset<0x10000>();
    auto add_first = [bits](absl::string_view word) {
      size_t i = 0;
      bits->set(text::NextCodePoint(word, &i) & 0xFFFF);
    };
    for (const PlanName& plan : kPlans) add_first(plan.written);
    for (const SpanWord& w : kSpanWords) add_first(w.written);
    return bits;
  }();
  return c < 0x10000 && firsts->test(c);
}

// What a plan name says of one year of it: “十五五”开局之年, “十五五”规划的
//起步之年, “十四五”收官之年 name its first or last year; “十五五”关键之年
// some year of it (the one the sentence is about).
enum class PlanYear { kNone, kFirst, kLast, kSomeYear };
// How far after a plan name its 之年 may stand (“十五五”规划实施的开局之年).
constexpr int64_t kPlanYearReach = 10;

PlanYear PlanYearNamed(const CodePointText& t, int64_t after) {
  for (absl::string_view w : {"开局", "起步", "第一年", "首年"}) {
    if (t.Matches(after, w)) return PlanYear::kFirst;
  }
  for (absl::string_view w : {"收官", "最后一年", "末年"}) {
    if (t.Matches(after, w)) return PlanYear::kLast;
  }
  for (int64_t k = after; k < after + kPlanYearReach && k < t.size(); ++k) {
    const char32_t c = t.at(k);
    if (c == '\n' || c == U'。' || c == ',' || c == U'，' || c == ';' || c == U'；') break;
    if (t.Matches(k, "之年")) {
      for (int64_t m = after; m < k; ++m) {
        for (absl::string_view w : {"开局", "起步", "首", "第一"}) {
          if (t.Matches(m, w)) return PlanYear::kFirst;
        }
        for (absl::string_view w : {"收官", "最后", "末"}) {
          if (t.Matches(m, w)) return PlanYear::kLast;
        }
      }
      return PlanYear::kSomeYear;
    }
  }
  return PlanYear::kNone;
}

bool IsBaseBefore(const CodePointText& t, int64_t at) {
  int64_t k = at;
  if (t.at(k - 1) == U'“' || t.at(k - 1) == '"') --k;
  for (absl::string_view w : {"比", "较", "与", "同", "相比", "对比"}) {
    if (t.MatchesBefore(k, w)) return true;
  }
  return false;
}

// Reads a report's time markers in one pass over the text: written years
// and spans of years, five-year plans, and span words (今年, 过去五年, 目标是).
class MarkerScanner {
 public:
  MarkerScanner(const CodePointText& t, int year, zhibiao::v1::DocumentKind kind)
      : t_(t),
        year_(year),
        work_report_(kind == zhibiao::v1::DOCUMENT_KIND_GOVERNMENT_WORK_REPORT),
        reported_{year, year, false},
        next_{year + 1, year + 1, true} {}

  std::vector<TimeMarker> Scan() && {
    for (int64_t i = 0; i < t_.size(); ++i) {
      const char32_t c = t_.at(i);
      if (c == '\n') {
        line_begin_ = i + 1;
        continue;
      }
      if (ReadYear(&i)) continue;
      if (!MayStartAWord(c)) continue;
      if (ReadPlan(&i)) continue;
      ReadSpanWord(&i);
    }
    return std::move(markers_);
  }

 private:
  // Where the clause (sentence) holding `i` ends; each moves forward only.
  int64_t ClauseEndAfter(int64_t i) {
    if (next_clause_end_ < i) {
      next_clause_end_ = i;
      while (next_clause_end_ < t_.size() && t_.at(next_clause_end_) != '\n' &&
             t_.at(next_clause_end_) != U'。' && t_.at(next_clause_end_) != ';' &&
             t_.at(next_clause_end_) != ',' && t_.at(next_clause_end_) != U'，') {
        ++next_clause_end_;
      }
    }
    return next_clause_end_;
  }
  int64_t SentenceEndAfter(int64_t i) {
    if (next_sentence_end_ < i) {
      next_sentence_end_ = i;
      while (next_sentence_end_ < t_.size() && t_.at(next_sentence_end_) != '\n' &&
             t_.at(next_sentence_end_) != U'。' && t_.at(next_sentence_end_) != ';') {
        ++next_sentence_end_;
      }
    }
    return next_sentence_end_;
  }

  // A marker at `at`. One that opens its line speaks to the end of the
  // paragraph; a future period or a plan named inside a line dates its
  // sentence; a year written inside a paragraph dates its clause
  // (2025年医疗旅游人次86.5万、收入83.9亿元), 从2020年的51% only the figure after it.
  void Add(int64_t at, Period period, bool base, bool written_year, bool topic = false,
           bool plan = false) {
    TimeMarker m;
    m.at = at;
    m.period = period;
    m.base = base;
    m.applies_until = kForever;
    const int64_t into_line = at - line_begin_;
    if ((period.future && into_line >= kOpenerCodePoints) ||
        (plan && into_line >= kOpenerCodePoints)) {
      m.applies_until = SentenceEndAfter(at);
    }
    if (written_year && (into_line > kYearOpenerCodePoints || !topic)) {
      m.applies_until = std::min(m.applies_until, ClauseEndAfter(at));
      if (t_.MatchesBefore(at, "从") || t_.MatchesBefore(at, "由")) {
        m.applies_until = std::min(m.applies_until, at + kFromYearReach);
      }
    }
    markers_.push_back(m);
  }

  // A year at *i: 2025年, 2021—2025年, 2020年以来; not a date (2026年1月26日)
  // nor a year far from the one reported on. Moves *i past what it read.
  bool ReadYear(int64_t* at) {
    const int64_t i = *at;
    if (!IsDigit(t_.at(i)) || IsDigit(t_.at(i - 1)) || !IsDigit(t_.at(i + 1)) ||
        !IsDigit(t_.at(i + 2)) || !IsDigit(t_.at(i + 3)) || IsDigit(t_.at(i + 4))) {
      return false;
    }
    int written = 0;
    for (int k = 0; k < 4; ++k) written = written * 10 + static_cast<int>(t_.at(i + k) - '0');
    int64_t j = i + 4;
    const int first = written;
    if ((t_.at(j) == '-' || t_.at(j) == U'—' || t_.at(j) == U'–' || t_.at(j) == U'至') &&
        IsDigit(t_.at(j + 1)) && IsDigit(t_.at(j + 4)) && t_.at(j + 5) == U'年') {
      int last = 0;
      for (int k = 1; k <= 4; ++k) last = last * 10 + static_cast<int>(t_.at(j + k) - '0');
      if (last > first) {
        written = last;
        j += 5;
      }
    }
    *at = j;
    if (t_.at(j) != U'年' || written < year_ - 30 || written > year_ + 30) return true;
    // A full date names a day, not the period a paragraph speaks of.
    int64_t k = j + 1;
    while (IsDigit(t_.at(k))) ++k;
    if (k > j + 1 && t_.at(k) == U'月') {
      *at = k;
      return true;
    }
    const bool since = t_.Matches(j + 1, "以来");
    Period p;
    if (since) {
      p = {first, year_, false};
    } else if (first > year_) {
      p = {year_ + 1, written, true};
    } else if (written > year_) {
      p = {first, written, true};
    } else {
      p = {first, written, false};
    }
    // A year opens its paragraph as a topic (2025年，… 2025年是… 2025年在…);
    // a year written before a noun (2025年四大主导产业占…) dates one sentence.
    const char32_t after_year = t_.at(j + 1);
    const bool topic = after_year == ',' || after_year == U'，' || after_year == U'是' ||
                       after_year == U'在' || after_year == U'以' || after_year == U'我' ||
                       after_year == U'全' || after_year == U'工' || since;
    Add(i, p, IsBaseBefore(t_, i), /*written_year=*/true, topic);
    return true;
  }

  // A five-year plan at *i: “十四五”时期; the one before the current is only
  // ever a base. Moves *i to the plan's last character.
  bool ReadPlan(int64_t* at) {
    const int64_t i = *at;
    for (const PlanName& plan : kPlans) {
      if (!t_.Matches(i, plan.written)) continue;
      const int first = plan.first_year, last = plan.first_year + 4;
      const int64_t after = i + 3 + (t_.at(i + 3) == U'”' ? 1 : 0);
      Period p;
      bool base = IsBaseBefore(t_, i);
      const PlanYear named = PlanYearNamed(t_, after);
      bool in_passing = false;
      if (named == PlanYear::kFirst) {
        p = {first, first, first > year_};  // 今年是“十五五”开局之年
      } else if (named == PlanYear::kLast) {
        p = {last, last, last > year_};  // 2025年是“十四五”收官之年
      } else if (named == PlanYear::kSomeYear) {
        // 今年是“十五五”承上启下的关键之年: the year already named speaks on.
        in_passing = true;
        p = first > year_ ? Period{first, last, true} : Period{first, std::min(last, year_), false};
      } else if (first > year_) {
        p = {first, last, true};
      } else if (last < year_ - 4) {
        base = true;
        p = {first, last, false};
      } else {
        p = {first, std::min(last, year_), false};
      }
      // A plan named in passing (提前完成“十四五”…目标) dates its sentence only.
      Add(i, p, base, false, false, /*plan=*/true);
      if (in_passing) markers_.back().applies_until = i;
      // A paragraph that presents the coming plan's document (我们编制了“十五五”
      // 规划纲要（草案）…提出地区生产总值年均增长5%左右) speaks of its period
      // to its end.
      if (p.future && !base && !in_passing && t_.Matches(after, "规划")) {
        int64_t line_end = after;
        while (line_end < t_.size() && t_.at(line_end) != '\n') ++line_end;
        markers_.back().applies_until = line_end;
      }
      *at = i + 2;
      return true;
    }
    return false;
  }

  // A span word at *i (kSpanWords). Moves *i to its last character.
  void ReadSpanWord(int64_t* at) {
    const int64_t i = *at;
    for (const SpanWord& w : kSpanWords) {
      if (!t_.Matches(i, w.written)) continue;
      Period p;
      bool base = false;
      switch (w.span) {
        case Span::kFiveYearsPast: p = {year_ - 4, year_, false}; break;
        case Span::kYearPast: p = reported_; break;
        case Span::kThisYear: p = work_report_ ? next_ : reported_; break;
        case Span::kLastYear:
          // 去年 in a work report is the year reported on; 上年 always the one before.
          p = work_report_ && w.written == "去年" ? reported_ : Period{year_ - 1, year_ - 1, false};
          base = IsBaseBefore(t_, i);
          break;
        case Span::kNextYear: p = next_; break;
        case Span::kNextFiveYears: p = {year_ + 1, year_ + 5, true}; break;
        case Span::kGoal: p = GoalPeriod(i); break;
      }
      Add(i, p, base, /*written_year=*/w.span == Span::kLastYear);
      *at = i + static_cast<int64_t>(w.written.size() / 3) - 1;
      return;
    }
  }

  // 目标是: the goals of the period just named (“十五五”时期…主要目标是), or next year's.
  Period GoalPeriod(int64_t i) const {
    for (auto it = markers_.rbegin(); it != markers_.rend(); ++it) {
      if (it->base) continue;
      if (it->period.future && it->applies_until >= i && it->at >= line_begin_) return it->period;
      break;
    }
    return next_;
  }

  const CodePointText& t_;
  const int year_;
  const bool work_report_;
  const Period reported_;
  const Period next_;
  int64_t line_begin_ = 0;
  int64_t next_sentence_end_ = -1;
  int64_t next_clause_end_ = -1;
  std::vector<TimeMarker> markers_;
};

}  // namespace

TimeMarkers::TimeMarkers(const CodePointText& t, int year, zhibiao::v1::DocumentKind kind) {
  if (year <= 0) return;
  markers_ = MarkerScanner(t, year, kind).Scan();
}

const TimeMarker* TimeMarkers::ScopeAt(int64_t at, int64_t floor) const {
  auto it = std::lower_bound(markers_.begin(), markers_.end(), at,
                             [](const TimeMarker& m, int64_t pos) { return m.at < pos; });
  // Markers that no longer apply are passed over, but not without end: a
  // text of nothing but time markers must not make this quadratic.
  constexpr int kMaxMarkersPassed = 4096;
  for (int passed = 0; it != markers_.begin() && passed < kMaxMarkersPassed; ++passed) {
    --it;
    if (it->at < floor) return nullptr;
    if (it->base || it->applies_until < at) continue;
    return &*it;
  }
  return nullptr;
}

const TimeMarker* TimeMarkers::BaseIn(int64_t begin, int64_t end) const {
  auto it = std::lower_bound(markers_.begin(), markers_.end(), end,
                             [](const TimeMarker& m, int64_t pos) { return m.at < pos; });
  while (it != markers_.begin()) {
    --it;
    if (it->at < begin) return nullptr;
    if (it->base) return &*it;
  }
  return nullptr;
}

Period PeriodOf(const TimeMarkers& markers, int64_t clause_begin, int64_t figure_begin,
                int64_t floor, bool is_change, bool is_target, bool starting_level, int year) {
  if (year <= 0) return {};
  const TimeMarker* scope = markers.ScopeAt(figure_begin, floor);
  Period p = scope != nullptr ? scope->period : Period{year, year, false};
  if (is_target && !p.future) p = {year + 1, year + 1, true};
  if (starting_level && !p.future && p.start < p.end) p = {p.start - 1, p.start - 1, false};
  if (is_change && !p.future) {
    if (const TimeMarker* base = markers.BaseIn(clause_begin, figure_begin)) {
      if (base->period.end + 1 <= p.end) p.start = base->period.end + 1;
    }
  }
  return p;
}

}  // namespace zb::extract
