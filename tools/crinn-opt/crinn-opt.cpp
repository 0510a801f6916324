// crinn-opt: find rewrite sites in ANNS source and apply structured rewrites.
#include "Rewrite/ChangeSet.h"
#include "Rewrite/Plan.h"
#include "Rewrite/Rewrite.h"
#include "Rewrite/UnifiedDiff.h"
#include "Sites/SiteFinder.h"

#include "clang/Frontend/ASTUnit.h"
#include "clang/Frontend/CompilerInstance.h"
#include "clang/Frontend/FrontendAction.h"
#include "clang/Tooling/CommonOptionsParser.h"
#include "clang/Tooling/ReplacementsYaml.h"
#include "clang/Tooling/Tooling.h"
#include "clang/Tooling/Transformer/Transformer.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/YAMLTraits.h"

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

// The standard library's function bodies hold no sites; skipping them while
// parsing (and so their template instantiations) saves most of the parse.
class SkipSystemBodies : public clang::ASTConsumer {
 public:
  explicit SkipSystemBodies(const clang::SourceManager& sources) : sources_(sources) {}
  bool shouldSkipFunctionBody(clang::Decl* decl) override { return sources_.isInSystemHeader(decl->getLocation()); }

 private:
  const clang::SourceManager& sources_;
};

class ParseSkippingSystemBodies : public clang::ASTFrontendAction {
  std::unique_ptr<clang::ASTConsumer> CreateASTConsumer(clang::CompilerInstance& compiler, StringRef) override {
    return std::make_unique<SkipSystemBodies>(compiler.getSourceManager());
  }
};

// ClangTool::buildASTs, with the system headers' function bodies skipped.
class BuildUnits : public clang::tooling::ToolAction {
 public:
  explicit BuildUnits(std::vector<std::unique_ptr<clang::ASTUnit>>& units) : units_(units) {}
  bool runInvocation(std::shared_ptr<clang::CompilerInvocation> invocation, clang::FileManager* files,
                     std::shared_ptr<clang::PCHContainerOperations> pch,
                     clang::DiagnosticConsumer* diagnostics) override {
    invocation->getFrontendOpts().SkipFunctionBodies = true;
    ParseSkippingSystemBodies action;
    std::unique_ptr<clang::ASTUnit> unit(clang::ASTUnit::LoadFromCompilerInvocationAction(
        invocation, std::move(pch),
        clang::CompilerInstance::createDiagnostics(&invocation->getDiagnosticOpts(), diagnostics, false), &action));
    if (!unit) return false;
    units_.push_back(std::move(unit));
    return true;
  }

 private:
  std::vector<std::unique_ptr<clang::ASTUnit>>& units_;
};

struct ToolError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Clang's builtin headers: beside the binary when installed with them,
// else those of the LLVM it was built with.
std::string resource_dir(const char* argv0) {
  std::string exe = sys::fs::getMainExecutable(argv0, reinterpret_cast<void*>(&resource_dir));
  SmallString<256> beside(sys::path::parent_path(sys::path::parent_path(exe)));
  sys::path::append(beside, "lib", "clang", CRINN_CLANG_MAJOR);
  if (sys::fs::is_directory(beside + "/include")) return std::string(beside);
  return CRINN_CLANG_RESOURCE_DIR;
}

std::string common_parent(const std::vector<std::string>& sources) {
  std::string common;
  for (const std::string& source : sources) {
    std::string dir = fs::weakly_canonical(fs::absolute(source)).parent_path().string();
    if (common.empty()) {
      common = dir;
      continue;
    }
    while (!common.empty() && (dir.compare(0, common.size(), common) != 0 ||
                               (dir.size() > common.size() && dir[common.size()] != '/')))
      common = fs::path(common).parent_path().string();
  }
  return common;
}

void write_atomically(const std::string& path, const std::string& contents) {
  std::string temporary = path + ".crinn-tmp." + std::to_string(getpid());
  {
    std::ofstream out(temporary, std::ios::binary);
    out << contents;
    if (!out.flush()) throw ToolError(path + ": cannot write file");
  }
  fs::rename(temporary, path);
}

// A file named as the compilation database named it (perhaps relative to
// an entry's directory), as the absolute path the file manager resolved.
std::string real_path(const std::string& name, clang::ASTContext& context) {
  if (auto file = context.getSourceManager().getFileManager().getOptionalFileRef(name))
    if (StringRef real = file->getFileEntry().tryGetRealPathName(); !real.empty()) return real.str();
  return fs::absolute(name).string();
}

