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

namespace fs = std::filesystem;
using namespace crinn;
using namespace llvm;

static cl::OptionCategory Category("crinn-opt options");
static cl::extrahelp CommonHelp(clang::tooling::CommonOptionsParser::HelpMessage);
static cl::extrahelp MoreHelp(R"(
Lists the rewrite sites of ANNS source (--list-sites) or applies a plan of
rewrites (--plan) and writes the result to a copy of the source tree (-o), in
place (-i) or as a unified diff (--diff). See docs/crinn-opt.md.
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

int run(clang::tooling::CommonOptionsParser& options, const char* argv0) {
  if (!ListSites && PlanPath.empty()) throw ToolError("nothing to do: give --list-sites or --plan <file>");
  if (!PlanPath.empty() && int(!OutputDir.empty()) + int(InPlace) + int(Diff) + int(!ExportFixes.empty()) == 0)
    throw ToolError("--plan needs an output: -o <dir>, -i, --diff or --export-fixes <file>");

  std::string root = Root.empty() ? rewrite::SourceTree::common_parent(options.getSourcePathList())
                                  : fs::weakly_canonical(fs::absolute(Root.getValue())).string();
  std::unique_ptr<rewrite::SourceTree> tree;
  try {
    tree = std::make_unique<rewrite::SourceTree>(options.getCompilations(), options.getSourcePathList(), root,
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
                     rewrite::fixes_yaml(files, fs::absolute(options.getSourcePathList().front()).string()));
  if (Diff)
    for (const rewrite::RewrittenFile& file : files)
      std::cout << rewrite::unified_diff(file.original, file.rewritten, fs::relative(file.path, root).string());
  if (!OutputDir.empty()) {
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
  auto options = clang::tooling::CommonOptionsParser::create(argc, argv, Category);
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
