#include "tools/score/scorer.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/extract/quantities.h"
#include "common/text/normalize.h"
#include "common/text/numerals.h"

namespace zb::score {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

std::string Str(const Struct& s, const std::string& key) {
  auto it = s.fields().find(key);
  return it != s.fields().end() && it->second.kind_case() == Value::kStringValue
             ? it->second.string_value()
             : "";
}

std::optional<double> Num(const Struct& s, const std::string& key) {
  auto it = s.fields().find(key);
  if (it == s.fields().end() || it->second.kind_case() != Value::kNumberValue) return std::nullopt;
  return it->second.number_value();
}

bool Flag(const Struct& s, const std::string& key) {
  auto it = s.fields().find(key);
  return it != s.fields().end() && it->second.kind_case() == Value::kBoolValue &&
         it->second.bool_value();
}

bool Close(double a, double b) {
  if (a == b) return true;
  return std::abs(a - b) <= 1e-4 * std::max(std::abs(a), std::abs(b));
}

// Code points of `s` with white space dropped, and where each came from.
struct Compact {
  std::vector<char32_t> cps;
  std::vector<int64_t> origin;  // code-point index in the source
};

Compact MakeCompact(absl::string_view s) {
  Compact c;
  int64_t index = 0;
  for (size_t i = 0; i < s.size(); ++index) {
    char32_t cp = text::NextCodePoint(s, &i);
    if (cp == ' ' || cp == '\n' || cp == '\t' || cp == 0x3000 || cp == 0xA0) continue;
    c.cps.push_back(cp);
    c.origin.push_back(index);
  }
  return c;
}

// All code-point spans where `needle` occurs in the haystack, white space ignored.
std::vector<std::pair<int64_t, int64_t>> FindAll(const Compact& hay, const Compact& needle) {
  std::vector<std::pair<int64_t, int64_t>> out;
  if (needle.cps.empty()) return out;
  for (size_t i = 0; i + needle.cps.size() <= hay.cps.size(); ++i) {
    bool same = true;
    for (size_t k = 0; k < needle.cps.size() && same; ++k) same = hay.cps[i + k] == needle.cps[k];
    if (same) out.emplace_back(hay.origin[i], hay.origin[i + needle.cps.size() - 1] + 1);
  }
  return out;
}

const char* DirectionName(zhibiao::v1::Change c) {
  switch (c) {
    case zhibiao::v1::CHANGE_INCREASE: return "increase";
    case zhibiao::v1::CHANGE_DECREASE: return "decrease";
    default: return "";
  }
}

double Ratio(int a, int b) { return b == 0 ? 1.0 : static_cast<double>(a) / b; }

}  // namespace

absl::StatusOr<Gold> ParseGold(absl::string_view jsonl) {
  Gold gold;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(jsonl, '\n', absl::SkipWhitespace())) {
    ++line_number;
    Struct s;
    auto parsed = google::protobuf::util::JsonStringToMessage(std::string(line), &s);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("gold line ", line_number, " is not JSON: ", parsed.ToString()));
    }
    const std::string kind = Str(s, "kind");
    if (kind == "report") {
      gold.title = Str(s, "title");
      gold.issuer = Str(s, "issuer");
      gold.region = Str(s, "region");
      gold.province = Str(s, "province");
      gold.region_code = Str(s, "region_code");
      gold.published = Str(s, "published");
      gold.report_year = static_cast<int>(Num(s, "report_year").value_or(0));
      gold.source = Str(s, "source");
      if (auto ex = s.fields().find("excerpts"); ex != s.fields().end()) {
        for (const auto& range : ex->second.list_value().values()) {
          const auto& bounds = range.list_value().values();
          if (bounds.size() != 2) {
            return absl::InvalidArgumentError(
                absl::StrCat("gold line ", line_number, ": an excerpt is [first_line, last_line]"));
          }
          gold.excerpts.emplace_back(static_cast<int>(bounds[0].number_value()),
                                     static_cast<int>(bounds[1].number_value()));
        }
      }
      auto it = s.fields().find("not_indicators");
      if (it != s.fields().end()) {
        for (const auto& v : it->second.list_value().values()) {
          gold.not_indicators.push_back(v.string_value());
        }
      }
      continue;
    }
    if (kind != "indicator") continue;
    GoldIndicator g;
    g.text = Str(s, "text");
    g.value = Num(s, "value");
    g.low = Num(s, "low");
    g.high = Num(s, "high");
    g.unit = Str(s, "unit");
    g.qualifier = Str(s, "qualifier");
    g.direction = Flag(s, "is_change") ? Str(s, "direction") : "";
    g.section = Str(s, "section");
    g.subject = Str(s, "subject");
    g.uncertain = Flag(s, "uncertain");
    g.target = Flag(s, "target");
    g.period = Str(s, "period");
    gold.indicators.push_back(std::move(g));
  }
  return gold;
}

