#include "Rewrite/SourceTree.h"

#include "Rewrite/Rewrite.h"
#include "Sites/BuildReach.h"
#include "Sites/BuildSite.h"
#include "Sites/SiteFinder.h"

#include "clang/Frontend/ASTUnit.h"
#include "clang/Frontend/CompilerInstance.h"
#include "clang/Frontend/FrontendAction.h"
#include "clang/Tooling/Tooling.h"
#include "clang/Tooling/Transformer/Transformer.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>

namespace crinn::rewrite {

namespace fs = std::filesystem;
using namespace llvm;

namespace {

// The standard library's function bodies hold no sites; skipping them while
// parsing (and so their template instantiations) saves most of the parse.
// Variadic templates keep theirs: they forward their arguments
// (std::make_unique<Index>(n, M)), and a setting is followed through them.
class SkipSystemBodies : public clang::ASTConsumer {
 public:
  explicit SkipSystemBodies(const clang::SourceManager& sources) : sources_(sources) {}
  bool shouldSkipFunctionBody(clang::Decl* decl) override {
    if (!sources_.isInSystemHeader(decl->getLocation())) return false;
    const clang::FunctionDecl* function = decl->getAsFunction();
    const clang::FunctionTemplateDecl* pattern = function ? function->getDescribedFunctionTemplate() : nullptr;
    return !pattern || !pattern->getTemplateParameters()->hasParameterPack();
  }

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

// A file named as the compilation database named it (perhaps relative to
// an entry's directory), as the absolute path the file manager resolved.
std::string real_path(const std::string& name, clang::ASTContext& context) {
  if (auto file = context.getSourceManager().getFileManager().getOptionalFileRef(name))
    if (StringRef real = file->getFileEntry().tryGetRealPathName(); !real.empty()) return real.str();
  return fs::absolute(name).string();
}

}  // namespace

std::string SourceTree::common_parent(const std::vector<std::string>& sources) {
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

std::string SourceTree::resource_dir(const char* argv0) {
  std::string exe = sys::fs::getMainExecutable(argv0, reinterpret_cast<void*>(&SourceTree::resource_dir));
  SmallString<256> beside(sys::path::parent_path(sys::path::parent_path(exe)));
  sys::path::append(beside, "lib", "clang", CRINN_CLANG_MAJOR);
  if (sys::fs::is_directory(beside + "/include")) return std::string(beside);
  return CRINN_CLANG_RESOURCE_DIR;
}

SourceTree::SourceTree(const clang::tooling::CompilationDatabase& compilations, const std::vector<std::string>& sources,
                       const std::string& root, const std::string& resource_dir)
    : root_(root) {
  // One tool per file: a ClangTool given several prints "[1/2] Processing
  // file ..." for each, which would mix with the tools' own progress output.
  BuildUnits build(units_);
  bool parsed = true;
  for (const std::string& source : sources) {
    clang::tooling::ClangTool tool(compilations, {source});
    tool.appendArgumentsAdjuster(clang::tooling::getInsertArgumentAdjuster(
        ("-resource-dir=" + resource_dir).c_str(), clang::tooling::ArgumentInsertPosition::END));
    parsed &= tool.run(&build) == 0;
  }
  if (!parsed || units_.size() != sources.size())
    throw ParseError("the sources do not parse (clang's diagnostics above)");
  for (const auto& unit : units_)
    if (unit->getDiagnostics().hasErrorOccurred())
      throw ParseError(unit->getMainFileName().str() + " does not parse (clang's diagnostics above)");

  auto in_project = [this](const std::string& path) {
    return path.compare(0, root_.size(), root_) == 0 && path.size() > root_.size() && path[root_.size()] == '/';
  };
  sites::CallEdges calls;
  std::set<std::string> read;
  for (const auto& unit : units_) {
    const clang::SourceManager& sources = unit->getSourceManager();
    for (auto file = sources.fileinfo_begin(); file != sources.fileinfo_end(); ++file) {
      StringRef real = file->first.getFileEntry().tryGetRealPathName();
      std::string path = real.empty() ? fs::absolute(file->first.getName().str()).string() : real.str();
      if (in_project(path)) read.insert(path);
    }
    sites::restrict_to_project(unit->getASTContext(), in_project);
    sites::add_call_edges(unit->getASTContext(), calls);
    unit_sites_.push_back(sites::find_sites(unit->getASTContext(), in_project, &unit->getPreprocessor()));
  }
  // Declarations (storage, constants) stay "reached": their uses are not tracked.
  project_files_.assign(read.begin(), read.end());
  std::set<std::string> built = sites::reachable_from(calls, "crinn_index_build");
  std::set<std::string> searched = sites::reachable_from(calls, "crinn_index_search");
  auto query_only = [&](const std::string& f) { return searched.count(f) && !built.count(f); };
  auto build_only = [&](const std::string& f) { return built.count(f) && !searched.count(f); };
  // `function` itself if only that path runs it, else a caller of it that only that path runs.
  auto entry_towards = [&](const std::string& function, const std::function<bool(const std::string&)>& only) {
    if (only(function)) return function;
    for (const auto& [caller, callees] : calls)
      if (only(caller) && callees.count(function)) return caller;
    return std::string();
  };
  // The query-only functions that call towards `entry`, once per entry.
  std::map<std::string, std::set<std::string>> callers_before;
  auto before_entry = [&](const std::string& entry) -> const std::set<std::string>& {
    auto [found, fresh] = callers_before.try_emplace(entry);
    if (fresh && !entry.empty())
      for (const std::string& f : searched)
        if (query_only(f) && f != entry && sites::reachable_from(calls, f).count(entry)) found->second.insert(f);
    return found->second;
  };
  std::set<std::string> ids;
  for (size_t u = 0; u < units_.size(); ++u) {
    for (sites::Site& site : unit_sites_[u]) {
      // Members and constants belong to no function; everything else to the one holding it.
      const auto* visited = std::get_if<sites::VisitedSet>(&site.detail);
      const auto* pool = std::get_if<sites::CandidatePool>(&site.detail);
      bool statement = !std::holds_alternative<sites::VectorStorage>(site.detail) &&
                       !std::holds_alternative<sites::TunableConstant>(site.detail) && !(visited && visited->field) &&
                       !(pool && pool->field);
      if (!built.empty() && statement) site.reached_by_build = built.count(site.function) > 0;
      if (!built.empty() && !searched.empty() && statement) {
        site.query_entry = entry_towards(site.function, query_only);
        site.build_entry = entry_towards(site.function, build_only);
        site.query_path = searched;
        site.before_query_entry = before_entry(site.query_entry);
      }
    }
    attach_options(unit_sites_[u], units_[u]->getASTContext());
    for (const sites::Site& site : unit_sites_[u])
      if (ids.insert(site.id).second) catalogue_.push_back(site);
  }
  // The build is no translation unit's: its site comes last, its options
  // from the same catalogue (the C++ rewrites offer nothing there).
  if (std::optional<sites::Site> build = sites::find_build_site(root_)) {
    std::vector<sites::Site> build_sites = {std::move(*build)};
    attach_options(build_sites, units_.front()->getASTContext());
    catalogue_.push_back(std::move(build_sites.front()));
  }
}

SourceTree::~SourceTree() = default;

namespace {

// How a line comment starts in `file`: `#` in CMake, `//` in C++.
std::string comment_leader(const std::string& file) {
  fs::path path(file);
  return path.filename() == "CMakeLists.txt" || path.extension() == ".cmake" ? "#" : "//";
}

}  // namespace

std::string SourceTree::applied_record(const schema::PlanEntry& entry, const std::string& file) {
  return comment_leader(file) + " crinn-opt: applied " + entry.rewrite + " at " + entry.site;
}

namespace {

// Rewrites that edit the same code of a site: one applied on top of the
// other's output would edit what it wrote.
bool edit_same_code(const sites::Site& site, const std::string& a, const std::string& b) {
  if (a == b) return true;
  const schema::RewriteOption* first = site.option(a);
  const schema::RewriteOption* second = site.option(b);
  if (!first || !second) return false;
  return (first->replaces_site && second->replaces_site) ||
         (!first->exclusive_group.empty() && first->exclusive_group == second->exclusive_group);
}

// Refuses an entry whose site's file says it was rewritten there already.
void check_not_applied(const schema::PlanEntry& entry, size_t index, const sites::Site& site) {
  std::ifstream in(site.file, std::ios::binary);
  const std::string prefix = comment_leader(site.file) + " crinn-opt: applied ", at = " at " + entry.site;
  unsigned number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    if (line.compare(0, prefix.size(), prefix) != 0 || line.size() < prefix.size() + at.size() ||
        line.compare(line.size() - at.size(), at.size(), at) != 0)
      continue;
    std::string applied = line.substr(prefix.size(), line.size() - prefix.size() - at.size());
    if (edit_same_code(site, applied, entry.rewrite))
      throw PlanError(schema::entry_label(entry, index) + ": " + site.file + ":" + std::to_string(number) +
                      " records that this code is the output of " + applied + " at this site already");
  }
}

}  // namespace

std::vector<RewrittenFile> SourceTree::apply(const schema::Plan& plan, Record record) {
  ChangeSet changes;
  for (size_t e = 0; e < plan.size(); ++e) {
    auto site = std::find_if(catalogue_.begin(), catalogue_.end(),
                             [&](const sites::Site& s) { return s.id == plan[e].site; });
    if (site == catalogue_.end()) continue;
    check_not_applied(plan[e], e, *site);
    const std::string label = schema::entry_label(plan[e], e), file = fs::canonical(site->file).string();
    if (record == Record::InFiles) changes.append_line(e, label, file, applied_record(plan[e], file));
    if (const BuildRewrite* build = find_rewrite(plan[e].rewrite)->as_build()) {
      auto edits = build->build_edits(*site, Params(plan[e].params));
      if (!edits) throw PlanError(label + ": " + toString(edits.takeError()));
      for (const BuildFileEdit& edit : *edits) {
        if (edit.created) changes.create_file(e, label, edit.path, edit.text);
        else changes.append_line(e, label, edit.path, edit.text);
      }
    }
  }
  // One traversal per translation unit runs the rules of every entry.
  for (size_t u = 0; u < units_.size(); ++u) {
    clang::ASTContext& context = units_[u]->getASTContext();
    std::vector<std::unique_ptr<clang::tooling::Transformer>> transformers;
    std::string failure;
    clang::ast_matchers::MatchFinder finder;
    for (size_t e = 0; e < plan.size(); ++e) {
      auto site = std::find_if(unit_sites_[u].begin(), unit_sites_[u].end(),
                               [&](const sites::Site& s) { return s.id == plan[e].site; });
      if (site == unit_sites_[u].end()) continue;
      auto rule = find_rewrite(plan[e].rewrite)->rule(*site, Params(plan[e].params), context);
      if (!rule) throw PlanError(schema::entry_label(plan[e], e) + ": " + toString(rule.takeError()));
      transformers.push_back(std::make_unique<clang::tooling::Transformer>(
          std::move(*rule), [&, e](Expected<MutableArrayRef<clang::tooling::AtomicChange>> result) {
            if (!result) {
              failure = schema::entry_label(plan[e], e) + ": " + toString(result.takeError());
              return;
            }
            for (const clang::tooling::AtomicChange& change : *result)
              changes.add(e, schema::entry_label(plan[e], e), real_path(change.getFilePath(), context), change);
          }));
      transformers.back()->registerMatchers(&finder);
    }
    if (transformers.empty()) continue;
    finder.matchAST(context);
    if (!failure.empty()) throw PlanError(failure);
  }
  return changes.render();
}

}  // namespace crinn::rewrite
