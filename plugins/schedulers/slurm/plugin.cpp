#include <jobsub/plugin.h>

#include "slurm.h"

namespace {

const jobsub_component_info kComponents[] = {
    jobsub::component<jobsub::slurm::SlurmScheduler>("slurm", "Slurm: sbatch arrays, chunked to MaxArraySize",
                                                     jobsub::slurm::kOptions),
};

}  // namespace

JOBSUB_PLUGIN("slurm", "1.0.0", kComponents)
