// Site chrome: the lines a collection platform clips along with a report
// from a web page — toolbars (下载 打印 全屏 收藏, 【字号：加大 还原 减小】),
// breadcrumbs (您的位置：首页 > …), labelled page facts (来源：…, 时间：…,
// 阅读量：), sharing and QR prompts, photo captions, copyright and ICP lines.
// Each rule is general (a vocabulary or a line shape), never a site's layout.
// The one thing kept from chrome is what it says about the page: its date
// and its source.
#ifndef ZHIBIAO_COMMON_DOC_PAGE_CHROME_H_
#define ZHIBIAO_COMMON_DOC_PAGE_CHROME_H_

#include <string>

#include "absl/strings/string_view.h"

namespace zb::doc {

// What kind of chrome a line is; kNone for report text.
enum class ChromeKind {
  kNone = 0,
  kToolbar,  // only toolbar words: 下载, 打印, 字号, 加大, 分享, 关闭窗口, 【, 】
  kBreadcrumb,  // 当前位置:首页>…, or a lone ">"
  kPageLabel,   // 来源:…, 时间:…, 发布时间:, 阅读量:, 编辑:…, 索引号:…
  kCaption,     // a photo caption: …记者 X 摄, 图为…
  kFooter,  // 版权所有, Copyright, ICP备, 公网安备, 主办单位, 相关报道:, 扫一扫…
};

// Classifies one trimmed, NFKC-normalised line on its own.
ChromeKind ClassifyChromeLine(absl::string_view line);

// For a labelled page fact ("时间:2026-02-03", "来源:河南日报", or the label
// alone, "发表时间:"), the label's meaning and its value ("" when the value is
// on the next line). Returns false for other lines.
struct PageLabel {
  enum class Kind { kDate, kSource, kOther } kind = Kind::kOther;
  std::string value;
};
bool ReadPageLabel(absl::string_view line, PageLabel* label);

}  // namespace zb::doc

#endif  // ZHIBIAO_COMMON_DOC_PAGE_CHROME_H_
