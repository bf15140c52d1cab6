#include "common/doc/structure.h"

#include <array>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "common/doc/dates.h"
#include "common/doc/page_chrome.h"
#include "common/text/normalize.h"
#include "common/text/numerals.h"

namespace zb::doc {
namespace {

using text::NextCodePoint;

// One line of the text with its code-point and byte offsets (trimmed).
struct Line {
  absl::string_view text;
  int64_t cp_begin = 0;  // code-point offset of text's first character
  int64_t cp_end = 0;
};

bool IsSpace(char32_t c) { return c == ' ' || c == '\t' || c == 0x3000 || c == 0xA0; }

std::vector<Line> SplitLines(absl::string_view text) {
  std::vector<Line> lines;
  size_t i = 0;
  int64_t cp = 0;
  while (i <= text.size()) {
    size_t first = std::string::npos, last_end = 0;
    int64_t first_cp = 0, last_cp_end = 0;
    while (i < text.size() && text[i] != '\n') {
      size_t before = i;
      char32_t c = NextCodePoint(text, &i);
      if (!IsSpace(c)) {
        if (first == std::string::npos) {
          first = before;
          first_cp = cp;
        }
        last_end = i;
        last_cp_end = cp + 1;
      }
      ++cp;
    }
    if (first != std::string::npos) {
      lines.push_back({text.substr(first, last_end - first), first_cp, last_cp_end});
    }
    if (i >= text.size()) break;
    ++i;  // the LF
    ++cp;
  }
  return lines;
}

// Reads a run of Chinese numeral characters at the start of `s`.
absl::string_view LeadingChineseNumeral(absl::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    size_t before = i;
    char32_t c = NextCodePoint(s, &i);
    if (!text::IsChineseNumeralChar(c) || c == U'万' || c == U'亿') {
      i = before;
      break;
    }
  }
  return s.substr(0, i);
}

// 第一部分 / 第一章 (a line starting with 第).
std::optional<HeadingMatch> MatchPartHeading(absl::string_view line) {
  absl::string_view num = LeadingChineseNumeral(line.substr(3));
  absl::string_view after = line.substr(3 + num.size());
  for (absl::string_view word : {"部分", "章"}) {
    if (num.empty() || !absl::StartsWith(after, word)) continue;
    auto v = text::ParseChineseNumber(num);
    if (!v || *v <= 0 || *v > 99) return std::nullopt;
    HeadingMatch m;
    m.style = kPart;
    m.value = static_cast<int>(*v);
    m.ordinal = std::string(line.substr(0, 3 + num.size() + word.size()));
    m.path_component = m.ordinal;
    m.rest = absl::StripLeadingAsciiWhitespace(line.substr(m.ordinal.size()));
    if (absl::StartsWith(m.rest, "、") || absl::StartsWith(m.rest, ":")) {
      m.rest = m.rest.substr(absl::StartsWith(m.rest, ":") ? 1 : 3);
    }
    return m;
  }
  return std::nullopt;
}

// 一、 (`num` is the Chinese numeral the line starts with, before 、).
std::optional<HeadingMatch> MatchChineseHeading(absl::string_view line, absl::string_view num) {
  auto v = text::ParseChineseNumber(num);
  if (!v || *v <= 0 || *v > 99) return std::nullopt;
  HeadingMatch m;
  m.style = kChinese;
  m.value = static_cast<int>(*v);
  m.ordinal = absl::StrCat(num, "、");
  m.path_component = std::string(num);
  m.rest = line.substr(num.size() + 3);
  return m;
}

// (一) and (1) (a line starting with "(").
std::optional<HeadingMatch> MatchParenHeading(absl::string_view line) {
  size_t close = line.find(')');
  if (close == absl::string_view::npos || close < 2) return std::nullopt;
  absl::string_view inner = line.substr(1, close - 1);
  HeadingMatch m;
  if (absl::ascii_isdigit(inner[0])) {
    int v = 0;
    for (char c : inner) {
      if (!absl::ascii_isdigit(c) || v > 99) return std::nullopt;
      v = v * 10 + (c - '0');
    }
    m.style = kParenArabic;
    m.value = v;
  } else {
    if (LeadingChineseNumeral(inner) != inner) return std::nullopt;
    auto v = text::ParseChineseNumber(inner);
    if (!v || *v <= 0 || *v > 99) return std::nullopt;
    m.style = kParenChinese;
    m.value = static_cast<int>(*v);
  }
  if (m.value <= 0) return std::nullopt;
  m.ordinal = std::string(line.substr(0, close + 1));
  m.path_component = m.ordinal;
  m.rest = line.substr(close + 1);
  return m;
}

// 1. 1、 (but not 1.5万, 2021年) (a line starting with a digit).
std::optional<HeadingMatch> MatchArabicHeading(absl::string_view line) {
  size_t k = 0;
  int v = 0;
  while (k < line.size() && absl::ascii_isdigit(line[k]) && k < 3) v = v * 10 + (line[k++] - '0');
  absl::string_view after = line.substr(k);
  size_t sep = 0;
  if (absl::StartsWith(after, ".") && !(after.size() > 1 && absl::ascii_isdigit(after[1]))) {
    sep = 1;
  } else if (absl::StartsWith(after, "、")) {
    sep = 3;
  }
  if (sep == 0 || v <= 0) return std::nullopt;
  HeadingMatch m;
  m.style = kArabic;
  m.value = v;
  m.ordinal = std::string(line.substr(0, k + sep));
  m.path_component = std::string(line.substr(0, k));
  m.rest = after.substr(sep);
  return m;
}

// ① … ⑳
std::optional<HeadingMatch> MatchCircledHeading(absl::string_view line) {
  size_t i = 0;
  char32_t c = NextCodePoint(line, &i);
  if (c < 0x2460 || c > 0x2473) return std::nullopt;
  HeadingMatch m;
  m.style = kCircled;
  m.value = static_cast<int>(c - 0x2460) + 1;
  m.ordinal = std::string(line.substr(0, i));
  m.path_component = m.ordinal;
  m.rest = line.substr(i);
  return m;
}

}  // namespace