int run(clang::tooling::CommonOptionsParser& options, const char* argv0) {
  if (!ListSites && PlanPath.empty()) throw ToolError("nothing to do: give --list-sites or --plan <file>");
  if (!PlanPath.empty() && int(!OutputDir.empty()) + int(InPlace) + int(Diff) + int(!ExportFixes.empty()) == 0)
    throw ToolError("--plan needs an output: -o <dir>, -i, --diff or --export-fixes <file>");

  std::string root = Root.empty() ? common_parent(options.getSourcePathList())
                                  : fs::weakly_canonical(fs::absolute(Root.getValue())).string();
  clang::tooling::ClangTool tool(options.getCompilations(), options.getSourcePathList());
  tool.appendArgumentsAdjuster(clang::tooling::getInsertArgumentAdjuster(
      ("-resource-dir=" + resource_dir(argv0)).c_str(), clang::tooling::ArgumentInsertPosition::END));
  std::vector<std::unique_ptr<clang::ASTUnit>> units;
  BuildUnits build(units);
  if (tool.run(&build) != 0 || units.size() != options.getSourcePathList().size())
    throw ToolError("the sources do not parse (clang's diagnostics above); nothing was written");
  for (const auto& unit : units)
    if (unit->getDiagnostics().hasErrorOccurred())
      throw ToolError(unit->getMainFileName().str() + " does not parse (clang's diagnostics above); nothing was written");

  // Sites per translation unit; one catalogue with a header's sites once.
  auto in_project = [&](const std::string& path) {
    return path.compare(0, root.size(), root) == 0 && path.size() > root.size() && path[root.size()] == '/';
  };
  std::vector<std::vector<sites::Site>> unit_sites;
  std::vector<sites::Site> catalogue;
  std::set<std::string> ids;
  for (const auto& unit : units) {
    sites::restrict_to_project(unit->getASTContext(), in_project);
    std::vector<sites::Site> found = sites::find_sites(unit->getASTContext(), in_project);
    rewrite::attach_options(found, unit->getASTContext());
    for (const sites::Site& site : found)
      if (ids.insert(site.id).second) catalogue.push_back(site);
    unit_sites.push_back(std::move(found));
  }

  if (ListSites) {
    nlohmann::json list = nlohmann::json::array();
    for (const sites::Site& site : catalogue) list.push_back(sites::to_json(site));
    std::cout << nlohmann::json{{"root", root}, {"sites", list}}.dump(2) << "\n";
  }
  if (PlanPath.empty()) return 0;

  std::vector<rewrite::PlanEntry> plan =
      rewrite::validate_plan(rewrite::read_plan_file(PlanPath), PlanPath, catalogue);
  // One traversal per translation unit runs the rules of every entry.
  rewrite::ChangeSet changes;
  for (size_t u = 0; u < units.size(); ++u) {
    clang::ASTContext& context = units[u]->getASTContext();
    std::vector<std::unique_ptr<clang::tooling::Transformer>> transformers;
    std::string failure;
    clang::ast_matchers::MatchFinder finder;
    for (size_t e = 0; e < plan.size(); ++e) {
      auto site = std::find_if(unit_sites[u].begin(), unit_sites[u].end(),
                               [&](const sites::Site& s) { return s.id == plan[e].site; });
      if (site == unit_sites[u].end()) continue;
      auto rule = rewrite::find_rewrite(plan[e].rewrite)->rule(*site, plan[e].params, context);
      if (!rule) throw ToolError(PlanPath + ": " + plan[e].label(e) + ": " + toString(rule.takeError()));
      transformers.push_back(std::make_unique<clang::tooling::Transformer>(
          std::move(*rule), [&, e](Expected<MutableArrayRef<clang::tooling::AtomicChange>> result) {
            if (!result) {
              failure = plan[e].label(e) + ": " + toString(result.takeError());
              return;
            }
            for (const clang::tooling::AtomicChange& change : *result)
              changes.add(e, plan[e].label(e), real_path(change.getFilePath(), context), change);
          }));
      transformers.back()->registerMatchers(&finder);
    }
    if (transformers.empty()) continue;
    finder.matchAST(context);
    if (!failure.empty()) throw ToolError(PlanPath + ": " + failure);
  }
  std::vector<rewrite::RewrittenFile> files = changes.render();

  if (!ExportFixes.empty()) {
    clang::tooling::TranslationUnitReplacements fixes;
    fixes.MainSourceFile = fs::absolute(options.getSourcePathList().front()).string();
    for (const rewrite::RewrittenFile& file : files)
      for (const clang::tooling::Replacement& r : file.replacements) fixes.Replacements.push_back(r);
    std::string yaml;
    raw_string_ostream stream(yaml);
    yaml::Output out(stream);
    out << fixes;
    stream.flush();
    write_atomically(ExportFixes, yaml);
  }
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
