// HTML reader: keeps the article (headings and paragraphs) of a portal page
// and drops scripts, styles, navigation, metadata tables, share bars and
// footers, whose numbers (浏览次数, 索引号, ICP 备案号) are not indicators.
#include <gumbo.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/doc/formats.h"
#include "common/text/decode.h"

namespace zb::doc {
namespace {

struct GumboDeleter {
  void operator()(GumboOutput* output) const {
    gumbo_destroy_output(&kGumboDefaultOptions, output);
  }
};

// Reads the charset an HTML page declares in its first 4 KiB, or "".
std::string DeclaredCharset(absl::string_view bytes) {
  std::string head = absl::AsciiStrToLower(bytes.substr(0, 4096));
  size_t at = head.find("charset=");
  if (at == std::string::npos) return "";
  at += 8;
  while (at < head.size() && (head[at] == '"' || head[at] == '\'' || head[at] == ' ')) ++at;
  size_t end = at;
  while (end < head.size() &&
         (absl::ascii_isalnum(head[end]) || head[end] == '-' || head[end] == '_')) {
    ++end;
  }
  return head.substr(at, end - at);
}

bool IsNoiseTag(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_SCRIPT:
    case GUMBO_TAG_STYLE:
    case GUMBO_TAG_NOSCRIPT:
    case GUMBO_TAG_NAV:
    case GUMBO_TAG_HEADER:
    case GUMBO_TAG_FOOTER:
    case GUMBO_TAG_ASIDE:
    case GUMBO_TAG_FORM:
    case GUMBO_TAG_IFRAME:
    case GUMBO_TAG_BUTTON:
    case GUMBO_TAG_SELECT:
    case GUMBO_TAG_TEMPLATE:
    case GUMBO_TAG_SVG:
    case GUMBO_TAG_HEAD:
    case GUMBO_TAG_TITLE:
    case GUMBO_TAG_OBJECT: return true;
    default: return false;
  }
}

// Class and id words that mark page furniture rather than article text.
bool IsNoiseName(absl::string_view value) {
  static constexpr absl::string_view kNoise[] = {
      "nav",       "navbar",  "menu",       "footer",   "foot",     "header",    "head",
      "share",     "bdshare", "breadcrumb", "crumb",    "crumbs",   "sidebar",   "side",
      "copyright", "toolbar", "print",      "meta",     "metadata", "top",       "topbar",
      "banner",    "search",  "login",      "location", "position", "tools",     "tool",
      "fenxiang",  "related", "comment",    "comments", "pager",    "pagination"};
  std::string lower = absl::AsciiStrToLower(value);
  for (absl::string_view token : absl::StrSplit(lower, absl::ByAnyChar(" -_"), absl::SkipEmpty())) {
    for (absl::string_view noise : kNoise) {
      if (token == noise) return true;
    }
  }
  return false;
}

bool IsNoise(const GumboNode* node) {
  if (node->type != GUMBO_NODE_ELEMENT) return false;
  const GumboElement& e = node->v.element;
  if (IsNoiseTag(e.tag)) return true;
  for (const char* attr : {"class", "id", "role"}) {
    const GumboAttribute* a = gumbo_get_attribute(&e.attributes, attr);
    if (a != nullptr && IsNoiseName(a->value)) return true;
  }
  return false;
}

bool IsBlock(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_P:
    case GUMBO_TAG_DIV:
    case GUMBO_TAG_H1:
    case GUMBO_TAG_H2:
    case GUMBO_TAG_H3:
    case GUMBO_TAG_H4:
    case GUMBO_TAG_H5:
    case GUMBO_TAG_H6:
    case GUMBO_TAG_LI:
    case GUMBO_TAG_TR:
    case GUMBO_TAG_TABLE:
    case GUMBO_TAG_SECTION:
    case GUMBO_TAG_ARTICLE:
    case GUMBO_TAG_BR:
    case GUMBO_TAG_UL:
    case GUMBO_TAG_OL:
    case GUMBO_TAG_BLOCKQUOTE:
    case GUMBO_TAG_PRE:
    case GUMBO_TAG_CENTER:
    case GUMBO_TAG_BODY: return true;
    default: return false;
  }
}

// Appends the visible text of `node` to `lines`, a block element starting a new line.
// Elements nested deeper than this are ignored: real pages stay far below
// it, and it bounds the recursion on hostile input.
constexpr int kMaxDepth = 256;

void CollectText(const GumboNode* node, std::vector<std::string>* lines, int depth = 0) {
  if (depth > kMaxDepth) return;
  if (node->type == GUMBO_NODE_TEXT || node->type == GUMBO_NODE_WHITESPACE ||
      node->type == GUMBO_NODE_CDATA) {
    if (lines->empty()) lines->emplace_back();
    std::string text = node->v.text.text;
    for (char& c : text) {
      if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    }
    lines->back().append(text);
    return;
  }
  if (node->type != GUMBO_NODE_ELEMENT || IsNoise(node)) return;
  const GumboElement& e = node->v.element;
  const bool block = IsBlock(e.tag);
  if (block) lines->emplace_back();
  for (unsigned i = 0; i < e.children.length; ++i) {
    CollectText(static_cast<const GumboNode*>(e.children.data[i]), lines, depth + 1);
    if (e.tag == GUMBO_TAG_TR && i + 1 < e.children.length) lines->back().push_back('\t');
  }
  if (block) lines->emplace_back();
}

