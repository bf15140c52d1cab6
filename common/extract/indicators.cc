#include "common/extract/indicators.h"

#include <algorithm>
#include <iterator>
#include <limits>

#include "absl/algorithm/container.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/extract/periods.h"
#include "common/text/numerals.h"

namespace zb::extract {
namespace {

bool IsSentenceEnd(char32_t c) {
  // The text is NFKC: full-width ！？；， are their ASCII forms here.
  return c == U'。' || c == '!' || c == '?' || c == ';' || c == '\n';
}
bool IsClauseEnd(char32_t c) { return IsSentenceEnd(c) || c == ',' || c == ':'; }

// Scope words that say where or when, not what (dropped from the front).
constexpr absl::string_view kScopePrefixes[] = {
    "全市", "全县", "全区", "全省", "全州", "全旗", "全镇", "全乡", "全局", "全系统", "全年",
    "全国", "市级", "县级", "今年", "本年度", "年内", "上半年", "其中", "共计", "合计", "累计",
    "总计", "共", "各级", "我市", "我县", "我区", "本市", "本县", "全面", "先后", "分别", "已",
    "此外", "同时", "另外", "以及", "并", "和", "及",
    // Verbs of stating or aiming at a figure (提出地区生产总值年均增长5%左右,
    // 确保粮食产量…, 实现地区生产总值5696亿元): the subject follows them.
    "提出", "确保", "力争", "争取", "实现"};
// Linking words between the subject and the figure (dropped from the end).
constexpr absl::string_view kLinkSuffixes[] = {
    "达到了", "达到",   "达", "为",   "是",   "了",   "至",     "到",     "约",
    "近",     "超过",   "逾", "共",   "共计", "累计", "合计",   "总计",   "分别",
    "均",     "已",     "计", "占",   "有",   "突破", "不少于", "不低于", "不到",
    "不足",   "不超过", "超", "总数", "数量", "数",   "人数"};

bool StripPrefix(std::string* s, absl::string_view p) {
  if (absl::StartsWith(*s, p) && s->size() > p.size()) {
    s->erase(0, p.size());
    return true;
  }
  return false;
}

bool StripSuffix(std::string* s, absl::string_view p) {
  if (absl::EndsWith(*s, p) && s->size() > p.size()) {
    s->erase(s->size() - p.size());
    return true;
  }
  return false;
}

// Words that mark a change (delta) right before a figure, and their direction.
struct ChangeWord {
  absl::string_view word;
  zhibiao::v1::Change change;
};
constexpr ChangeWord kChangeWords[] = {
    {"同比增长", zhibiao::v1::CHANGE_INCREASE},
    {"同比下降", zhibiao::v1::CHANGE_DECREASE},
    {"年均增长", zhibiao::v1::CHANGE_INCREASE},
    {"年均下降", zhibiao::v1::CHANGE_DECREASE},
    {"涨幅", zhibiao::v1::CHANGE_INCREASE},
    {"上涨", zhibiao::v1::CHANGE_INCREASE},
    {"增幅", zhibiao::v1::CHANGE_INCREASE},
    {"增速", zhibiao::v1::CHANGE_INCREASE},
    {"微涨", zhibiao::v1::CHANGE_INCREASE},
    {"微降", zhibiao::v1::CHANGE_DECREASE},
    {"净增", zhibiao::v1::CHANGE_INCREASE},
    {"净减少", zhibiao::v1::CHANGE_DECREASE},
    {"同比减少", zhibiao::v1::CHANGE_DECREASE},
    {"同比增加", zhibiao::v1::CHANGE_INCREASE},
    {"增长", zhibiao::v1::CHANGE_INCREASE},
    {"增加", zhibiao::v1::CHANGE_INCREASE},
    {"提高", zhibiao::v1::CHANGE_INCREASE},
    {"提升", zhibiao::v1::CHANGE_INCREASE},
    {"上升", zhibiao::v1::CHANGE_INCREASE},
    {"新增", zhibiao::v1::CHANGE_INCREASE},
    {"增", zhibiao::v1::CHANGE_INCREASE},
    {"多", zhibiao::v1::CHANGE_INCREASE},
    {"下降", zhibiao::v1::CHANGE_DECREASE},
    {"减少", zhibiao::v1::CHANGE_DECREASE},
    {"降低", zhibiao::v1::CHANGE_DECREASE},
    {"压缩", zhibiao::v1::CHANGE_DECREASE},
    {"缩短", zhibiao::v1::CHANGE_DECREASE},
    {"删除", zhibiao::v1::CHANGE_DECREASE},
    {"削减", zhibiao::v1::CHANGE_DECREASE},
    {"精简", zhibiao::v1::CHANGE_DECREASE},
    {"下调", zhibiao::v1::CHANGE_DECREASE},
    {"减", zhibiao::v1::CHANGE_DECREASE},
    {"少", zhibiao::v1::CHANGE_DECREASE},
    {"下降了", zhibiao::v1::CHANGE_DECREASE},
    // Of a pollutant's concentration or an intensity: PM2.5浓度改善24.7%.
    {"改善", zhibiao::v1::CHANGE_DECREASE}};

// Fillers allowed between a change word and its figure.
constexpr absl::string_view kChangeFillers[] = {"了", "分别", "约", "近", "超过", "达", "逾", "超"};

// Words that make a figure a goal rather than a result, when they stand in
// the figure's own clause before it ("力争优秀率达到95%以上"); a goal named after
// the figure ("完成…5-8名…的目标") was achieved.
constexpr absl::string_view kTargetWords[] = {"力争", "争取", "目标是", "目标为", "目标任务",
                                              "计划", "预计", "拟",     "将达到", "要达到"};
// Of those, the words that also report the past where the passage is about
// it: 争取国家资金超千亿元 (obtained), 预计年均增长11% (estimated).
constexpr absl::string_view kPastToleratedTargetWords[] = {"争取", "预计"};
// Section headings about next year's plans.
constexpr absl::string_view kPlanHeadings[] = {"打算", "工作计划", "工作安排", "工作思路", "下一步",
                                               "下步", "展望",     "明年",     "工作重点"};

zhibiao::v1::Change DetectChange(const CodePointText& t, int64_t figure_begin,
                                 int64_t clause_begin) {
  // Walk back over fillers, then look for a change word ending there.
  int64_t at = figure_begin;
  bool moved = true;
  while (moved) {
    moved = false;
    for (absl::string_view f : kChangeFillers) {
      int64_t len = 0;
      for (unsigned char c : f) len += (c & 0xC0) != 0x80;
      if (at - len >= clause_begin && t.MatchesBefore(at, f)) {
        at -= len;
        moved = true;
        break;
      }
    }
  }
  // "压缩至", "提高到", "降至": the figure is the new level, not the change.
  if (t.at(at - 1) == U'至' || t.at(at - 1) == U'到' || t.at(at - 1) == U'为') {
    return zhibiao::v1::CHANGE_NONE;
  }
  for (const ChangeWord& w : kChangeWords) {
    if (t.MatchesBefore(at, w.word)) {
      int64_t len = 0;
      for (unsigned char c : w.word) len += (c & 0xC0) != 0x80;
      if (at - len < clause_begin) continue;
      // 多/少 only in comparisons: 比上年多3件.
      if ((w.word == "多" || w.word == "少") && !t.MatchesBefore(at - len, "年") &&
          !t.MatchesBefore(at - len, "期")) {
        continue;
      }
      return w.change;
    }
  }
  return zhibiao::v1::CHANGE_NONE;
}

// The front of a subject: list markers (一是), a leading date (截至2021年底,
// 2025年) and scope words (全市, 其中, 累计) dropped.
std::string StripLeadingScope(absl::string_view clause) {
  std::string s(absl::StripAsciiWhitespace(clause));
  // Leading list markers and connectives.
  for (absl::string_view marker :
       {"一是", "二是", "三是", "四是", "五是", "六是", "七是", "八是", "九是", "十是"}) {
    StripPrefix(&s, marker);
  }
  // A leading date or year: 2021年, 截至2021年底.
  if (absl::StartsWith(s, "截至") || absl::StartsWith(s, "截止")) {
    size_t at = s.find("底");
    if (at != std::string::npos) s.erase(0, at + 3);
  }
  if (s.size() > 7 && absl::ascii_isdigit(s[0]) && absl::ascii_isdigit(s[3]) &&
      s.compare(4, 3, "年") == 0) {
    s.erase(0, 7);
    StripPrefix(&s, "度");
  }
  bool changed = true;
  while (changed) {
    changed = false;
    for (absl::string_view p : kScopePrefixes) changed = StripPrefix(&s, p) || changed;
  }
  return s;
}

int64_t CodePoints(absl::string_view s) {
  int64_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// The first `n` code points of `s` dropped.
absl::string_view DropCodePoints(absl::string_view s, int64_t n) {
  size_t i = 0;
  while (i < s.size() && n > 0) {
    ++i;
    while (i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) ++i;
    --n;
  }
  return s.substr(i);
}

// Adverbs between a respective list and 分别 that belong to neither item.
constexpr absl::string_view kListTrailers[] = {"年均", "同比", "均", "各", "累计"};
// Words an item ends with when it names a whole measure, not a modifier
// that shares the last item's head (城镇、农村居民人均可支配收入).
constexpr absl::string_view kMeasureEnds[] = {"率", "度", "数", "量", "额", "值", "入", "费", "比",
                                              "重", "价", "积", "资", "次", "人", "户", "家", "项"};

}  // namespace

std::vector<std::string> RespectiveItems(absl::string_view list, size_t count) {
  std::string s = StripLeadingScope(list);
  for (bool changed = true; changed;) {
    changed = false;
    for (absl::string_view w : kListTrailers) changed = StripSuffix(&s, w) || changed;
  }
  std::vector<std::string> items = absl::StrSplit(s, "、");
  if (items.size() < count) {
    // 生产安全事故起数和死亡人数: the conjunctions join items too.
    std::vector<std::string> finer;
    for (const std::string& item : items) {
      std::string rest = item;
      size_t at;
      while ((at = std::min({rest.find("和"), rest.find("与"), rest.find("及")})) !=
                 std::string::npos &&
             at > 0 && at + 3 < rest.size()) {
        finer.push_back(rest.substr(0, at));
        rest.erase(0, at + 3);
      }
      finer.push_back(rest);
    }
    items = std::move(finer);
  }
  if (items.size() == 1 && count >= 2) {
    const std::string& only = items[0];
    if (count == 2 && absl::StartsWith(only, "城乡") && only.size() > 6) {
      // 城乡居民人均可支配收入 = 城镇居民… and 农村居民….
      items = {absl::StrCat("城镇", only.substr(6)), absl::StrCat("农村", only.substr(6))};
    } else {
      // 一二三产增加值: numerals written together before 产.
      const size_t chan = only.find("产");
      if (chan != std::string::npos && chan == count * 3) {
        std::vector<std::string> expanded;
        for (size_t k = 0; k < count; ++k) {
          const std::string numeral = only.substr(k * 3, 3);
          if (numeral != "一" && numeral != "二" && numeral != "三") break;
          expanded.push_back(absl::StrCat(numeral, only.substr(chan)));
        }
        if (expanded.size() == count) items = std::move(expanded);
      }
    }
  }
  if (items.size() != count) return {};
  for (const std::string& item : items) {
    if (item.empty()) return {};
  }
  // Short modifiers share the last item's head: 城镇、农村居民人均可支配收入.
  const std::string last = items.back();
  for (size_t k = 0; k + 1 < items.size(); ++k) {
    const int64_t n = CodePoints(items[k]);
    bool whole = false;
    for (absl::string_view w : kMeasureEnds) whole = whole || absl::EndsWith(items[k], w);
    if (n <= 3 && !whole && CodePoints(last) >= n + 2) {
      items[k] = absl::StrCat(items[k], DropCodePoints(last, n));
    }
  }
  return items;
}

namespace {

// Verbs of reaching a level, between a subject and the level it reached
// (地区生产总值迈上5万亿元台阶, 从2020年的3.68万亿元增长到2025年的4.93万亿元).
constexpr absl::string_view kReachSuffixes[] = {
    "迈上",   "跨过",   "跨越",   "稳定在", "保持在", "提高到", "提升到", "增长到",
    "增加到", "扩大到", "下降到", "降低到", "减少到", "增至",   "提高至", "提升至",
    "扩大至", "降至",   "降到",   "由上年", "比上年", "较上年", "从",     "由"};

// A year the figure is dated by at the end of a subject (…从2020年的,
// …到2025年底的): dropped, since the figure's period says it.
bool StripTrailingYear(std::string* s) {
  std::string t = *s;
  StripSuffix(&t, "的");
  if (!(StripSuffix(&t, "年底") || StripSuffix(&t, "年末") || StripSuffix(&t, "年"))) return false;
  if (t.size() < 4) return false;
  for (size_t k = t.size() - 4; k < t.size(); ++k) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(t[k]))) return false;
  }
  t.erase(t.size() - 4);
  // The comparison word before the year goes with it (占GDP比重较2020年).
  StripSuffix(&t, "较") || StripSuffix(&t, "比");
  if (t.empty()) return false;
  *s = std::move(t);
  return true;
}

