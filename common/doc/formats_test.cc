#include "common/doc/formats.h"

#include "absl/time/clock.h"
#include "common/testing/fixtures.h"
#include "gtest/gtest.h"

namespace zb::doc {
namespace {

using ::zb::testing::ReadFileOrEmpty;
using ::zb::testing::SharedFixturePath;
using ::zb::testing::TestDataPath;

TEST(DetectFormatTest, FromMagicNumbersNotNames) {
  EXPECT_EQ(DetectFormat("%PDF-1.7\n...").kind, DetectedKind::kPdf);
  EXPECT_EQ(DetectFormat("<!DOCTYPE html><html><body><p>x</p>").kind, DetectedKind::kHtml);
  EXPECT_EQ(DetectFormat("新乡市人民政府").kind, DetectedKind::kText);
  EXPECT_EQ(DetectFormat(std::string("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8) + "rest").kind,
            DetectedKind::kOle2);
  EXPECT_EQ(DetectFormat("\x89PNG\r\n\x1a\n").kind, DetectedKind::kImage);
  EXPECT_EQ(DetectFormat(ReadFileOrEmpty(TestDataPath("not-docx.zip"))).kind,
            DetectedKind::kZipNotDocx);
}

TEST(ReadDocumentTest, RefusesEmptyAndBlankDocuments) {
  auto empty = ReadDocument("");
  EXPECT_EQ(empty.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(empty.status().message().find("empty document"), absl::string_view::npos);
  auto blank = ReadDocument(" \n\t\r\n\xE3\x80\x80 ");
  EXPECT_EQ(blank.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(blank.status().message().find("only white space"), absl::string_view::npos)
      << blank.status();
}

TEST(ReadDocumentTest, RefusesUnsupportedFormatsNamingThem) {
  auto doc =
      ReadDocument(std::string("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8) + std::string(600, 'x'));
  EXPECT_EQ(doc.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(doc.status().message().find("legacy Word/WPS"), absl::string_view::npos);
  auto zip = ReadDocument(ReadFileOrEmpty(TestDataPath("not-docx.zip")));
  EXPECT_EQ(zip.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(zip.status().message().find("not DOCX"), absl::string_view::npos) << zip.status();
  auto png = ReadDocument("\x89PNG\r\n\x1a\nxxxxxxxx");
  EXPECT_NE(png.status().message().find("PNG image"), absl::string_view::npos);
}

TEST(ReadDocumentTest, RefusesTruncatedAndEncryptedPdf) {
  const std::string pdf = ReadFileOrEmpty(SharedFixturePath("xinxiang-2021.pdf"));
  if (pdf.empty()) GTEST_SKIP() << "../shared/fixtures is absent";
  auto truncated = ReadDocument(pdf.substr(0, pdf.size() / 2));
  EXPECT_EQ(truncated.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(truncated.status().message().find("truncated PDF"), absl::string_view::npos);
  auto encrypted = ReadDocument(ReadFileOrEmpty(TestDataPath("encrypted.pdf")));
  EXPECT_EQ(encrypted.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(encrypted.status().message().find("encrypted PDF"), absl::string_view::npos)
      << encrypted.status();
}

TEST(ReadDocumentTest, HtmlWithoutArticleTextIsRefused) {
  auto page = ReadDocument(
      "<html><head><title>首页</title></head><body><ul class=\"nav\"><li>首页</li></ul>"
      "<div class=\"footer\">豫ICP备05012345号</div></body></html>");
  EXPECT_EQ(page.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(page.status().message().find("no article text"), absl::string_view::npos)
      << page.status();
}

TEST(ReadDocumentTest, HtmlKeepsArticleAndDropsPageFurniture) {
  const std::string html = ReadFileOrEmpty(SharedFixturePath("xinxiang-2021.html"));
  if (html.empty()) GTEST_SKIP() << "../shared/fixtures is absent";
  auto text = ReadDocument(html);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(text->format, zhibiao::v1::DOCUMENT_FORMAT_HTML);
  for (const char* furniture : {"浏览次数", "索引号", "ICP", "3521", "首页", "访问量"}) {
    EXPECT_EQ(text->utf8.find(furniture), std::string::npos) << furniture;
  }
  EXPECT_EQ(text->utf8.rfind("新乡市人民政府 关于2021年法治政府建设情况的报告\n", 0), 0u)
      << text->utf8.substr(0, 200);
}

TEST(ReadDocumentTest, NestingUnderTheHtmlDepthLimitIsReadAndOverItRefusedByName) {
  auto nested = [](int depth) {
    std::string html = "<html><body><div><p>一、工作</p><p>办理案件3件。</p></div>";
    for (int i = 0; i < depth; ++i) html += "<span>";
    return html + "深处</body></html>";
  };
  auto text = ReadDocument(nested(400));
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_NE(text->utf8.find("办理案件3件"), std::string::npos);
  // gumbo's tree building is quadratic in the open elements: 100,000
  // unclosed ones are refused before gumbo sees them, in milliseconds.
  const absl::Time start = absl::Now();
  auto deep = ReadDocument(nested(100000));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  ASSERT_EQ(deep.status().code(), absl::StatusCode::kInvalidArgument) << deep.status();
  EXPECT_NE(deep.status().message().find("--max_html_depth"), absl::string_view::npos)
      << deep.status();
  std::string many = "<html><body><div><p>办理案件3件。</p>";
  for (int i = 0; i < 600; ++i) many += "<i>x</i>";
  ReadLimits limits;
  limits.max_html_elements = 500;
  auto wide = ReadDocument(many + "</div></body></html>", limits);
  EXPECT_NE(wide.status().message().find("--max_html_elements"), absl::string_view::npos)
      << wide.status();
}

TEST(ReadDocumentTest, UnclosedParagraphsAndVoidElementsAreNoNesting) {
  std::string html = "<html><body><div>";
  for (int i = 0; i < 3000; ++i) html += "<p>办理案件3件<br><img src=a.png>";
  auto text = ReadDocument(html + "</div></body></html>");
  ASSERT_TRUE(text.ok()) << text.status();
}

TEST(ReadDocumentTest, Utf16WithoutByteOrderMarkIsRead) {
  const std::string utf8 = "一、工作\n办理案件3件,同比增长5%。\n";
  // UTF-16LE by hand from the code points (all in the BMP).
  std::string le, be;
  for (size_t i = 0; i < utf8.size();) {
    unsigned char c = utf8[i];
    uint32_t cp;
    int len = c < 0x80 ? 1 : c < 0xE0 ? 2 : 3;
    cp = len == 1 ? c : len == 2 ? (c & 0x1F) : (c & 0x0F);
    for (int k = 1; k < len; ++k) cp = (cp << 6) | (utf8[i + k] & 0x3F);
    i += len;
    le.push_back(static_cast<char>(cp & 0xFF));
    le.push_back(static_cast<char>(cp >> 8));
    be.push_back(static_cast<char>(cp >> 8));
    be.push_back(static_cast<char>(cp & 0xFF));
  }
  auto from_le = ReadDocument(le);
  ASSERT_TRUE(from_le.ok()) << from_le.status();
  EXPECT_EQ(from_le->encoding, "UTF-16LE");
  EXPECT_NE(from_le->utf8.find("办理案件3件"), std::string::npos);
  auto from_be = ReadDocument(be);
  ASSERT_TRUE(from_be.ok()) << from_be.status();
  EXPECT_EQ(from_be->encoding, "UTF-16BE");
}

TEST(ReadDocumentTest, HtmlDeclaredCharsetIsHonoured) {
  // "法治" in GB18030, declared as gb2312.
  const std::string html =
      "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=gb2312\">"
      "</head><body><div><p>\xB7\xA8\xD6\xCE\xA3\xAC\xB9\xB2\xB0\xEC\xC0\xED 7 "
      "\xBC\xFE</p></div></body></html>";
  auto text = ReadDocument(html);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_NE(text->utf8.find("法治"), std::string::npos) << text->utf8;
  EXPECT_EQ(text->encoding, "GB2312");
}

TEST(ReadDocumentTest, DocxAndPdfReadTheSampleText) {
  for (const char* name : {"xinxiang-2021.docx", "xinxiang-2021.pdf"}) {
    const std::string bytes = ReadFileOrEmpty(SharedFixturePath(name));
    if (bytes.empty()) GTEST_SKIP() << "../shared/fixtures is absent";
    auto text = ReadDocument(bytes);
    ASSERT_TRUE(text.ok()) << name << ": " << text.status();
    EXPECT_NE(text->utf8.find("10.07万起"), std::string::npos) << name;
    EXPECT_NE(text->utf8.find("2022年2月25日"), std::string::npos) << name;
  }
}

}  // namespace
}  // namespace zb::doc
