#include "jobsub/pipeline.h"

#include <fmt/core.h>

#include <algorithm>
#include <fstream>

#include "jobsub/plugin_options.h"
#include "jobsub/process.h"
#include "jobsub/script.h"
#include "jobsub/text.h"

namespace jobsub {

void check_status(const Status& status, const std::string& what, ExitCode code) {
  if (!status.ok) throw Error(code, fmt::format("{}: {}", what, status.message));
}

PluginOptions Pipeline::options_for(const std::string& kind) const {
  const ComponentEntry& entry = *entries.at(kind);
  PluginOptions out;
  for (std::size_t i = 0; i < entry.info->option_count; ++i) {
    const jobsub_option_info& option = entry.info->options[i];
    auto it = options.find(fmt::format("{}.{}", entry.info->name, option.name));
    if (it != options.end()) {
      out[option.name] = it->second;
    } else if (option.default_value != nullptr) {
      out[option.name] = option.default_value;
    }
  }
  return out;
}

std::string Pipeline::stage(const std::string& kind) const {
  return fmt::format("{} '{}'", kind, names.at(kind));
}

namespace {

/// Every `options.*` setting by the qualified name it stands for. An option
/// of a plugin this sweep does not use is an error that says which to choose.
std::map<std::string, std::string> resolve_options(const Pipeline& pipeline, const SweepSpec& spec,
                                                   const PluginRegistry& registry) {
  const std::vector<PluginOption> declared = plugin_options(registry);
  std::map<std::string, std::string> chosen;
  for (const auto& [kind, entry] : pipeline.entries) chosen[kind] = entry->info->name;
  std::map<std::string, std::string> resolved;
  // Where each resolved option came from: the short `options: {lists: json}`
  // of a spec must not override the command line's `--argparse.lists nargs`.
  std::map<std::string, SettingSource> resolved_from;
  for (const auto& [key, setting] : spec.settings) {
    if (key.rfind("options.", 0) != 0) continue;
    const std::string name = key.substr(8);
    const bool from_site = setting.source == SettingSource::site;
    std::string qualified;
    try {
      qualified = resolve_plugin_option(declared, name, setting.origin, setting.source, chosen);
    } catch (const Error&) {
      // A site profile sets options for the plugins its site uses; a sweep that
      // chooses another plugin leaves them be.
      if (from_site) continue;
      throw;
    }
    const auto option = std::find_if(declared.begin(), declared.end(),
                                     [&](const PluginOption& o) { return o.qualified == qualified; });
    const char* kind = option->entry->info->kind;
    const auto used = pipeline.entries.find(kind);
    const bool unused = used == pipeline.entries.end() || used->second != option->entry;
    if (unused && from_site) continue;
    if (unused) {
      throw spec_error(fmt::format(
          "{}: option '{}' belongs to {} '{}', which this sweep does not use: add --{}={} (now: {})",
          setting.origin, name, kind, option->entry->info->name, kind, option->entry->info->name,
          spec.get(kind)));
    }
    const auto earlier = resolved_from.find(qualified);
    if (earlier != resolved_from.end() &&
        static_cast<int>(earlier->second) > static_cast<int>(setting.source))
      continue;  // a higher source (the command line over the spec) already set it
    resolved[qualified] = setting.value;
    resolved_from[qualified] = setting.source;
  }
  return resolved;
}

/// A batch-script template: a file that exists and says something.
/// `origin` says where it was named (`command line`, `jobsub.yaml:7`).
std::string read_template_file(const fs::path& path, const std::string& origin) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    throw spec_error(
        fmt::format("template {} ({}) is a directory: name a Mustache file, e.g. "
                    "templates/slurm.sh.mustache",
                    path.string(), origin));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw spec_error(fmt::format("cannot read template {} ({})", path.string(), origin));
  std::string text(std::istreambuf_iterator<char>(in), {});
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
    throw spec_error(
        fmt::format("template {} ({}) is empty: start from the default one (`jobsub --dry-run` "
                    "prints it), or drop the setting to use it",
                    path.string(), origin));
  }
  return text;
}

}  // namespace

Pipeline load_pipeline(const PluginRegistry& registry, const SweepSpec& spec, int64_t submitted_after) {
  Pipeline pipeline;
  for (const std::string kind : {"layout", "sweeper", "formatter", "scheduler"}) {
    const std::string name = spec.get(kind);
    const ComponentEntry& entry = registry.require(kind, name);
    pipeline.entries[kind] = &entry;
    pipeline.names[kind] = name;
    if (const fs::path hidden = registry.shadowed_by(entry); !hidden.empty()) {
      pipeline.notes.push_back(
          fmt::format("{} '{}' is {}, which shadows {}", kind, name, entry.file.string(), hidden.string()));
    }
  }
  pipeline.layout = registry.create<Layout>(pipeline.names["layout"]);
  pipeline.sweeper = registry.create<Sweeper>(pipeline.names["sweeper"]);
  pipeline.formatter = registry.create<Formatter>(pipeline.names["formatter"]);
  pipeline.scheduler = registry.create<Scheduler>(pipeline.names["scheduler"]);
  pipeline.options = resolve_options(pipeline, spec, registry);
  check_status(pipeline.formatter->configure(pipeline.options_for("formatter")), pipeline.stage("formatter"));
  PluginOptions scheduler_options = pipeline.options_for("scheduler");
  if (submitted_after > 0) scheduler_options[kSubmittedAfterOption] = std::to_string(submitted_after);
  check_status(pipeline.scheduler->configure(scheduler_options), pipeline.stage("scheduler"));
  return pipeline;
}