// Enumeration commas left at either end (江西地区生产总值、 before 达3.6万亿元).
bool StripListCommas(std::string* s) {
  bool changed = false;
  while (StripSuffix(s, "、") || StripSuffix(s, ",")) changed = true;
  while (StripPrefix(s, "、") || StripPrefix(s, ",")) changed = true;
  return changed;
}

// A subject that is only a verb names nothing (增长 of 、增长到4398.6亿元).
bool IsBareVerb(absl::string_view subject) {
  static constexpr absl::string_view kBareVerbs[] = {"增长", "提高", "提升", "增加", "下降", "降低",
                                                     "减少", "达到", "实现", "突破", "超过", "保持",
                                                     "稳定", "扩大", "完成", "累计", "新增"};
  return absl::c_linear_search(kBareVerbs, subject) ||
         absl::c_linear_search(kLinkSuffixes, subject) ||
         absl::c_linear_search(kReachSuffixes, subject);
}

// Whether the words after a figure go on with a verb (3.68万亿元增长到…), so
// they name no noun the figure counts.
bool StartsWithAVerb(absl::string_view after) {
  static constexpr absl::string_view kVerbStarts[] = {
      "增长", "增加", "提高", "提升", "下降", "降低", "减少", "达",   "突破", "超过", "到",
      "至",   "比",   "较",   "同比", "增",   "降",   "跃升", "迈上", "跨越", "跨过"};
  for (absl::string_view v : kVerbStarts) {
    if (absl::StartsWith(after, v)) return true;
  }
  return false;
}

