// The CLI's help: one entry per command (its words, synopsis, what it does,
// the flags it reads and an example), the general usage built from them, and
// a check of the command line's flags before Abseil parses them, so that
// `zhibiao query rank --help` lists rank's own flags and an unknown flag is a
// usage error (exit 2) in the CLI's own words.
#ifndef ZHIBIAO_TOOLS_ZHIBIAO_HELP_H_
#define ZHIBIAO_TOOLS_ZHIBIAO_HELP_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace zb::cli {

struct CommandHelp {
  std::string words;               // "query rank"
  std::string synopsis;            // "--metric=K --year=Y [--k=10 ...]"
  std::string what;                // one line
  std::vector<std::string> flags;  // the flags it reads, besides the common ones
  std::string example;
};

// Every command, in the order the usage lists them.
const std::vector<CommandHelp>& Commands();

// The command whose words start `positional` (the longest match), or null.
const CommandHelp* FindCommand(const std::vector<std::string>& positional);

// `zhibiao --help`: every command with its synopsis, the common flags, exit codes.
std::string GeneralUsage();
// `zhibiao query rank --help`: its synopsis, its flags with their help and
// defaults, the common flags, an example.
std::string CommandUsage(const CommandHelp& command);

// Whether argv asks for help (--help, -h, --helpfull, help as the command).
bool WantsHelp(int argc, char** argv);
// The words of argv that are not flags (and not a flag's separate value).
std::vector<std::string> PositionalWords(int argc, char** argv);
// INVALID_ARGUMENT naming the first flag the CLI does not have, or a value
// its flag does not accept; checked before parsing so it exits 2, not 1.
absl::Status CheckFlags(int argc, char** argv);

// The code `flag` names: digits as given (the service checks them), or a region's name
// (新乡市, 河南, 河南省新乡市); INVALID_ARGUMENT for an unknown name, and for a
// name several regions share (鼓楼区) listing them with their provinces.
absl::StatusOr<std::string> RegionCodeFromFlag(const std::string& flag, const std::string& value);

}  // namespace zb::cli

#endif  // ZHIBIAO_TOOLS_ZHIBIAO_HELP_H_
