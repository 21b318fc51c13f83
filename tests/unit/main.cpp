#define BOOST_TEST_MODULE jobsub unit tests
#include <boost/test/unit_test.hpp>