// Sections whose heading (or an ancestor's) is about next year's plans. A
// section is about plans when an earlier section whose id prefixes its own
// (an ancestor) is: the ids seen so far that were plan sections.
std::vector<bool> PlanSections(const std::vector<zhibiao::v1::Section>& sections, int report_year) {
  std::vector<bool> plan_section(sections.size(), false);
  absl::flat_hash_set<std::string> plan_ids;
  for (size_t k = 0; k < sections.size(); ++k) {
    const auto& s = sections[k];
    bool plan = false;
    for (absl::string_view w : kPlanHeadings) plan = plan || absl::StrContains(s.heading(), w);
    if (report_year > 0 && absl::StrContains(s.heading(), absl::StrCat(report_year + 1, "年"))) {
      plan = true;
    }
    const absl::string_view id = s.section_id();
    for (size_t dot = id.find('.'); !plan && dot != absl::string_view::npos;
         dot = id.find('.', dot + 1)) {
      plan = plan_ids.contains(id.substr(0, dot));
    }
    plan_section[k] = plan;
    if (plan) plan_ids.insert(std::string(id));
  }
  return plan_section;
}

// Whether sections are disjoint and in text order (doc::ParseStructure), so
// that the one holding a figure is found by binary search.
bool SectionsOrdered(const std::vector<zhibiao::v1::Section>& sections) {
  for (size_t k = 1; k < sections.size(); ++k) {
    if (sections[k - 1].char_begin() > sections[k].char_begin() ||
        sections[k - 1].char_end() > sections[k].char_begin()) {
      return false;
    }
  }
  return true;
}

