// Environment overrides for Abseil flags: every flag --foo_bar can also be set
// with ZHIBIAO_FOO_BAR. The command line wins over the environment, which wins
// over the flag's default. Called from main() only; libraries take Options.
#ifndef ZHIBIAO_COMMON_BASE_ENV_FLAGS_H_
#define ZHIBIAO_COMMON_BASE_ENV_FLAGS_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace zb {

// The environment variable that sets flag `flag_name`: "data_dir" → "ZHIBIAO_DATA_DIR".
std::string EnvNameForFlag(absl::string_view flag_name);

// "--storage-shards=3" -> "--storage_shards=3": dashes in a flag's name (not
// in its value) become underscores, so both spellings work. Anything not
// starting with "--" is returned as it is.
std::string NormalizeFlagSpelling(absl::string_view arg);

// A further environment variable read for a flag, e.g. {"ingest", "ZHIBIAO_INGEST_ADDR"}.
using FlagEnvAlias = std::pair<std::string, std::string>;

// Sets usage, applies ZHIBIAO_* overrides (and `aliases`, which win over the
// plain name) to every registered flag, then parses argv. Exits with status 2
// and a message naming the variable when an environment value does not parse.
// Returns the positional arguments (argv[0] first).
std::vector<char*> ParseFlagsWithEnv(int argc, char** argv, absl::string_view usage,
                                     const std::vector<FlagEnvAlias>& aliases = {});

}  // namespace zb

#endif  // ZHIBIAO_COMMON_BASE_ENV_FLAGS_H_
