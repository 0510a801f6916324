// crinn-opt: find rewrite sites in ANNS source and apply structured rewrites.
#include "Rewrite/Plan.h"
#include "Rewrite/SourceTree.h"
#include "Rewrite/UnifiedDiff.h"

#include "clang/Tooling/CommonOptionsParser.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
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

void write_atomically(const std::string& path, const std::string& contents) {
  std::string temporary = path + ".crinn-tmp." + std::to_string(getpid());
  {
    std::ofstream out(temporary, std::ios::binary);
    out << contents;
    if (!out.flush()) throw ToolError(path + ": cannot write file");
  }
  fs::rename(temporary, path);
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

// With no sources named, CommonOptionsParser loads no database: the one -p
// names is loaded here, and every file of it under --root is a source.
std::unique_ptr<clang::tooling::CompilationDatabase> whole_database() {
  auto* build_path = static_cast<cl::opt<std::string>*>(cl::getRegisteredOptions().lookup("p"));
  if (!build_path || build_path->getValue().empty())
    throw ToolError("no sources: name them, or give -p <build dir> with a compile_commands.json");
  std::string error;
  auto database = clang::tooling::CompilationDatabase::autoDetectFromDirectory(build_path->getValue(), error);
  if (!database) throw ToolError(build_path->getValue() + ": no compile_commands.json here or in a parent directory");
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
    write_atomically((out / relative).string(), text);
  }
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

int run(clang::tooling::CommonOptionsParser& options, const char* argv0) {
  if (!ListSites && PlanPath.empty()) throw ToolError("nothing to do: give --list-sites or --plan <file>");
  if (!PlanPath.empty() && int(!OutputDir.empty()) + int(InPlace) + int(Diff) + int(!ExportFixes.empty()) == 0)
    throw ToolError("--plan needs an output: -o <dir>, -i, --diff or --export-fixes <file>");

  if (SourcesOnly && OutputDir.empty()) throw ToolError("--sources-only needs -o <dir>");
  if (!DepFile.empty() && !SourcesOnly) throw ToolError("--depfile needs -o <dir> --sources-only");
  std::vector<std::string> sources = options.getSourcePathList();
  std::unique_ptr<clang::tooling::CompilationDatabase> database;
  if (sources.empty()) {
    database = whole_database();
    sources = database_sources(*database);
  }
  // Once a build compiles the rewritten copies, its commands put their mirror
  // on the include path; parsing the originals must not read those copies.
  clang::tooling::ArgumentsAdjustingCompilations compilations(
      database ? std::move(database) : std::make_unique<ForwardingCompilations>(options.getCompilations()));
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

  if (ListSites) {
    nlohmann::json list = nlohmann::json::array();
    for (const sites::Site& site : tree->sites()) list.push_back(sites::to_json(site));
    std::cout << nlohmann::json{{"root", root}, {"sites", list}}.dump(2) << "\n";
  }
  if (PlanPath.empty()) return 0;

  std::vector<rewrite::PlanEntry> plan =
      rewrite::validate_plan(rewrite::read_plan_file(PlanPath), PlanPath, tree->sites());
  std::vector<rewrite::RewrittenFile> files;
  try {
    files = tree->apply(plan);
  } catch (const rewrite::PlanError& e) {
    throw ToolError(PlanPath + ": " + e.what());
  }

  if (!ExportFixes.empty())
    write_atomically(ExportFixes,
                     rewrite::fixes_yaml(files, fs::absolute(sources.front()).string()));
  if (Diff)
    for (const rewrite::RewrittenFile& file : files)
      std::cout << rewrite::unified_diff(file.original, file.rewritten, fs::relative(file.path, root).string());
  if (!OutputDir.empty() && SourcesOnly) {
    std::vector<std::string> outputs =
        write_sources(sources, tree->project_files(), files, root, fs::absolute(OutputDir.getValue()));
    if (!DepFile.empty()) write_atomically(DepFile, depfile(outputs, tree->project_files()));
  } else if (!OutputDir.empty()) {
    fs::path out = fs::absolute(OutputDir.getValue());
    if (fs::weakly_canonical(out).string().compare(0, root.size() + 1, root + "/") == 0)
      throw ToolError(OutputDir + ": the output directory must be outside the source tree " + root);
    // A fresh copy, built beside and renamed into place.
    fs::path staging = out.string() + ".crinn-tmp." + std::to_string(getpid());
    fs::remove_all(staging);
    fs::copy(root, staging, fs::copy_options::recursive | fs::copy_options::copy_symlinks);
    for (const rewrite::RewrittenFile& file : files) {
      std::ofstream write(staging / fs::relative(file.path, root), std::ios::binary | std::ios::trunc);
      write << file.rewritten;
      if (!write.flush()) throw ToolError((staging / fs::relative(file.path, root)).string() + ": cannot write file");
    }
    fs::remove_all(out);
    fs::rename(staging, out);
  }
  if (InPlace)
    for (const rewrite::RewrittenFile& file : files) write_atomically(file.path, file.rewritten);
  return 0;
}

}  // namespace

int main(int argc, const char** argv) {
  auto options = clang::tooling::CommonOptionsParser::create(argc, argv, Category, cl::ZeroOrMore);
  if (!options) {
    errs() << "crinn-opt: error: " << toString(options.takeError()) << "\n";
    return 2;
  }
  try {
    return run(*options, argv[0]);
  } catch (const std::exception& e) {
    errs() << "crinn-opt: error: " << e.what() << "\n";
    return 1;
  }
}
