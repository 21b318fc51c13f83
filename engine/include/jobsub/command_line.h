#pragma once
/// Every command's command line, declared once with Boost.Program_options:
/// the global options (declared here, once, with their arity) and each
/// command's own. `jobsub [GLOBAL...] COMMAND [ARGS...]` and `jobsub COMMAND
/// [ARGS...] [GLOBAL...]` mean the same, as in git, docker and kubectl.
#include <boost/program_options.hpp>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "jobsub/export.h"

namespace jobsub {

namespace fs = std::filesystem;
namespace po = boost::program_options;

/// The options several commands take.
enum class Global {
  spec,        ///< --spec FILE: the experiment is FILE's directory
  site,        ///< --site NAME: a site profile of sites.yaml
  poll,        ///< --poll SECONDS: time between scheduler queries, > 0
  plugin_dir,  ///< --plugin-dir DIR (repeatable): taken by jobsub before the command runs
};

struct GlobalOption {
  Global id;
  const char* name;        ///< without the dashes
  const char* value_name;  ///< every global takes one value
  const char* help;
};

/// Every global option, in the order help lists them.
JOBSUB_API const std::vector<GlobalOption>& global_options();
/// Declares global `g` in `into` (its value as a string; repeatable for --plugin-dir).
JOBSUB_API void declare_global(po::options_description& into, Global g);
/// --poll's value from `vm` in seconds (5 when not given). Throws usage_error
/// unless it is a number > 0.
JOBSUB_API double poll_seconds(const po::variables_map& vm);
/// The experiment directory: --spec FILE's directory, else the current one.
JOBSUB_API fs::path experiment_dir(const po::variables_map& vm);
/// `--resource KEY=VALUE` flags (submit, `submit --resume`, resubmit) as a
/// map, the last of a key winning; a usage error for an item without `=`.
JOBSUB_API std::map<std::string, std::string> resource_flags(const std::vector<std::string>& items);

/// One command's command line: its options, its words (positional
/// arguments), the globals it takes. Help is made from the declarations.
class JOBSUB_API CommandLine {
 public:
  /// `synopsis`: what follows `jobsub COMMAND`, e.g. "[SWEEP] [JOB...]";
  /// `description` and `exit_codes`: paragraphs of the help.
  CommandLine(std::string command, std::string synopsis, std::string description, std::string exit_codes);

  /// The command's own options (Boost.Program_options' add_options()).
  po::options_description_easy_init options() { return own_.add_options(); }
  /// Takes the global option `g`; any other global given is refused by name.
  CommandLine& takes(Global g);

  /// Parses `args` (what follows the command's name). False when --help or
  /// -h was given: the help has been printed then. Throws usage_error (exit
  /// 2) for an unknown option (naming the nearest declared one), a global
  /// option this command does not take, a missing value, or more words than
  /// `max_words`.
  bool parse(const std::vector<std::string>& args, std::size_t max_words = SIZE_MAX);

  const po::variables_map& values() const { return vm_; }
  bool given(const std::string& option) const { return vm_.count(option) > 0; }
  /// The option's value; empty when it was not given.
  std::string value(const std::string& option) const;
  const std::vector<std::string>& words() const { return words_; }
  fs::path experiment() const { return experiment_dir(vm_); }
  double poll() const { return poll_seconds(vm_); }
  /// The help text: usage, description, options, exit codes.
  std::string help() const;

 private:
  std::string command_, synopsis_, description_, exit_codes_;
  po::options_description own_{"Options", 100, 50};
  po::options_description globals_{100, 50};
  std::vector<Global> taken_;
  po::variables_map vm_;
  std::vector<std::string> words_;
};

}  // namespace jobsub