size_t TextLength(const GumboNode* node) {
  std::vector<std::string> lines;
  CollectText(node, &lines);
  size_t n = 0;
  for (const std::string& l : lines) n += absl::StripAsciiWhitespace(l).size();
  return n;
}

// The article: the element whose direct <p> children hold the most text.
void FindArticle(const GumboNode* node, const GumboNode** best, size_t* best_score, int depth = 0) {
  if (depth > kMaxDepth || node->type != GUMBO_NODE_ELEMENT || IsNoise(node)) return;
  const GumboElement& e = node->v.element;
  size_t score = 0;
  for (unsigned i = 0; i < e.children.length; ++i) {
    const auto* child = static_cast<const GumboNode*>(e.children.data[i]);
    if (child->type == GUMBO_NODE_ELEMENT && !IsNoise(child) &&
        (child->v.element.tag == GUMBO_TAG_P || child->v.element.tag == GUMBO_TAG_H2 ||
         child->v.element.tag == GUMBO_TAG_H3 || child->v.element.tag == GUMBO_TAG_H4)) {
      score += TextLength(child);
    }
  }
  if (score > *best_score) {
    *best_score = score;
    *best = node;
  }
  for (unsigned i = 0; i < e.children.length; ++i) {
    FindArticle(static_cast<const GumboNode*>(e.children.data[i]), best, best_score, depth + 1);
  }
}

const GumboNode* FindFirst(const GumboNode* node, GumboTag tag, int depth = 0) {
  if (depth > kMaxDepth || node->type != GUMBO_NODE_ELEMENT) return nullptr;
  if (node->v.element.tag == tag) return node;
  for (unsigned i = 0; i < node->v.element.children.length; ++i) {
    const auto* found =
        FindFirst(static_cast<const GumboNode*>(node->v.element.children.data[i]), tag, depth + 1);
    if (found != nullptr) return found;
  }
  return nullptr;
}

std::string JoinedText(const GumboNode* node) {
  std::vector<std::string> lines;
  if (node->type == GUMBO_NODE_ELEMENT) {
    for (unsigned i = 0; i < node->v.element.children.length; ++i) {
      CollectText(static_cast<const GumboNode*>(node->v.element.children.data[i]), &lines);
    }
  }
  std::string out;
  for (const std::string& l : lines) {
    absl::StrAppend(&out, absl::StripAsciiWhitespace(l));
    if (!out.empty() && !absl::StripAsciiWhitespace(l).empty()) out.push_back(' ');
  }
  return std::string(absl::StripAsciiWhitespace(out));
}

// Elements a parser closes by itself (void elements, and those whose end
// tag may be omitted), which an unclosed-tag count must not take for nesting.
bool ClosesItself(absl::string_view tag) {
  static constexpr absl::string_view kTags[] = {
      "area",  "base",  "br",       "col",     "embed",    "hr",      "img",      "input",
      "link",  "meta",  "param",    "source",  "track",    "wbr",     "p",        "li",
      "dt",    "dd",    "tr",       "td",      "th",       "option",  "optgroup", "thead",
      "tbody", "tfoot", "colgroup", "caption", "rb",       "rt",      "rp",       "html",
      "head",  "body",  "!doctype", "keygen",  "basefont", "bgsound", "frame",    "command"};
  for (absl::string_view t : kTags) {
    if (tag == t) return true;
  }
  return false;
}

