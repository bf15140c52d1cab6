#include "common/doc/page_chrome.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "common/text/normalize.h"
#include "common/text/numerals.h"

namespace zb::doc {
namespace {

// Words a page's toolbar, font-size control and sharing bar are made of.
// Longest first within a shared start, since they are matched greedily.
constexpr absl::string_view kToolbarWords[] = {
    "打印本页", "关闭窗口", "关闭本页", "返回顶部", "收藏本页", "视力保护色",
    "复制链接", "我要纠错", "阅读模式", "分享到",   "下载",     "打印",
    "全屏",     "收藏",     "分享",     "关闭",     "返回",     "字号",
    "字体",     "加大",     "还原",     "减小",     "放大",     "缩小",
    "默认",     "纠错",     "点赞",     "微信",     "微博",     "朋友圈",
    "QQ空间",   "QQ",       "大",       "中",       "小",       "首页"};

// Characters that separate toolbar words.
bool IsSeparator(char32_t c) {
  return c == ' ' || c == '\t' || c == 0x3000 || c == 0xA0 || c == ':' || c == '|' || c == '[' ||
         c == ']' || c == '(' || c == ')' || c == U'【' || c == U'】' || c == U'·' || c == '/' ||
         c == '>' || c == U'»' || c == U'›' || c == U'、' || c == ',' || c == '-';
}

bool OnlyToolbarWords(absl::string_view line) {
  size_t i = 0;
  bool any_char = false;
  while (i < line.size()) {
    size_t next = i;
    const char32_t c = text::NextCodePoint(line, &next);
    if (IsSeparator(c)) {
      i = next;
      continue;
    }
    bool matched = false;
    for (absl::string_view word : kToolbarWords) {
      if (absl::StartsWith(line.substr(i), word)) {
        i += word.size();
        matched = true;
        any_char = true;
        break;
      }
    }
    if (!matched) return false;
  }
  // A line of separators alone ("】", "【", ">") is chrome too.
  (void)any_char;
  return true;
}

struct LabelSpec {
  absl::string_view label;
  PageLabel::Kind kind;
};
// Labels of page facts. A line that starts with one of them followed by a
// colon is chrome.
constexpr LabelSpec kLabels[] = {
    {"发布时间", PageLabel::Kind::kDate},      {"发表时间", PageLabel::Kind::kDate},
    {"发布日期", PageLabel::Kind::kDate},      {"成文日期", PageLabel::Kind::kOther},
    {"更新时间", PageLabel::Kind::kDate},      {"时间", PageLabel::Kind::kDate},
    {"日期", PageLabel::Kind::kDate},          {"信息来源", PageLabel::Kind::kSource},
    {"文章来源", PageLabel::Kind::kSource},    {"稿件来源", PageLabel::Kind::kSource},
    {"来源", PageLabel::Kind::kSource},        {"作者", PageLabel::Kind::kOther},
    {"责任编辑", PageLabel::Kind::kOther},     {"编辑", PageLabel::Kind::kOther},
    {"审核", PageLabel::Kind::kOther},         {"校对", PageLabel::Kind::kOther},
    {"阅读量", PageLabel::Kind::kOther},       {"阅读次数", PageLabel::Kind::kOther},
    {"浏览次数", PageLabel::Kind::kOther},     {"浏览量", PageLabel::Kind::kOther},
    {"访问量", PageLabel::Kind::kOther},       {"点击数", PageLabel::Kind::kOther},
    {"点击量", PageLabel::Kind::kOther},       {"字号", PageLabel::Kind::kOther},
    {"字体", PageLabel::Kind::kOther},         {"索引号", PageLabel::Kind::kOther},
    {"发文字号", PageLabel::Kind::kOther},     {"发文机关", PageLabel::Kind::kOther},
    {"发布机构", PageLabel::Kind::kOther},     {"所属机构", PageLabel::Kind::kOther},
    {"主题分类", PageLabel::Kind::kOther},     {"分享到", PageLabel::Kind::kOther},
    {"分享", PageLabel::Kind::kOther},         {"当前位置", PageLabel::Kind::kOther},
    {"您的位置", PageLabel::Kind::kOther},     {"您当前的位置", PageLabel::Kind::kOther},
    {"您现在的位置", PageLabel::Kind::kOther}, {"位置", PageLabel::Kind::kOther},
};

// Phrases that only page footers and link lists contain.
constexpr absl::string_view kFooterPhrases[] = {
    "版权所有", "Copyright", "copyright",  "COPYRIGHT", "©",        "ICP备",
    "ICP证",    "公网安备",  "网站标识码", "主办单位",  "承办单位", "技术支持",
    "联系我们", "网站地图",  "扫一扫",     "手机打开",  "手机扫描", "相关报道",
    "相关链接", "相关阅读",  "相关新闻",   "相关文件",  "推荐阅读", "上一篇",
    "下一篇",   "【纠错】",  "建议使用",   "分辨率",    "浏览器"};

absl::string_view StripBrackets(absl::string_view line) {
  line = absl::StripAsciiWhitespace(line);
  for (absl::string_view open : {"(", "【", "["}) {
    if (absl::ConsumePrefix(&line, open)) break;
  }
  for (absl::string_view close : {")", "】", "]"}) {
    if (absl::ConsumeSuffix(&line, close)) break;
  }
  return absl::StripAsciiWhitespace(line);
}

bool IsCaption(absl::string_view line, int64_t length) {
  absl::string_view s = StripBrackets(line);
  if (absl::StartsWith(s, "图为") || absl::StartsWith(s, "图片来源") ||
      absl::StartsWith(s, "图片由") || absl::StartsWith(s, "摄影")) {
    return length <= 120;
  }
  // "…贵州日报天眼新闻记者 李森 摄", "本报记者阮洋摄": a credit at the end.
  if (absl::EndsWith(s, "摄") || absl::EndsWith(s, "摄影")) {
    return absl::StrContains(s, "记者") || absl::StrContains(s, "通讯员") ||
           absl::StrContains(s, "摄影") || length <= 40;
  }
  return false;
}

}  // namespace

bool ReadPageLabel(absl::string_view line, PageLabel* label) {
  absl::string_view s = StripBrackets(line);
  for (const LabelSpec& spec : kLabels) {
    absl::string_view rest = s;
    if (!absl::ConsumePrefix(&rest, spec.label)) continue;
    rest = absl::StripLeadingAsciiWhitespace(rest);
    if (!absl::ConsumePrefix(&rest, ":")) continue;
    label->kind = spec.kind;
    label->value = std::string(absl::StripAsciiWhitespace(rest));
    return true;
  }
  return false;
}

ChromeKind ClassifyChromeLine(absl::string_view line) {
  line = absl::StripAsciiWhitespace(line);
  if (line.empty()) return ChromeKind::kNone;
  const int64_t length = text::CodePointCount(line);
  if (length <= 40 && OnlyToolbarWords(line)) return ChromeKind::kToolbar;
  for (absl::string_view start :
       {"当前位置", "您的位置", "您当前的位置", "您现在的位置", "当前的位置"}) {
    if (absl::StartsWith(StripBrackets(line), start) && length <= 120)
      return ChromeKind::kBreadcrumb;
  }
  // "首页 > 政府信息公开 > 政府工作报告": two or more '>' between short parts.
  if (length <= 80) {
    int arrows = 0;
    for (char c : line) arrows += c == '>';
    if (arrows >= 2 && !absl::StrContains(line, "。")) return ChromeKind::kBreadcrumb;
  }
  PageLabel label;
  if (length <= 80 && ReadPageLabel(line, &label)) return ChromeKind::kPageLabel;
  if (IsCaption(line, length)) return ChromeKind::kCaption;
  if (length <= 80) {
    for (absl::string_view phrase : kFooterPhrases) {
      if (absl::StrContains(line, phrase)) return ChromeKind::kFooter;
    }
  }
  return ChromeKind::kNone;
}

}  // namespace zb::doc
