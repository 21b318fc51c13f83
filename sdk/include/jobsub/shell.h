#pragma once
/// The one shell-quoting function. Every argv becomes shell text through here.
#include <string>
#include <string_view>

#include "jobsub/export.h"
#include "jobsub/value.h"

namespace jobsub {

/// Quotes one word so that bash reads back exactly its bytes, as one word,
/// expanding nothing. The result never contains a raw newline (control
/// characters use bash's $'...' form), so a command line stays on one line.
JOBSUB_API std::string shell_quote(std::string_view word);

/// Quotes each element and joins them with single spaces.
JOBSUB_API std::string shell_join(const Argv& argv);

}  // namespace jobsub
