#include <jobsub/text.h>

#include <boost/test/unit_test.hpp>

BOOST_AUTO_TEST_SUITE(text)

BOOST_AUTO_TEST_CASE(edit_distance_counts_single_edits) {
  BOOST_TEST(jobsub::edit_distance("sacred", "sacred") == 0u);
  BOOST_TEST(jobsub::edit_distance("sacrd", "sacred") == 1u);
  BOOST_TEST(jobsub::edit_distance("", "abc") == 3u);
}

BOOST_AUTO_TEST_CASE(suggests_only_plausible_typos) {
  const std::vector<std::string> names = {"argparse", "hydra", "sacred"};
  BOOST_TEST(jobsub::did_you_mean("scared", names) == " (did you mean 'sacred'?)");
  BOOST_TEST(jobsub::did_you_mean("hyrda", names) == " (did you mean 'hydra'?)");
  BOOST_TEST(jobsub::did_you_mean("tensorflow", names).empty());
}

BOOST_AUTO_TEST_CASE(suggests_the_one_candidate_a_word_begins) {
  const std::vector<std::string> options = {"--dry-run", "--max-jobs", "--max-running"};
  BOOST_TEST(jobsub::did_you_mean("--dry", options) == " (did you mean '--dry-run'?)");
  BOOST_TEST(jobsub::did_you_mean("--max-", options).empty());  // the start of two: no guess
  BOOST_TEST(jobsub::did_you_mean("--", options).empty());      // too short to mean anything
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(text)

BOOST_AUTO_TEST_CASE(trim_removes_surrounding_whitespace_only) {
  BOOST_TEST(jobsub::trim(" \t a b \r\n") == "a b");
  BOOST_TEST(jobsub::trim(" \n ").empty());
}

BOOST_AUTO_TEST_SUITE_END()
