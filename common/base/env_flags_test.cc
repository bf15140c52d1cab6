#include "common/base/env_flags.h"

#include <cstdlib>

#include "absl/flags/flag.h"
#include "gtest/gtest.h"

ABSL_FLAG(std::string, zb_test_data_dir, "default", "test flag");
ABSL_FLAG(int, zb_test_port, 1, "test flag");
ABSL_FLAG(std::string, zb_test_alias, "", "test flag");

namespace zb {
namespace {

TEST(EnvFlagsTest, EnvNameIsUpperCasePrefixed) {
  EXPECT_EQ(EnvNameForFlag("data_dir"), "ZHIBIAO_DATA_DIR");
}

TEST(EnvFlagsTest, EnvironmentOverridesDefaultAndCommandLineOverridesEnvironment) {
  setenv("ZHIBIAO_ZB_TEST_DATA_DIR", "/from/env", 1);
  setenv("ZHIBIAO_ZB_TEST_PORT", "7", 1);
  setenv("ZB_TEST_ALIAS_VAR", "aliased", 1);
  char arg0[] = "prog";
  char arg1[] = "--zb_test_port=9";
  char arg2[] = "positional";
  char* argv[] = {arg0, arg1, arg2};
  std::vector<char*> rest =
      ParseFlagsWithEnv(3, argv, "test", {{"zb_test_alias", "ZB_TEST_ALIAS_VAR"}});
  EXPECT_EQ(absl::GetFlag(FLAGS_zb_test_data_dir), "/from/env");
  EXPECT_EQ(absl::GetFlag(FLAGS_zb_test_port), 9);
  EXPECT_EQ(absl::GetFlag(FLAGS_zb_test_alias), "aliased");
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_STREQ(rest[1], "positional");
}

TEST(EnvFlagsTest, DashesInFlagNamesBecomeUnderscoresButValuesAreKept) {
  EXPECT_EQ(NormalizeFlagSpelling("--storage-shards=3"), "--storage_shards=3");
  EXPECT_EQ(NormalizeFlagSpelling("--data-dir=/a-b/c-d"), "--data_dir=/a-b/c-d");
  EXPECT_EQ(NormalizeFlagSpelling("--allow-partial"), "--allow_partial");
  EXPECT_EQ(NormalizeFlagSpelling("-x-y"), "-x-y");
  EXPECT_EQ(NormalizeFlagSpelling("some-file.txt"), "some-file.txt");
  EXPECT_EQ(NormalizeFlagSpelling("--"), "--");
}

}  // namespace
}  // namespace zb
