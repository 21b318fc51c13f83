#include <jobsub/tracker.h>

#include <boost/test/unit_test.hpp>

BOOST_AUTO_TEST_SUITE(tracker)

BOOST_AUTO_TEST_CASE(native_ids_come_back_exactly_as_set) {
  jobsub::NativeIdTable ids(8);
  const std::vector<std::string> given = {"4711_1", "4711_2",  "local-12-batch-1_3", "4712",
                                          "",       "job_007", "id;cluster",         "4711_99999999999"};
  for (std::size_t i = 0; i < given.size(); ++i) ids.set(i + 1, given[i]);
  for (std::size_t i = 0; i < given.size(); ++i) BOOST_TEST(ids.get(i + 1) == given[i]);
  ids.set(6, "4711_6");  // a resubmitted job gets a new id
  BOOST_TEST(ids.get(6) == "4711_6");
  ids.set(1, "x");
  BOOST_TEST(ids.get(1) == "x");
}

BOOST_AUTO_TEST_CASE(states_read_back_from_their_names) {
  for (int s = 0; s <= static_cast<int>(jobsub::JobState::not_submitted); ++s) {
    const auto state = static_cast<jobsub::JobState>(s);
    BOOST_TEST((jobsub::job_state_from_string(jobsub::to_string(state)) == state));
  }
  BOOST_TEST(jobsub::is_final(jobsub::JobState::lost));
  BOOST_TEST(!jobsub::is_final(jobsub::JobState::not_submitted));
  BOOST_TEST(!jobsub::is_final(jobsub::JobState::running));
}

BOOST_AUTO_TEST_SUITE_END()
