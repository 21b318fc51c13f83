#define BOOST_TEST_MODULE jobsub scheduler tests
#include <boost/test/unit_test.hpp>
