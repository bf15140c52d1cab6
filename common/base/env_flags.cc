#include "common/base/env_flags.h"

#include <cstdio>
#include <cstdlib>

#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace zb {
namespace {

void ApplyOne(absl::CommandLineFlag* flag, const std::string& env_name) {
  const char* value = std::getenv(env_name.c_str());
  if (value == nullptr) return;
  std::string error;
  if (!flag->ParseFrom(value, &error)) {
    std::fprintf(stderr, "invalid value \"%s\" in environment variable %s for --%s: %s\n",
                 value, env_name.c_str(), std::string(flag->Name()).c_str(), error.c_str());
    std::exit(2);
  }
}

}  // namespace

std::string EnvNameForFlag(absl::string_view flag_name) {
  return absl::StrCat("ZHIBIAO_", absl::AsciiStrToUpper(flag_name));
}

std::vector<char*> ParseFlagsWithEnv(int argc, char** argv, absl::string_view usage,
                                     const std::vector<FlagEnvAlias>& aliases) {
  absl::SetProgramUsageMessage(usage);
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    if (flag->IsRetired()) continue;
    // Abseil's own flags (--flagfile, --fromenv, ...) are not ours to override.
    if (absl::StrContains(flag->Filename(), "absl/")) continue;
    ApplyOne(flag, EnvNameForFlag(name));
  }
  for (const auto& [flag_name, env_name] : aliases) {
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(flag_name);
    if (flag != nullptr) ApplyOne(flag, env_name);
  }
  return absl::ParseCommandLine(argc, argv);
}

}  // namespace zb