std::optional<HeadingMatch> MatchHeading(absl::string_view line) {
  if (line.empty()) return std::nullopt;
  if (absl::StartsWith(line, "第")) return MatchPartHeading(line);
  const absl::string_view num = LeadingChineseNumeral(line);
  if (!num.empty() && absl::StartsWith(line.substr(num.size()), "、")) {
    return MatchChineseHeading(line, num);
  }
  if (absl::StartsWith(line, "(")) return MatchParenHeading(line);
  if (absl::ascii_isdigit(line[0])) return MatchArabicHeading(line);
  return MatchCircledHeading(line);
}

namespace {

// Heading text: up to the first full stop (一段 starting with its heading), or
// the whole line when it has no full stop.
std::string HeadingText(absl::string_view rest) {
  rest = absl::StripAsciiWhitespace(rest);
  size_t stop = rest.find("。");
  absl::string_view heading = stop == absl::string_view::npos ? rest : rest.substr(0, stop);
  return std::string(heading);
}

bool HasSentencePunctuation(absl::string_view s) {
  return absl::StrContains(s, "。") || absl::StrContains(s, ",") || absl::StrContains(s, ";") ||
         absl::StrContains(s, "、");
}

bool EndsWithReportWord(absl::string_view s) {
  for (absl::string_view w : {"报告", "公报", "总结", "情况", "意见", "报告书"}) {
    if (absl::EndsWith(s, w)) return true;
  }
  return false;
}

}  // namespace

