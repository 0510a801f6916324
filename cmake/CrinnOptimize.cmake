# CRINN in a CMake build, the way clang-tidy and include-what-you-use fit in:
# the build compiles the rewritten sources, so a tuned variant is reproduced
# by a build, not by copying files by hand.
#
#   crinn_optimize(<target> PLAN <plan.json> [SOURCES <source>...])
#
# Makes <target> compile its sources as crinn-opt rewrites them with the plan
# (by default every C/C++ source of the target; SOURCES picks some). Call it
# in the directory that defines <target>, with CMAKE_EXPORT_COMPILE_COMMANDS
# on: crinn-opt parses the sources with the build's own compile commands. The
# rewritten files go to ${CMAKE_CURRENT_BINARY_DIR}/crinn/<target>/, keeping
# their paths under the target's source dir. The rewrite runs again when the
# plan, a source, a project header they include, or crinn-opt changes, and at
# no other time; a plan that no longer applies fails the build with
# crinn-opt's message naming the stale entry.
#
#   crinn_tune_target(<target> DATASET <dataset> [BUDGET <time>] [PLAN <plan.json>]
#                     [OPTIONS <crinn-tune option>...])
#
# Adds the target <target>-crinn-tune: crinn-tune on the sources of <target>
# (from compile_commands.json; the target's source dir must build on its own
# with CMake, as crinn-tune builds every candidate that way) for BUDGET
# (default 10m), with its report in ${CMAKE_CURRENT_BINARY_DIR}/crinn/<target>-tune,
# then the best plan copied to PLAN (default
# ${CMAKE_CURRENT_SOURCE_DIR}/<target>.crinn-plan.json) for crinn_optimize.

function(_crinn_is_compiled source result)
  get_filename_component(extension "${source}" LAST_EXT)
  string(TOLOWER "${extension}" extension)
  if(extension MATCHES "^\\.(c|cc|cpp|cxx|c\\+\\+)$")
    set(${result} TRUE PARENT_SCOPE)
  else()
    set(${result} FALSE PARENT_SCOPE)
  endif()
endfunction()

