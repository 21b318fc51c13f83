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

BOOST_AUTO_TEST_CASE(numbers_mean_what_yaml_1_2_says) {
  using Kind = jobsub::Number::Kind;
  auto n = [](const char* text) { return jobsub::number_of(jobsub::plain_value(text)); };
  BOOST_TEST(n("0x10").text == "16");
  BOOST_TEST(n("0o17").text == "15");
  BOOST_TEST(n("0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF").text == "340282366920938463463374607431768211455");
  BOOST_TEST(n("123456789012345678901234567890").text == "123456789012345678901234567890");
  BOOST_TEST(n("+007").text == "7");
  BOOST_TEST(n("-0").text == "0");
  BOOST_TEST(!n("-0").negative);
  BOOST_TEST(n("-12").text == "-12");
  BOOST_TEST((n("1e3").kind == Kind::real && n("1e3").text == "1e3"));
  BOOST_TEST(n(".5").text == ".5");
  BOOST_TEST((n("-.Inf").kind == Kind::infinity && n("-.Inf").negative));
  BOOST_TEST((n(".INF").kind == Kind::infinity && !n(".INF").negative));
  BOOST_TEST((n(".NaN").kind == Kind::nan));
  BOOST_CHECK_THROW(jobsub::number_of(jobsub::plain_value("1_000")), std::invalid_argument);  // a string
}

BOOST_AUTO_TEST_SUITE_END()
