#include "jobsub/command_line.h"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "jobsub/errors.h"
#include "jobsub/text.h"

namespace jobsub {

const std::vector<GlobalOption>& global_options() {
  static const std::vector<GlobalOption> kGlobals = {
      {Global::spec, "spec", "FILE",
       "the sweep spec; its directory is the experiment (default: the current one)"},
      {Global::site, "site", "NAME",
       "site profile NAME from sites.yaml (default: JOBSUB_SITE, else the profile matching this host)"},
      {Global::poll, "poll", "SECONDS", "seconds between scheduler queries"},
      {Global::plugin_dir, "plugin-dir", "DIR", "search DIR for plugins first (repeatable)"},
  };
  return kGlobals;
}

namespace {

const GlobalOption& global(Global g) {
  const auto& all = global_options();
  return *std::find_if(all.begin(), all.end(), [&](const GlobalOption& o) { return o.id == g; });
}

}  // namespace

void declare_global(po::options_description& into, Global g) {
  const GlobalOption& o = global(g);
  if (g == Global::plugin_dir) {
    into.add_options()(o.name, po::value<std::vector<std::string>>()->composing()->value_name(o.value_name),
                       o.help);
  } else if (g == Global::poll) {
    into.add_options()(o.name, po::value<std::string>()->default_value("5")->value_name(o.value_name),
                       o.help);
  } else {
    into.add_options()(o.name, po::value<std::string>()->value_name(o.value_name), o.help);
  }
}

double poll_seconds(const po::variables_map& vm) {
  if (!vm.count("poll")) return 5;
  const std::string text = vm["poll"].as<std::string>();
  char* end = nullptr;
  const double seconds = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !(seconds > 0) || !std::isfinite(seconds))
    throw usage_error(fmt::format("--poll takes a number of seconds > 0, got '{}'", text));
  return seconds;
}

std::map<std::string, std::string> resource_flags(const std::vector<std::string>& items) {
  std::map<std::string, std::string> out;
  for (const std::string& item : items) {
    const auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0)
      throw usage_error(fmt::format("--resource takes KEY=VALUE, e.g. --resource time=2h; got '{}'", item));
    out[item.substr(0, eq)] = item.substr(eq + 1);
  }
  return out;
}

fs::path experiment_dir(const po::variables_map& vm) {
  if (!vm.count("spec")) return fs::current_path();
  const std::string& spec = vm["spec"].as<std::string>();
  if (spec.empty()) throw usage_error("--spec takes a file: --spec path/to/jobsub.yaml");
  return fs::absolute(spec).parent_path();
}

CommandLine::CommandLine(std::string command, std::string synopsis, std::string description,
                         std::string exit_codes)
    : command_(std::move(command)),
      synopsis_(std::move(synopsis)),
      description_(std::move(description)),
      exit_codes_(std::move(exit_codes)) {
  takes(Global::plugin_dir);  // every command's: jobsub takes it before the command runs
}

CommandLine& CommandLine::takes(Global g) {
  if (std::find(taken_.begin(), taken_.end(), g) == taken_.end()) {
    taken_.push_back(g);
    declare_global(globals_, g);
  }
  return *this;
}

std::string CommandLine::value(const std::string& option) const {
  if (!vm_.count(option)) return {};
  return vm_[option].as<std::string>();
}

std::string CommandLine::help() const {
  std::string options;
  if (!own_.options().empty()) options += fmt::format("{}\n", fmt::streamed(own_));
  options += fmt::format("Global options (also before the command):\n{}\n", fmt::streamed(globals_));
  std::string out =
      fmt::format("Usage: jobsub {} {}\n\n{}\n\n{}", command_, synopsis_, description_, options);
  if (!exit_codes_.empty()) out += fmt::format("Exit codes: {}\n", exit_codes_);
  return out;
}

bool CommandLine::parse(const std::vector<std::string>& args, std::size_t max_words) {
  po::options_description hidden;
  hidden.add_options()("help,h", "")("jobsub-words", po::value<std::vector<std::string>>()->composing(), "");
  // The globals this command does not take are declared too, so that one
  // given is named as such rather than called unknown.
  for (const GlobalOption& g : global_options()) {
    if (std::find(taken_.begin(), taken_.end(), g.id) == taken_.end()) declare_global(hidden, g.id);
  }
  po::options_description all;
  all.add(own_).add(globals_).add(hidden);
  po::positional_options_description positional;
  positional.add("jobsub-words", -1);
  const std::string see = fmt::format("see jobsub help {}", command_);
  vm_.clear();
  words_.clear();
  try {
    // Unix style without guessing: --wat is not taken for --watch.
    po::store(po::command_line_parser(args)
                  .options(all)
                  .positional(positional)
                  .style(po::command_line_style::unix_style ^ po::command_line_style::allow_guessing)
                  .run(),
              vm_);
    po::notify(vm_);
  } catch (const po::unknown_option& e) {
    std::string given = e.get_option_name();
    given = given.substr(0, given.find('='));
    std::vector<std::string> known;
    for (const po::options_description* group : {&own_, &globals_}) {
      for (const auto& declared : group->options())
        known.push_back(fmt::format("--{}", declared->long_name()));
    }
    throw usage_error(fmt::format("unknown option '{}'{} ({})", given, did_you_mean(given, known), see));
  } catch (const po::error& e) {
    throw usage_error(fmt::format("{} ({})", e.what(), see));
  }
  if (vm_.count("help")) {
    fmt::print("{}", help());
    return false;
  }
  for (const GlobalOption& g : global_options()) {
    if (vm_.count(g.name) && !vm_[g.name].defaulted() &&
        std::find(taken_.begin(), taken_.end(), g.id) == taken_.end())
      throw usage_error(fmt::format("jobsub {} does not take --{} ({})", command_, g.name, see));
  }
  if (vm_.count("jobsub-words")) words_ = vm_["jobsub-words"].as<std::vector<std::string>>();
  if (words_.size() > max_words)
    throw usage_error(fmt::format("unexpected argument '{}' ({})", words_[max_words], see));
  return true;
}

}  // namespace jobsub
