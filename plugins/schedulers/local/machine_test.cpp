// The local scheduler's machine model without a GPU: nvidia-smi's output as
// its documentation shows it (a MIG listing, CUDA_VISIBLE_DEVICES by index
// and UUID prefix), CPU lists as /sys and taskset write them, and how a
// batch's jobs are spread over the CPUs and GPUs so that none is given to
// more jobs than allowed.
#include "machine.h"

#include <boost/test/unit_test.hpp>
#include <map>
#include <stdexcept>

using jobsub::local::Capacity;
using jobsub::local::Gpu;

namespace {

const char* const kQuery =
    "0, GPU-5d5ba0d6-d33d-2b2c-524d-9e3d8d2b8a77\n"
    "1, GPU-a1b2c3d4-0000-1111-2222-333344445555\n"
    "2, GPU-ffffffff-eeee-dddd-cccc-bbbbaaaa9999\n";

// `nvidia-smi -L` with GPU 1 split into two MIG devices.
const char* const kList =
    "GPU 0: NVIDIA A100-SXM4-40GB (UUID: GPU-5d5ba0d6-d33d-2b2c-524d-9e3d8d2b8a77)\n"
    "GPU 1: NVIDIA A100-SXM4-40GB (UUID: GPU-a1b2c3d4-0000-1111-2222-333344445555)\n"
    "  MIG 3g.20gb     Device  0: (UUID: MIG-c7384736-a75d-5afc-978f-d2f1294409fd)\n"
    "  MIG 3g.20gb     Device  1: (UUID: MIG-a28ad590-3fda-56dd-84fc-0a0b96edc58d)\n"
    "GPU 2: NVIDIA A100-SXM4-40GB (UUID: GPU-ffffffff-eeee-dddd-cccc-bbbbaaaa9999)\n";

std::vector<std::string> uuids(const std::vector<Gpu>& gpus) {
  std::vector<std::string> out;
  for (const Gpu& g : gpus) out.push_back(g.uuid);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(local_machine)

BOOST_AUTO_TEST_CASE(nvidia_smi_query_rows_are_read_and_a_bad_row_is_refused) {
  const std::vector<Gpu> gpus = jobsub::local::parse_query_gpu(kQuery);
  BOOST_REQUIRE_EQUAL(gpus.size(), 3u);
  BOOST_TEST(gpus[1].index == "1");
  BOOST_TEST(gpus[1].uuid == "GPU-a1b2c3d4-0000-1111-2222-333344445555");
  BOOST_TEST(jobsub::local::parse_query_gpu("").empty());
  BOOST_CHECK_THROW(jobsub::local::parse_query_gpu("No devices were found\n"), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(a_mig_split_gpu_becomes_its_devices) {
  const std::vector<Gpu> gpus =
      jobsub::local::split_mig_devices(jobsub::local::parse_query_gpu(kQuery), kList);
  BOOST_TEST(uuids(gpus) ==
                 (std::vector<std::string>{
                     "GPU-5d5ba0d6-d33d-2b2c-524d-9e3d8d2b8a77", "MIG-c7384736-a75d-5afc-978f-d2f1294409fd",
                     "MIG-a28ad590-3fda-56dd-84fc-0a0b96edc58d", "GPU-ffffffff-eeee-dddd-cccc-bbbbaaaa9999"}),
             boost::test_tools::per_element());
  BOOST_TEST(gpus[1].mig);
  BOOST_TEST(gpus[1].index == "1:0");
  BOOST_TEST(gpus[2].parent_uuid == "GPU-a1b2c3d4-0000-1111-2222-333344445555");
  BOOST_TEST(!gpus[3].mig);
}

BOOST_AUTO_TEST_CASE(cuda_visible_devices_restricts_by_index_uuid_prefix_and_stops_at_a_bad_entry) {
  const std::vector<Gpu> all =
      jobsub::local::split_mig_devices(jobsub::local::parse_query_gpu(kQuery), kList);
  BOOST_TEST(uuids(jobsub::local::visible_gpus(all, "2,0")) ==
                 (std::vector<std::string>{"GPU-ffffffff-eeee-dddd-cccc-bbbbaaaa9999",
                                           "GPU-5d5ba0d6-d33d-2b2c-524d-9e3d8d2b8a77"}),
             boost::test_tools::per_element());
  BOOST_TEST(uuids(jobsub::local::visible_gpus(all, "GPU-ffff")) ==
                 (std::vector<std::string>{"GPU-ffffffff-eeee-dddd-cccc-bbbbaaaa9999"}),
             boost::test_tools::per_element());
  // GPU 1 named: both of its MIG devices.
  BOOST_TEST(jobsub::local::visible_gpus(all, "1").size() == 2u);
  BOOST_TEST(uuids(jobsub::local::visible_gpus(all, "MIG-a28ad590-3fda-56dd-84fc-0a0b96edc58d")) ==
                 (std::vector<std::string>{"MIG-a28ad590-3fda-56dd-84fc-0a0b96edc58d"}),
             boost::test_tools::per_element());
  // CUDA ignores everything from the first entry it cannot read.
  BOOST_TEST(jobsub::local::visible_gpus(all, "0,7,2").size() == 1u);
  BOOST_TEST(jobsub::local::visible_gpus(all, "").empty());
  BOOST_TEST(jobsub::local::visible_gpus(all, "-1").empty());
}

BOOST_AUTO_TEST_CASE(local_gpus_picks_known_gpus_or_takes_entries_as_given_without_nvidia_smi) {
  const std::vector<Gpu> all = jobsub::local::parse_query_gpu(kQuery);
  BOOST_TEST(uuids(jobsub::local::chosen_gpus(all, "2, 0")) ==
                 (std::vector<std::string>{"GPU-ffffffff-eeee-dddd-cccc-bbbbaaaa9999",
                                           "GPU-5d5ba0d6-d33d-2b2c-524d-9e3d8d2b8a77"}),
             boost::test_tools::per_element());
  BOOST_CHECK_EXCEPTION(
      jobsub::local::chosen_gpus(all, "0,5"), std::invalid_argument, [](const std::invalid_argument& e) {
        return std::string(e.what()).find("'5', which is not a GPU of this machine") != std::string::npos;
      });
  BOOST_TEST(uuids(jobsub::local::chosen_gpus({}, "0,3")) == (std::vector<std::string>{"0", "3"}),
             boost::test_tools::per_element());
  BOOST_CHECK_THROW(jobsub::local::chosen_gpus(all, "0,,1"), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(cpu_lists_read_and_write_as_linux_writes_them) {
  BOOST_TEST(jobsub::local::parse_cpu_list("0-3,8,10-11") == (std::vector<int>{0, 1, 2, 3, 8, 10, 11}),
             boost::test_tools::per_element());
  BOOST_TEST(jobsub::local::format_cpu_list({0, 1, 2, 3, 8, 10, 11}) == "0-3,8,10-11");
  BOOST_TEST(jobsub::local::format_cpu_list({5}) == "5");
  BOOST_CHECK_THROW(jobsub::local::parse_cpu_list("3-1"), std::invalid_argument);
  BOOST_CHECK_THROW(jobsub::local::parse_cpu_list("a"), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(workers_take_cpus_of_their_own_and_never_more_than_the_machine_has) {
  Capacity c;
  c.cpus = {0, 1, 2, 3, 4, 5, 6, 7};
  c.cpus_per_job = 3;
  const auto slots = jobsub::local::plan_workers(c, 100);
  BOOST_REQUIRE_EQUAL(slots.size(), 2u);  // 8 CPUs hold two 3-CPU jobs
  BOOST_TEST(slots[0].cpus == (std::vector<int>{0, 1, 2}), boost::test_tools::per_element());
  BOOST_TEST(slots[1].cpus == (std::vector<int>{3, 4, 5}), boost::test_tools::per_element());
  c.max_jobs = 1;  // -j 1
  BOOST_TEST(jobsub::local::plan_workers(c, 100).size() == 1u);
  c.max_jobs = 0;
  BOOST_TEST(jobsub::local::plan_workers(c, 1).size() == 1u);  // one job: one worker
  c.cpus_per_job = 0;                                          // not asked: one per CPU, not pinned
  const auto unpinned = jobsub::local::plan_workers(c, 100);
  BOOST_TEST(unpinned.size() == 8u);
  BOOST_TEST(unpinned[0].cpus.empty());
  c.cpus_per_job = 9;
  BOOST_CHECK_EXCEPTION(
      jobsub::local::plan_workers(c, 1), std::invalid_argument, [](const std::invalid_argument& e) {
        return std::string(e.what()).find("asks for 9 CPUs and this machine has 8 for jobsub (0-7)") !=
               std::string::npos;
      });
}

BOOST_AUTO_TEST_CASE(gpus_go_in_disjoint_sets_shared_by_at_most_jobs_per_gpu_workers) {
  Capacity c;
  c.cpus = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
  c.gpus = jobsub::local::parse_query_gpu(kQuery);  // 3 whole GPUs
  c.gpus_per_job = 1;
  BOOST_TEST(jobsub::local::plan_workers(c, 10).size() == 3u);
  c.jobs_per_gpu = 2;
  const auto shared = jobsub::local::plan_workers(c, 10);
  BOOST_REQUIRE_EQUAL(shared.size(), 6u);
  std::map<std::string, int> users;
  for (const auto& slot : shared)
    for (const auto& g : slot.gpus) ++users[g];
  BOOST_TEST(users.size() == 3u);
  for (const auto& [gpu, n] : users) BOOST_TEST(n == 2, gpu);
  BOOST_TEST(shared[0].gpus != shared[1].gpus);  // spread before shared
  c.jobs_per_gpu = 1;
  c.gpus_per_job = 2;  // one set of two; the third GPU cannot make a pair
  const auto pairs = jobsub::local::plan_workers(c, 10);
  BOOST_REQUIRE_EQUAL(pairs.size(), 1u);
  BOOST_TEST(pairs[0].gpu_indices == (std::vector<std::string>{"0", "1"}), boost::test_tools::per_element());
  c.gpus_per_job = 4;
  BOOST_CHECK_EXCEPTION(
      jobsub::local::plan_workers(c, 1), std::invalid_argument, [](const std::invalid_argument& e) {
        return std::string(e.what()).find("asks for 4 GPUs and this machine has 3") != std::string::npos;
      });
  c.gpus = {};
  c.gpus_per_job = 1;
  BOOST_CHECK_EXCEPTION(
      jobsub::local::plan_workers(c, 1), std::invalid_argument, [](const std::invalid_argument& e) {
        return std::string(e.what()).find("has 0 (nvidia-smi lists none)") != std::string::npos;
      });
}

BOOST_AUTO_TEST_CASE(a_job_gets_one_mig_device_at_most) {
  Capacity c;
  c.cpus = {0, 1, 2, 3};
  c.gpus = jobsub::local::split_mig_devices(jobsub::local::parse_query_gpu(kQuery), kList);  // 2 GPUs + 2 MIG
  c.gpus_per_job = 1;
  BOOST_TEST(jobsub::local::plan_workers(c, 10).size() == 4u);
  c.gpus_per_job = 2;  // only the two whole GPUs make a pair
  const auto pairs = jobsub::local::plan_workers(c, 10);
  BOOST_REQUIRE_EQUAL(pairs.size(), 1u);
  BOOST_TEST(pairs[0].gpu_indices == (std::vector<std::string>{"0", "2"}), boost::test_tools::per_element());
  c.gpus_per_job = 3;
  BOOST_CHECK_EXCEPTION(
      jobsub::local::plan_workers(c, 1), std::invalid_argument, [](const std::invalid_argument& e) {
        return std::string(e.what()).find(
                   "2 whole GPUs (and 2 MIG devices, of which a job gets one at most)") != std::string::npos;
      });
}

BOOST_AUTO_TEST_CASE(a_pool_gives_cpus_to_one_worker_at_a_time_and_takes_them_back) {
  jobsub::local::SlotPool pool({3, 0, 1, 2}, {}, 1, 8);
  const auto two = pool.take(2, 0);
  BOOST_REQUIRE(two);
  BOOST_TEST(two->cpus == (std::vector<int>{0, 1}), boost::test_tools::per_element());
  const auto one = pool.take(1, 0);
  BOOST_REQUIRE(one);
  BOOST_TEST(one->cpus == (std::vector<int>{2}), boost::test_tools::per_element());
  BOOST_TEST(!pool.take(2, 0));             // one CPU left: a 2-CPU job waits
  BOOST_TEST(pool.take(0, 0).has_value());  // one asking no CPUs is not pinned and takes none
  pool.give_back(*two);
  const auto again = pool.take(2, 0);
  BOOST_REQUIRE(again);
  BOOST_TEST(again->cpus == (std::vector<int>{0, 1}), boost::test_tools::per_element());
  BOOST_TEST(pool.workers() == 3u);
}

BOOST_AUTO_TEST_CASE(a_pool_holds_minus_j_workers_at_most) {
  jobsub::local::SlotPool pool({0, 1, 2, 3}, {}, 1, 2);
  const auto a = pool.take(1, 0);
  BOOST_REQUIRE(a);
  BOOST_REQUIRE(pool.take(1, 0));
  BOOST_TEST(!pool.take(1, 0));  // two CPUs free, but -j 2 workers hold slots
  pool.give_back(*a);
  BOOST_TEST(pool.take(1, 0).has_value());
}

BOOST_AUTO_TEST_CASE(a_pool_never_gives_a_gpu_to_more_than_jobs_per_gpu_workers) {
  const std::vector<Gpu> gpus = jobsub::local::parse_query_gpu(kQuery);  // 3 GPUs
  jobsub::local::SlotPool pool({0, 1, 2, 3, 4, 5, 6, 7}, gpus, 2, 16);
  std::map<std::string, int> holders;
  std::vector<jobsub::local::WorkerSlot> taken;
  // Jobs of 2 GPUs and of 1, as two batches' workers would ask, until nothing fits.
  for (int round = 0; round < 10; ++round) {
    auto slot = pool.take(0, round % 2 == 0 ? 2 : 1);
    if (!slot) continue;
    for (const std::string& uuid : slot->gpus) ++holders[uuid];
    taken.push_back(*slot);
  }
  for (const auto& [uuid, n] : holders) BOOST_TEST(n <= 2, uuid << " held by " << n);
  BOOST_TEST(holders.size() == 3u);  // spread over all three
  BOOST_TEST(!pool.take(0, 1));      // each GPU has its two jobs
  pool.give_back(taken.front());
  const auto after = pool.take(0, 2);
  BOOST_REQUIRE(after);
  BOOST_TEST(after->gpus == taken.front().gpus, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_pool_spreads_jobs_over_the_gpus_and_gives_a_mig_device_to_single_gpu_jobs_only) {
  const std::vector<Gpu> gpus =
      jobsub::local::split_mig_devices(jobsub::local::parse_query_gpu(kQuery), kList);  // 2 GPUs + 2 MIG
  jobsub::local::SlotPool pool({0, 1, 2, 3}, gpus, 1, 8);
  const auto pair = pool.take(0, 2);
  BOOST_REQUIRE(pair);
  BOOST_TEST(pair->gpu_indices == (std::vector<std::string>{"0", "2"}), boost::test_tools::per_element());
  BOOST_TEST(!pool.take(0, 2));  // only MIG devices are left
  const auto mig = pool.take(0, 1);
  BOOST_REQUIRE(mig);
  BOOST_TEST(mig->gpu_indices == (std::vector<std::string>{"1:0"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()
