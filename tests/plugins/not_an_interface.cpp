// Must not compile: a class that implements no pipeline interface cannot be
// declared a component (tests/CMakeLists.txt checks the compiler's message).
#include <jobsub/plugin.h>

namespace {
class NotAStage {};
const jobsub_component_info kComponents[] = {
    jobsub::component<NotAStage>("nothing", "implements no interface")};
}  // namespace

JOBSUB_PLUGIN("nothing", "1.0.0", kComponents)
