#include "common/text/decode.h"

#include <unicode/ucnv.h>

#include "gtest/gtest.h"

namespace zb::text {
namespace {

std::string Encode(const std::string& utf8, const char* charset) {
  UErrorCode status = U_ZERO_ERROR;
  std::string out(utf8.size() * 4 + 16, '\0');
  int32_t n = ucnv_convert(charset, "UTF-8", out.data(), static_cast<int32_t>(out.size()),
                           utf8.data(), static_cast<int32_t>(utf8.size()), &status);
  EXPECT_TRUE(U_SUCCESS(status));
  out.resize(n);
  return out;
}

const std::string kSample =
    "新乡市人民政府关于2021年法治政府建设情况的报告\n全年查办案件3150起。\n";

TEST(DecodeTest, Utf8WithoutBom) {
  auto d = DecodeToUtf8(kSample);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->encoding, "UTF-8");
  EXPECT_EQ(d->utf8, kSample);
}

TEST(DecodeTest, Utf8BomIsStripped) {
  auto d = DecodeToUtf8("\xEF\xBB\xBF" + kSample);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->encoding, "UTF-8-BOM");
  EXPECT_EQ(d->utf8, kSample);
}

TEST(DecodeTest, Gb18030WithoutDeclaration) {
  auto d = DecodeToUtf8(Encode(kSample, "GB18030"));
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->encoding, "GB18030");
  EXPECT_EQ(d->utf8, kSample);
}

TEST(DecodeTest, Utf16WithBom) {
  auto le = DecodeToUtf8("\xFF\xFE" + Encode(kSample, "UTF-16LE"));
  ASSERT_TRUE(le.ok()) << le.status();
  EXPECT_EQ(le->encoding, "UTF-16LE");
  EXPECT_EQ(le->utf8, kSample);
  auto be = DecodeToUtf8("\xFE\xFF" + Encode(kSample, "UTF-16BE"));
  ASSERT_TRUE(be.ok()) << be.status();
  EXPECT_EQ(be->utf8, kSample);
}

TEST(DecodeTest, InvalidUtf8InTheMiddleIsAnErrorWithItsOffset) {
  std::string damaged = kSample + kSample;
  damaged[kSample.size() + 3] = '\xFF';
  auto d = DecodeToUtf8(damaged);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(d.status().message().find("invalid UTF-8 at byte offset"), absl::string_view::npos)
      << d.status();
}

TEST(DecodeTest, BinaryIsRefused) {
  std::string binary;
  for (int i = 0; i < 512; ++i) binary.push_back(static_cast<char>((i * 37 + 11) % 256));
  auto d = DecodeToUtf8(binary);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ConvertToUtf8Test, GbkAndGb2312AreReadAsGb18030) {
  auto d = ConvertToUtf8(Encode("法治", "GB18030"), "GBK");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(*d, "法治");
  EXPECT_FALSE(ConvertToUtf8("x", "no-such-charset").ok());
}

TEST(FindInvalidUtf8Test, FindsOverlongAndSurrogates) {
  EXPECT_EQ(FindInvalidUtf8("ok 法治"), absl::string_view::npos);
  EXPECT_EQ(FindInvalidUtf8("ab\xC0\x80"), 2u);     // overlong NUL
  EXPECT_EQ(FindInvalidUtf8("a\xED\xA0\x80"), 1u);  // surrogate
  EXPECT_EQ(FindInvalidUtf8("a\xE6\xB3"), 1u);      // truncated
}

}  // namespace
}  // namespace zb::text
