// The bundled formatter and sweeper plugins, loaded as jobsub loads them.
#include <jobsub/overrides.h>
#include <jobsub/registry.h>
#include <jobsub/spec.h>

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <set>

namespace {

const jobsub::PluginRegistry& bundled() {
  static const jobsub::PluginRegistry registry({JOBSUB_TEST_PLUGIN_DIR});
  return registry;
}

jobsub::Argv format(const std::string& name, const jobsub::Params& params,
                    const jobsub::PluginOptions& options = {}) {
  auto formatter = bundled().create<jobsub::Formatter>(name);
  BOOST_REQUIRE(formatter->configure(options).ok);
  jobsub::Argv argv;
  const auto status = formatter->format(params, argv);
  BOOST_REQUIRE_MESSAGE(status.ok, status.message);
  return argv;
}

jobsub::Param p(const std::string& key, const std::string& plain) {
  return {key, jobsub::plain_value(plain)};
}
jobsub::Param s(const std::string& key, const std::string& text) { return {key, jobsub::string_value(text)}; }

}  // namespace

BOOST_AUTO_TEST_SUITE(formatters)

BOOST_AUTO_TEST_CASE(sacred_matches_the_reference_script) {
  BOOST_TEST(format("sacred", {p("lr", "0.001"), p("seed", "1"), p("other_hyper", "cat")}) ==
                 (jobsub::Argv{"lr=0.001", "seed=1", "other_hyper=cat"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(sacred_writes_values_as_python_reads_them) {
  BOOST_TEST(format("sacred", {p("a", "true"), p("b", "False"), p("c", "null"), s("d", "1.0"), s("e", "True"),
                               s("f", "it's"), p("g", "1e-4")}) ==
                 (jobsub::Argv{"a=True", "b=False", "c=None", "d='1.0'", "e='True'", "f=it's", "g=1e-4"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(sacred_quotes_strings_its_strip_would_change) {
  BOOST_TEST(format("sacred", {s("a", " x"), s("b", "x\t"), s("c", "\xc2\xa0x"), s("d", "x\n"), s("e", "-x"),
                               s("f", "b'x'"), s("g", "plain text"), s("h", "")}) ==
                 (jobsub::Argv{"a=' x'", "b='x\\x09'", "c='\xc2\xa0x'", "d='x\\x0a'", "e='-x'",
                               "f='b\\'x\\''", "g=plain text", "h="}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(argparse_options_and_boolean_styles) {
  const jobsub::Params params = {p("lr", "0.1"), p("debug", "true"), p("quiet", "false"), s("x", "-5")};
  BOOST_TEST(format("argparse", params) == (jobsub::Argv{"--lr=0.1", "--debug", "--x=-5"}),
             boost::test_tools::per_element());
  BOOST_TEST(format("argparse", params, {{"bool-style", "negate"}}) ==
                 (jobsub::Argv{"--lr=0.1", "--debug", "--no-quiet", "--x=-5"}),
             boost::test_tools::per_element());
  BOOST_TEST(format("argparse", params, {{"bool-style", "value"}}) ==
                 (jobsub::Argv{"--lr=0.1", "--debug=true", "--quiet=false", "--x=-5"}),
             boost::test_tools::per_element());
  auto formatter = bundled().create<jobsub::Formatter>("argparse");
  BOOST_TEST(!formatter->configure({{"bool-style", "maybe"}}).ok);
}

BOOST_AUTO_TEST_CASE(hydra_quotes_what_its_parser_would_misread) {
  BOOST_TEST(format("hydra", {p("lr", "0.1"), s("opt", "adam"), s("path", "/a/b.txt"), p("flag", "true")}) ==
                 (jobsub::Argv{"lr=0.1", "opt=adam", "path=/a/b.txt", "flag=true"}),
             boost::test_tools::per_element());
  BOOST_TEST(format("hydra", {s("a", "x y"), s("b", "a,b"), s("c", "1.0"), s("d", "null"), s("e", ""),
                              s("f", "it's"), s("g", "${oc.env:HOME}"), s("h", "[1,2]"), s("i", "end\\")}) ==
                 (jobsub::Argv{"a='x y'", "b='a,b'", "c='1.0'", "d='null'", "e=''", "f='it\\'s'",
                               "g='\\${oc.env:HOME}'", "h='[1,2]'", "i='end\\\\'"}),
             boost::test_tools::per_element());
}

jobsub::Param structured(const std::string& key, const std::string& override_value) {
  // A list or dict as the command line reads it.
  return {key, jobsub::parse_override(key + "=" + override_value).values[0]};
}

std::string refusal(const std::string& name, const jobsub::Params& params,
                    const jobsub::PluginOptions& options = {}) {
  auto formatter = bundled().create<jobsub::Formatter>(name);
  BOOST_REQUIRE(formatter->configure(options).ok);
  jobsub::Argv argv;
  const auto status = formatter->format(params, argv);
  BOOST_TEST(!status.ok);
  return status.message;
}

BOOST_AUTO_TEST_CASE(sacred_spells_lists_and_dicts_as_python_literals) {
  BOOST_TEST(format("sacred", {structured("layers", "[64,64]"),
                               structured("opt", "{lr:0.1,name:'a,b',on:true,none:null,deep:[[],{}]}"),
                               structured("s", "[x, '1', \"it's\"]"), structured("inf", "[.inf, 0x10]")}) ==
                 (jobsub::Argv{"layers=[64, 64]",
                               "opt={'lr': 0.1, 'name': 'a,b', 'on': True, 'none': None, 'deep': [[], {}]}",
                               "s=['x', '1', 'it\\'s']", "inf=[1e999, 16]"}),
             boost::test_tools::per_element());
  const std::string e = refusal("sacred", {structured("x", "[1, .nan]")});
  BOOST_TEST(e.find("key 'x': sacred cannot receive NaN") != std::string::npos, e);
}

BOOST_AUTO_TEST_CASE(hydra_spells_lists_and_dicts_in_its_grammar) {
  BOOST_TEST(
      format("hydra", {structured("layers", "[64,64]"), structured("opt", "{lr:1,wd:[1,2]}"),
                       structured("s", "['a b', 'x:y', plain, '1', null, [], {}]")}) ==
          (jobsub::Argv{"layers=[64,64]", "opt={lr:1,wd:[1,2]}", "s=['a b','x:y',plain,'1',null,[],{}]"}),
      boost::test_tools::per_element());
  BOOST_TEST(format("hydra", {s("a", "Nan"), s("b", "InF"), s("c", "tRUE"), s("d", "nULL"), p("e", "007.5"),
                              p("f", "-00.5"), p("g", "01e3"), structured("h", "[Nan, 007.5]")}) ==
                 (jobsub::Argv{"a='Nan'", "b='InF'", "c='tRUE'", "d='nULL'", "e=7.5", "f=-0.5", "g=1e3",
                               "h=['Nan',7.5]"}),
             boost::test_tools::per_element());
  for (const char* key : {"'1'", "'a b'", "'true'", "'x.y'", "'NaN'"}) {
    const std::string e = refusal("hydra", {structured("opt", std::string("{") + key + ": 1}")});
    BOOST_TEST(e.find("key 'opt': Hydra cannot receive the dict key") != std::string::npos, e);
  }
}

BOOST_AUTO_TEST_CASE(argparse_spells_lists_as_nargs_words_or_one_json_argument) {
  const jobsub::Params params = {structured("layers", "[64, .5, '-x y']"), structured("none", "[]")};
  BOOST_TEST(format("argparse", {structured("layers", "[64, 0x10, a b]"), structured("none", "[]")}) ==
                 (jobsub::Argv{"--layers", "64", "16", "a b", "--none"}),
             boost::test_tools::per_element());
  BOOST_TEST(format("argparse", params, {{"lists", "json"}}) ==
                 (jobsub::Argv{"--layers=[64, 0.5, \"-x y\"]", "--none=[]"}),
             boost::test_tools::per_element());
  BOOST_TEST(
      format("argparse", {structured("opt", "{lr: 1., deep: [null, true, .inf]}")}, {{"lists", "json"}}) ==
          (jobsub::Argv{"--opt={\"lr\": 1.0, \"deep\": [null, true, Infinity]}"}),
      boost::test_tools::per_element());
  BOOST_TEST(format("argparse", {structured("neg", "[-3, -0.5, -.5]")}) ==
                 (jobsub::Argv{"--neg", "-3", "-0.5", "-.5"}),
             boost::test_tools::per_element());
  BOOST_TEST(format("argparse", {structured("big", "[1e999, -1e999]")}, {{"lists", "json"}}) ==
                 (jobsub::Argv{"--big=[Infinity, -Infinity]"}),
             boost::test_tools::per_element());
  for (const char* bad : {"{a: 1}", "[[1]]", "[null]", "[true]", "['-x']", "[-1e-3]", "[-.inf]", "[-1.]"}) {
    const std::string e = refusal("argparse", {structured("k", bad)});
    BOOST_TEST(e.find("key 'k': argparse's nargs cannot receive") != std::string::npos, e);
    BOOST_TEST(e.find("--argparse.lists json") != std::string::npos, e);
  }
  auto formatter = bundled().create<jobsub::Formatter>("argparse");
  BOOST_TEST(!formatter->configure({{"lists", "csv"}}).ok);
}

BOOST_AUTO_TEST_CASE(random_sweeper_draws_distinct_reproducible_jobs) {
  jobsub::SweepSpec spec;
  jobsub::HyperDecl a{"a", {}, "t"}, b{"b", {}, "t"};
  for (int i = 0; i < 10; ++i) a.values.push_back(jobsub::plain_value(std::to_string(i)));
  for (int i = 0; i < 10; ++i) b.values.push_back(jobsub::plain_value(std::to_string(i)));
  spec.grids.push_back({{a, b}});
  const auto space = jobsub::build_hyperspace(spec);
  auto draw = [&](const std::string& seed) {
    auto sweeper = bundled().create<jobsub::Sweeper>("random");
    const auto status = sweeper->configure(space, {{"sample", "15"}, {"seed", seed}});
    BOOST_REQUIRE_MESSAGE(status.ok, status.message);
    std::vector<std::string> jobs;
    for (uint64_t i = 0; i < sweeper->size(); ++i) {
      jobsub::Params params;
      BOOST_REQUIRE(sweeper->at(i, params).ok);
      jobs.push_back(params[0].value.text + params[1].value.text);
    }
    return jobs;
  };
  const auto first = draw("7");
  BOOST_TEST(first.size() == 15u);
  BOOST_TEST(std::set<std::string>(first.begin(), first.end()).size() == 15u);
  BOOST_TEST(std::is_sorted(first.begin(), first.end()));
  BOOST_TEST(draw("7") == first, boost::test_tools::per_element());
  BOOST_TEST(draw("8") != first);

  auto sweeper = bundled().create<jobsub::Sweeper>("random");
  const auto too_many = sweeper->configure(space, {{"sample", "101"}});
  BOOST_TEST(!too_many.ok);
  BOOST_TEST(too_many.message.find("100 combinations") != std::string::npos, too_many.message);
  BOOST_TEST(!sweeper->configure(space, {}).ok);
}

BOOST_AUTO_TEST_SUITE_END()