std::string PeriodLabel(const zhibiao::v1::Indicator& indicator) {
  if (indicator.period_start() == 0 || indicator.period_end() == 0) return "";
  if (indicator.period_start() == indicator.period_end())
    return absl::StrCat(indicator.period_end());
  return absl::StrCat(indicator.period_start(), "-", indicator.period_end());
}

namespace {

// Code-point ranges of the excerpts' lines in the normalised text (whose
// lines are the document's: normalisation keeps line breaks).
std::vector<std::pair<int64_t, int64_t>> ExcerptRanges(
    absl::string_view text, const std::vector<std::pair<int, int>>& excerpts) {
  std::vector<int64_t> line_begin{0};
  int64_t cp = 0;
  for (size_t i = 0; i < text.size();) {
    const char32_t c = text::NextCodePoint(text, &i);
    ++cp;
    if (c == '\n') line_begin.push_back(cp);
  }
  line_begin.push_back(cp + 1);
  std::vector<std::pair<int64_t, int64_t>> out;
  const int lines = static_cast<int>(line_begin.size()) - 1;
  for (const auto& [first, last] : excerpts) {
    if (first < 1 || last < first || first > lines) continue;
    out.emplace_back(line_begin[first - 1], line_begin[std::min(last, lines)] - 1);
  }
  return out;
}

bool Inside(const std::vector<std::pair<int64_t, int64_t>>& ranges, int64_t begin, int64_t end) {
  if (ranges.empty()) return true;
  for (const auto& [b, e] : ranges) {
    if (begin >= b && end <= e) return true;
  }
  return false;
}

}  // namespace