namespace {

// Lines of a title: the genre word it ends with, no sentence punctuation.
bool IsTitleLike(absl::string_view line) {
  const int64_t n = text::CodePointCount(line);
  return n >= 4 && n <= 80 && EndsWithReportWord(line) && !HasSentencePunctuation(line) &&
         !absl::StrContains(line, ":") && !MatchHeading(line);
}

// A line without any punctuation a sentence would have (titles, names).
bool HasNoPunctuation(absl::string_view s) {
  for (absl::string_view p : {"。", ",", ";", ":", "!", "?", "、"}) {
    if (absl::StrContains(s, p)) return false;
  }
  return true;
}

// Leading dashes and brackets of a delivery line: ——, ―, (.
absl::string_view StripDeliveryDecoration(absl::string_view s) {
  bool moved = true;
  while (moved) {
    moved = false;
    for (absl::string_view p : {"—", "―", "─", "-", "(", " "}) {
      if (absl::ConsumePrefix(&s, p)) moved = true;
    }
  }
  absl::ConsumeSuffix(&s, ")");
  return s;
}

// "——2026年1月26日在河南省第十四届人民代表大会第四次会议上": a speech's date
// and occasion.
bool IsDeliveryLine(absl::string_view line) {
  if (text::CodePointCount(line) > 90) return false;
  absl::string_view s = StripDeliveryDecoration(line);
  size_t length = 0;
  if (!ParseDatePrefix(s, &length)) return false;
  absl::string_view rest = s.substr(length);
  return absl::StartsWith(rest, "在") &&
         (absl::StrContains(rest, "会议上") || absl::StrContains(rest, "大会上") ||
          absl::StrContains(rest, "会上"));
}

// Offices whose holder delivers a government's report.
constexpr absl::string_view kSpeakerOffices[] = {"代省长", "省长",   "代市长", "市长",   "代县长",
                                                 "县长",   "代区长", "区长",   "代州长", "州长",
                                                 "代主席", "主席",   "盟长",   "旗长",   "代旗长"};

// "河南省人民政府省长 王凯", "省长 胡玉亭": an office and a name.
bool IsSpeakerLine(absl::string_view line) {
  if (text::CodePointCount(line) > 30 || !HasNoPunctuation(line)) return false;
  for (absl::string_view office : kSpeakerOffices) {
    const size_t at = line.find(office);
    if (at == absl::string_view::npos) continue;
    absl::string_view name = absl::StripAsciiWhitespace(line.substr(at + office.size()));
    const int64_t n = text::CodePointCount(name);
    if (n >= 2 && n <= 4) return true;
  }
  return false;
}

// Words a salutation addresses.
constexpr absl::string_view kAddressees[] = {"代表", "委员", "常委会", "常务委员会", "同志",
                                             "人大", "政协", "领导",   "主任"};

// "各位代表:", "云溪县人民代表大会常务委员会:". Right after a title any short
// line ending in a colon counts (`after_title`).
bool IsSalutation(absl::string_view line, bool after_title) {
  PageLabel label;
  if (ReadPageLabel(line, &label)) return false;
  if (!absl::EndsWith(line, ":") || text::CodePointCount(line) > 40 ||
      absl::StrContains(line, "。") || absl::StrContains(line, ",") || MatchHeading(line)) {
    return false;
  }
  if (after_title) return true;
  for (absl::string_view w : kAddressees) {
    if (absl::StrContains(line, w)) return true;
  }
  return false;
}

// "2026-02-09 09:45:30", "2026-01-31": a page's date line, time allowed.
bool IsPageDateLine(absl::string_view line) {
  size_t length = 0;
  if (!ParseDatePrefix(line, &length)) return false;
  absl::string_view rest = absl::StripAsciiWhitespace(line.substr(length));
  for (char c : rest) {
    if (!absl::ascii_isdigit(c) && c != ':') return false;
  }
  return true;
}

// Splits `line` before each byte offset in `cuts` (ascending, inside the
// line) into trimmed pieces with their own code-point offsets.
void AppendPieces(const Line& line, std::vector<size_t> cuts, std::vector<Line>* out) {
  cuts.push_back(line.text.size());
  size_t from = 0;
  int64_t cp = line.cp_begin;
  for (size_t cut : cuts) {
    if (cut <= from) continue;
    absl::string_view piece = line.text.substr(from, cut - from);
    int64_t piece_cp = cp;
    while (!piece.empty() && piece.front() == ' ') {
      piece.remove_prefix(1);
      ++piece_cp;
    }
    cp += text::CodePointCount(line.text.substr(from, cut - from));
    while (!piece.empty() && piece.back() == ' ') piece.remove_suffix(1);
    if (!piece.empty()) out->push_back({piece, piece_cp, piece_cp + text::CodePointCount(piece)});
    from = cut;
  }
}

// Characters after which an inline heading may start.
bool EndsSentence(char32_t c) {
  return c == U'。' || c == ';' || c == ':' || c == '!' || c == '?' || c == ' ';
}

// Words an issuer's name ends with (a closing signature).
constexpr absl::string_view kIssuerWords[] = {"人民政府", "政府", "委员会", "办公室",
                                              "办公厅",   "局",   "厅",     "委",
                                              "办",       "院",   "中心",   "办事处"};

// The cuts after a title at the start of a run-on line and after a
// salutation right after it; returns where the body starts.
size_t TitleAndSalutationCuts(absl::string_view line, std::vector<size_t>* cuts) {
  size_t from = 0;
  // "XX县人民政府关于2023年法治政府建设情况的报告 县人大常委会:…"
  for (absl::string_view word : {"报告", "公报", "总结"}) {
    const size_t at = line.find(word);
    if (at > 300) continue;  // also npos: not found
    const size_t end = at + word.size();
    absl::string_view head = line.substr(0, end);
    absl::string_view rest = line.substr(end);
    if (!HasNoPunctuation(head) || text::CodePointCount(head) < 6 || rest.empty()) continue;
    const size_t colon = rest.find(':');
    const bool salutation_follows = colon < 120 && HasNoPunctuation(rest.substr(0, colon));
    if (rest.front() == ' ' || salutation_follows || absl::ascii_isdigit(rest.front())) {
      cuts->push_back(end);
      from = end;
    }
    break;
  }
  // A salutation right after: "各位代表:…", "县人大常委会:…".
  absl::string_view rest = line.substr(from);
  const size_t colon = rest.find(':');
  if (colon != absl::string_view::npos && colon + 1 < rest.size() &&
      IsSalutation(absl::StripAsciiWhitespace(rest.substr(0, colon + 1)), from > 0)) {
    cuts->push_back(from + colon + 1);
    from += colon + 1;
  }
  return from;
}

// The cuts before a closing signature and date at the end of a run-on line
// (none before `from`); sets *body_end to where the body ends.
std::vector<size_t> ClosingCuts(absl::string_view line, size_t from, size_t* body_end) {
  std::vector<size_t> closing;
  // "…特此报告。 XX县人民政府 2024年3月1日"
  for (size_t at = line.size() >= 40 ? line.size() - 40 : 0; at < line.size(); ++at) {
    if ((line[at] & 0xC0) == 0x80) continue;
    if (at == 0 || !ParseDateLine(line.substr(at))) continue;
    size_t before = at;
    const char32_t prev = [&] {
      size_t k = before;
      do {
        --k;
      } while (k > 0 && (line[k] & 0xC0) == 0x80);
      size_t j = k;
      return text::NextCodePoint(line, &j);
    }();
    if (absl::ascii_isdigit(static_cast<char>(prev & 0x7F)) && prev < 0x80) continue;
    *body_end = at;
    closing.push_back(at);
    const size_t stop = line.rfind("。", at);
    if (stop != absl::string_view::npos && stop >= from) {
      absl::string_view signature =
          absl::StripAsciiWhitespace(line.substr(stop + 3, at - stop - 3));
      bool issuer = false;
      for (absl::string_view w : kIssuerWords) issuer = issuer || absl::EndsWith(signature, w);
      if (issuer && text::CodePointCount(signature) <= 30 && HasNoPunctuation(signature)) {
        closing.insert(closing.begin(), stop + 3);
        *body_end = stop + 3;
      }
    }
    break;
  }
  return closing;
}

// The cuts before inline headings that follow the end of a sentence.
void HeadingCuts(absl::string_view line, size_t from, size_t body_end, std::vector<size_t>* cuts) {
  char32_t prev = 0;
  for (size_t i = from; i < body_end;) {
    const size_t at = i;
    const char32_t c = text::NextCodePoint(line, &i);
    if (at > from && EndsSentence(prev)) {
      std::optional<HeadingMatch> h = MatchHeading(line.substr(at));
      if (h && !h->rest.empty() && !absl::ascii_isdigit(h->rest.front()) &&
          h->rest.front() != '%') {
        cuts->push_back(at);
      }
    }
    prev = c;
  }
}

// Where a run-on line breaks: after a title at its start (`first`), after a
// salutation, before inline headings (`headings`), and before a closing
// signature and date at its end (`last`).
std::vector<size_t> RunOnCuts(absl::string_view line, bool first, bool headings, bool last) {
  std::vector<size_t> cuts;
  const size_t from = first ? TitleAndSalutationCuts(line, &cuts) : 0;
  size_t body_end = line.size();
  std::vector<size_t> closing;
  if (last) closing = ClosingCuts(line, from, &body_end);
  if (headings) HeadingCuts(line, from, body_end, &cuts);
  cuts.insert(cuts.end(), closing.begin(), closing.end());
  return cuts;
}

// Breaks run-on lines (a report pasted as one line, headings inline) into
// the lines they would have had.
std::vector<Line> SplitRunOnLines(std::vector<Line> lines) {
  // Few lines for much text: headings are inline wherever they stand.
  const int64_t heading_threshold = lines.size() <= 3 ? 60 : 1000;
  std::vector<Line> out;
  out.reserve(lines.size());
  size_t first_text = 0;
  while (first_text < lines.size() &&
         ClassifyChromeLine(lines[first_text].text) != ChromeKind::kNone) {
    ++first_text;
  }
  for (size_t i = 0; i < lines.size(); ++i) {
    const int64_t n = lines[i].cp_end - lines[i].cp_begin;
    const bool first = i == first_text && n > 120;
    const bool headings = n > heading_threshold;
    const bool last = i + 1 == lines.size() && n > 120;
    if (!first && !headings && !last) {
      out.push_back(lines[i]);
      continue;
    }
    AppendPieces(lines[i], RunOnCuts(lines[i].text, first, headings, last), &out);
  }
  return out;
}

// Drops site chrome after the report (相关报道:, 编辑:…, 【关闭窗口】) and
// returns the end of what remains; a page date among it is kept.
size_t DropTrailingChrome(const std::vector<Line>& lines, DocumentStructure* out) {
  size_t end = lines.size();
  while (end > 1) {
    const absl::string_view line = lines[end - 1].text;
    if (ClassifyChromeLine(line) == ChromeKind::kNone) break;
    PageLabel label;
    if (ReadPageLabel(line, &label) && label.kind == PageLabel::Kind::kSource &&
        out->page_source.empty()) {
      out->page_source = label.value;
    }
    ++out->chrome_lines;
    --end;
  }
  return end;
}

// The closing date line and the signature before it; moves *end before them.
void ReadClosing(const std::vector<Line>& lines, size_t begin, size_t* end,
                 DocumentStructure* out) {
  if (*end > begin + 1 && ParseDateLine(lines[*end - 1].text).has_value()) {
    out->date_line = std::string(lines[*end - 1].text);
    --*end;
    const absl::string_view before = lines[*end - 1].text;
    if (*end > begin + 1 && text::CodePointCount(before) <= 30 && !HasSentencePunctuation(before) &&
        !MatchHeading(before)) {
      out->signature = std::string(before);
      --*end;
    }
  }
}

// A title's score: a year or a length says more than a bare genre name.
int TitleScore(absl::string_view title) {
  int score = 0;
  for (size_t i = 0; i + 3 < title.size(); ++i) {
    if (absl::ascii_isdigit(title[i]) && absl::ascii_isdigit(title[i + 1]) &&
        absl::ascii_isdigit(title[i + 2]) && absl::ascii_isdigit(title[i + 3])) {
      score += 2;
      break;
    }
  }
  if (text::CodePointCount(title) > 8) ++score;
  return score;
}

// A breadcrumb's separator standing on a line of its own.
bool IsBreadcrumbSeparator(absl::string_view line) {
  return line == ">" || line == "»" || line == "›" || line == "/" || line == "->";
}

// A short item of a breadcrumb split over lines ("首页", ">", "政务信息").
bool IsBreadcrumbItem(const std::vector<Line>& lines, size_t i) {
  if (text::CodePointCount(lines[i].text) > 16 || !HasNoPunctuation(lines[i].text)) return false;
  return (i > 0 && IsBreadcrumbSeparator(lines[i - 1].text)) ||
         (i + 1 < lines.size() && IsBreadcrumbSeparator(lines[i + 1].text));
}

// The line of a salutation near the top (it ends the front matter,
// whatever stands before it), or npos; none after the first part heading.
size_t FindSalutation(const std::vector<Line>& lines, size_t end) {
  for (size_t i = 0; i < end && i < 60; ++i) {
    const absl::string_view line = lines[i].text;
    if (text::CodePointCount(line) > 300) break;
    const bool after_title = i > 0 && IsTitleLike(lines[i - 1].text);
    if (IsSalutation(line, after_title)) return i;
    std::optional<HeadingMatch> h = MatchHeading(line);
    if (h && h->value == 1 && (h->style == kChinese || h->style == kPart)) break;
  }
  return std::string::npos;
}

// A page label (发表时间: 2026-01-27, 来源: …), its value perhaps on the next
// line; moves *i past what it read.
void ReadPageLabelLine(const std::vector<Line>& lines, size_t stop, size_t* i,
                       DocumentStructure* out) {
  PageLabel label;
  ReadPageLabel(lines[*i].text, &label);
  ++out->chrome_lines;
  if (label.value.empty() && *i + 1 < stop && text::CodePointCount(lines[*i + 1].text) <= 30 &&
      ClassifyChromeLine(lines[*i + 1].text) == ChromeKind::kNone &&
      !IsTitleLike(lines[*i + 1].text)) {
    label.value = std::string(lines[++*i].text);
    ++out->chrome_lines;
  }
  if (label.kind == PageLabel::Kind::kDate && out->page_date.empty()) out->page_date = label.value;
  if (label.kind == PageLabel::Kind::kSource && out->page_source.empty()) {
    out->page_source = label.value;
  }
}

// The delivery line, with a speaker written on it ("…会议上 陕西省省长 赵刚").
void ReadDeliveryLine(absl::string_view line, DocumentStructure* out) {
  if (!out->delivery_line.empty()) return;
  out->delivery_line = std::string(line);
  const size_t at = line.rfind("上 ");
  if (at != absl::string_view::npos && IsSpeakerLine(line.substr(at + 4)) &&
      out->speaker_line.empty()) {
    out->speaker_line = std::string(line.substr(at + 4));
  }
}

using TitleCandidates = std::vector<std::pair<size_t, std::string>>;  // line index, title

// Reads front line *i (moving *i past a line it joins to it); false when
// the body begins at it.
bool ReadFrontLine(const std::vector<Line>& lines, size_t stop, bool salutation_follows, size_t* i,
                   TitleCandidates* titles, DocumentStructure* out) {
  const absl::string_view line = lines[*i].text;
  const ChromeKind chrome = ClassifyChromeLine(line);
  if (chrome == ChromeKind::kPageLabel) {
    ReadPageLabelLine(lines, stop, i, out);
  } else if (chrome != ChromeKind::kNone || IsBreadcrumbItem(lines, *i)) {
    ++out->chrome_lines;
  } else if (IsPageDateLine(line)) {
    if (out->page_date.empty()) out->page_date = std::string(line);
  } else if (IsDeliveryLine(line)) {
    ReadDeliveryLine(line, out);
  } else if (IsSpeakerLine(line)) {
    if (out->speaker_line.empty()) out->speaker_line = std::string(line);
  } else if (IsTitleLike(line)) {
    titles->emplace_back(*i, std::string(line));
  } else if (*i + 1 < stop && text::CodePointCount(line) <= 60 && HasNoPunctuation(line) &&
             !MatchHeading(line) && !MatchHeading(lines[*i + 1].text) &&
             text::CodePointCount(lines[*i + 1].text) <= 40 &&
             IsTitleLike(absl::StrCat(line, lines[*i + 1].text))) {
    // A title broken over two lines (PDF): "…法治政府建设情况" + "的报告".
    titles->emplace_back(*i, absl::StrCat(line, lines[*i + 1].text));
    ++*i;
  } else if (salutation_follows) {
    out->front_lines.emplace_back(line);
  } else if (titles->empty() && out->delivery_line.empty() && *i + 1 < stop &&
             text::CodePointCount(line) <= 50 && HasNoPunctuation(line) && !MatchHeading(line)) {
    // Without a salutation: a short first line without punctuation is the
    // title, however it ends ("新乡市2021年法治政府建设工作"), and the body
    // begins at the first other line.
    titles->emplace_back(*i, std::string(line));
  } else {
    return false;
  }
  return true;
}

// The best scored candidate is the title; the others stay as front lines.
void ChooseTitle(const TitleCandidates& titles, DocumentStructure* out) {
  if (titles.empty()) return;
  size_t best = 0;
  for (size_t k = 1; k < titles.size(); ++k) {
    if (TitleScore(titles[k].second) > TitleScore(titles[best].second)) best = k;
  }
  out->title = text::RemoveSpacesAroundCjk(titles[best].second);
  for (size_t k = 0; k < titles.size(); ++k) {
    if (k != best && titles[k].second != titles[best].second) {
      out->front_lines.push_back(titles[k].second);
    }
  }
}

// Reads the lines before the body: chrome (left out), title, delivery and
// speaker lines, page date and source, salutation. Returns the first body line.
size_t ReadFrontMatter(const std::vector<Line>& lines, size_t end, DocumentStructure* out) {
  const size_t salutation = FindSalutation(lines, end);
  const size_t stop = salutation == std::string::npos ? end : salutation;
  TitleCandidates titles;
  size_t i = 0;
  while (i < stop &&
         ReadFrontLine(lines, stop, salutation != std::string::npos, &i, &titles, out)) {
    ++i;
  }
  ChooseTitle(titles, out);
  if (salutation != std::string::npos) {
    out->salutation = std::string(lines[salutation].text);
    return salutation + 1;
  }
  return i;
}

// Builds the sections from the body's lines: a preamble ("0") before the
// first heading, then one section per heading, nested by heading style.
class SectionBuilder {
 public:
  SectionBuilder(int64_t body_begin, DocumentStructure* out) : out_(out) {
    zhibiao::v1::Section pre;
    pre.set_section_id("0");
    pre.set_level(0);
    pre.set_char_begin(body_begin);
    out_->sections.push_back(pre);
    last_line_end_ = body_begin;
  }

