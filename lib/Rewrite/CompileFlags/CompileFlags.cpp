#include "Rewrite/CompileFlags/CompileFlags.h"

#include <filesystem>

namespace crinn::rewrite {

namespace fs = std::filesystem;

namespace {

constexpr const char* kFlagsFile = "crinn-flags.cmake";

// The part of crinn-flags.cmake that builds in two phases with a profile.
// GCC reads the training run's .gcda files where it wrote them; Clang reads
// one profile merged from its .profraw files by the llvm-profdata of its
// version. Either one's use build tolerates functions the training missed.
constexpr const char* kProfileGuided = R"(
# Profile-guided optimization takes two builds in one build directory:
#   cmake -DCRINN_PROFILE=generate <build> && cmake --build <build>
#   <run a training workload: the index built and searched, not the measured queries>
#   cmake -DCRINN_PROFILE=use <build> && cmake --build <build>
# With CRINN_PROFILE off (the default) the build is not profile-guided.
set(CRINN_PROFILE "off" CACHE STRING "profile-guided optimization: off, generate or use")
set_property(CACHE CRINN_PROFILE PROPERTY STRINGS off generate use)
set(CRINN_PROFILE_DIR "${CMAKE_BINARY_DIR}/crinn-profile" CACHE PATH "where the training run writes its profile")
if(CRINN_PROFILE STREQUAL "generate")
  list(APPEND crinn_compile_flags "-fprofile-generate=${CRINN_PROFILE_DIR}")
  set(crinn_link_flags "-fprofile-generate=${CRINN_PROFILE_DIR}")
elseif(CRINN_PROFILE STREQUAL "use" AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  list(APPEND crinn_compile_flags "-fprofile-use=${CRINN_PROFILE_DIR}" -Wno-missing-profile)
elseif(CRINN_PROFILE STREQUAL "use" AND CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  get_filename_component(crinn_compiler_dir "${CMAKE_CXX_COMPILER}" DIRECTORY)
  string(REGEX MATCH "^[0-9]+" crinn_clang_major "${CMAKE_CXX_COMPILER_VERSION}")
  find_program(CRINN_LLVM_PROFDATA NAMES llvm-profdata-${crinn_clang_major} llvm-profdata HINTS "${crinn_compiler_dir}")
  file(GLOB crinn_raw_profiles "${CRINN_PROFILE_DIR}/*.profraw")
  if(NOT CRINN_LLVM_PROFDATA OR NOT crinn_raw_profiles)
    message(FATAL_ERROR "crinn-flags.cmake: CRINN_PROFILE=use needs llvm-profdata and the training run's .profraw files in ${CRINN_PROFILE_DIR}")
  endif()
  execute_process(COMMAND "${CRINN_LLVM_PROFDATA}" merge -o "${CRINN_PROFILE_DIR}/crinn.profdata" ${crinn_raw_profiles}
                  RESULT_VARIABLE crinn_merged)
  if(NOT crinn_merged EQUAL 0)
    message(FATAL_ERROR "crinn-flags.cmake: llvm-profdata could not merge the profiles in ${CRINN_PROFILE_DIR}")
  endif()
  list(APPEND crinn_compile_flags "-fprofile-use=${CRINN_PROFILE_DIR}/crinn.profdata"
       -Wno-profile-instr-unprofiled -Wno-profile-instr-missing)
elseif(CRINN_PROFILE STREQUAL "use")
  message(FATAL_ERROR "crinn-flags.cmake: profile-guided optimization needs GCC or Clang, not ${CMAKE_CXX_COMPILER_ID}")
elseif(NOT CRINN_PROFILE STREQUAL "off")
  message(FATAL_ERROR "crinn-flags.cmake: CRINN_PROFILE is '${CRINN_PROFILE}', not off, generate or use")
else()
  message(STATUS "crinn-flags.cmake: this plan is profile-guided; CRINN_PROFILE=generate, then use, builds it so")
endif()
)";

// Gives the flags to every target the tree compiles, in the top directory
// and below; only C and C++ sources get them.
constexpr const char* kApply = R"(
function(crinn_apply_flags dir)
  get_property(targets DIRECTORY "${dir}" PROPERTY BUILDSYSTEM_TARGETS)
  foreach(target IN LISTS targets)
    get_target_property(type "${target}" TYPE)
    if(type MATCHES "^(EXECUTABLE|STATIC_LIBRARY|SHARED_LIBRARY|MODULE_LIBRARY|OBJECT_LIBRARY)$")
      foreach(flag IN LISTS crinn_compile_flags)
        target_compile_options("${target}" PRIVATE "$<$<COMPILE_LANGUAGE:C,CXX>:${flag}>")
      endforeach()
      target_link_options("${target}" PRIVATE ${crinn_link_flags})
    endif()
  endforeach()
  get_property(subdirectories DIRECTORY "${dir}" PROPERTY SUBDIRECTORIES)
  foreach(subdirectory IN LISTS subdirectories)
    crinn_apply_flags("${subdirectory}")
  endforeach()
endfunction()
crinn_apply_flags("${CMAKE_CURRENT_LIST_DIR}")
)";

std::string flags_cmake(const std::string& site, const schema::CompileFlags& flags) {
  std::string list;
  for (const std::string& flag : flags.flags()) list += " " + flag;
  std::string text =
      "# Written by crinn-opt for compile-flags at " + site +
      " (docs/rewrites.md, compile-flags).\n"
      "# CMakeLists.txt includes it last: it sees every target of the tree, and its\n"
      "# flags follow the tree's own (-O3 -march=native, then these).\n"
      "set(crinn_compile_flags" + list + ")\n"
      "set(crinn_link_flags)\n";
  if (flags.profile_guided) text += kProfileGuided;
  return text + kApply;
}

}  // namespace

std::optional<schema::RewriteOption> CompileFlags::option_for(const sites::Site& site, clang::ASTContext&) const {
  if (!std::holds_alternative<sites::BuildScript>(site.detail)) return std::nullopt;
  return schema::compile_flags_option();
}

llvm::Expected<std::vector<BuildFileEdit>> CompileFlags::build_edits(const sites::Site& site,
                                                                     const Params& params) const {
  fs::path flags_file = fs::path(site.file).parent_path() / kFlagsFile;
  if (fs::exists(flags_file))
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "%s exists already; crinn-opt writes the plan's flags there and replaces no file "
                                   "of the tree",
                                   flags_file.c_str());
  return std::vector<BuildFileEdit>{
      {site.file, "include(\"${CMAKE_CURRENT_LIST_DIR}/" + std::string(kFlagsFile) + "\")", false},
      {flags_file.string(), flags_cmake(site.id, schema::compile_flags(params.values())), true}};
}

std::unique_ptr<Rewrite> make_CompileFlags() { return std::make_unique<CompileFlags>(); }

}  // namespace crinn::rewrite
