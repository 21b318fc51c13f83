#include <jobsub/plugin.h>

#include "sge.h"

namespace {

const jobsub_component_info kComponents[] = {
    jobsub::component<jobsub::sge::SgeScheduler>(
        "sge", "Grid Engine: qsub -t arrays, chunked to max_aj_tasks", jobsub::sge::kOptions),
};

}  // namespace

JOBSUB_PLUGIN("sge", "1.0.0", kComponents)
