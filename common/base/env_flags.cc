#include "common/base/env_flags.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

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
    std::fprintf(stderr, "invalid value \"%s\" in environment variable %s for --%s: %s\n", value,
                 env_name.c_str(), std::string(flag->Name()).c_str(), error.c_str());
    std::exit(2);
  }
}

}  // namespace

std::string NormalizeFlagSpelling(absl::string_view arg) {
  if (!absl::StartsWith(arg, "--") || arg.size() == 2) return std::string(arg);
  const size_t end = std::min(arg.find('='), arg.size());
  std::string out(arg);
  for (size_t i = 2; i < end; ++i) {
    if (out[i] == '-') out[i] = '_';
  }
  return out;
}

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
  // --storage-shards=3 means --storage_shards=3. The rewritten arguments live
  // as long as the process: the returned positional pointers point into them.
  static std::vector<std::string>* spelled = new std::vector<std::string>();
  static std::vector<char*>* args = new std::vector<char*>();
  bool after_double_dash = false;
  for (int i = 0; i < argc; ++i) {
    const absl::string_view arg = argv[i];
    spelled->push_back(after_double_dash || i == 0 ? std::string(arg) : NormalizeFlagSpelling(arg));
    if (arg == "--") after_double_dash = true;
  }
  for (std::string& a : *spelled) args->push_back(a.data());
  return absl::ParseCommandLine(static_cast<int>(args->size()), args->data());
}

}  // namespace zb
