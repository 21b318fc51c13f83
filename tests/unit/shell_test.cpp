#include <jobsub/process.h>
#include <jobsub/shell.h>

#include <boost/test/unit_test.hpp>

using jobsub::shell_quote;

namespace {
// What bash reads back from a quoted word: the exact bytes, as one word.
std::string bash_echo(const std::string& quoted) {
  const auto result = jobsub::run_process({"bash", "-c", "printf '%s' " + quoted});
  BOOST_REQUIRE_EQUAL(result.exit_code, 0);
  return result.out;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(shell)

BOOST_AUTO_TEST_CASE(plain_words_stay_unquoted) {
  BOOST_TEST(shell_quote("main.py") == "main.py");
  BOOST_TEST(shell_quote("/a/b-c_d:1@x%y+z,w") == "/a/b-c_d:1@x%y+z,w");
}

BOOST_AUTO_TEST_CASE(assignments_are_quoted_like_the_reference_script) {
  BOOST_TEST(shell_quote("lr=0.001") == "'lr=0.001'");
}

BOOST_AUTO_TEST_CASE(empty_and_quote_characters) {
  BOOST_TEST(shell_quote("") == "''");
  BOOST_TEST(shell_quote("it's") == "'it'\\''s'");
}

BOOST_AUTO_TEST_CASE(control_characters_use_ansi_c_quoting_and_stay_on_one_line) {
  const std::string quoted = shell_quote("a\nb\tc\x01");
  BOOST_TEST(quoted == "$'a\\nb\\tc\\x01'");
  BOOST_TEST(quoted.find('\n') == std::string::npos);
}

BOOST_AUTO_TEST_CASE(bash_reads_back_exactly_the_bytes) {
  const std::vector<std::string> words = {
      "with space", "it's",        "\"double\"", "$HOME",         "`id`",  "$(id)",        "a;b",
      "*",          "?",           "~",          "-rf",           "--x=1", "line1\nline2", "tab\there",
      "ünïcødé ✓",  "back\\slash", "!bang",      "a'b\"c$d`e\\f", "{a,b}", "#hash",        ""};
  for (const std::string& word : words) {
    BOOST_TEST(bash_echo(shell_quote(word)) == word, "word: " << word);
  }
}

BOOST_AUTO_TEST_CASE(join_quotes_each_word) {
  BOOST_TEST(jobsub::shell_join({"with", "lr=0.1", "a b"}) == "with 'lr=0.1' 'a b'");
}

BOOST_AUTO_TEST_SUITE_END()
