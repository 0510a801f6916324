// crinn-opt: find rewrite sites in ANNS source and apply structured rewrites.
#include "Rewrite/Plan.h"
#include "Rewrite/SourceTree.h"
#include "Rewrite/UnifiedDiff.h"
#include "Support/AtomicFile.h"
#include "ToolSupport/CommandLine.h"

#include "clang/Tooling/CommonOptionsParser.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>

namespace fs = std::filesystem;
using namespace crinn;
using namespace llvm;

static cl::OptionCategory Category("crinn-opt options");
static cl::extrahelp CommonHelp(clang::tooling::CommonOptionsParser::HelpMessage);
static cl::extrahelp MoreHelp(R"(
Lists the rewrite sites of ANNS source (--list-sites) or applies a plan of
rewrites (--plan) and writes the result to a copy of the source tree (-o), in
place (-i) or as a unified diff (--diff). With -p and no sources, every file
of the compilation database under --root is a source. See docs/crinn-opt.md.
)");

static cl::opt<bool> ListSites("list-sites", cl::desc("Print every rewrite site as JSON"), cl::cat(Category));
static cl::opt<std::string> PlanPath("plan", cl::desc("Apply the plan in <file>"), cl::value_desc("file"),
                                     cl::cat(Category));
static cl::opt<std::string> OutputDir("o", cl::desc("Write a rewritten copy of the source tree to <dir>"),
                                      cl::value_desc("dir"), cl::cat(Category));
static cl::opt<bool> Force("force",
                           cl::desc("With -o: replace a directory that an earlier crinn-opt -o wrote (never "
                                    "any other directory)"),
                           cl::cat(Category));
static cl::opt<bool> InPlace("i", cl::desc("Rewrite the files in place"), cl::cat(Category));
static cl::opt<bool> Diff("diff", cl::desc("Print a unified diff of the rewrite"), cl::cat(Category));
static cl::opt<std::string> ExportFixes("export-fixes", cl::desc("Write the edits as clang-apply-replacements YAML"),
                                        cl::value_desc("file"), cl::cat(Category));
static cl::opt<bool> SourcesOnly("sources-only",
                                 cl::desc("With -o: write only the sources and the project headers they "
                                          "include, rewritten or not, at their paths under the tree, not a "
                                          "copy of the whole tree (for build systems; <dir> may then be "
                                          "inside the tree)"),
                                 cl::cat(Category));
static cl::opt<std::string> DepFile("depfile",
                                    cl::desc("With -o --sources-only: write a Makefile-style depfile naming the "
                                             "outputs and every project file the parse read"),
                                    cl::value_desc("file"), cl::cat(Category));
static cl::opt<std::string> Root("root",
                                 cl::desc("The source tree: sites outside it are ignored, -o copies it "
                                          "(default: the directory holding the sources)"),
                                 cl::value_desc("dir"), cl::cat(Category));