// Whether the text between two figures makes the second the next item of
// an enumeration (3.5%左右、6%左右; 3.9%和5.7%).
bool IsEnumerationGap(absl::string_view gap) {
  return gap == "、" || gap == "和" || gap == "与" || gap == "及";
}

// Enumerations sharing one figure: A率、B率达100% → one indicator each, when
// every item names a metric (ends in 率, 度, 数, 量 or 额).
std::vector<std::string> SubjectsSharingOneFigure(const std::string& subject,
                                                  bool respective_item) {
  if (!respective_item && absl::StrContains(subject, "、")) {
    std::vector<std::string> parts = absl::StrSplit(subject, "、");
    bool all_metrics = parts.size() >= 2;
    for (const std::string& p : parts) {
      all_metrics = all_metrics && p.size() >= 6 &&
                    (absl::EndsWith(p, "率") || absl::EndsWith(p, "度") ||
                     absl::EndsWith(p, "数") || absl::EndsWith(p, "量") || absl::EndsWith(p, "额"));
    }
    if (all_metrics) return parts;
  }
  return {subject};
}

// Where a figure stands: its sentence and the clause before it.
struct FigureSpan {
  int64_t sentence_begin = 0;
  int64_t sentence_end = 0;
  int64_t clause_begin = 0;
};

// The section holding a figure, and where its top-level ancestor begins
// (how far back time markers are looked for).
struct FigureSection {
  const zhibiao::v1::Section* section = nullptr;
  size_t index = 0;
  int64_t time_floor = 0;
};

// What a figure says beyond its quantity.
struct FigureMeaning {
  zhibiao::v1::Change change = zhibiao::v1::CHANGE_NONE;
  bool is_target = false;
  Period period;
  bool cumulative = false;
};

// What a figure is of, and how it was found.
struct FigureSubject {
  std::string subject;
  std::string noun_after_unit;        // 选配786名法律服务人员: 法律服务人员
  bool clause_names_nothing = false;  // the subject was borrowed from the clause before
};

// Turns the figures FindQuantities found into indicators, one figure at a
// time in text order; what a figure borrows from those before it (an
// enumeration's change word and period, a respective list's items) is kept
// between figures.
class IndicatorReader {
 public:
  // Sentences longer than this (none in real reports, whose longest is
  // about 420 characters) are cut around the figure, bounding the work and
  // the text kept per figure.
  static constexpr int64_t kSentenceReach = 512;