// Before gumbo sees a page: gumbo's tree construction walks the stack of
// open elements for every tag, so a page of 100,000 unclosed elements costs
// it minutes, and it cannot be stopped once started. This scan counts
// elements and estimates the nesting of the elements that need an end tag,
// in one pass with a bounded stack, and refuses a page over the limits.
absl::Status CheckHtmlShape(absl::string_view html, const ReadLimits& limits) {
  std::vector<std::string> open;
  int64_t elements = 0;
  size_t i = 0;
  while ((i = html.find('<', i)) != absl::string_view::npos) {
    if (html.substr(i, 4) == "<!--") {
      const size_t end = html.find("-->", i + 4);
      if (end == absl::string_view::npos) break;
      i = end + 3;
      continue;
    }
    size_t j = i + 1;
    const bool closing = j < html.size() && html[j] == '/';
    if (closing) ++j;
    size_t name_end = j;
    while (name_end < html.size() &&
           (absl::ascii_isalnum(static_cast<unsigned char>(html[name_end])) ||
            html[name_end] == '!')) {
      ++name_end;
    }
    if (name_end == j) {
      i = j;
      continue;
    }
    const std::string name = absl::AsciiStrToLower(html.substr(j, name_end - j));
    const size_t tag_end = html.find('>', name_end);
    const bool self_closed =
        tag_end != absl::string_view::npos && tag_end > 0 && html[tag_end - 1] == '/';
    i = tag_end == absl::string_view::npos ? html.size() : tag_end + 1;
    if (closing) {
      // Close up to the innermost element of that name, if any is open near the top.
      for (size_t k = open.size(), looked = 0; k-- > 0 && looked < 64; ++looked) {
        if (open[k] == name) {
          open.resize(k);
          break;
        }
      }
      continue;
    }
    if (++elements > limits.max_html_elements) {
      return absl::InvalidArgumentError(absl::StrCat(
          "HTML page has more than ", limits.max_html_elements, " elements (--max_html_elements)"));
    }
    if (name == "script" || name == "style" || name == "textarea" || name == "title") {
      // Raw text up to the end tag: no elements inside.
      const std::string end_tag = absl::StrCat("</", name);
      size_t k = i;
      for (; k < html.size(); ++k) {
        if (html[k] == '<' && absl::EqualsIgnoreCase(html.substr(k, end_tag.size()), end_tag))
          break;
      }
      i = k;
      continue;
    }
    if (self_closed || ClosesItself(name)) continue;
    open.push_back(name);
    if (static_cast<int>(open.size()) > limits.max_html_depth) {
      return absl::InvalidArgumentError(absl::StrCat("HTML page nests elements more than ",
                                                     limits.max_html_depth, " deep (unclosed <",
                                                     name, "> elements; --max_html_depth)"));
    }
  }
  return absl::OkStatus();
}

// "报告标题_政府信息公开_某某市人民政府门户网站" → "报告标题".
std::string CleanPageTitle(absl::string_view title) {
  for (absl::string_view sep : {"_", " - ", " | ", "|", " — ", "--"}) {
    size_t at = title.find(sep);
    if (at != absl::string_view::npos && at > 0) title = title.substr(0, at);
  }
  return std::string(absl::StripAsciiWhitespace(title));
}

}  // namespace

absl::StatusOr<DocumentText> ReadHtmlDocument(absl::string_view bytes, const ReadLimits& limits,
                                              const CallBudget& budget) {
  DocumentText out;
  out.format = zhibiao::v1::DOCUMENT_FORMAT_HTML;
  std::string utf8;
  const std::string charset = DeclaredCharset(bytes);
  if (!charset.empty()) {
    absl::StatusOr<std::string> converted = text::ConvertToUtf8(bytes, charset);
    if (!converted.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("HTML declares charset ", charset, ": ", converted.status().message()));
    }
    utf8 = *std::move(converted);
    out.encoding = absl::AsciiStrToUpper(charset);
  } else {
    absl::StatusOr<text::DecodedText> decoded = text::DecodeToUtf8(bytes);
    if (!decoded.ok()) return decoded.status();
    utf8 = std::move(decoded->utf8);
    out.encoding = decoded->encoding;
  }
  if (absl::StartsWith(utf8, "\xEF\xBB\xBF")) utf8.erase(0, 3);
  if (absl::Status s = CheckHtmlShape(utf8, limits); !s.ok()) return s;
  if (absl::Status s = budget.Check("reading the HTML"); !s.ok()) return s;

  std::unique_ptr<GumboOutput, GumboDeleter> parsed(
      gumbo_parse_with_options(&kGumboDefaultOptions, utf8.data(), utf8.size()));
  if (parsed == nullptr) return absl::InvalidArgumentError("HTML could not be parsed");

  const GumboNode* article = nullptr;
  size_t score = 0;
  FindArticle(parsed->root, &article, &score);
  if (article == nullptr || score == 0) {
    return absl::InvalidArgumentError(
        "HTML page has no article text: no element with paragraphs outside navigation, "
        "headers and footers");
  }
  if (absl::Status s = budget.Check("reading the HTML"); !s.ok()) return s;
  std::vector<std::string> lines;
  CollectText(article, &lines);

  // Title: the page's <h1> (often outside the article block), else <title>.
  std::string title;
  if (const GumboNode* h1 = FindFirst(parsed->root, GUMBO_TAG_H1)) title = JoinedText(h1);
  if (title.empty()) {
    if (const GumboNode* t = FindFirst(parsed->root, GUMBO_TAG_TITLE)) {
      title = CleanPageTitle(JoinedText(t));
    }
  }
  std::vector<std::string> kept;
  for (std::string& line : lines) {
    absl::string_view s = absl::StripAsciiWhitespace(line);
    if (!s.empty()) kept.emplace_back(s);
  }
  if (!title.empty() && (kept.empty() || kept.front() != title)) {
    kept.insert(kept.begin(), title);
  }
  for (const std::string& line : kept) absl::StrAppend(&out.utf8, line, "\n");
  return out;
}

}  // namespace zb::doc
