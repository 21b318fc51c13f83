#include "machine.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <regex>
#include <sstream>
#include <stdexcept>

namespace jobsub::local {

namespace {

std::string trim(const std::string& s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> out;
  std::string item;
  std::istringstream in(text);
  while (std::getline(in, item, separator)) out.push_back(trim(item));
  return out;
}

/// True when `entry` names `gpu`: its index, or its UUID or a prefix of it
/// (CUDA takes `GPU-5d5b` for the GPU whose UUID starts so).
bool names(const std::string& entry, const Gpu& gpu) {
  if (entry.empty()) return false;
  if (entry == gpu.index) return true;
  return gpu.uuid.size() >= entry.size() && gpu.uuid.compare(0, entry.size(), entry) == 0 &&
         (entry.rfind("GPU-", 0) == 0 || entry.rfind("MIG-", 0) == 0);
}

}  // namespace

std::vector<Gpu> parse_query_gpu(const std::string& text) {
  std::vector<Gpu> gpus;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (trim(line).empty()) continue;
    const std::vector<std::string> fields = split(line, ',');
    if (fields.size() != 2 || fields[0].empty() || fields[1].empty())
      throw std::runtime_error(fmt::format("nvidia-smi printed '{}', not 'index, uuid'", trim(line)));
    gpus.push_back({fields[0], fields[1]});
  }
  return gpus;
}

std::vector<Gpu> split_mig_devices(const std::vector<Gpu>& gpus, const std::string& list_text) {
  static const std::regex gpu_line(R"(^GPU\s+(\d+):.*\(UUID:\s*(GPU-[^)\s]+)\))");
  static const std::regex mig_line(R"(^\s+MIG\s.*Device\s+(\d+):\s*\(UUID:\s*(MIG-[^)\s]+)\))");
  std::vector<std::pair<std::string, std::vector<Gpu>>> migs;  // GPU UUID -> its MIG devices
  std::istringstream in(list_text);
  std::string line, current_index, current_uuid;
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_search(line, m, gpu_line)) {
      current_index = m[1];
      current_uuid = m[2];
    } else if (!current_uuid.empty() && std::regex_search(line, m, mig_line)) {
      if (migs.empty() || migs.back().first != current_uuid) migs.push_back({current_uuid, {}});
      migs.back().second.push_back(
          {fmt::format("{}:{}", current_index, std::string(m[1])), m[2], true, current_uuid});
    }
  }
  std::vector<Gpu> out;
  for (const Gpu& gpu : gpus) {
    const auto it =
        std::find_if(migs.begin(), migs.end(), [&](const auto& p) { return p.first == gpu.uuid; });
    if (it == migs.end()) {
      out.push_back(gpu);
    } else {
      out.insert(out.end(), it->second.begin(), it->second.end());
    }
  }
  return out;
}

std::vector<Gpu> visible_gpus(const std::vector<Gpu>& gpus, const std::string& visible) {
  std::vector<Gpu> out;
  for (const std::string& entry : split(visible, ',')) {
    bool found = false;
    for (const Gpu& gpu : gpus) {
      // A MIG device is named by its own UUID, or through its GPU's index or UUID.
      const bool named =
          names(entry, gpu) ||
          (gpu.mig &&
           (entry == gpu.index.substr(0, gpu.index.find(':')) ||
            (entry.rfind("GPU-", 0) == 0 && gpu.parent_uuid.compare(0, entry.size(), entry) == 0)));
      if (named && std::none_of(out.begin(), out.end(), [&](const Gpu& g) { return g.uuid == gpu.uuid; })) {
        out.push_back(gpu);
        found = true;
      }
    }
    if (!found) break;  // CUDA ignores an entry it cannot read and every one after it
  }
  return out;
}

std::vector<Gpu> chosen_gpus(const std::vector<Gpu>& known, const std::string& list) {
  std::vector<Gpu> out;
  for (const std::string& entry : split(list, ',')) {
    if (entry.empty()) throw std::invalid_argument(fmt::format("--local.gpus '{}' has an empty entry", list));
    if (known.empty()) {
      out.push_back({entry, entry});
      continue;
    }
    const auto it = std::find_if(known.begin(), known.end(), [&](const Gpu& g) { return names(entry, g); });
    if (it == known.end()) {
      std::vector<std::string> have;
      for (const Gpu& g : known) have.push_back(fmt::format("{} ({})", g.index, g.uuid));
      throw std::invalid_argument(fmt::format(
          "--local.gpus names '{}', which is not a GPU of this machine ({})", entry, fmt::join(have, ", ")));
    }
    out.push_back(*it);
  }
  return out;
}

std::vector<int> parse_cpu_list(const std::string& text) {
  std::vector<int> cpus;
  for (const std::string& part : split(text, ',')) {
    int first = 0, last = 0;
    char extra = 0;
    if (std::sscanf(part.c_str(), "%d-%d%c", &first, &last, &extra) == 2 && first >= 0 && first <= last) {
    } else if (std::sscanf(part.c_str(), "%d%c", &first, &extra) == 1 && first >= 0) {
      last = first;
    } else {
      throw std::invalid_argument(fmt::format("'{}' is not a CPU list (e.g. 0-3,8)", text));
    }
    for (int c = first; c <= last; ++c) cpus.push_back(c);
  }
  std::sort(cpus.begin(), cpus.end());
  cpus.erase(std::unique(cpus.begin(), cpus.end()), cpus.end());
  return cpus;
}

