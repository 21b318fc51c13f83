#include <jobsub/value.h>

#include <boost/test/unit_test.hpp>

using jobsub::ValueKind;

BOOST_AUTO_TEST_SUITE(value)

BOOST_AUTO_TEST_CASE(plain_scalars_are_classified_and_keep_their_text) {
  BOOST_TEST((jobsub::plain_value("0.0001").kind == ValueKind::Number));
  BOOST_TEST(jobsub::plain_value("0.0001").text == "0.0001");
  BOOST_TEST((jobsub::plain_value("1e-4").kind == ValueKind::Number));
  BOOST_TEST(jobsub::plain_value("1e-4").text == "1e-4");
  BOOST_TEST((jobsub::plain_value("-3").kind == ValueKind::Number));
  BOOST_TEST((jobsub::plain_value("true").kind == ValueKind::Bool));
  BOOST_TEST((jobsub::plain_value("False").kind == ValueKind::Bool));
  BOOST_TEST((jobsub::plain_value("null").kind == ValueKind::Null));
  BOOST_TEST((jobsub::plain_value("cat").kind == ValueKind::String));
  BOOST_TEST((jobsub::plain_value("1.2.3").kind == ValueKind::String));
  BOOST_TEST((jobsub::plain_value("yes").kind == ValueKind::String));  // YAML 1.2: not a bool
}

BOOST_AUTO_TEST_CASE(is_true_only_for_true_bools) {
  BOOST_TEST(jobsub::plain_value("True").is_true());
  BOOST_TEST(!jobsub::plain_value("false").is_true());
  BOOST_TEST(!jobsub::string_value("true").is_true());
}

BOOST_AUTO_TEST_SUITE_END()