namespace {

struct ToolError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A command line that cannot work: exit status 2.
struct UsageError : ToolError {
  using ToolError::ToolError;
};

// The file in each directory -o wrote: what may be replaced with --force,
// and what --sources-only may write into again.
constexpr const char* kOutputMarker = ".crinn-opt-output";

bool within(const fs::path& inner, const fs::path& outer) {
  auto [end, rest] = std::mismatch(outer.begin(), outer.end(), inner.begin(), inner.end());
  return end == outer.end();
}

// What -o finds at its directory. It never writes into the tree or a
// directory holding it (a copy of the tree over itself, `-o .` at a
// project's root), nor into a directory of the user's that holds files.
enum class OutputState { Missing, Empty, EarlierOutput };

OutputState check_output_dir(const std::string& option, const fs::path& root) {
  fs::path out = fs::weakly_canonical(fs::absolute(option));
  fs::path tree = fs::weakly_canonical(root);
  if (within(tree, out))
    throw ToolError(option + ": is the source tree " + tree.string() + " or holds it; -o writes outside the tree");
  if (!SourcesOnly && within(out, tree))
    throw ToolError(option + ": the output directory must be outside the source tree " + tree.string());
  std::error_code error;
  fs::file_status status = fs::status(out, error);
  if (!fs::exists(status)) return OutputState::Missing;
  if (!fs::is_directory(status)) throw ToolError(option + ": exists and is not a directory; nothing was written");
  if (fs::exists(out / kOutputMarker)) return OutputState::EarlierOutput;
  if (fs::is_empty(out, error) && !error) return OutputState::Empty;
  throw ToolError(option + ": exists, holds files and was not written by crinn-opt; name a new or empty directory");
}

// Where the first of `files` records a rewrite crinn-opt applied ("file:line"), or "".
std::string first_applied_record(const std::vector<std::string>& files) {
  for (const std::string& path : files) {
    std::ifstream in(path);
    unsigned number = 0;
    for (std::string line; std::getline(in, line);)
      if (++number, line.rfind("// crinn-opt: applied ", 0) == 0) return path + ":" + std::to_string(number);
  }
  return "";
}

// -i replaces files; one the user cannot or did not mean to write is left alone,
// and so is every other file (all are checked before any is written).
void check_writable(const std::vector<rewrite::RewrittenFile>& files) {
  for (const rewrite::RewrittenFile& file : files) {
    if (file.created) {
      if (access(fs::path(file.path).parent_path().c_str(), W_OK) != 0)
        throw ToolError(fs::path(file.path).parent_path().string() + ": cannot add " + file.path + " there; nothing was written");
      continue;
    }
    std::error_code error;
    fs::perms perms = fs::status(file.path, error).permissions();
    if (error) throw ToolError(file.path + ": cannot read its permissions: " + error.message());
    bool any_write = (perms & (fs::perms::owner_write | fs::perms::group_write | fs::perms::others_write)) != fs::perms::none;
    if (!any_write || access(file.path.c_str(), W_OK) != 0)
      throw ToolError(file.path + ": is read-only; nothing was written");
  }
}

// A rewritten copy of the whole tree at `out`, built in a staging directory
// beside it and renamed into place, so that a failure leaves `out` as it was.
void write_tree_copy(const std::vector<rewrite::RewrittenFile>& files, const std::string& root, const fs::path& out,
                     OutputState found) {
  if (found == OutputState::EarlierOutput && !Force)
    throw ToolError(OutputDir.getValue() + ": holds an earlier crinn-opt output; give --force to replace it");
  fs::create_directories(out.parent_path());
  fs::path staging = crinn::support::make_staging_directory(out);
  try {
    fs::copy(root, staging, fs::copy_options::recursive | fs::copy_options::copy_symlinks);
    for (const rewrite::RewrittenFile& file : files)
      crinn::support::write_file_atomically(staging / fs::relative(file.path, root), file.rewritten);
    crinn::support::write_file_atomically(staging / kOutputMarker, "crinn-opt -o: a rewritten copy of " + root + "\n");
    crinn::support::replace_directory(staging, out);
  } catch (...) {
    std::error_code ignored;
    fs::remove_all(staging, ignored);
    throw;
  }
}

// A non-owning view of CommonOptionsParser's database.
class ForwardingCompilations : public clang::tooling::CompilationDatabase {
 public:
  explicit ForwardingCompilations(const clang::tooling::CompilationDatabase& inner) : inner_(inner) {}
  std::vector<clang::tooling::CompileCommand> getCompileCommands(StringRef file) const override {
    return inner_.getCompileCommands(file);
  }
  std::vector<std::string> getAllFiles() const override { return inner_.getAllFiles(); }
  std::vector<clang::tooling::CompileCommand> getAllCompileCommands() const override {
    return inner_.getAllCompileCommands();
  }

