#include <jobsub/errors.h>
#include <jobsub/hyperspace.h>
#include <jobsub/spec.h>

#include <boost/test/unit_test.hpp>

namespace {

jobsub::HyperDecl decl(const std::string& key, const std::vector<std::string>& values) {
  jobsub::HyperDecl d{key, {}, "test"};
  for (const auto& v : values) d.values.push_back(jobsub::plain_value(v));
  return d;
}

std::string render(const jobsub::Params& params) {
  std::string out;
  for (const auto& p : params) out += (out.empty() ? "" : " ") + p.key + "=" + p.value.text;
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(hyperspace)

BOOST_AUTO_TEST_CASE(product_in_key_order_last_key_fastest) {
  jobsub::SweepSpec spec;
  spec.grids.push_back({{decl("lr", {"0.001", "0.0001"}), decl("seed", {"1", "2"}), decl("other", {"cat"})}});
  const auto space = jobsub::build_hyperspace(spec);
  BOOST_REQUIRE_EQUAL(space.size(), 4u);
  BOOST_TEST(render(space.at(0)) == "lr=0.001 seed=1 other=cat");
  BOOST_TEST(render(space.at(1)) == "lr=0.001 seed=2 other=cat");
  BOOST_TEST(render(space.at(2)) == "lr=0.0001 seed=1 other=cat");
  BOOST_TEST(render(space.at(3)) == "lr=0.0001 seed=2 other=cat");
}

BOOST_AUTO_TEST_CASE(list_of_grids_is_their_concatenation) {
  jobsub::SweepSpec spec;
  spec.grids.push_back({{decl("a", {"1", "2"})}});
  spec.grids.push_back({{decl("b", {"x"}), decl("c", {"y", "z"})}});
  const auto space = jobsub::build_hyperspace(spec);
  BOOST_REQUIRE_EQUAL(space.size(), 4u);
  BOOST_TEST(render(space.at(1)) == "a=2");
  BOOST_TEST(render(space.at(2)) == "b=x c=y");
  BOOST_TEST(render(space.at(3)) == "b=x c=z");
}

BOOST_AUTO_TEST_CASE(zip_groups_advance_together) {
  jobsub::SweepSpec spec;
  spec.grids.push_back(
      {{decl("lr", {"0.1", "0.01"}), decl("opt", {"sgd", "adam"}), decl("seed", {"1", "2"})}});
  spec.zip = {{"lr", "seed"}};
  const auto space = jobsub::build_hyperspace(spec);
  BOOST_REQUIRE_EQUAL(space.size(), 4u);
  BOOST_TEST(render(space.at(0)) == "lr=0.1 opt=sgd seed=1");
  // The group sits where its first key is declared: (lr, seed) before opt.
  BOOST_TEST(render(space.at(1)) == "lr=0.1 opt=adam seed=1");
  BOOST_TEST(render(space.at(2)) == "lr=0.01 opt=sgd seed=2");
  BOOST_TEST(render(space.at(3)) == "lr=0.01 opt=adam seed=2");
}

BOOST_AUTO_TEST_CASE(zip_of_unequal_lists_is_an_error) {
  jobsub::SweepSpec spec;
  spec.grids.push_back({{decl("lr", {"0.1", "0.01"}), decl("seed", {"1", "2", "3"})}});
  spec.zip = {{"lr", "seed"}};
  BOOST_CHECK_EXCEPTION(jobsub::build_hyperspace(spec), jobsub::Error, [](const jobsub::Error& e) {
    return std::string(e.what()).find("equal length") != std::string::npos;
  });
}

BOOST_AUTO_TEST_CASE(zip_of_unknown_key_suggests_the_nearest) {
  jobsub::SweepSpec spec;
  spec.grids.push_back({{decl("lr", {"0.1"}), decl("seed", {"1"})}});
  spec.zip = {{"lr", "sed"}};
  BOOST_CHECK_EXCEPTION(jobsub::build_hyperspace(spec), jobsub::Error, [](const jobsub::Error& e) {
    return std::string(e.what()).find("did you mean 'seed'") != std::string::npos;
  });
}

BOOST_AUTO_TEST_CASE(no_hypers_is_one_job_with_no_parameters) {
  jobsub::SweepSpec spec;
  const auto space = jobsub::build_hyperspace(spec);
  BOOST_TEST(space.size() == 1u);
  BOOST_TEST(space.at(0).empty());
}

BOOST_AUTO_TEST_CASE(huge_grids_are_not_materialised) {
  jobsub::SweepSpec spec;
  std::vector<std::string> ten = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};
  spec.grids.push_back({{decl("a", ten), decl("b", ten), decl("c", ten), decl("d", ten), decl("e", ten),
                         decl("f", ten), decl("g", ten), decl("h", ten), decl("i", ten)}});
  const auto space = jobsub::build_hyperspace(spec);
  BOOST_TEST(space.size() == 1000000000u);
  BOOST_TEST(render(space.at(123456789)) == "a=1 b=2 c=3 d=4 e=5 f=6 g=7 h=8 i=9");
}

BOOST_AUTO_TEST_SUITE_END()