std::vector<std::string> init_commands(const std::vector<std::string>& entries, const std::string& origin) {
  // A list entry written as a block (`- |`) holds lines of its own: each is looked at.
  std::vector<std::string> lines;
  for (const std::string& entry : entries) {
    std::size_t start = 0;
    do {
      const std::size_t end = entry.find('\n', start);
      lines.push_back(entry.substr(start, end == std::string::npos ? std::string::npos : end - start));
      start = end == std::string::npos ? std::string::npos : end + 1;
    } while (start != std::string::npos && start < entry.size());
  }
  std::vector<std::string> commands;
  std::string pending;
  std::size_t first = 0;  // the pending command's first line, 0-based
  auto continued = [](const std::string& line) {
    if (trim(line).rfind('#', 0) == 0) return false;  // a comment's backslash continues nothing
    std::size_t backslashes = 0;
    for (auto it = line.rbegin(); it != line.rend() && *it == '\\'; ++it) ++backslashes;
    return backslashes % 2 == 1;
  };
  auto bash_reads = [](const std::string& text, std::string* why) {
    // The C locale: a cluster's broken LC_* makes bash warn on every call.
    const ProcessResult r = run_process({"env", "LC_ALL=C", "bash", "-n", "-c", text});
    if (why != nullptr) *why = trim(r.err);
    return r.ok() && r.err.find("here-document") == std::string::npos;  // an open one is only a warning
  };
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (pending.empty()) first = i;
    pending += (i == first ? "" : "\n") + lines[i];
    if (continued(lines[i]) || !bash_reads(pending, nullptr)) continue;
    commands.push_back(std::move(pending));
    pending.clear();
  }
  if (!pending.empty()) {
    std::string why;
    bash_reads(pending, &why);
    throw spec_error(fmt::format(
        "init ({}): from its line {} on, the lines do not end as a whole shell command (bash: {}): "
        "close what line {} opens (an `if` needs its `fi`, a quote its end)",
        origin, first + 1, why.empty() ? "unexpected end" : why, first + 1));
  }
  return commands;
}

BatchSettings batch_settings(const SweepSpec& spec) {
  BatchSettings out;
  const std::string max_running = spec.get("max_running", "0");
  try {
    std::size_t used = 0;
    const long long v = std::stoll(max_running, &used);
    if (used != max_running.size() || v < 0) throw std::invalid_argument("negative");
    out.max_running = static_cast<uint64_t>(v);
  } catch (const std::exception&) {
    throw spec_error(fmt::format("max_running must be a whole number >= 0, got '{}' ({})", max_running,
                                 spec.settings.at("max_running").origin));
  }
  const std::string check = spec.get("init_check", "true");
  if (check != "true" && check != "false") {
    throw spec_error(fmt::format("init_check must be true or false, got '{}' ({})", check,
                                 spec.settings.at("init_check").origin));
  }
  out.check_init = check == "true";
  out.init_commands = init_commands(spec.init_lines, spec.init_origin);
  if (spec.has("template")) {
    fs::path path = spec.get("template");
    if (path.is_relative()) path = spec.experiment_dir / path;
    out.template_text = read_template_file(path, spec.settings.at("template").origin);
    out.template_file = path;
  } else if (const fs::path path =
                 spec.experiment_dir / "templates" / fmt::format("{}.sh.mustache", spec.get("scheduler"));
             fs::exists(path)) {
    out.template_text = read_template_file(path, "found in the experiment's templates/");
    out.template_file = path;
  }
  return out;
}

BatchRequest batch_prototype(const SweepSpec& spec, const std::string& sweep_name,
                             const ResultsLayout& results, const fs::path& workdir, bool array) {
  const BatchSettings settings = batch_settings(spec);
  BatchRequest batch;
  batch.sweep_name = sweep_name;
  batch.results_dir = results.dir();
  batch.workdir = workdir;
  batch.job_count = results.job_count();
  batch.array = array;
  batch.max_running = settings.max_running;
  batch.resources = spec.section("resources");
  batch.init_lines = spec.init_lines;
  batch.template_text = settings.template_text;
  batch.template_file = settings.template_file;
  batch.task_body =
      task_body(results.dir(), results.job_count(), workdir, settings.init_commands, settings.check_init);
  return batch;
}

PluginHandle<Scheduler> configured_scheduler(const PluginRegistry& registry, const std::string& name,
                                             int64_t submitted_after) {
  PluginHandle<Scheduler> scheduler = registry.create<Scheduler>(name);
  const ComponentEntry& entry = registry.require("scheduler", name);
  PluginOptions options;
  for (std::size_t i = 0; i < entry.info->option_count; ++i) {
    if (entry.info->options[i].default_value != nullptr)
      options[entry.info->options[i].name] = entry.info->options[i].default_value;
  }
  if (submitted_after > 0) options[kSubmittedAfterOption] = std::to_string(submitted_after);
  const Status status = scheduler->configure(options);
  if (!status.ok) throw plugin_error(fmt::format("scheduler '{}': {}", name, status.message));
  return scheduler;
}

}  // namespace jobsub