 private:
  const clang::tooling::CompilationDatabase& inner_;
};

clang::tooling::ArgumentsAdjuster drop_include_dirs_under(const fs::path& dir) {
  std::string prefix = fs::weakly_canonical(dir).string();
  auto under = [prefix](const std::string& path) {
    std::string full = fs::weakly_canonical(fs::absolute(path)).string();
    return full.compare(0, prefix.size(), prefix) == 0 && (full.size() == prefix.size() || full[prefix.size()] == '/');
  };
  return [under](const clang::tooling::CommandLineArguments& args, StringRef) {
    clang::tooling::CommandLineArguments kept;
    for (size_t i = 0; i < args.size(); ++i) {
      bool drop = false;
      for (std::string flag : {"-I", "-isystem", "-iquote"}) {
        if (args[i] == flag && i + 1 < args.size() && under(args[i + 1])) {
          drop = true;
          ++i;
        } else if (args[i].size() > flag.size() && args[i].compare(0, flag.size(), flag) == 0 &&
                   under(args[i].substr(flag.size()))) {
          drop = true;
        }
        if (drop) break;
      }
      if (!drop) kept.push_back(args[i]);
    }
    return kept;
  };
}

// The compile commands when none follow "--" or no source is named: -p's
// compile_commands.json, or else one in a source's directory or a parent, as
// clang-tidy finds it. LLVM would parse with no flags at all after a warning;
// without the project's include paths and defines, the sites are not the build's.
std::unique_ptr<clang::tooling::CompilationDatabase> detected_database(const std::vector<std::string>& sources) {
  auto* build_path = static_cast<cl::opt<std::string>*>(cl::getRegisteredOptions().lookup("p"));
  std::string error;
  if (build_path && !build_path->getValue().empty()) {
    auto database = clang::tooling::CompilationDatabase::autoDetectFromDirectory(build_path->getValue(), error);
    if (!database) throw ToolError(build_path->getValue() + ": no compile_commands.json here or in a parent directory");
    return database;
  }
  if (sources.empty()) throw UsageError("no sources: name them, or give -p <build dir> with a compile_commands.json");
  auto database = clang::tooling::CompilationDatabase::autoDetectFromSource(sources.front(), error);
  if (!database)
    throw UsageError(sources.front() + ": no compile_commands.json in its directory or a parent, and no compiler "
                     "arguments: give -p <build dir>, or end the command with -- and the arguments (-- -std=c++17 -I...)");
  return database;
}

std::vector<std::string> database_sources(const clang::tooling::CompilationDatabase& compilations) {
  std::string root = Root.empty() ? "" : fs::weakly_canonical(fs::absolute(Root.getValue())).string() + "/";
  std::vector<std::string> sources;
  for (const std::string& file : compilations.getAllFiles())
    if (file.compare(0, root.size(), root) == 0) sources.push_back(file);
  if (sources.empty())
    throw ToolError("no sources: the compilation database has no file" +
                    (root.empty() ? std::string() : " under " + root));
  return sources;
}

// Each source and each project header the parse read, rewritten or as it is,
// at its path under `root` in `out`: a mirror in which every include of a
// project file, quoted or angled, finds the rewritten copy first. Every file
// is written (and so newer than its inputs, as a build system expects of a
// command's outputs), each atomically. Returns the sources' copies.
std::vector<std::string> write_sources(const std::vector<std::string>& sources,
                                       const std::vector<std::string>& project_files,
                                       const std::vector<rewrite::RewrittenFile>& files, const std::string& root,
                                       const fs::path& out) {
  std::map<std::string, std::string> contents;
  std::vector<std::string> source_paths;
  for (const std::string& source : sources) source_paths.push_back(fs::weakly_canonical(fs::absolute(source)).string());
  std::vector<std::string> read = source_paths;
  read.insert(read.end(), project_files.begin(), project_files.end());
  for (const std::string& path : read) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    contents[path] = text.str();
  }
  for (const rewrite::RewrittenFile& file : files) contents[file.path] = file.rewritten;
  for (const auto& [path, text] : contents) {
    fs::path relative = fs::relative(path, root);
    if (relative.empty() || *relative.begin() == "..") throw ToolError(path + ": outside the tree " + root);
    fs::create_directories((out / relative).parent_path());
    crinn::support::write_file_atomically(out / relative, text);
  }
  crinn::support::write_file_atomically(out / kOutputMarker, "crinn-opt -o --sources-only: rewritten sources of " + root + "\n");
  std::vector<std::string> written;
  for (const std::string& path : source_paths) written.push_back((out / fs::relative(path, root)).string());
  return written;
}

