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