  IndicatorReader(const CodePointText& t, const std::vector<zhibiao::v1::Section>& sections,
                  const ReportTime& time, const std::vector<FoundQuantity>& found,
                  const TimeMarkers& time_markers)
      : t_(t),
        sections_(sections),
        report_year_(time.report_year),
        found_(found),
        time_markers_(time_markers),
        plan_section_(PlanSections(sections, time.report_year)),
        sections_ordered_(SectionsOrdered(sections)) {}

  // Adds the indicators of found[index] to `out`.
  void Read(size_t index, std::vector<zhibiao::v1::Indicator>* out) {
    const FoundQuantity& q = found_[index];
    const FigureSpan span = SpanOf(q);
    const FigureSection section = SectionAt(q.begin);
    const FigureMeaning meaning = MeaningOf(q, span, section);
    FigureSubject subject = SubjectOf(index, q, span);
    const bool respective_item = PairWithRespectiveItems(index, span, &subject);
    // A clause that names nothing before the figure names it after the unit:
    // 全市12个公共法律服务中心, 选配786名法律服务人员.
    if (subject.subject.size() <= 12 && !respective_item) {
      subject.subject = absl::StrCat(subject.subject, subject.noun_after_unit);
    }
    for (const std::string& subj : SubjectsSharingOneFigure(subject.subject, respective_item)) {
      out->push_back(IndicatorOf(q, span, section, meaning, subj, out->size()));
    }
  }

 private:
  FigureSpan SpanOf(const FoundQuantity& q);
  FigureSection SectionAt(int64_t at) const;
  FigureMeaning MeaningOf(const FoundQuantity& q, const FigureSpan& span,
                          const FigureSection& section);
  FigureSubject SubjectOf(size_t index, const FoundQuantity& q, const FigureSpan& span) const;
  std::string NounAfterUnit(const FoundQuantity& q, const FigureSpan& span) const;
  bool PairWithRespectiveItems(size_t index, const FigureSpan& span, FigureSubject* subject);
  std::vector<std::string> ItemsOfRun(const FoundQuantity& q, const FigureSpan& span,
                                      size_t run_length, bool clause_names_nothing) const;
  bool ContinuesEnumeration(size_t k) const;
  zhibiao::v1::Indicator IndicatorOf(const FoundQuantity& q, const FigureSpan& span,
                                     const FigureSection& section, const FigureMeaning& meaning,
                                     const std::string& subject, size_t seq) const;

  const CodePointText& t_;
  const std::vector<zhibiao::v1::Section>& sections_;
  const int report_year_;
  const std::vector<FoundQuantity>& found_;
  const TimeMarkers& time_markers_;
  const std::vector<bool> plan_section_;
  const bool sections_ordered_;
  int64_t previous_end_ = 0;  // where the last figure ended
  // The previous figure, for enumerations that share its change word and period.
  int64_t previous_figure_end_ = -1;
  FigureMeaning previous_;
  // The items of the last respective list (A、B分别增长x、y) and its sentence,
  // for a run of figures later in the sentence that names nothing itself
  // (分别达6.9万元、3.4万元，增长4.2%、5.3%).
  std::vector<std::string> respective_;
  int64_t respective_sentence_ = -1;
  size_t run_start_ = 0, run_length_ = 0;
};

FigureSpan IndicatorReader::SpanOf(const FoundQuantity& q) {
  FigureSpan span;
  span.sentence_begin = q.begin;
  const int64_t reach_begin = std::max<int64_t>(0, q.begin - kSentenceReach);
  while (span.sentence_begin > reach_begin && !IsSentenceEnd(t_.at(span.sentence_begin - 1))) {
    --span.sentence_begin;
  }
  span.sentence_end = q.end;
  const int64_t reach_end = std::min<int64_t>(t_.size(), q.end + kSentenceReach);
  while (span.sentence_end < reach_end && !IsSentenceEnd(t_.at(span.sentence_end))) {
    ++span.sentence_end;
  }
  span.clause_begin = q.begin;
  while (span.clause_begin > span.sentence_begin && !IsClauseEnd(t_.at(span.clause_begin - 1))) {
    --span.clause_begin;
  }
  // A figure right after the previous one in the same clause shares its start.
  if (span.clause_begin < previous_end_) span.clause_begin = previous_end_;
  previous_end_ = q.end;
  return span;
}