std::string format_cpu_list(const std::vector<int>& cpus) {
  std::string out;
  for (std::size_t i = 0; i < cpus.size();) {
    std::size_t j = i;
    while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1) ++j;
    out += fmt::format("{}{}", out.empty() ? "" : ",",
                       j == i ? std::to_string(cpus[i]) : fmt::format("{}-{}", cpus[i], cpus[j]));
    i = j + 1;
  }
  return out;
}

std::vector<WorkerSlot> plan_workers(const Capacity& capacity, uint64_t jobs) {
  const uint64_t cpu_count = capacity.cpus.size();
  if (capacity.cpus_per_job > cpu_count) {
    throw std::invalid_argument(
        fmt::format("a job asks for {} CPUs and this machine has {} for jobsub ({}): lower resources.cpus, "
                    "or run it on a "
                    "cluster",
                    capacity.cpus_per_job, cpu_count, format_cpu_list(capacity.cpus)));
  }
  std::vector<Gpu> usable = capacity.gpus;
  if (capacity.gpus_per_job > 1)  // CUDA shows a process one MIG device at most
    usable.erase(std::remove_if(usable.begin(), usable.end(), [](const Gpu& g) { return g.mig; }),
                 usable.end());
  if (capacity.gpus_per_job > usable.size()) {
    const uint64_t migs = capacity.gpus.size() - usable.size();
    throw std::invalid_argument(fmt::format(
        "a job asks for {} GPUs and this machine has {}{}: lower resources.gpus, name GPUs with "
        "--local.gpus, or "
        "run it on a cluster",
        capacity.gpus_per_job, usable.size(),
        migs > 0 ? fmt::format(" whole GPUs (and {} MIG devices, of which a job gets one at most)", migs)
        : capacity.gpus.empty() ? " (nvidia-smi lists none)"
                                : ""));
  }
  uint64_t workers = capacity.max_jobs > 0 ? capacity.max_jobs : std::max<uint64_t>(1, cpu_count);
  workers = std::min(workers, jobs);
  if (capacity.cpus_per_job > 0) workers = std::min(workers, cpu_count / capacity.cpus_per_job);
  const uint64_t gpu_sets = capacity.gpus_per_job > 0 ? usable.size() / capacity.gpus_per_job : 0;
  if (capacity.gpus_per_job > 0)
    workers = std::min(workers, gpu_sets * std::max<uint64_t>(1, capacity.jobs_per_gpu));
  std::vector<WorkerSlot> slots(workers);
  for (uint64_t w = 0; w < workers; ++w) {
    if (capacity.cpus_per_job > 0) {
      const auto from = capacity.cpus.begin() + static_cast<std::ptrdiff_t>(w * capacity.cpus_per_job);
      slots[w].cpus.assign(from, from + static_cast<std::ptrdiff_t>(capacity.cpus_per_job));
    }
    if (capacity.gpus_per_job > 0) {
      // Sets in turn, so that jobs spread over the GPUs before any is shared.
      const uint64_t set = w % gpu_sets;
      for (uint64_t g = 0; g < capacity.gpus_per_job; ++g) {
        const Gpu& gpu = usable[set * capacity.gpus_per_job + g];
        slots[w].gpus.push_back(gpu.uuid);
        slots[w].gpu_indices.push_back(gpu.index);
      }
    }
  }
  return slots;
}

SlotPool::SlotPool(std::vector<int> cpus, std::vector<Gpu> gpus, uint64_t jobs_per_gpu, uint64_t max_workers)
    : free_cpus_(std::move(cpus)),
      jobs_per_gpu_(std::max<uint64_t>(1, jobs_per_gpu)),
      max_workers_(max_workers) {
  std::sort(free_cpus_.begin(), free_cpus_.end());
  for (Gpu& gpu : gpus) gpus_.push_back({std::move(gpu), 0});
}

std::optional<WorkerSlot> SlotPool::take(uint64_t cpus, uint64_t gpus) {
  if (workers_ >= max_workers_ || cpus > free_cpus_.size()) return std::nullopt;
  std::vector<std::size_t> candidates;
  for (std::size_t i = 0; i < gpus_.size(); ++i) {
    if (gpus_[i].jobs < jobs_per_gpu_ && !(gpus > 1 && gpus_[i].gpu.mig)) candidates.push_back(i);
  }
  if (gpus > candidates.size()) return std::nullopt;
  std::stable_sort(candidates.begin(), candidates.end(),
                   [&](std::size_t a, std::size_t b) { return gpus_[a].jobs < gpus_[b].jobs; });
  candidates.resize(gpus);
  std::sort(candidates.begin(), candidates.end());  // in the pool's order, as CUDA_VISIBLE_DEVICES lists them
  WorkerSlot slot;
  slot.cpus.assign(free_cpus_.begin(), free_cpus_.begin() + static_cast<std::ptrdiff_t>(cpus));
  free_cpus_.erase(free_cpus_.begin(), free_cpus_.begin() + static_cast<std::ptrdiff_t>(cpus));
  for (const std::size_t i : candidates) {
    ++gpus_[i].jobs;
    slot.gpus.push_back(gpus_[i].gpu.uuid);
    slot.gpu_indices.push_back(gpus_[i].gpu.index);
  }
  ++workers_;
  return slot;
}

void SlotPool::give_back(const WorkerSlot& slot) {
  free_cpus_.insert(free_cpus_.end(), slot.cpus.begin(), slot.cpus.end());
  std::sort(free_cpus_.begin(), free_cpus_.end());
  for (const std::string& uuid : slot.gpus) {
    for (GpuUse& use : gpus_) {
      if (use.gpu.uuid == uuid && use.jobs > 0) {
        --use.jobs;
        break;
      }
    }
  }
  if (workers_ > 0) --workers_;
}

}  // namespace jobsub::local
