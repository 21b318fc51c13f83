// Rendered batch scripts compared with files under tests/golden/. After an
// intended change, regenerate with JOBSUB_UPDATE_GOLDEN=1 and review the diff.
#include <jobsub/registry.h>
#include <jobsub/script.h>

#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <fstream>

namespace fs = std::filesystem;

namespace {

void check_golden(const std::string& name, const std::string& actual) {
  const fs::path file = fs::path(JOBSUB_TEST_GOLDEN_DIR) / name;
  if (std::getenv("JOBSUB_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(file, std::ios::binary) << actual;
    return;
  }
  std::ifstream in(file, std::ios::binary);
  BOOST_REQUIRE_MESSAGE(in, "missing golden file " << file << " (run with JOBSUB_UPDATE_GOLDEN=1)");
  const std::string expected(std::istreambuf_iterator<char>(in), {});
  BOOST_TEST(actual == expected, "rendered script differs from " << file);
}

jobsub::BatchRequest awkward_request() {
  // Paths with spaces and both quote characters, as users' home directories have.
  jobsub::BatchRequest request;
  request.sweep_name = "log_vs_random";
  request.batch_name = "batch-1";
  request.results_dir =
      "/home/ann o'neil/my \"proj\"/experiments/x/results/log_vs_random/2026-01-02_03-04-05";
  request.script_path = request.results_dir / "batch-1.sh";
  request.workdir = "/home/ann o'neil/my \"proj\"";
  request.tasks = {{1, 144}};
  request.job_count = 144;
  request.resources = {{"time", "2h"}, {"mem", "12400M"}};
  request.init_lines = {"source ~/miniconda3/bin/activate ml3", "export OMP_NUM_THREADS=1"};
  request.task_body =
      jobsub::task_body(request.results_dir, request.job_count, request.workdir, request.init_lines, true);
  return request;
}

jobsub::Status try_render(const std::string& scheduler_name, const jobsub::BatchRequest& request,
                          jobsub::RenderedBatch& rendered, const jobsub::PluginOptions& options = {}) {
  static const jobsub::PluginRegistry registry({JOBSUB_TEST_PLUGIN_DIR});
  auto scheduler = registry.create<jobsub::Scheduler>(scheduler_name);
  BOOST_REQUIRE(scheduler->configure(options).ok);
  return scheduler->render(request, rendered);
}

jobsub::RenderedBatch render(const jobsub::BatchRequest& request, const std::string& scheduler_name = "local",
                             const jobsub::PluginOptions& options = {}) {
  jobsub::RenderedBatch rendered;
  const auto status = try_render(scheduler_name, request, rendered, options);
  BOOST_REQUIRE_MESSAGE(status.ok, status.message);
  return rendered;
}

jobsub::BatchRequest cluster_request() {
  auto request = awkward_request();
  request.sweep_name = "it's \"tvo\" sweep";
  request.max_running = 10;
  request.resources = {{"time", "2h"},
                       {"mem", "12400M"},
                       {"cpus", "1"},
                       {"gpus", "1"},
                       {"partition", "gpu"},
                       {"account", "my-lab"},
                       {"qos", "normal"},
                       {"slurm.constraint", "v100|a100"},
                       {"slurm.exclusive", ""},
                       {"pbs.place", "scatter"},
                       {"directives", "--mail-type=END\n--mail-user=a@b.c"}};
  return request;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(golden)

BOOST_AUTO_TEST_CASE(local_default_template) {
  const auto rendered = render(awkward_request());
  check_golden("local-default.sh", rendered.script);
  BOOST_TEST(
      rendered.submit_argv == (std::vector<std::string>{"bash", awkward_request().script_path.string()}),
      boost::test_tools::per_element());
  // time and mem are held to on this machine; the note says how, and names nothing as not enforced.
  BOOST_REQUIRE_EQUAL(rendered.warnings.size(), 1u);
  BOOST_TEST(rendered.warnings[0].find("enforced on this machine, per job: time 02:00:00") == 0u);
  BOOST_TEST(rendered.warnings[0].find("mem 12400M (by ") != std::string::npos);
  auto cluster_only = awkward_request();
  cluster_only.resources["partition"] = "gpu";
  const auto with_partition = render(cluster_only);
  BOOST_REQUIRE_EQUAL(with_partition.warnings.size(), 2u);
  BOOST_TEST(with_partition.warnings[1] == "resources are not enforced on this machine (partition)");
}

BOOST_AUTO_TEST_CASE(local_user_template) {
  auto request = awkward_request();
  request.template_text =
      "#!/bin/bash\n# mine: {{sweep_name}} {{tasks}} time={{resources.time}}\n"
      "{{#init}}# init: {{.}}\n{{/init}}JOBSUB_TASK_ID=$JOBSUB_ARRAY_TASK_ID\n{{{task_body}}}";
  check_golden("local-user-template.sh", render(request).script);
}

BOOST_AUTO_TEST_CASE(slurm_directives_arrays_and_quoting) {
  const auto rendered = render(cluster_request(), "slurm");
  check_golden("slurm-cluster.sh", rendered.script);
  const std::vector<std::string> argv = {"sbatch", "--parsable", "--array=1-144%10",
                                         cluster_request().script_path.string(), "0"};
  BOOST_TEST(rendered.submit_argv == argv, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(slurm_gpus_directive_and_chunks) {
  auto request = cluster_request();
  request.max_running = 0;
  const auto rendered = render(request, "slurm", {{"gpu-directive", "gpus"}, {"max-array-size", "50"}});
  BOOST_TEST(rendered.script.find("#SBATCH --gpus=1\n") != std::string::npos);
  BOOST_TEST(rendered.script.find("--gres") == std::string::npos);
  BOOST_TEST(rendered.submit_argv[2] == "--array=1-49");
  BOOST_REQUIRE_EQUAL(rendered.warnings.size(), 1u);
  BOOST_TEST(rendered.warnings[0] == "jobs 1-144 go in 3 arrays of at most 49 (MaxArraySize 50)");
  // Every command the plan needs, as --manual and --dry-run print them.
  BOOST_REQUIRE_EQUAL(rendered.all_submit_argvs.size(), 3u);
  BOOST_TEST(rendered.all_submit_argvs[1][2] == "--array=1-49");
  BOOST_TEST(rendered.all_submit_argvs[1].back() == "49");  // job = task id + 49
  BOOST_TEST(rendered.all_submit_argvs[2][2] == "--array=1-46");
  BOOST_TEST(rendered.all_submit_argvs[2].back() == "98");
}

BOOST_AUTO_TEST_CASE(slurm_rejects_what_it_cannot_express) {
  auto request = cluster_request();
  request.resources["walltime"] = "2h";
  jobsub::RenderedBatch rendered;
  const auto status = try_render("slurm", request, rendered);
  BOOST_TEST(!status.ok);
  BOOST_TEST(status.message.find("Slurm cannot express resource 'walltime'") != std::string::npos,
             status.message);
  request.resources.erase("walltime");
  request.resources["time"] = "two hours";
  BOOST_TEST(try_render("slurm", request, rendered).message.find("resource 'time'") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(sge_directives_arrays_and_names) {
  auto request = awkward_request();
  request.sweep_name = "2nd sweep: it's/tvo";
  request.max_running = 10;
  request.resources = {{"time", "2h"},
                       {"mem", "12400M"},
                       {"cpus", "4"},
                       {"gpus", "1"},
                       {"queue", "gpu.q"},
                       {"account", "my-lab"},
                       {"project", "tvo"},
                       {"sge.l", "scratch=10G"},
                       {"pbs.place", "scatter"},
                       {"directives", "-m e\n-M a@b.c"}};
  const auto rendered = render(request, "sge", {{"max-array-tasks", "100"}});
  check_golden("sge-cluster.sh", rendered.script);
  const std::string logs = (request.results_dir / "logs").string() + "/";
  // The logs directory on the command line, where the path's quotes are safe.
  const std::vector<std::string> first = {
      "qsub", "-terse", "-o", logs, "-e", logs, "-t", "1-100", "-tc", "5", request.script_path.string(),
      "0"};  // -j 10 over the sweep's two arrays: 5 each
  BOOST_TEST(rendered.submit_argv == first, boost::test_tools::per_element());
  BOOST_REQUIRE_EQUAL(rendered.all_submit_argvs.size(), 2u);  // max_aj_tasks 100: 100 + 44
  BOOST_TEST(rendered.all_submit_argvs[1][7] == "1-44");
  BOOST_TEST(rendered.all_submit_argvs[1][9] == "5");
  BOOST_TEST(rendered.all_submit_argvs[1].back() == "100");
  // Jobs 2 and 4 (a resubmit): one range an array, so two qsubs.
  request.tasks = {{2, 2}, {4, 4}};
  request.token = "jobsub-0123456789abcdef";
  const auto again = render(request, "sge", {{"max-array-tasks", "100"}});
  BOOST_REQUIRE_EQUAL(again.all_submit_argvs.size(), 2u);
  BOOST_TEST(again.all_submit_argvs[1][7] ==
             "jobsub=jobsub-0123456789abcdef:3");  // -ac, the token and offset
  BOOST_TEST(again.all_submit_argvs[1].back() == "3");
}

BOOST_AUTO_TEST_CASE(sge_rejects_what_it_cannot_express) {
  auto request = awkward_request();
  jobsub::RenderedBatch rendered;
  request.resources = {{"qos", "normal"}};
  BOOST_TEST(try_render("sge", request, rendered, {{"max-array-tasks", "100"}})
                 .message.find("Grid Engine cannot express resource 'qos'") != std::string::npos);
  request.resources = {{"output", "/data/out:put"}};
  BOOST_TEST(try_render("sge", request, rendered, {{"max-array-tasks", "100"}})
                 .message.find("reads ':' in an output path as a host name") != std::string::npos);
  request.resources = {{"job_name", "my sweep"}};
  BOOST_TEST(try_render("sge", request, rendered, {{"max-array-tasks", "100"}})
                 .message.find("does not take the job name 'my sweep'") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(pbs_pro_and_torque_directives_and_arrays) {
  auto request = awkward_request();
  request.resources = {{"time", "2h"},
                       {"mem", "12400M"},
                       {"cpus", "4"},
                       {"gpus", "1"},
                       {"queue", "gpu"},
                       {"account", "my-lab"},
                       {"pbs.place", "scatter"},
                       {"sge.l", "ignored=1"},
                       {"directives", "-m e\n-M a@b.c"}};
  request.token = "jobsub-0123456789abcdef";
  const auto pro = render(request, "pbs", {{"dialect", "pro"}, {"array-limit", "100"}});
  check_golden("pbs-pro.sh", pro.script);
  const std::string logs = (request.results_dir / "logs").string() + "/";
  const std::vector<std::string> first = {"qsub",
                                          "-o",
                                          logs,
                                          "-e",
                                          logs,
                                          "-v",
                                          "JOBSUB_OFFSET=0,JOBSUB_TOKEN=jobsub-0123456789abcdef:0",
                                          "-J",
                                          "1-100",
                                          request.script_path.string()};
  BOOST_TEST(pro.submit_argv == first, boost::test_tools::per_element());
  BOOST_REQUIRE_EQUAL(pro.all_submit_argvs.size(), 2u);  // 100 + 44
  BOOST_TEST(pro.all_submit_argvs[1][8] == "1-44");
  request.max_running = 5;
  const auto torque = render(request, "pbs", {{"dialect", "torque"}, {"array-limit", "100"}});
  check_golden("pbs-torque.sh", torque.script);
  BOOST_TEST(torque.submit_argv[7] == "-t");
  BOOST_TEST(torque.submit_argv[8] == "1-100%3");  // -j 5 over two arrays: 3 and 2
  BOOST_TEST(torque.all_submit_argvs[1][8] == "1-44%2");
  jobsub::RenderedBatch refused;
  const auto status = try_render("pbs", request, refused, {{"dialect", "pro"}});
  BOOST_TEST(status.message.find("PBS Pro cannot limit how many tasks of an array run at once (-j 5)") !=
             std::string::npos);
  request.max_running = 0;
  request.tasks = {{7, 7}};  // one job: PBS Pro's -J needs two indices, so a plain job with its number
  const auto single = render(request, "pbs", {{"dialect", "pro"}});
  BOOST_TEST(single.submit_argv[6] == "JOBSUB_OFFSET=7,JOBSUB_TOKEN=jobsub-0123456789abcdef:7");
  BOOST_TEST(single.submit_argv[7] == request.script_path.string());
}

BOOST_AUTO_TEST_CASE(lsf_directives_arrays_and_the_script_on_stdin) {
  auto request = awkward_request();
  request.max_running = 4;
  request.token = "jobsub-0123456789abcdef";
  request.resources = {{"time", "90m"},
                       {"mem", "12400M"},
                       {"cpus", "4"},
                       {"gpus", "1"},
                       {"queue", "gpu"},
                       {"account", "my lab"},
                       {"lsf.R", "span[hosts=1]"},
                       {"pbs.place", "scatter"},
                       {"directives", "-B\n-N"}};
  const auto rendered = render(request, "lsf", {{"array-limit", "100"}});
  check_golden("lsf-cluster.sh", rendered.script);
  const std::string logs = (request.results_dir / "logs").string();
  const std::vector<std::string> first = {"bsub",
                                          "-J",
                                          "log_vs_random[1-100]%2",  // -j 4 over two arrays
                                          "-Jd",
                                          "jobsub-0123456789abcdef:0",
                                          "-env",
                                          "all,JOBSUB_OFFSET=0",
                                          "-o",
                                          logs + "/lsf-%J_%I.out",
                                          "-e",
                                          logs + "/lsf-%J_%I.err"};
  BOOST_TEST(rendered.submit_argv == first, boost::test_tools::per_element());
  BOOST_TEST(rendered.submit_stdin == request.script_path);  // bsub < script: LSF reads #BSUB only there
  BOOST_REQUIRE_EQUAL(rendered.all_submit_argvs.size(), 2u);
  BOOST_TEST(rendered.all_submit_argvs[1][2] == "log_vs_random[1-44]%2");
  BOOST_TEST(rendered.all_submit_argvs[1][6] == "all,JOBSUB_OFFSET=100");
  jobsub::RenderedBatch refused;
  request.resources = {{"qos", "high"}};
  BOOST_TEST(try_render("lsf", request, refused)
                 .message.find("LSF cannot express resource 'qos': known are time, "
                               "mem, cpus, gpus, queue, partition, account, dependency, "
                               "output, error, job_name, directives") == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