// The last section starting at or before `at` that holds it.
FigureSection IndicatorReader::SectionAt(int64_t at) const {
  FigureSection found;
  auto consider = [&](size_t k) {
    if (sections_[k].char_begin() <= at && at < sections_[k].char_end()) {
      found.section = &sections_[k];
      found.index = k;
      if (sections_[k].section_id().find('.') == std::string::npos) {
        found.time_floor = sections_[k].char_begin();
      }
    }
  };
  if (!sections_ordered_) {
    for (size_t k = 0; k < sections_.size(); ++k) consider(k);
    return found;
  }
  const auto after =
      std::upper_bound(sections_.begin(), sections_.end(), at,
                       [](int64_t a, const zhibiao::v1::Section& s) { return a < s.char_begin(); });
  // The last section starting at or before the figure, and any before it
  // starting at the same offset (an empty section before its first child).
  for (auto it = after; it != sections_.begin();) {
    --it;
    if (it->char_begin() != std::prev(after)->char_begin()) break;
    if (found.section == nullptr) consider(static_cast<size_t>(it - sections_.begin()));
  }
  return found;
}

// The change word, whether it is a goal, the period and whether it is a
// running total. An item of an enumeration (分别增长3.9%和5.7%, 3.5%左右、6%左右)
// shares the change word, goal and period of the item before it.
FigureMeaning IndicatorReader::MeaningOf(const FoundQuantity& q, const FigureSpan& span,
                                         const FigureSection& section) {
  const bool enumerated = previous_figure_end_ >= 0 && previous_figure_end_ <= q.begin &&
                          q.begin - previous_figure_end_ <= 2 &&
                          IsEnumerationGap(t_.Slice(previous_figure_end_, q.begin));
  FigureMeaning m;
  m.change = DetectChange(t_, q.begin, span.clause_begin);
  // Percentage points are differences by definition.
  if (m.change == zhibiao::v1::CHANGE_NONE && q.quantity.unit() == "个百分点") {
    for (absl::string_view w : {"下降", "降低", "减少", "回落"}) {
      if (absl::StrContains(t_.Slice(span.clause_begin, q.begin), w)) {
        m.change = zhibiao::v1::CHANGE_DECREASE;
      }
    }
    if (m.change == zhibiao::v1::CHANGE_NONE) m.change = zhibiao::v1::CHANGE_INCREASE;
  }
  m.is_target = section.section != nullptr && plan_section_[section.index];
  const absl::string_view before_in_clause = t_.Slice(span.clause_begin, q.begin);
  // A figure in a passage about the coming year or plan period is a goal.
  const TimeMarker* scope = time_markers_.ScopeAt(q.begin, section.time_floor);
  const bool past_scope = scope != nullptr && !scope->period.future;
  for (absl::string_view w : kTargetWords) {
    if (past_scope && absl::c_linear_search(kPastToleratedTargetWords, w)) continue;
    m.is_target = m.is_target || absl::StrContains(before_in_clause, w);
  }
  if (scope != nullptr && scope->period.future) m.is_target = true;
  if (enumerated) {
    if (m.change == zhibiao::v1::CHANGE_NONE) m.change = previous_.change;
    m.is_target = m.is_target || previous_.is_target;
  }
  const bool starting_level = t_.MatchesBefore(q.begin, "从") || t_.MatchesBefore(q.begin, "由") ||
                              t_.MatchesBefore(q.begin, "由上年");
  m.period =
      PeriodOf(time_markers_, span.clause_begin, q.begin, section.time_floor,
               m.change != zhibiao::v1::CHANGE_NONE, m.is_target, starting_level, report_year_);
  if (enumerated && previous_.period.start != 0) m.period = previous_.period;
  // A running total (累计完成3.7万亿元, 合计, 共计): its period says over how long.
  static constexpr absl::string_view kTotalWords[] = {"累计", "累积", "合计", "共计", "总计"};
  m.cumulative = enumerated && previous_.cumulative;
  for (absl::string_view w : kTotalWords) {
    m.cumulative = m.cumulative || absl::StrContains(before_in_clause, w);
  }
  previous_figure_end_ = q.end;
  previous_ = m;
  return m;
}

// What the unit is of, when words follow it (选配786名法律服务人员, 实现72项事项
// “一次办妥”); not a verb going on (3.68万亿元增长到…), nor words cut short by
// another number (为100所海拔1500米以上…), which are a modifier.
std::string IndicatorReader::NounAfterUnit(const FoundQuantity& q, const FigureSpan& span) const {
  int64_t k = q.end;
  if (t_.at(k) == U'的') ++k;
  const int64_t noun_begin = k;
  while (k < span.sentence_end && k - noun_begin < 12 && !IsClauseEnd(t_.at(k)) &&
         t_.at(k) != U'、' && t_.at(k) != U'“' && !(t_.at(k) >= '0' && t_.at(k) <= '9')) {
    ++k;
  }
  const bool cut_by_a_number = k < span.sentence_end && t_.at(k) >= '0' && t_.at(k) <= '9';
  if (k - noun_begin >= 2 && !cut_by_a_number && !StartsWithAVerb(t_.Slice(noun_begin, k))) {
    return std::string(t_.Slice(noun_begin, k));
  }
  return "";
}

