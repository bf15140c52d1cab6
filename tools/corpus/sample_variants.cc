#include "tools/corpus/sample_variants.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace zb::corpus {
namespace {

struct City {
  const char* name;  // as the issuer writes it, replacing 新乡市
  const char* code;
};
// Prefecture-level cities of several provinces (codes from the shipped table).
constexpr City kCities[] = {
    {"新乡市", "410700"}, {"郑州市", "410100"}, {"洛阳市", "410300"}, {"开封市", "410200"},
    {"安阳市", "410500"}, {"南阳市", "411300"}, {"武汉市", "420100"}, {"十堰市", "420300"},
    {"宜昌市", "420500"}, {"长沙市", "430100"}, {"岳阳市", "430600"}, {"杭州市", "330100"},
    {"宁波市", "330200"}, {"温州市", "330300"}, {"成都市", "510100"}, {"绵阳市", "510700"},
    {"西安市", "610100"}, {"宝鸡市", "610300"}, {"合肥市", "340100"}, {"芜湖市", "340200"},
    {"济南市", "370100"}, {"青岛市", "370200"}, {"太原市", "140100"}, {"大同市", "140200"}};
constexpr int64_t kCityCount = sizeof(kCities) / sizeof(kCities[0]);

}  // namespace

std::string SampleVariant(const std::string& sample, int64_t n) {
  const City& city = kCities[n % kCityCount];
  const int64_t year = 2018 + (n / kCityCount) % 6;
  std::string text =
      absl::StrReplaceAll(sample, {{"新乡市人民政府", absl::StrCat(city.name, "人民政府")},
                                   {"关于2021年", absl::StrCat("关于", year, "年")},
                                   {"2022年2月25日", absl::StrCat(year + 1, "年2月25日")}});
  // A numbered sentence in the preamble makes every variant a distinct report.
  const size_t first_line = text.find('\n');
  text.insert(first_line + 1, absl::StrCat("本报告为测试变体第", n, "号。\n"));
  return text;
}

std::string SampleVariantRegion(int64_t n) { return kCities[n % kCityCount].code; }

}  // namespace zb::corpus
