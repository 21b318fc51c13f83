#pragma once
// The local scheduler's view of this machine as a one-node cluster: its CPUs
// (jobsub's own affinity mask, so it is right under `taskset` or inside a
// Slurm allocation), its GPUs (as `nvidia-smi` lists them, MIG devices by
// their UUIDs), and how a batch's jobs share them: each job runs in a worker
// of its own CPUs and GPUs, so no CPU or GPU is given to more jobs than
// allowed. Pure functions over text and numbers, so that every rule is tested
// without a GPU (plugins/schedulers/local/machine_test.cpp).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace jobsub::local {

/// A GPU a job can be given: a whole GPU, or one MIG device of one.
struct Gpu {
  std::string index;  ///< nvidia-smi's index (`0`); a MIG device's is `0:1` (GPU 0, device 1)
  std::string uuid;   ///< `GPU-...` or `MIG-...`; what CUDA_VISIBLE_DEVICES is given
  bool mig = false;
  std::string parent_uuid{};  ///< a MIG device's GPU
};

/// The rows of `nvidia-smi --query-gpu=index,uuid --format=csv,noheader`
/// (`0, GPU-5d5b...`). Throws std::runtime_error on a row that is not two fields.
std::vector<Gpu> parse_query_gpu(const std::string& text);

/// `gpus` with each GPU that `nvidia-smi -L` shows split into MIG devices
/// replaced by those devices (`  MIG 1g.5gb Device 0: (UUID: MIG-...)` under
/// `GPU 0: ... (UUID: GPU-...)`), in the listing's order.
std::vector<Gpu> split_mig_devices(const std::vector<Gpu>& gpus, const std::string& list_text);

/// The GPUs a CUDA program started with `visible` as CUDA_VISIBLE_DEVICES
/// could use, of `gpus`: entries are indices or UUIDs (a UUID may be given by
/// a prefix, as CUDA accepts); a MIG device stays when it or its GPU is named.
/// CUDA stops at the first entry it cannot read, and so does this.
std::vector<Gpu> visible_gpus(const std::vector<Gpu>& gpus, const std::string& visible);

/// `--local.gpus 0,2,3` (indices or UUIDs) as GPUs of `known`; with nothing
/// known (no nvidia-smi), each entry is taken as given. Throws
/// std::invalid_argument naming an entry that is not a GPU of `known`.
std::vector<Gpu> chosen_gpus(const std::vector<Gpu>& known, const std::string& list);

/// The CPUs in a Linux CPU list (`0-3,8,10-11`, as in /sys and `taskset -c`).
/// Throws std::invalid_argument otherwise.
std::vector<int> parse_cpu_list(const std::string& text);
/// `0-3,8`: the inverse of parse_cpu_list, for messages.
std::string format_cpu_list(const std::vector<int>& cpus);

/// What each of a batch's jobs asks for, and what the machine has.
struct Capacity {
  uint64_t max_jobs = 0;      ///< -j: jobs at a time (0: one per CPU)
  std::vector<int> cpus;      ///< the CPUs jobs may use
  uint64_t cpus_per_job = 0;  ///< `resources.cpus`; 0: not asked (jobs are not pinned)
  std::vector<Gpu> gpus;      ///< the GPUs jobs may use
  uint64_t gpus_per_job = 0;  ///< `resources.gpus`
  uint64_t jobs_per_gpu = 1;  ///< --local.jobs-per-gpu
};

/// The CPUs and GPUs of one worker: every job it runs has them.
struct WorkerSlot {
  std::vector<int> cpus;          ///< empty: not pinned
  std::vector<std::string> gpus;  ///< UUIDs for CUDA_VISIBLE_DEVICES
  std::vector<std::string> gpu_indices;
};

/// The workers that run `jobs` jobs at once: at most -j, one per job, and as
/// many as the CPUs and GPUs hold. A worker takes `cpus_per_job` CPUs of its
/// own; GPUs go in disjoint sets of `gpus_per_job`, each set shared by at most
/// `jobs_per_gpu` workers. Throws std::invalid_argument, saying what the
/// machine has, when one job asks more than it (the job could never run), or
/// more than one MIG device (CUDA gives a process one).
std::vector<WorkerSlot> plan_workers(const Capacity& capacity, uint64_t jobs);

/// The machine's CPUs and GPUs as one pool shared by the workers of every
/// batch a run holds (a sweep's resource groups run at once): a worker takes
/// the CPUs and GPUs its batch's jobs ask for while they are free, and gives
/// them back once its processes are gone. No CPU is held by two workers, no
/// GPU by more than `jobs_per_gpu`, and at most `max_workers` (-j) workers
/// hold slots at once. Workers whose jobs ask no CPUs are not pinned and take
/// none (only -j bounds them), as on a single batch.
class SlotPool {
 public:
  SlotPool(std::vector<int> cpus, std::vector<Gpu> gpus, uint64_t jobs_per_gpu, uint64_t max_workers);
  /// A slot of `cpus` CPUs and `gpus` GPUs (whole GPUs when more than one)
  /// now free, taken: the lowest free CPUs, the least shared GPUs (in the
  /// pool's order among equals, so jobs spread over the GPUs before any is
  /// shared). Nothing when they are not free now, or -j workers hold slots.
  std::optional<WorkerSlot> take(uint64_t cpus, uint64_t gpus);
  /// Gives back a slot take() gave.
  void give_back(const WorkerSlot& slot);
  /// Workers holding a slot now.
  uint64_t workers() const { return workers_; }

 private:
  struct GpuUse {
    Gpu gpu;
    uint64_t jobs = 0;
  };
  std::vector<int> free_cpus_;  ///< ascending
  std::vector<GpuUse> gpus_;
  uint64_t jobs_per_gpu_;
  uint64_t max_workers_;
  uint64_t workers_ = 0;
};

}  // namespace jobsub::local
