#include <jobsub/value.h>
#include <cstdint>
#include <stdexcept>

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

BOOST_AUTO_TEST_CASE(ranges_are_python_ranges_and_never_expanded) {
  // len(range(...)) and its last value, as Python computes them.
  BOOST_TEST(jobsub::make_range(0, 10, 3).count == 4u);   // 0 3 6 9
  BOOST_TEST(jobsub::make_range(5, -5, -4).count == 3u);  // 5 1 -3
  BOOST_TEST(jobsub::make_range(0, 0, 1).count == 0u);
  BOOST_TEST(jobsub::make_range(3, 0, 1).count == 0u);
  const jobsub::IntRange whole = jobsub::make_range(INT64_MIN, INT64_MAX, 1);
  BOOST_TEST(whole.count == UINT64_MAX);
  BOOST_TEST(whole.at(whole.count - 1) == INT64_MAX - 1);
  const jobsub::IntRange down = jobsub::make_range(INT64_MAX, INT64_MIN, INT64_MIN);
  BOOST_TEST(down.count == 2u);  // INT64_MAX, -1
  BOOST_TEST(down.at(1) == -1);

  jobsub::ValueList list;
  list.push_back(jobsub::string_value("a,b"));
  list.append(jobsub::make_range(0, 1'000'000'000'000, 1));
  list.push_back(jobsub::plain_value("7"));
  BOOST_TEST(list.size() == 1'000'000'000'002u);
  BOOST_TEST(list.segments().size() == 3u);  // three segments, not 10^12 values
  BOOST_TEST(list[0].text == "a,b");
  BOOST_TEST(list[1].text == "0");
  BOOST_TEST(list[999'999'999'999].text == "999999999998");
  BOOST_TEST((list[1'000'000'000'000].kind == ValueKind::Number));
  BOOST_TEST(list[1'000'000'000'001].text == "7");
  BOOST_CHECK_THROW(list[1'000'000'000'002], std::out_of_range);
  BOOST_TEST(jobsub::display_list(list) == "['a,b', range(0,1000000000000), 7]");
}

BOOST_AUTO_TEST_CASE(display_value_reads_back_as_the_same_kind) {
  BOOST_TEST(jobsub::display_value(jobsub::plain_value("0.01")) == "0.01");
  BOOST_TEST(jobsub::display_value(jobsub::plain_value("true")) == "true");
  BOOST_TEST(jobsub::display_value(jobsub::string_value("tvo")) == "tvo");
  BOOST_TEST(jobsub::display_value(jobsub::string_value("1")) == "'1'");  // a string, not a number
  BOOST_TEST(jobsub::display_value(jobsub::string_value("null")) == "'null'");
  BOOST_TEST(jobsub::display_value(jobsub::string_value("it's")) == "'it''s'");
  BOOST_TEST(jobsub::display_value(jobsub::string_value("")) == "''");
  BOOST_TEST(jobsub::display_value(jobsub::string_value("a\tb\n")) == "\"a\\tb\\n\"");
}

BOOST_AUTO_TEST_SUITE_END()