std::string depfile(const std::vector<std::string>& outputs, const std::vector<std::string>& inputs) {
  auto escaped = [](const std::string& path) {
    std::string text;
    for (char c : path) text += c == ' ' ? std::string("\\ ") : c == '$' ? std::string("$$") : std::string(1, c);
    return text;
  };
  std::string text;
  for (const std::string& output : outputs) text += (text.empty() ? "" : " ") + escaped(output);
  text += ":";
  for (const std::string& input : inputs) text += " \\\n  " + escaped(input);
  return text + "\n";
}

// crinn_optimize() compiles the mirror's sources with its target's own flags,
// and no build reads the mirror's CMake files: a plan's compile-flags entry
// (a tuned plan may hold one) is left out, with a warning naming the flags
// to give the target.
schema::Plan without_build_entries(const schema::Plan& plan) {
  schema::Plan sources;
  for (const schema::PlanEntry& entry : plan) {
    if (entry.rewrite != schema::kCompileFlags) {
      sources.push_back(entry);
      continue;
    }
    schema::CompileFlags chosen = schema::compile_flags(entry.params);
    std::string flags;
    for (const std::string& flag : chosen.flags()) flags += " " + flag;
    errs() << "crinn-opt: warning: " << PlanPath << ": " << entry.rewrite << " at " << entry.site
           << " is left out: --sources-only rewrites sources, not the build; give the target the plan's flags:"
           << (flags.empty() ? " none" : flags)
           << (chosen.profile_guided ? ", profile-guided (docs/rewrites.md, compile-flags)" : "") << "\n";
  }
  return sources;
}

