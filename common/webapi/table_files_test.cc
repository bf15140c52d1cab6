#include "common/webapi/table_files.h"

#include <gtest/gtest.h>
#include <zip.h>

#include <string>

namespace zb::webapi {
namespace {

Table Sample() {
  return Table{"Rank economy.gdp 2026",
               {"地区", "数值", "句子"},
               {{TextCell("海南省"), NumberCell(6), TextCell("增长6%左右, \"力争\"更好")},
                {TextCell("=HYPERLINK(\"http://x\")"), NumberCell(5.25), TextCell("多行\n文本")}}};
}

// The named member of a zip archive held in `bytes`.
std::string ZipMember(const std::string& bytes, const char* name) {
  zip_error_t error;
  zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
  zip_t* archive = zip_open_from_source(source, ZIP_RDONLY, &error);
  if (archive == nullptr) return "";
  std::string out;
  if (zip_file_t* file = zip_fopen(archive, name, 0)) {
    char buffer[4096];
    zip_int64_t n;
    while ((n = zip_fread(file, buffer, sizeof(buffer))) > 0)
      out.append(buffer, static_cast<size_t>(n));
    zip_fclose(file);
  }
  zip_close(archive);
  return out;
}

TEST(TableFilesTest, CsvQuotesWhatNeedsItAndNeverWritesAFormula) {
  EXPECT_EQ(ToCsv(Sample(), false),
            "地区,数值,句子\r\n"
            "海南省,6,\"增长6%左右, \"\"力争\"\"更好\"\r\n"
            "\"'=HYPERLINK(\"\"http://x\"\")\",5.25,\"多行\n文本\"\r\n");
  EXPECT_EQ(ToCsv(Sample(), true).substr(0, 3), "\xEF\xBB\xBF");
}

TEST(TableFilesTest, XlsxHoldsTheRowsWithNumbersAsNumbersAndTextAsStrings) {
  absl::StatusOr<std::string> xlsx = ToXlsx(Sample(), ::testing::TempDir());
  ASSERT_TRUE(xlsx.ok()) << xlsx.status();
  ASSERT_GT(xlsx->size(), 4u);
  EXPECT_EQ(xlsx->substr(0, 2), "PK");
  const std::string strings = ZipMember(*xlsx, "xl/sharedStrings.xml");
  EXPECT_NE(strings.find("海南省"), std::string::npos);
  EXPECT_NE(strings.find("=HYPERLINK("), std::string::npos) << strings;  // a string, not a formula
  const std::string sheet = ZipMember(*xlsx, "xl/worksheets/sheet1.xml");
  EXPECT_NE(sheet.find("<v>5.25</v>"), std::string::npos);
  EXPECT_EQ(sheet.find("<f>"), std::string::npos);
  EXPECT_NE(ZipMember(*xlsx, "xl/workbook.xml").find("Rank economy.gdp 2026"), std::string::npos);
}

}  // namespace
}  // namespace zb::webapi