// The subject: the clause before the figure, minus the change word. Clauses
// that name nothing (同比增长12.4%, 、增长到2025年的4.93万亿元) borrow the
// previous clause's subject, up to its first figure, unless a bare verb
// before the figure has a noun after it, which is the subject.
FigureSubject IndicatorReader::SubjectOf(size_t index, const FoundQuantity& q,
                                         const FigureSpan& span) const {
  std::string clause(t_.Slice(span.clause_begin, q.begin));
  for (const ChangeWord& w : kChangeWords) {
    if (w.word.size() >= 6 && absl::EndsWith(clause, w.word)) {
      clause.erase(clause.size() - w.word.size());
      break;
    }
  }
  FigureSubject out;
  out.subject = SubjectFromClause(clause);
  const bool bare_verb = IsBareVerb(out.subject);
  if (bare_verb) out.subject.clear();
  out.noun_after_unit = NounAfterUnit(q, span);
  // Fewer than two CJK characters.
  out.clause_names_nothing = out.subject.size() < 6 && !(bare_verb && !out.noun_after_unit.empty());
  if (!out.clause_names_nothing) return out;
  const int64_t prev_clause_end = span.clause_begin - 1;
  int64_t prev_clause_begin = prev_clause_end;
  while (prev_clause_begin > span.sentence_begin && !IsClauseEnd(t_.at(prev_clause_begin - 1))) {
    --prev_clause_begin;
  }
  if (prev_clause_end > prev_clause_begin) {
    int64_t cut = prev_clause_end;
    for (size_t k = index; k-- > 0;) {
      if (found_[k].begin < prev_clause_begin) break;
      if (found_[k].begin < prev_clause_end) cut = found_[k].begin;
    }
    out.subject = absl::StrCat(SubjectFromClause(t_.Slice(prev_clause_begin, cut)), out.subject);
  }
  return out;
}

// Whether found[k] follows found[k - 1] as the next item of an enumeration.
bool IndicatorReader::ContinuesEnumeration(size_t k) const {
  if (k == 0 || k >= found_.size() || found_[k - 1].end > found_[k].begin ||
      found_[k].begin - found_[k - 1].end > 2) {
    return false;
  }
  return IsEnumerationGap(t_.Slice(found_[k - 1].end, found_[k].begin));
}

// The items a run of `run_length` figures starting at q pairs with, in
// order: a list before 分别 (less a comparison base: 比2020年, 较“十三五”末),
// the last respective list of the sentence for a run that names nothing,
// or, without 分别, a list of as many items (城乡居民人均收入年均增长5.3%、7.7%).
std::vector<std::string> IndicatorReader::ItemsOfRun(const FoundQuantity& q, const FigureSpan& span,
                                                     size_t run_length,
                                                     bool clause_names_nothing) const {
  int64_t whole_clause_begin = q.begin;
  while (whole_clause_begin > span.sentence_begin && !IsClauseEnd(t_.at(whole_clause_begin - 1))) {
    --whole_clause_begin;
  }
  const absl::string_view before_run = t_.Slice(whole_clause_begin, q.begin);
  auto no_digits = [](absl::string_view s) {
    return !absl::c_any_of(s, [](char c) { return absl::ascii_isdigit(c); });
  };
  const size_t respectively = before_run.rfind("分别");
  if (respectively != absl::string_view::npos) {
    absl::string_view list = before_run.substr(0, respectively);
    for (absl::string_view base : {"比", "较"}) {
      const size_t at = list.rfind(base);
      if (at == absl::string_view::npos) continue;
      const absl::string_view rest = list.substr(at);
      if (absl::StrContains(rest, "年") || absl::StrContains(rest, "末") ||
          absl::StrContains(rest, "时期")) {
        list = list.substr(0, at);
      }
    }
    return no_digits(list) ? RespectiveItems(list, run_length) : std::vector<std::string>();
  }
  if (respective_sentence_ == span.sentence_begin && respective_.size() == run_length &&
      clause_names_nothing) {
    return respective_;
  }
  std::string list(before_run);
  for (bool stripped = true; stripped;) {
    stripped = false;
    for (absl::string_view w : kChangeFillers) stripped = StripSuffix(&list, w) || stripped;
    for (const ChangeWord& w : kChangeWords) {
      if (w.word.size() >= 6) stripped = StripSuffix(&list, w.word) || stripped;
    }
  }
  return no_digits(list) ? RespectiveItems(list, run_length) : std::vector<std::string>();
}

