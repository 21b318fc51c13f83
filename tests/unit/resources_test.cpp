#include <jobsub/errors.h>
#include <jobsub/resources.h>

#include <boost/test/unit_test.hpp>

BOOST_AUTO_TEST_SUITE(resources)

BOOST_AUTO_TEST_CASE(durations_in_every_accepted_form) {
  BOOST_TEST(jobsub::parse_duration("2h", "time") == 7200u);
  BOOST_TEST(jobsub::parse_duration("1h30m", "time") == 5400u);
  BOOST_TEST(jobsub::parse_duration("45s", "time") == 45u);
  BOOST_TEST(jobsub::parse_duration("1d", "time") == 86400u);
  BOOST_TEST(jobsub::parse_duration("90", "time") == 5400u);  // minutes, as Slurm reads it
  BOOST_TEST(jobsub::parse_duration("02:00:00", "time") == 7200u);
  BOOST_TEST(jobsub::parse_duration("10:30", "time") == 630u);
  BOOST_TEST(jobsub::parse_duration("1-12", "time") == 129600u);
  BOOST_TEST(jobsub::parse_duration("1-00:00:01", "time") == 86401u);
}

BOOST_AUTO_TEST_CASE(bad_durations_name_the_resource) {
  for (const char* bad : {"", "2 hours", "h", "1:2:3:4", "-5"}) {
    BOOST_CHECK_EXCEPTION(jobsub::parse_duration(bad, "time"), jobsub::Error, [](const jobsub::Error& e) {
      return std::string(e.what()).find("resource 'time'") != std::string::npos &&
             e.code() == jobsub::ExitCode::bad_spec;
    });
  }
}

BOOST_AUTO_TEST_CASE(hms_formatting) {
  BOOST_TEST(jobsub::format_duration_hms(7200) == "02:00:00");
  BOOST_TEST(jobsub::format_duration_hms(129661) == "1-12:01:01");
}

BOOST_AUTO_TEST_CASE(memory_sizes) {
  BOOST_TEST(jobsub::parse_memory_mib("12400M", "mem") == 12400u);
  BOOST_TEST(jobsub::parse_memory_mib("12G", "mem") == 12288u);
  BOOST_TEST(jobsub::parse_memory_mib("1.5G", "mem") == 1536u);
  BOOST_TEST(jobsub::parse_memory_mib("2048", "mem") == 2048u);
  BOOST_TEST(jobsub::parse_memory_mib("1T", "mem") == 1048576u);
  BOOST_TEST(jobsub::parse_memory_mib("4gb", "mem") == 4096u);
  BOOST_CHECK_THROW(jobsub::parse_memory_mib("lots", "mem"), jobsub::Error);
  BOOST_CHECK_THROW(jobsub::parse_memory_mib("10K", "mem"), jobsub::Error);
}

BOOST_AUTO_TEST_SUITE_END()
