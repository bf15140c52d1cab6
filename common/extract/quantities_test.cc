#include "common/extract/quantities.h"

#include <random>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace zb::extract {
namespace {

struct Expected {
  const char* text;   // sentence (NFKC form)
  const char* found;  // the span the recognizer must report
  double value;       // or low for ranges
  double high;        // ranges only
  const char* unit;
  zhibiao::v1::Qualifier qualifier;
};

TEST(QuantitiesTest, TableOfForms) {
  using Q = zhibiao::v1::Qualifier;
  const Expected cases[] = {
      {"累计参加学习7000人次。", "7000人次", 7000, 0, "人次", Q::QUALIFIER_EXACT},
      {"归集信用数据4.5亿条,", "4.5亿条", 4.5e8, 0, "条", Q::QUALIFIER_EXACT},
      {"提供各类法律服务近3000次,", "近3000次", 3000, 0, "次", Q::QUALIFIER_APPROX},
      {"培育5-8名法律明白人", "5-8名", 5, 8, "名", Q::QUALIFIER_RANGE},
      {"问题解决率为98.7%。", "98.7%", 98.7, 0, "%", Q::QUALIFIER_EXACT},
      {"归集事项数据420万余条,", "420万余条", 4.2e6, 0, "条", Q::QUALIFIER_AT_LEAST},
      {"促进增收节支6.53亿元,", "6.53亿元", 6.53e8, 0, "元", Q::QUALIFIER_EXACT},
      {"减税降费2,350.6万元,", "2,350.6万元", 23506000, 0, "元", Q::QUALIFIER_EXACT},
      {"专题学法十二次,", "十二次", 12, 0, "次", Q::QUALIFIER_EXACT},
      {"出具法律意见书一百零五份。", "一百零五份", 105, 0, "份", Q::QUALIFIER_EXACT},
      {"调处矛盾纠纷两千三百余件,", "两千三百余件", 2300, 0, "件", Q::QUALIFIER_AT_LEAST},
      {"组织干部千余人次参加", "千余人次", 1000, 0, "人次", Q::QUALIFIER_AT_LEAST},
      {"分值权重提高至百分之八。", "百分之八", 8, 0, "%", Q::QUALIFIER_EXACT},
      {"较上年提高2.3个百分点;", "2.3个百分点", 2.3, 0, "个百分点", Q::QUALIFIER_EXACT},
      {"压缩了三分之二。", "三分之二", 66.6667, 0, "%", Q::QUALIFIER_EXACT},
      {"培训3至5次,", "3至5次", 3, 5, "次", Q::QUALIFIER_RANGE},
      {"每次15~20学时。", "15~20学时", 15, 20, "学时", Q::QUALIFIER_RANGE},
      {"调解成功率达98%以上。", "98%以上", 98, 0, "%", Q::QUALIFIER_AT_LEAST},
      {"群众满意率约96%。", "约96%", 96, 0, "%", Q::QUALIFIER_APPROX},
      {"开展普法活动不少于200场。", "不少于200场", 200, 0, "场", Q::QUALIFIER_AT_LEAST},
      {"开办时间压缩至0.5个工作日。", "0.5个工作日", 0.5, 0, "工作日", Q::QUALIFIER_EXACT},
      {"持证执法人员856名,", "856名", 856, 0, "名", Q::QUALIFIER_EXACT},
      {"在30个工作日内办结", "30个工作日内", 30, 0, "工作日", Q::QUALIFIER_AT_MOST},
      {"办理30多次", "30多次", 30, 0, "次", Q::QUALIFIER_AT_LEAST},
      {"总额超20亿余元", "超20亿余元", 2e9, 0, "元", Q::QUALIFIER_AT_LEAST},
      {"共9县区参加", "9县区", 9, 0, "县区", Q::QUALIFIER_EXACT},
      {"规模达3.2万亿元", "3.2万亿元", 3.2e12, 0, "元", Q::QUALIFIER_EXACT},
      {"出生率3.2‰", "3.2‰", 3.2, 0, "‰", Q::QUALIFIER_EXACT},
      // Units of work reports and statistics bulletins.
      {"粮食产量1350.97亿斤,", "1350.97亿斤", 1350.97e8, 0, "斤", Q::QUALIFIER_EXACT},
      {"算力达10.36百亿亿次/秒。", "10.36百亿亿次/秒", 10.36e18, 0, "次/秒", Q::QUALIFIER_EXACT},
      {"能源综合生产能力达2.3亿吨标准煤左右", "2.3亿吨标准煤左右", 2.3e8, 0, "吨标准煤",
       Q::QUALIFIER_APPROX},
      {"进出口总额达1200亿美元", "1200亿美元", 1.2e11, 0, "美元", Q::QUALIFIER_EXACT},
      {"电力装机突破1亿千瓦", "突破1亿千瓦", 1e8, 0, "千瓦", Q::QUALIFIER_AT_LEAST},
      {"集装箱吞吐量350万标箱", "350万标箱", 3.5e6, 0, "标箱", Q::QUALIFIER_EXACT},
      {"低保标准提高到801元/月", "801元/月", 801, 0, "元/月", Q::QUALIFIER_EXACT},
      {"中欧班列开行超万列", "超万列", 1e4, 0, "列", Q::QUALIFIER_AT_LEAST},
      {"财政支出八成以上用于民生", "八成以上", 8, 0, "成", Q::QUALIFIER_AT_LEAST},
      {"占全国增量的1/4。", "1/4", 25, 0, "%", Q::QUALIFIER_EXACT},
      {"平均受教育年限达10.2年左右", "10.2年左右", 10.2, 0, "年", Q::QUALIFIER_APPROX},
      {"地区生产总值增长5%-5.5%。", "5%-5.5%", 5, 5.5, "%", Q::QUALIFIER_RANGE},
      {"新能源电池产能达55GWh,", "55GWh", 55, 0, "GWh", Q::QUALIFIER_EXACT},
  };
  for (const Expected& c : cases) {
    CodePointText t(c.text);
    auto found = FindQuantities(t);
    ASSERT_EQ(found.size(), 1u) << c.text;
    EXPECT_EQ(t.Slice(found[0].begin, found[0].end), c.found) << c.text;
    const auto& q = found[0].quantity;
    EXPECT_EQ(q.unit(), c.unit) << c.text;
    EXPECT_EQ(q.qualifier(), c.qualifier) << c.text;
    if (c.qualifier == Q::QUALIFIER_RANGE) {
      EXPECT_DOUBLE_EQ(q.low(), c.value) << c.text;
      EXPECT_DOUBLE_EQ(q.high(), c.high) << c.text;
    } else {
      EXPECT_NEAR(q.value(), c.value, std::abs(c.value) * 1e-9) << c.text;
    }
  }
}

TEST(QuantitiesTest, NotQuantities) {
  for (const char* s :
       {"2021年,新乡市政府坚持", "2022年2月25日", "新政〔2020〕1号", "河南省第二批服务型单位",
        "长垣市综合得分全省第一", "增长量居全省第二位", "持续强化“1211”法治政府建设推进机制",
        "作为“八五”普法的首要任务", "第十四个五年规划和二〇三五年远景目标", "“12345”热线平台",
        "完成PM2.5、PM10考核", "建成公共法律服务24小时自助区", "进一步加强", "一网通办",
        "锚定“两个确保”", "认真落实“四个亲自”要求", "《条例》第十二条规定", "电话0373-12345678",
        "一是部分乡镇执法力量薄弱", "“千名干部进万家”活动", "百年一遇的洪水", "第三产业",
        "4.0版系统上线", "(新乡市第十三届人民代表大会常务委员会公告第6号)", "一次办妥", "10时30分",
        "三是加强培训",
        // Names, phases, specifications, milestones and thresholds.
        "严格落实中央八项规定精神", "十一届九次全会", "国家区域医疗中心二期项目", "二十四节气",
        "纪念抗战胜利80周年", "建成30万吨级码头", "地区生产总值迈上4个万亿元台阶",
        "亿元以上项目开工", "关停10万千瓦及以下机组", "3岁以下婴幼儿照护", "三次产业结构"}) {
    CodePointText t(s);
    auto found = FindQuantities(t);
    EXPECT_TRUE(found.empty()) << s << " -> "
                               << (found.empty()
                                       ? ""
                                       : std::string(t.Slice(found[0].begin, found[0].end)));
  }
}

// Values are the written digits times the written powers of ten, exactly.
TEST(QuantitiesTest, ValuesExactAsWritten) {
  for (auto [text, expected] : std::vector<std::pair<const char*, double>>{{"3.26万件", 32600},
                                                                           {"0.07亿元", 7000000},
                                                                           {"1.1万亿元", 1.1e12},
                                                                           {"12.3万人次", 123000},
                                                                           {"4.35万户", 43500}}) {
    CodePointText t(text);
    auto found = FindQuantities(t);
    ASSERT_EQ(found.size(), 1u) << text;
    EXPECT_EQ(found[0].quantity.value(), expected) << text;
  }
}

TEST(QuantitiesTest, SeveralInOneSentence) {
  CodePointText t("共收集企业问题2482个,已解决2450个,问题解决率为98.7%。");
  auto found = FindQuantities(t);
  ASSERT_EQ(found.size(), 3u);
  EXPECT_EQ(found[1].quantity.value(), 2450);
  EXPECT_EQ(found[2].quantity.unit(), "%");
}

// Independent writer: random Arabic forms with thousands separators and
// multipliers must parse back to the value they were written from.
TEST(QuantitiesTest, PropertyRandomArabicFormsRoundTrip) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 5000; ++i) {
    const int64_t whole = static_cast<int64_t>(rng() % 10000000);
    const int decimals = static_cast<int>(rng() % 3);
    int64_t frac = decimals == 0 ? 0 : static_cast<int64_t>(rng() % (decimals == 1 ? 10 : 100));
    std::string digits = std::to_string(whole);
    if (rng() % 2 == 0) {  // thousands separators
      std::string grouped;
      for (size_t k = 0; k < digits.size(); ++k) {
        if (k > 0 && (digits.size() - k) % 3 == 0) grouped.push_back(',');
        grouped.push_back(digits[k]);
      }
      digits = grouped;
    }
    std::string frac_text =
        decimals == 0 ? "" : absl::StrCat(".", decimals == 2 && frac < 10 ? "0" : "", frac);
    const char* scales[] = {"", "万", "亿"};
    const double factors[] = {1, 1e4, 1e8};
    const int s = static_cast<int>(rng() % 3);
    const std::string text = absl::StrCat("共办理", digits, frac_text, scales[s], "件。");
    double expected =
        (static_cast<double>(whole) +
         (decimals == 0 ? 0 : static_cast<double>(frac) / (decimals == 1 ? 10 : 100))) *
        factors[s];
    CodePointText t(text);
    auto found = FindQuantities(t);
    if (whole == 0 && decimals == 0) continue;
    ASSERT_EQ(found.size(), 1u) << text;
    EXPECT_NEAR(found[0].quantity.value(), expected, expected * 1e-12 + 1e-9) << text;
    EXPECT_EQ(found[0].quantity.unit(), "件") << text;
  }
}

}  // namespace
}  // namespace zb::extract