// A respective enumeration pairs its items with its figures in order: at
// the first figure of a run, finds the run and its items; every figure of
// the run then takes its item as subject. Returns whether found[index] did.
bool IndicatorReader::PairWithRespectiveItems(size_t index, const FigureSpan& span,
                                              FigureSubject* subject) {
  if (!ContinuesEnumeration(index)) {
    run_start_ = index;
    run_length_ = 1;
    while (ContinuesEnumeration(index + run_length_)) ++run_length_;
    std::vector<std::string> items;
    if (run_length_ >= 2) {
      items = ItemsOfRun(found_[index], span, run_length_, subject->clause_names_nothing);
    }
    if (!items.empty()) {
      respective_ = std::move(items);
      respective_sentence_ = span.sentence_begin;
    } else {
      respective_.clear();
    }
  }
  const bool respective_item =
      !respective_.empty() && respective_sentence_ == span.sentence_begin &&
      index - run_start_ < respective_.size() && run_length_ == respective_.size();
  if (respective_item) subject->subject = respective_[index - run_start_];
  return respective_item;
}

zhibiao::v1::Indicator IndicatorReader::IndicatorOf(const FoundQuantity& q, const FigureSpan& span,
                                                    const FigureSection& section,
                                                    const FigureMeaning& meaning,
                                                    const std::string& subject, size_t seq) const {
  zhibiao::v1::Indicator ind;
  ind.set_seq(static_cast<int32_t>(seq));
  ind.set_subject(subject);
  *ind.mutable_quantity() = q.quantity;
  ind.set_change(meaning.change);
  ind.set_is_target(meaning.is_target);
  ind.set_period_start(meaning.period.start);
  ind.set_period_end(meaning.period.end);
  ind.set_cumulative(meaning.cumulative);
  ind.set_text(std::string(t_.Slice(q.begin, q.end)));
  ind.set_sentence(std::string(t_.Slice(span.sentence_begin, span.sentence_end)));
  ind.set_sentence_char_begin(span.sentence_begin);
  ind.set_sentence_char_end(span.sentence_end);
  ind.set_char_begin(q.begin);
  ind.set_char_end(q.end);
  ind.set_section_id(section.section != nullptr ? section.section->section_id() : "");
  ind.set_confidence(subject.empty() ? 0.5f : 0.9f);
  return ind;
}

}  // namespace

std::string SubjectFromClause(absl::string_view clause) {
  std::string s = StripLeadingScope(clause);
  bool changed = true;
  while (changed) {
    changed = StripListCommas(&s);
    for (absl::string_view p : kReachSuffixes) changed = StripSuffix(&s, p) || changed;
    for (absl::string_view p : kLinkSuffixes) changed = StripSuffix(&s, p) || changed;
    changed = StripTrailingYear(&s) || changed;
  }
  return s;
}

std::vector<zhibiao::v1::Indicator> ExtractIndicators(
    absl::string_view text, const std::vector<zhibiao::v1::Section>& sections, int report_year) {
  return ExtractIndicators(CodePointText(text), sections, report_year);
}

std::vector<zhibiao::v1::Indicator> ExtractIndicators(
    const CodePointText& t, const std::vector<zhibiao::v1::Section>& sections, int report_year) {
  return ExtractIndicators(t, sections,
                           ReportTime{report_year, zhibiao::v1::DOCUMENT_KIND_UNSPECIFIED});
}

std::vector<zhibiao::v1::Indicator> ExtractIndicators(
    const CodePointText& t, const std::vector<zhibiao::v1::Section>& sections,
    const ReportTime& time) {
  ExtractBounds unbounded;
  unbounded.max_figures = std::numeric_limits<int64_t>::max();
  return *ExtractIndicators(t, sections, time, unbounded);
}

absl::StatusOr<std::vector<zhibiao::v1::Indicator>> ExtractIndicators(
    const CodePointText& t, const std::vector<zhibiao::v1::Section>& sections,
    const ReportTime& time, const ExtractBounds& bounds) {
  const CallBudget unlimited;
  const CallBudget& budget = bounds.budget != nullptr ? *bounds.budget : unlimited;
  const size_t most = static_cast<size_t>(std::max<int64_t>(bounds.max_figures, 0));
  const std::vector<FoundQuantity> found =
      FindQuantities(t, most == std::numeric_limits<size_t>::max() ? most : most + 1);
  if (found.size() > most) {
    return absl::ResourceExhaustedError(
        absl::StrCat("document has more than ", bounds.max_figures,
                     " figures, the limit for one report (--max_indicators); split it"));
  }
  if (absl::Status s = budget.Check("extracting figures"); !s.ok()) return s;
  const TimeMarkers time_markers(t, time.report_year, time.kind);
  if (absl::Status s = budget.Check("extracting figures"); !s.ok()) return s;
  IndicatorReader reader(t, sections, time, found, time_markers);
  std::vector<zhibiao::v1::Indicator> out;
  for (size_t index = 0; index < found.size(); ++index) {
    if (absl::Status s = budget.CheckEvery(256, "extracting figures"); !s.ok()) return s;
    reader.Read(index, &out);
  }
  return out;
}

}  // namespace zb::extract
