// The batch-scheduler base's planning and token helpers.
#include <jobsub/batch_scheduler.h>

#include <boost/test/unit_test.hpp>

using jobsub::batch::ArrayIds;
using jobsub::batch::plan_chunks;

BOOST_AUTO_TEST_SUITE(batch_scheduler)

BOOST_AUTO_TEST_CASE(contiguous_arrays_are_cut_at_the_limit) {
  const auto chunks = plan_chunks({{1, 144}}, true, ArrayIds::contiguous, 100, false);
  BOOST_REQUIRE_EQUAL(chunks.size(), 2u);
  BOOST_TEST(chunks[0].offset == 0u);
  BOOST_TEST(chunks[0].tasks() == 100u);
  BOOST_TEST(chunks[1].offset == 100u);
  BOOST_TEST(chunks[1].tasks() == 44u);
  // A resubmit of jobs 2 and 4: one array each, or a plain job each where a
  // scheduler's array needs two indices (PBS Pro).
  const auto scattered = plan_chunks({{2, 2}, {4, 4}}, true, ArrayIds::contiguous, 100, false);
  BOOST_REQUIRE_EQUAL(scattered.size(), 2u);
  BOOST_TEST(scattered[1].offset == 3u);
  BOOST_TEST(scattered[1].array);
  const auto plain = plan_chunks({{2, 2}, {4, 4}}, true, ArrayIds::contiguous, 100, true);
  BOOST_TEST(!plain[1].array);
  BOOST_TEST(plain[1].offset == 4u);  // a plain job's offset is its number
}

BOOST_AUTO_TEST_CASE(ranged_arrays_take_every_job_within_the_limits_span) {
  const auto chunks = plan_chunks({{2, 2}, {4, 9}, {300, 310}}, true, ArrayIds::ranges, 100, false);
  BOOST_REQUIRE_EQUAL(chunks.size(), 2u);
  BOOST_TEST(jobsub::format_task_ranges(chunks[0].ids) == "1,3-8");  // offset 1: jobs 2, 4-9
  BOOST_TEST(chunks[0].offset == 1u);
  BOOST_TEST(chunks[1].offset == 299u);
  BOOST_TEST(jobsub::format_task_ranges(chunks[1].ids) == "1-11");
}

BOOST_AUTO_TEST_CASE(without_arrays_each_job_is_its_own_call) {
  const auto chunks = plan_chunks({{5, 7}}, false, ArrayIds::ranges, 100, false);
  BOOST_REQUIRE_EQUAL(chunks.size(), 3u);
  BOOST_TEST(chunks[2].offset == 7u);
  BOOST_TEST(!chunks[2].array);
}

// Issue 19, 4: `-j N` holds for the whole sweep, not per submit call.
BOOST_AUTO_TEST_CASE(the_cap_on_running_jobs_holds_across_the_chunks) {
  // The cap covers the chunks: split over them.
  auto split = plan_chunks({{1, 10}}, true, ArrayIds::contiguous, 3, false);  // 3+3+3+1
  jobsub::batch::throttle_chunks(split, 5);
  BOOST_REQUIRE_EQUAL(split.size(), 4u);
  uint64_t total = 0;
  for (const auto& c : split) {
    total += c.max_running;
    BOOST_TEST(!c.after);
    BOOST_TEST(c.max_running >= 1u);
  }
  BOOST_TEST(total == 5u);
  // Fewer slots than chunks: lanes, one chunk at a time each.
  auto chained = plan_chunks({{1, 6}}, true, ArrayIds::contiguous, 2, false);  // 3 chunks
  jobsub::batch::throttle_chunks(chained, 1);
  BOOST_TEST(chained[0].max_running == 1u);
  BOOST_TEST(!chained[0].after);
  BOOST_TEST(*chained[1].after == 0u);
  BOOST_TEST(*chained[2].after == 1u);
  // Without arrays: N lanes of single jobs.
  auto jobs = plan_chunks({{1, 5}}, false, ArrayIds::contiguous, 100, false);
  jobsub::batch::throttle_chunks(jobs, 2);
  BOOST_TEST(!jobs[0].after);
  BOOST_TEST(!jobs[1].after);
  BOOST_TEST(*jobs[2].after == 0u);
  BOOST_TEST(*jobs[3].after == 1u);
  BOOST_TEST(*jobs[4].after == 2u);
  // One chunk: the cap is its throttle; no cap: nothing changes.
  auto one = plan_chunks({{1, 5}}, true, ArrayIds::contiguous, 100, false);
  jobsub::batch::throttle_chunks(one, 2);
  BOOST_TEST(one[0].max_running == 2u);
  jobsub::batch::throttle_chunks(jobs, 0);
  BOOST_TEST(jobs[4].after.has_value());
}

BOOST_AUTO_TEST_CASE(the_token_and_offset_are_read_from_a_tag) {
  BOOST_TEST(*jobsub::batch::offset_in_tag("jobsub=jobsub-0123456789abcdef:35", "jobsub-0123456789abcdef") ==
             35u);
  BOOST_TEST(*jobsub::batch::offset_in_tag("JOBSUB_OFFSET=3,JOBSUB_TOKEN=jobsub-ab:3,", "jobsub-ab") == 3u);
  BOOST_TEST(!jobsub::batch::offset_in_tag("(null)", "jobsub-ab"));
  BOOST_TEST(!jobsub::batch::offset_in_tag("jobsub-ab:", "jobsub-ab"));
  BOOST_TEST(!jobsub::batch::offset_in_tag("jobsub-ab:3", ""));
}

BOOST_AUTO_TEST_SUITE_END()
