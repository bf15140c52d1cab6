#include "tests/testing/corpus.h"

#include "common/testing/fixtures.h"
#include "tools/corpus/sample_variants.h"

namespace zb::testing {

std::string SampleVariant(int n) {
  static const std::string* sample =
      new std::string(ReadFileOrEmpty(TestDataPath("xinxiang-2021.txt")));
  return corpus::SampleVariant(*sample, n);
}

std::string SampleVariantRegion(int n) { return corpus::SampleVariantRegion(n); }

}  // namespace zb::testing