// `compile_arguments_given`: the command line had "--" (what follows it,
// possibly nothing, is every source's compiler arguments).
int run(clang::tooling::CommonOptionsParser& options, const char* argv0, bool compile_arguments_given) {
  if (!ListSites && PlanPath.empty()) throw UsageError("nothing to do: give --list-sites or --plan <file>");
  if (!PlanPath.empty() && int(!OutputDir.empty()) + int(InPlace) + int(Diff) + int(!ExportFixes.empty()) == 0)
    throw UsageError("--plan needs an output: -o <dir>, -i, --diff or --export-fixes <file>");

  if (SourcesOnly && OutputDir.empty()) throw UsageError("--sources-only needs -o <dir>");
  if (Force && OutputDir.empty()) throw UsageError("--force needs -o <dir>");
  if (!DepFile.empty() && !SourcesOnly) throw UsageError("--depfile needs -o <dir> --sources-only");
  // Checked before the parse, which is the long part.
  for (const std::string& file : {ExportFixes.getValue(), DepFile.getValue()})
    if (!file.empty()) crinn::support::check_can_write(file);
  std::vector<std::string> sources = options.getSourcePathList();
  std::unique_ptr<clang::tooling::CompilationDatabase> database;
  if (!compile_arguments_given || sources.empty()) {
    database = detected_database(sources);
    if (sources.empty()) sources = database_sources(*database);
  }
  bool detected = database != nullptr;
  clang::tooling::ArgumentsAdjustingCompilations compilations(
      detected ? std::move(database) : std::make_unique<ForwardingCompilations>(options.getCompilations()));
  // --extra-arg and --extra-arg-before, which CommonOptionsParser applies only to the database it loaded.
  if (detected && options.getArgumentsAdjuster()) compilations.appendArgumentsAdjuster(options.getArgumentsAdjuster());
  // Once a build compiles the rewritten copies, its commands put their mirror
  // on the include path; parsing the originals must not read those copies.
  if (SourcesOnly) compilations.appendArgumentsAdjuster(drop_include_dirs_under(fs::absolute(OutputDir.getValue())));
  std::string root = Root.empty() ? rewrite::SourceTree::common_parent(sources)
                                  : fs::weakly_canonical(fs::absolute(Root.getValue())).string();
  std::unique_ptr<rewrite::SourceTree> tree;
  try {
    tree = std::make_unique<rewrite::SourceTree>(compilations, sources, root,
                                                 rewrite::SourceTree::resource_dir(argv0));
  } catch (const rewrite::ParseError& e) {
    throw ToolError(std::string(e.what()) + "; nothing was written");
  }

  // Checked before the plan is applied: a refused output costs no parse of the plan's work.
  std::optional<OutputState> output_dir;
  if (!OutputDir.empty() && !PlanPath.empty()) output_dir = check_output_dir(OutputDir, root);

  if (ListSites) {
    nlohmann::json list = nlohmann::json::array();
    for (const sites::Site& site : tree->sites()) list.push_back(schema::to_json(site));
    std::cout << nlohmann::json{{"root", root}, {"sites", list}}.dump(2) << "\n";
  }
  if (PlanPath.empty()) return 0;

  schema::Plan plan;
  try {
    plan = rewrite::validate_plan(schema::read_plan_file(PlanPath), PlanPath, tree->sites());
  } catch (const rewrite::PlanError& e) {
    // A site a rewrite consumed is gone from its own output: say so.
    std::string record = first_applied_record(tree->project_files());
    throw ToolError(std::string(e.what()) +
                    (record.empty() ? "" : "; " + record + " records that crinn-opt rewrote this code already"));
  }
  if (SourcesOnly) plan = without_build_entries(plan);
  std::vector<rewrite::RewrittenFile> files;
  try {
    files = tree->apply(plan);
  } catch (const rewrite::PlanError& e) {
    throw ToolError(PlanPath + ": " + e.what());
  }

  if (InPlace) check_writable(files);
  for (const rewrite::RewrittenFile& file : files)
    if (!ExportFixes.empty() && file.created)
      errs() << "crinn-opt: warning: " << ExportFixes << " leaves out " << file.path
             << ", which the plan adds: clang-apply-replacements edits files and creates none\n";
  if (!ExportFixes.empty())
    crinn::support::write_file_atomically(ExportFixes.getValue(),
                     rewrite::fixes_yaml(files, fs::absolute(sources.front()).string()));
  if (Diff)
    for (const rewrite::RewrittenFile& file : files)
      std::cout << rewrite::unified_diff(file.original, file.rewritten, fs::relative(file.path, root).string(), file.created);
  if (!OutputDir.empty() && SourcesOnly) {
    std::vector<std::string> outputs =
        write_sources(sources, tree->project_files(), files, root, fs::absolute(OutputDir.getValue()));
    if (!DepFile.empty()) crinn::support::write_file_atomically(DepFile.getValue(), depfile(outputs, tree->project_files()));
  } else if (!OutputDir.empty()) {
    write_tree_copy(files, root, fs::weakly_canonical(fs::absolute(OutputDir.getValue())), *output_dir);
  }
  if (InPlace)
    for (const rewrite::RewrittenFile& file : files) crinn::support::write_file_atomically(file.path, file.rewritten);
  return 0;
}

}  // namespace

int main(int argc, const char** argv) {
  // Without "--", CommonOptionsParser would look for a compilation database
  // itself and, finding none, parse with no flags after a warning; with an
  // empty "--" it loads none, and run() looks for one (detected_database).
  bool compile_arguments_given = std::any_of(argv + 1, argv + argc, [](const char* arg) { return StringRef(arg) == "--"; });
  std::vector<const char*> args(argv, argv + argc);
  if (!compile_arguments_given) args.push_back("--");
  int count = int(args.size());
  std::optional<clang::tooling::CommonOptionsParser> options;
  bool parsed = crinn::tools::parse_command_line("crinn-opt", argv[0], [&](raw_ostream& messages) {
    auto created = clang::tooling::CommonOptionsParser::create(count, args.data(), Category, cl::ZeroOrMore);
    if (!created) {
      messages << toString(created.takeError());
      return false;
    }
    options.emplace(std::move(*created));
    return true;
  });
  if (!parsed) return 2;
  try {
    return run(*options, argv[0], compile_arguments_given);
  } catch (const UsageError& e) {
    errs() << "crinn-opt: error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    errs() << "crinn-opt: error: " << e.what() << "\n";
    return 1;
  }
}
