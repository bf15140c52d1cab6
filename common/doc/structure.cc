#include "common/doc/structure.h"

#include <array>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/doc/dates.h"
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

}  // namespace

std::optional<HeadingMatch> MatchHeading(absl::string_view line) {
  HeadingMatch m;
  // 第一部分 / 第一章
  if (absl::StartsWith(line, "第")) {
    absl::string_view num = LeadingChineseNumeral(line.substr(3));
    absl::string_view after = line.substr(3 + num.size());
    for (absl::string_view word : {"部分", "章"}) {
      if (!num.empty() && absl::StartsWith(after, word)) {
        auto v = text::ParseChineseNumber(num);
        if (!v || *v <= 0 || *v > 99) return std::nullopt;
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
    }
    return std::nullopt;
  }
  // 一、
  {
    absl::string_view num = LeadingChineseNumeral(line);
    if (!num.empty() && absl::StartsWith(line.substr(num.size()), "、")) {
      auto v = text::ParseChineseNumber(num);
      if (!v || *v <= 0 || *v > 99) return std::nullopt;
      m.style = kChinese;
      m.value = static_cast<int>(*v);
      m.ordinal = absl::StrCat(num, "、");
      m.path_component = std::string(num);
      m.rest = line.substr(num.size() + 3);
      return m;
    }
  }
  // (一) and (1)
  if (absl::StartsWith(line, "(")) {
    size_t close = line.find(')');
    if (close == absl::string_view::npos || close < 2) return std::nullopt;
    absl::string_view inner = line.substr(1, close - 1);
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
  // 1. 1、 (but not 1.5万, 2021年)
  if (absl::ascii_isdigit(line[0])) {
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
    m.style = kArabic;
    m.value = v;
    m.ordinal = std::string(line.substr(0, k + sep));
    m.path_component = std::string(line.substr(0, k));
    m.rest = after.substr(sep);
    return m;
  }
  // ① … ⑳
  {
    size_t i = 0;
    char32_t c = NextCodePoint(line, &i);
    if (c >= 0x2460 && c <= 0x2473) {
      m.style = kCircled;
      m.value = static_cast<int>(c - 0x2460) + 1;
      m.ordinal = std::string(line.substr(0, i));
      m.path_component = m.ordinal;
      m.rest = line.substr(i);
      return m;
    }
  }
  return std::nullopt;
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

DocumentStructure ParseStructure(absl::string_view text) {
  DocumentStructure out;
  std::vector<Line> lines = SplitLines(text);
  if (lines.empty()) return out;

  // Closing lines: a date line last, the signature just before it.
  size_t end = lines.size();
  if (end > 1 && ParseDateLine(lines[end - 1].text).has_value()) {
    out.date_line = std::string(lines[end - 1].text);
    --end;
    if (end > 1 && text::CodePointCount(lines[end - 1].text) <= 30 &&
        !HasSentencePunctuation(lines[end - 1].text) && !MatchHeading(lines[end - 1].text)) {
      out.signature = std::string(lines[end - 1].text);
      --end;
    }
  }

  // Title: the first line, joined with the second when the title continues there.
  size_t next = 1;
  std::string title(lines[0].text);
  if (end > 2 && !EndsWithReportWord(title) && !HasSentencePunctuation(title) &&
      !MatchHeading(lines[1].text) && !HasSentencePunctuation(lines[1].text) &&
      text::CodePointCount(lines[1].text) <= 40 && !absl::EndsWith(lines[1].text, ":")) {
    title = absl::StrCat(title, lines[1].text);
    next = 2;
  }
  out.title = text::RemoveSpacesAroundCjk(title);

  // Salutation: "XX人民代表大会常务委员会:" right after the title.
  if (next < end && absl::EndsWith(lines[next].text, ":") &&
      text::CodePointCount(lines[next].text) <= 40 && !absl::StrContains(lines[next].text, "。") &&
      !MatchHeading(lines[next].text)) {
    out.salutation = std::string(lines[next].text);
    ++next;
  }
  out.body_end = lines[end - 1].cp_end;

  // Headings and sections.
  struct Open {
    int level;
    int style;
    int value;
    std::string id;
    std::string path;
  };
  std::vector<Open> stack;             // open headings, outermost first
  std::array<int, kStyleCount> last_value{};  // last ordinal value seen per style in its parent
  int current = -1;  // index in out.sections of the open section
  // The preamble between the title block and the first heading.
  {
    zhibiao::v1::Section pre;
    pre.set_section_id("0");
    pre.set_level(0);
    pre.set_char_begin(next < end ? lines[next].cp_begin : lines[end - 1].cp_end);
    out.sections.push_back(pre);
    current = 0;
  }
  std::vector<std::string> current_lines;
  auto flush_text = [&](int64_t cp_end) {
    if (current < 0) return;
    out.sections[current].set_text(absl::StrJoin(current_lines, "\n"));
    out.sections[current].set_char_end(cp_end);
    current_lines.clear();
  };
  int64_t last_line_end = next < end ? lines[next].cp_begin : 0;
  for (size_t li = next; li < end; ++li) {
    const Line& line = lines[li];
    std::optional<HeadingMatch> h = MatchHeading(line.text);
    if (h) {
      // The ordinal must continue its sequence (or start one at 1) under the
      // current parent; otherwise the line is body text that starts with a number.
      bool same_style_open = false;
      for (const Open& o : stack) same_style_open = same_style_open || o.style == h->style;
      const int expected = same_style_open ? last_value[h->style] + 1 : 1;
      if (h->value != expected && h->value != 1) h.reset();
    }
    if (!h) {
      current_lines.emplace_back(line.text);
      last_line_end = line.cp_end;
      continue;
    }
    flush_text(last_line_end);
    // Pop headings of this style or deeper styles.
    while (!stack.empty() && stack.back().style >= h->style) stack.pop_back();
    // Reset the counters of deeper styles.
    for (int s = h->style + 1; s < kStyleCount; ++s) last_value[s] = 0;
    last_value[h->style] = h->value;
    Open open;
    open.style = h->style;
    open.value = h->value;
    open.level = static_cast<int>(stack.size()) + 1;
    open.id = stack.empty() ? absl::StrCat(h->value) : absl::StrCat(stack.back().id, ".", h->value);
    open.path = stack.empty() ? h->path_component
                              : absl::StrCat(stack.back().path, ".", h->path_component);
    zhibiao::v1::Section section;
    section.set_section_id(open.id);
    section.set_parent_id(stack.empty() ? "" : stack.back().id);
    section.set_level(open.level);
    section.set_ordinal(h->ordinal);
    section.set_heading(HeadingText(h->rest));
    section.set_path(open.path);
    section.set_char_begin(line.cp_begin);
    stack.push_back(open);
    out.sections.push_back(section);
    current = static_cast<int>(out.sections.size()) - 1;
    current_lines.emplace_back(line.text);
    last_line_end = line.cp_end;
  }
  flush_text(last_line_end);
  if (out.sections.front().text().empty()) out.sections.erase(out.sections.begin());
  return out;
}

}  // namespace zb::doc