  void Add(const Line& line) {
    std::optional<HeadingMatch> h = MatchHeading(line.text);
    if (h && !ContinuesSequence(*h)) h.reset();
    if (!h) {
      current_lines_.emplace_back(line.text);
      last_line_end_ = line.cp_end;
      return;
    }
    Open(*h, line);
  }

  // Closes the last section and drops an empty preamble.
  void Finish() {
    FlushText();
    if (out_->sections.front().text().empty()) out_->sections.erase(out_->sections.begin());
  }

 private:
  struct OpenHeading {
    int level;
    int style;
    int value;
    std::string id;
    std::string path;
  };

  // The ordinal must continue its sequence (or start one at 1) under the
  // current parent; otherwise the line is body text that starts with a number.
  bool ContinuesSequence(const HeadingMatch& h) const {
    bool same_style_open = false;
    for (const OpenHeading& o : stack_) same_style_open = same_style_open || o.style == h.style;
    const int expected = same_style_open ? last_value_[h.style] + 1 : 1;
    return h.value == expected || h.value == 1;
  }

  void FlushText() {
    out_->sections[current_].set_text(absl::StrJoin(current_lines_, "\n"));
    out_->sections[current_].set_char_end(last_line_end_);
    current_lines_.clear();
  }

  void Open(const HeadingMatch& h, const Line& line) {
    FlushText();
    // Pop headings of this style or deeper styles; reset deeper counters.
    while (!stack_.empty() && stack_.back().style >= h.style) stack_.pop_back();
    for (int s = h.style + 1; s < kStyleCount; ++s) last_value_[s] = 0;
    last_value_[h.style] = h.value;
    OpenHeading open;
    open.style = h.style;
    open.value = h.value;
    open.level = static_cast<int>(stack_.size()) + 1;
    open.id = stack_.empty() ? absl::StrCat(h.value) : absl::StrCat(stack_.back().id, ".", h.value);
    open.path =
        stack_.empty() ? h.path_component : absl::StrCat(stack_.back().path, ".", h.path_component);
    zhibiao::v1::Section section;
    section.set_section_id(open.id);
    section.set_parent_id(stack_.empty() ? "" : stack_.back().id);
    section.set_level(open.level);
    section.set_ordinal(h.ordinal);
    section.set_heading(HeadingText(h.rest));
    section.set_path(open.path);
    section.set_char_begin(line.cp_begin);
    stack_.push_back(open);
    out_->sections.push_back(section);
    current_ = static_cast<int>(out_->sections.size()) - 1;
    current_lines_.emplace_back(line.text);
    last_line_end_ = line.cp_end;
  }

