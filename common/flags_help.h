// Makes `--help` list a binary's own flags. Abseil's default lists only flags defined in a file
// named after the program (gavel_server's are in server/main.cc), so --help printed "No flags
// matched". Call before absl::ParseCommandLine.
//
//   gavel::ListOwnFlagsInHelp();
//   absl::ParseCommandLine(argc, argv);
#ifndef GAVEL_COMMON_FLAGS_HELP_H_
#define GAVEL_COMMON_FLAGS_HELP_H_

#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"

namespace gavel {

// Every flag defined outside Abseil's own sources is one of ours (--helpfull still lists all).
inline void ListOwnFlagsInHelp() {
  absl::FlagsUsageConfig config;
  config.contains_help_flags = [](absl::string_view file) {
    return !absl::StrContains(file, "absl/");
  };
  config.contains_helpshort_flags = config.contains_help_flags;
  absl::SetFlagsUsageConfig(config);
}

}  // namespace gavel

#endif  // GAVEL_COMMON_FLAGS_HELP_H_
