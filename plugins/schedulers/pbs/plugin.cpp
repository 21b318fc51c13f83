#include <jobsub/plugin.h>

#include "pbs.h"

namespace {

const jobsub_component_info kComponents[] = {
    jobsub::component<jobsub::pbs::PbsScheduler>(
        "pbs", "PBS Pro / OpenPBS (-J arrays) and Torque (-t arrays)", jobsub::pbs::kOptions),
};

}  // namespace

JOBSUB_PLUGIN("pbs", "1.0.0", kComponents)