function(crinn_optimize target)
  cmake_parse_arguments(PARSE_ARGV 1 CRINN "" "PLAN" "SOURCES")
  if(NOT TARGET ${target})
    message(FATAL_ERROR "crinn_optimize: '${target}' is not a target")
  endif()
  if(NOT CRINN_PLAN)
    message(FATAL_ERROR "crinn_optimize(${target}): PLAN <plan.json> is required")
  endif()
  if(NOT CMAKE_EXPORT_COMPILE_COMMANDS)
    message(FATAL_ERROR "crinn_optimize(${target}): set CMAKE_EXPORT_COMPILE_COMMANDS ON: "
                        "crinn-opt reads the build's compile commands")
  endif()
  get_target_property(source_dir ${target} SOURCE_DIR)
  if(NOT source_dir STREQUAL CMAKE_CURRENT_SOURCE_DIR)
    message(FATAL_ERROR "crinn_optimize(${target}): call it in ${source_dir}, where the target is defined")
  endif()
  get_filename_component(plan "${CRINN_PLAN}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  if(NOT EXISTS "${plan}")
    message(FATAL_ERROR "crinn_optimize(${target}): ${plan}: no such file")
  endif()

  get_target_property(target_sources ${target} SOURCES)
  if(NOT CRINN_SOURCES)
    foreach(source IN LISTS target_sources)
      _crinn_is_compiled("${source}" compiled)
      if(compiled)
        list(APPEND CRINN_SOURCES "${source}")
      endif()
    endforeach()
  endif()
  set(out "${CMAKE_CURRENT_BINARY_DIR}/crinn/${target}")
  set(inputs "")
  set(outputs "")
  foreach(source IN LISTS CRINN_SOURCES)
    get_filename_component(absolute "${source}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    file(RELATIVE_PATH relative "${CMAKE_CURRENT_SOURCE_DIR}" "${absolute}")
    if(relative MATCHES "^\\.\\./")
      message(FATAL_ERROR "crinn_optimize(${target}): ${absolute} is outside ${CMAKE_CURRENT_SOURCE_DIR}")
    endif()
    list(APPEND inputs "${absolute}")
    list(APPEND outputs "${out}/${relative}")
  endforeach()

  add_custom_command(
    OUTPUT ${outputs}
    COMMAND crinn::crinn-opt -p "${CMAKE_BINARY_DIR}" --root "${CMAKE_CURRENT_SOURCE_DIR}" --plan "${plan}"
            -o "${out}" --sources-only --depfile "${out}.d" ${inputs}
    DEPENDS "${plan}" ${inputs} crinn::crinn-opt
    DEPFILE "${out}.d"
    COMMENT "crinn-opt: rewriting ${target} with ${CRINN_PLAN}"
    VERBATIM)

  # The target's sources, each rewritten one in place of its original.
  set(swapped "")
  foreach(source IN LISTS target_sources)
    get_filename_component(absolute "${source}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    list(FIND inputs "${absolute}" at)
    if(at EQUAL -1)
      list(APPEND swapped "${source}")
    else()
      list(GET outputs ${at} rewritten)
      list(APPEND swapped "${rewritten}")
    endif()
  endforeach()
  set_property(TARGET ${target} PROPERTY SOURCES ${swapped})
  # crinn-opt mirrors the project headers it read into ${out}: each include
  # dir under the source dir gets its mirror first, so that an include of a
  # project header, quoted or angled, finds the rewritten copy.
  get_target_property(include_dirs ${target} INCLUDE_DIRECTORIES)
  set(mirrors "${out}")
  foreach(dir IN LISTS include_dirs)
    if(IS_ABSOLUTE "${dir}" AND NOT dir MATCHES "\\$<")
      file(RELATIVE_PATH relative "${CMAKE_CURRENT_SOURCE_DIR}" "${dir}")
      if(NOT relative MATCHES "^\\.\\." AND NOT relative STREQUAL "")
        list(APPEND mirrors "${out}/${relative}")
      endif()
    endif()
  endforeach()
  target_include_directories(${target} BEFORE PRIVATE ${mirrors})
  target_link_libraries(${target} PRIVATE crinn::runtime)
endfunction()

function(crinn_tune_target target)
  cmake_parse_arguments(PARSE_ARGV 1 CRINN "" "DATASET;BUDGET;PLAN" "OPTIONS")
  if(NOT TARGET ${target})
    message(FATAL_ERROR "crinn_tune_target: '${target}' is not a target")
  endif()
  if(NOT CRINN_DATASET)
    message(FATAL_ERROR "crinn_tune_target(${target}): DATASET is required")
  endif()
  if(NOT CMAKE_EXPORT_COMPILE_COMMANDS)
    message(FATAL_ERROR "crinn_tune_target(${target}): set CMAKE_EXPORT_COMPILE_COMMANDS ON")
  endif()
  if(NOT CRINN_BUDGET)
    set(CRINN_BUDGET 10m)
  endif()
  if(NOT CRINN_PLAN)
    set(CRINN_PLAN "${CMAKE_CURRENT_SOURCE_DIR}/${target}.crinn-plan.json")
  endif()
  get_filename_component(plan "${CRINN_PLAN}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  get_target_property(source_dir ${target} SOURCE_DIR)
  set(report "${CMAKE_CURRENT_BINARY_DIR}/crinn/${target}-tune")
  add_custom_target(${target}-crinn-tune
    COMMAND "${CMAKE_COMMAND}" -E rm -rf "${report}"
    COMMAND crinn::crinn-tune --source "${source_dir}" -p "${CMAKE_BINARY_DIR}" --dataset "${CRINN_DATASET}"
            --time-budget "${CRINN_BUDGET}" --library "$<TARGET_FILE_NAME:${target}>" --out "${report}"
            ${CRINN_OPTIONS}
    COMMAND "${CMAKE_COMMAND}" -E copy "${report}/plan.json" "${plan}"
    COMMAND "${CMAKE_COMMAND}" -E echo "crinn: the best plan is in ${plan}, the report in ${report}/report.html"
    DEPENDS ${target}
    USES_TERMINAL
    VERBATIM)
endfunction()
