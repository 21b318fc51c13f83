#pragma once
/// The value grammar of the command line: Hydra-style overrides and
/// `range()`, which spec files share. Follows Hydra's override grammar
/// (hydra.cc/docs/advanced/override_grammar/basic) for lists and quoting.
#include <string>
#include <vector>

#include "jobsub/export.h"
#include "jobsub/spec.h"
#include "jobsub/value.h"

namespace jobsub {

/// `key=v1,v2`, `seed=range(0,5)`, `name='a,b'`: Hydra-style override.
struct Override {
  std::string key;
  ValueList values;
  /// Unquoted strings a user may have meant as null or a boolean (`None`,
  /// `yes`): apply_override adds these to the spec's notes.
  std::vector<std::string> notes{};
};
/// True when `arg` looks like an override (`key=...`).
JOBSUB_API bool is_override(const std::string& arg);
JOBSUB_API Override parse_override(const std::string& arg);
/// Replaces the key's values in every grid that has it; when no grid has
/// it, adds it (varying fastest) to every grid. With several grids, notes in
/// spec.notes which grids it changed.
JOBSUB_API void apply_override(SweepSpec& spec, const Override& override_);

/// Appends the values of `range(<inner>)` (Python's: stop; start,stop; or
/// start,stop,step, whole numbers) to `out`, never expanded. `what` names the
/// value in errors, which are usage errors (exit 2).
JOBSUB_API void append_range(const std::string& inner, const std::string& what, ValueList& out);

}  // namespace jobsub
