# jobsub_add_plugin(KIND <kind> NAME <name> SOURCES <file>... [LIBRARIES <lib>...])
#
# Builds jobsub-<kind>-<name>.so, a module with hidden visibility that exports
# only its entry point and links the SDK (jobsub::sdk, libjobsub.so). Inside the jobsub
# build it lands in build/lib/jobsub/plugins/ and is installed next to the
# bundled plugins; out of tree (find_package(jobsub)) it lands in the build
# directory, ready to be copied to a plugin directory.
function(jobsub_add_plugin)
  cmake_parse_arguments(PLUGIN "" "KIND;NAME" "SOURCES;LIBRARIES" ${ARGN})
  if(NOT PLUGIN_KIND OR NOT PLUGIN_NAME OR NOT PLUGIN_SOURCES)
    message(FATAL_ERROR "jobsub_add_plugin: KIND, NAME and SOURCES are required")
  endif()
  set(target jobsub-${PLUGIN_KIND}-${PLUGIN_NAME})
  add_library(${target} MODULE ${PLUGIN_SOURCES})
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    SUFFIX ".so"
    CXX_STANDARD 20
    CXX_STANDARD_REQUIRED ON
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  target_link_libraries(${target} PRIVATE jobsub::sdk ${PLUGIN_LIBRARIES})
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    # GCC 12 reports false -Wrestrict/-Wstringop-overflow on inlined std::string
    # code at -O2 (GCC bug 105651, fixed in GCC 13): a plugin built with
    # -Werror would fail on the SDK's inline code.
    target_compile_options(${target} PRIVATE -Wno-restrict -Wno-stringop-overflow)
  endif()
  if(DEFINED JOBSUB_PLUGIN_OUTPUT_DIRECTORY)
    set_target_properties(${target} PROPERTIES
      LIBRARY_OUTPUT_DIRECTORY ${JOBSUB_PLUGIN_OUTPUT_DIRECTORY}
      BUILD_RPATH "$ORIGIN/../.."
      INSTALL_RPATH "$ORIGIN/../..")
    install(TARGETS ${target} LIBRARY DESTINATION ${JOBSUB_PLUGIN_INSTALL_DIR})
  endif()
endfunction()

# The scenario kit (share/jobsub/scenarios/scheduler_scenarios.py): where it
# and the jobsub binary are, beside this file in an install prefix
# (lib/cmake/jobsub -> share/jobsub/scenarios, bin/jobsub); jobsub's own build
# sets both before including this file.
get_filename_component(_jobsub_prefix "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)
if(NOT DEFINED JOBSUB_SCENARIOS_DRIVER)
  set(JOBSUB_SCENARIOS_DRIVER "${_jobsub_prefix}/share/jobsub/scenarios/scheduler_scenarios.py"
      CACHE INTERNAL "the scenario kit's driver")
endif()
if(NOT DEFINED JOBSUB_EXECUTABLE)
  set(JOBSUB_EXECUTABLE "${_jobsub_prefix}/bin/jobsub" CACHE INTERNAL "the jobsub the scenarios run")
endif()

# jobsub_add_scheduler_scenarios(NAME <test> SCHEDULER <name> SUBMIT_PROGRAM <client>
#                                [PLUGIN_DIRS <dir>...] [PATHS <dir>...]
#                                [ENVIRONMENT <NAME=VALUE>...] [JOBSUB_ARGS <arg>...])
#
# A ctest test that runs the scenarios every jobsub scheduler passes (submit
# and wait, status, cancel, kill-and-resume before and after the submit client
# took the batch, resubmit) against the scheduler plugin <name>, found in
# PLUGIN_DIRS, with PATHS first on PATH (a stand-in client, or none for a real
# one). `{tmp}` in an ENVIRONMENT value is each scenario's own directory.
function(jobsub_add_scheduler_scenarios)
  cmake_parse_arguments(S "" "NAME;SCHEDULER;SUBMIT_PROGRAM" "PLUGIN_DIRS;PATHS;ENVIRONMENT;JOBSUB_ARGS" ${ARGN})
  if(NOT S_NAME OR NOT S_SCHEDULER OR NOT S_SUBMIT_PROGRAM)
    message(FATAL_ERROR "jobsub_add_scheduler_scenarios: NAME, SCHEDULER and SUBMIT_PROGRAM are required")
  endif()
  find_package(Python3 REQUIRED COMPONENTS Interpreter)
  set(args --jobsub "${JOBSUB_EXECUTABLE}" --scheduler ${S_SCHEDULER} --submit-program ${S_SUBMIT_PROGRAM})
  foreach(dir ${S_PLUGIN_DIRS})
    list(APPEND args "--plugin-dir=${dir}")
  endforeach()
  foreach(dir ${S_PATHS})
    list(APPEND args "--path=${dir}")
  endforeach()
  foreach(item ${S_ENVIRONMENT})
    list(APPEND args "--env=${item}")
  endforeach()
  foreach(arg ${S_JOBSUB_ARGS})
    list(APPEND args "--jobsub-arg=${arg}")
  endforeach()
  add_test(NAME ${S_NAME} COMMAND ${Python3_EXECUTABLE} ${JOBSUB_SCENARIOS_DRIVER} ${args})
  set_tests_properties(${S_NAME} PROPERTIES TIMEOUT 900)
endfunction()
