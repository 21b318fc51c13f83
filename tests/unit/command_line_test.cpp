// One command-line parser for every command: declared options, the global
// options declared once, help from the declarations.
#include <jobsub/command_line.h>
#include <jobsub/errors.h>

#include <boost/test/unit_test.hpp>

namespace {

/// The message and exit code parse() fails with, or "parsed".
std::string refusal(jobsub::CommandLine& cl, const std::vector<std::string>& args,
                    std::size_t max_words = 9) {
  try {
    cl.parse(args, max_words);
    return "parsed";
  } catch (const jobsub::Error& e) {
    BOOST_TEST((e.code() == jobsub::ExitCode::usage));
    return e.what();
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(command_line)

BOOST_AUTO_TEST_CASE(options_words_and_globals_in_any_order) {
  jobsub::CommandLine cl("status", "[SWEEP]", "what", "0");
  cl.options()("watch", "refresh");
  cl.takes(jobsub::Global::spec).takes(jobsub::Global::poll);
  BOOST_REQUIRE(cl.parse({"--poll=2.5", "sweep-a", "--watch", "--spec", "/e/x/jobsub.yaml"}, 1));
  BOOST_TEST(cl.given("watch"));
  BOOST_TEST(cl.poll() == 2.5);
  BOOST_TEST(cl.experiment() == std::filesystem::path("/e/x"));
  BOOST_TEST((cl.words() == std::vector<std::string>{"sweep-a"}));
}

BOOST_AUTO_TEST_CASE(defaults_when_a_global_is_not_given) {
  jobsub::CommandLine cl("status", "[SWEEP]", "what", "0");
  cl.takes(jobsub::Global::spec).takes(jobsub::Global::poll);
  BOOST_REQUIRE(cl.parse({}));
  BOOST_TEST(cl.poll() == 5.0);
  BOOST_TEST(cl.experiment() == std::filesystem::current_path());
  BOOST_TEST(cl.words().empty());
}

BOOST_AUTO_TEST_CASE(what_is_refused_says_why) {
  jobsub::CommandLine list("list", "", "what", "0");
  list.options()("json", "as JSON");
  list.takes(jobsub::Global::spec);
  BOOST_TEST(refusal(list, {"--site", "hpc"}) == "jobsub list does not take --site (see jobsub help list)");
  BOOST_TEST(refusal(list, {"--jsn"}) ==
             "unknown option '--jsn' (did you mean '--json'?) (see jobsub help list)");
  // A prefix is never taken for the option: it is refused, with the option named.
  BOOST_TEST(refusal(list, {"--js"}) ==
             "unknown option '--js' (did you mean '--json'?) (see jobsub help list)");
  BOOST_TEST(refusal(list, {"a", "b"}, 1) == "unexpected argument 'b' (see jobsub help list)");
  jobsub::CommandLine status("status", "", "what", "0");
  status.takes(jobsub::Global::poll);
  for (const char* bad : {"0", "-1", "x", "", "inf"}) {
    BOOST_REQUIRE(status.parse({"--poll", bad}));
    BOOST_CHECK_THROW(status.poll(), jobsub::Error);
  }
}

BOOST_AUTO_TEST_CASE(help_comes_from_the_declarations) {
  jobsub::CommandLine cl("logs", "[SWEEP] JOB", "Prints a job's output.", "0; 2 usage.");
  cl.options()("follow,f", "keep printing");
  cl.takes(jobsub::Global::spec);
  const std::string help = cl.help();
  BOOST_TEST(help.find("Usage: jobsub logs [SWEEP] JOB\n\nPrints a job's output.") == 0u, help);
  BOOST_TEST(help.find("-f [ --follow ]") != std::string::npos, help);
  BOOST_TEST(help.find("Global options (also before the command):") != std::string::npos, help);
  BOOST_TEST(help.find("--spec FILE") != std::string::npos, help);
  BOOST_TEST(help.find("--plugin-dir DIR") != std::string::npos, help);  // every command's
  BOOST_TEST(help.find("--poll") == std::string::npos, help);            // not this one's
  BOOST_TEST(help.find("Exit codes: 0; 2 usage.") != std::string::npos, help);
  BOOST_TEST(!cl.parse({"-h"}));  // printed, and the command stops there
}

BOOST_AUTO_TEST_SUITE_END()
