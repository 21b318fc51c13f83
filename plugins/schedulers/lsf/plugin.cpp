#include <jobsub/plugin.h>

#include "lsf.h"

namespace {

const jobsub_component_info kComponents[] = {
    jobsub::component<jobsub::lsf::LsfScheduler>("lsf", "IBM Spectrum LSF: bsub -J name[1-n] arrays",
                                                 jobsub::lsf::kOptions),
};

}  // namespace

JOBSUB_PLUGIN("lsf", "1.0.0", kComponents)