Score ScoreReport(const zhibiao::v1::Report& report, const Gold& gold) {
  Score score;
  const Compact hay = MakeCompact(report.normalized_text());
  const extract::CodePointText code_points(report.normalized_text());
  // A gold text starting or ending with a digit is a whole number in the text:
  // "5%" is not located inside "15%" or "2.5%".
  auto cuts_a_number = [&](const std::pair<int64_t, int64_t>& sp) {
    auto digit = [](char32_t c) { return c >= '0' && c <= '9'; };
    const char32_t before = code_points.at(sp.first - 1), first = code_points.at(sp.first);
    const char32_t last = code_points.at(sp.second - 1), after = code_points.at(sp.second);
    return (digit(first) && (digit(before) || before == '.')) ||
           (digit(last) && (digit(after) || after == '.'));
  };
  const std::vector<std::pair<int64_t, int64_t>> ranges =
      ExcerptRanges(report.normalized_text(), gold.excerpts);
  std::map<std::string, std::string> path_of_section;
  for (const auto& s : report.sections()) path_of_section[s.section_id()] = s.path();

  // Extracted figures: distinct spans; the first indicator of each stands for it.
  struct Figure {
    int64_t begin, end;
    const zhibiao::v1::Indicator* indicator;
    int index;  // in report.indicators()
    bool matched = false, matched_uncertain = false;
  };
  std::vector<Figure> figures;
  for (int i = 0; i < report.indicators_size(); ++i) {
    const auto& ind = report.indicators(i);
    if (!Inside(ranges, ind.char_begin(), ind.char_end())) continue;
    if (!figures.empty() && figures.back().begin == ind.char_begin() &&
        figures.back().end == ind.char_end()) {
      continue;
    }
    figures.push_back({ind.char_begin(), ind.char_end(), &ind, i});
  }

  int64_t cursor = 0;  // code point after the last located gold text
  std::set<std::pair<int64_t, int64_t>> used_spans;
  score.matched_indicator.assign(gold.indicators.size(), -1);
  for (size_t line = 0; line < gold.indicators.size(); ++line) {
    const GoldIndicator& g = gold.indicators[line];
    if (!g.uncertain) ++score.gold_certain;
    const Compact needle = MakeCompact(text::NormalizeNfkc(g.text).text);
    auto spans = FindAll(hay, needle);
    spans.erase(
        std::remove_if(spans.begin(), spans.end(),
                       [&](const auto& sp) { return !Inside(ranges, sp.first, sp.second); }),
        spans.end());
    if (std::any_of(spans.begin(), spans.end(),
                    [&](const auto& sp) { return !cuts_a_number(sp); })) {
      spans.erase(std::remove_if(spans.begin(), spans.end(), cuts_a_number), spans.end());
    }
    if (spans.empty()) {
      score.unlocated.push_back(g.text);
      if (!g.uncertain) score.misses.push_back(absl::StrCat(g.text, " (not in the text)"));
      continue;
    }
    // Gold lines follow the document, loosely (a clause's figures may be
    // listed out of order): take the unused occurrence nearest the cursor,
    // preferring those after it.
    std::pair<int64_t, int64_t> span = spans.front();
    int64_t best = -1;
    auto overlaps_used = [&](const std::pair<int64_t, int64_t>& sp) {
      auto it = used_spans.lower_bound({sp.first, INT64_MIN});
      if (it != used_spans.end() && it->first < sp.second) return true;
      return it != used_spans.begin() && std::prev(it)->second > sp.first;
    };
    for (const auto& candidate : spans) {
      // A text already located (5%左右) does not hold a second gold line (5%).
      if (overlaps_used(candidate)) continue;
      const int64_t distance =
          candidate.first >= cursor ? candidate.first - cursor : 4 * (cursor - candidate.first);
      if (best < 0 || distance < best) {
        best = distance;
        span = candidate;
      }
    }
    used_spans.insert(span);
    Figure* match = nullptr;
    for (Figure& f : figures) {
      if (f.matched || f.matched_uncertain) continue;
      if (f.end <= span.first || f.begin >= span.second) continue;
      const auto& q = f.indicator->quantity();
      bool value_ok;
      if (g.low && g.high) {
        value_ok = q.qualifier() == zhibiao::v1::QUALIFIER_RANGE && Close(q.low(), *g.low) &&
                   Close(q.high(), *g.high);
      } else {
        value_ok = g.value && Close(q.value(), *g.value);
      }
      if (value_ok) {
        match = &f;
        break;
      }
    }
    cursor = span.second;
    if (match == nullptr) {
      if (!g.uncertain)
        score.misses.push_back(absl::StrCat(g.text, " [", g.section, "] ", g.subject));
      continue;
    }
    if (g.uncertain) {
      match->matched_uncertain = true;
      continue;
    }
    match->matched = true;
    ++score.matched;
    score.matched_indicator[line] = match->index;
    const auto& ind = *match->indicator;
    std::vector<std::string> wrong;
    if (ind.quantity().unit() == g.unit)
      ++score.unit_ok;
    else
      wrong.push_back(absl::StrCat("unit ", ind.quantity().unit(), "≠", g.unit));
    if (extract::QualifierName(ind.quantity().qualifier()) == g.qualifier)
      ++score.qualifier_ok;
    else
      wrong.push_back(absl::StrCat("qualifier ", extract::QualifierName(ind.quantity().qualifier()),
                                   "≠", g.qualifier));
    if (DirectionName(ind.change()) == g.direction)
      ++score.direction_ok;
    else
      wrong.push_back(
          absl::StrCat("direction '", DirectionName(ind.change()), "'≠'", g.direction, "'"));
    const std::string path = path_of_section[ind.section_id()];
    if (path == g.section)
      ++score.section_ok;
    else
      wrong.push_back(absl::StrCat("section ", path, "≠", g.section));
    if (ind.is_target() == g.target)
      ++score.target_ok;
    else
      wrong.push_back(absl::StrCat("target ", ind.is_target(), "≠", g.target));
    if (!g.period.empty()) {
      ++score.period_checked;
      const std::string period = PeriodLabel(ind);
      if (period == g.period)
        ++score.period_ok;
      else
        wrong.push_back(absl::StrCat("period ", period, "≠", g.period));
    }
    if (!wrong.empty()) {
      score.mismatches.push_back(absl::StrCat(g.text, ": ", absl::StrJoin(wrong, ", ")));
    }
  }

  int uncertain_figures = 0;
  for (const Figure& f : figures) {
    if (f.matched_uncertain) {
      ++uncertain_figures;
      continue;
    }
    if (!f.matched) {
      score.false_positives.push_back(
          absl::StrCat(f.indicator->text(), "  «", f.indicator->subject(), "»"));
    }
  }
  score.extracted_figures = static_cast<int>(figures.size()) - uncertain_figures;

  // Strings the gold says are not quantities must not be reported.
  for (const std::string& s : gold.not_indicators) {
    for (const auto& span : FindAll(hay, MakeCompact(text::NormalizeNfkc(s).text))) {
      if (!Inside(ranges, span.first, span.second)) continue;
      for (const Figure& f : figures) {
        if (!f.matched && !f.matched_uncertain && f.end > span.first && f.begin < span.second) {
          score.not_indicator_hits.push_back(absl::StrCat(s, " → ", f.indicator->text()));
        }
      }
    }
  }

  score.precision = Ratio(score.matched, score.extracted_figures);
  score.recall = Ratio(score.matched, score.gold_certain);
  score.unit_accuracy = Ratio(score.unit_ok, score.matched);
  score.qualifier_accuracy = Ratio(score.qualifier_ok, score.matched);
  score.direction_accuracy = Ratio(score.direction_ok, score.matched);
  score.section_accuracy = Ratio(score.section_ok, score.matched);
  score.target_accuracy = Ratio(score.target_ok, score.matched);
  score.period_accuracy = Ratio(score.period_ok, score.period_checked);
  return score;
}

std::string FormatScore(const Score& s, bool details) {
  std::string out = absl::StrFormat(
      "precision %.4f (%d/%d)\nrecall    %.4f (%d/%d)\nunit      %.4f\nqualifier %.4f\n"
      "direction %.4f\nsection   %.4f\ntarget    %.4f\nperiod    %.4f (%d checked)\n"
      "not_indicators reported: %d\n",
      s.precision, s.matched, s.extracted_figures, s.recall, s.matched, s.gold_certain,
      s.unit_accuracy, s.qualifier_accuracy, s.direction_accuracy, s.section_accuracy,
      s.target_accuracy, s.period_accuracy, s.period_checked,
      static_cast<int>(s.not_indicator_hits.size()));
  if (!details) return out;
  auto list = [&](const char* title, const std::vector<std::string>& items) {
    if (items.empty()) return;
    absl::StrAppend(&out, title, ":\n");
    for (const auto& i : items) absl::StrAppend(&out, "  ", i, "\n");
  };
  list("missed", s.misses);
  list("false positives", s.false_positives);
  list("not_indicators reported", s.not_indicator_hits);
  list("mismatches", s.mismatches);
  return out;
}

}  // namespace zb::score