  DocumentStructure* const out_;
  std::vector<OpenHeading> stack_;             // open headings, outermost first
  std::array<int, kStyleCount> last_value_{};  // last ordinal value seen per style in its parent
  int current_ = 0;                            // index in out_->sections of the open section
  std::vector<std::string> current_lines_;
  int64_t last_line_end_ = 0;
};

}  // namespace

DocumentStructure ParseStructure(absl::string_view text) {
  DocumentStructure out;
  std::vector<Line> lines = SplitRunOnLines(SplitLines(text));
  if (lines.empty()) return out;

  size_t end = DropTrailingChrome(lines, &out);
  size_t next = ReadFrontMatter(lines, end, &out);
  ReadClosing(lines, next, &end, &out);
  if (next >= end) {
    // Nothing but front matter: whatever is not chrome is the body.
    next = end;
  }
  out.body_begin = next < end ? lines[next].cp_begin : (end > 0 ? lines[end - 1].cp_end : 0);
  out.body_end = end > 0 ? lines[end - 1].cp_end : 0;
  SectionBuilder sections(out.body_begin, &out);
  for (size_t li = next; li < end; ++li) {
    const ChromeKind chrome = ClassifyChromeLine(lines[li].text);
    if (chrome == ChromeKind::kToolbar || chrome == ChromeKind::kCaption) {
      ++out.chrome_lines;  // a caption or toolbar inside the page's text
      continue;
    }
    sections.Add(lines[li]);
  }
  sections.Finish();
  return out;
}

}  // namespace zb::doc
