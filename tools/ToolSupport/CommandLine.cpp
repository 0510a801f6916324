#include "ToolSupport/CommandLine.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <sstream>
#include <type_traits>

namespace crinn::tools {

namespace {

std::string number_text(double value) {
  std::ostringstream text;
  text << value;
  return text.str();
}

// What the parse wrote to stderr: llvm::cl writes an option's own errors (a
// value missing or bad) to llvm::errs() whatever stream it is given, so
// stderr is a memory file while it parses.
class StderrCapture {
 public:
  StderrCapture() : file_(memfd_create("crinn-command-line", MFD_CLOEXEC)) {
    llvm::errs().flush();
    saved_ = file_ < 0 ? -1 : dup(STDERR_FILENO);
    if (saved_ < 0 || dup2(file_, STDERR_FILENO) < 0) saved_ = -1;
  }
  StderrCapture(const StderrCapture&) = delete;
  StderrCapture& operator=(const StderrCapture&) = delete;
  ~StderrCapture() { restore(); }

  // Puts stderr back and returns what was written to it meanwhile.
  std::string restore() {
    std::string text;
    llvm::errs().flush();
    if (saved_ >= 0) {
      dup2(saved_, STDERR_FILENO);
      close(saved_);
      saved_ = -1;
      char buffer[4096];
      lseek(file_, 0, SEEK_SET);
      for (ssize_t n; (n = read(file_, buffer, sizeof buffer)) > 0;) text.append(buffer, size_t(n));
    }
    if (file_ >= 0) close(file_);
    file_ = -1;
    return text;
  }

 private:
  int file_;
  int saved_ = -1;
};

// llvm::cl's words for the first problem as the tools word errors:
// "<program>: for the --runs option: needs an integer ..." becomes
// "--runs needs an integer ...", "<program>: Unknown command line argument
// '--rnus'.  Try: '...'" and its "Did you mean '--runs'?" become one line.
std::string tool_message(llvm::StringRef messages, llvm::StringRef program) {
  llvm::SmallVector<llvm::StringRef> lines;
  messages.split(lines, '\n', -1, false);
  auto without_program = [&](llvm::StringRef line) {
    line.consume_front(program);
    line.consume_front(": ");
    return line.rtrim("!");
  };
  if (lines.empty()) return "cannot parse the command line";
  llvm::StringRef first = without_program(lines[0]);
  std::string message;
  if (first.consume_front("for the ")) {
    auto [option, problem] = first.split(" option: ");
    message = (option + " " + problem).str();
  } else {
    message = first.split(".  Try: ").first.str();
    if (!message.empty()) message[0] = char(std::tolower(static_cast<unsigned char>(message[0])));
  }
  if (lines.size() > 1 && without_program(lines[1]).starts_with("Did you mean "))
    message += "; did you mean " + without_program(lines[1]).drop_front(13).str();
  return message;
}

}  // namespace

template <typename Number>
bool RangeParser<Number>::parse(llvm::cl::Option& option, llvm::StringRef name, llvm::StringRef text, Number& value) {
  std::string whole = text.str();
  char* end = nullptr;
  errno = 0;
  if constexpr (std::is_integral_v<Number>) {
    long long number = std::strtoll(whole.c_str(), &end, 10);
    if (whole.empty() || *end != '\0' || errno == ERANGE || number < min_ || number > max_)
      return option.error("needs an integer in [" + std::to_string(min_) + ", " + std::to_string(max_) + "], got '" +
                              whole + "'",
                          name);
    value = Number(number);
  } else {
    double number = std::strtod(whole.c_str(), &end);
    if (whole.empty() || *end != '\0' || errno == ERANGE || !std::isfinite(number) || number < min_ || number > max_)
      return option.error("needs a number in [" + number_text(min_) + ", " + number_text(max_) + "], got '" + whole +
                              "'",
                          name);
    value = number;
  }
  return false;
}

template class RangeParser<int>;
template class RangeParser<long long>;
template class RangeParser<double>;

bool parse_command_line(const char* tool, const char* argv0, llvm::function_ref<bool(llvm::raw_ostream&)> parse) {
  llvm::cl::SetVersionPrinter([tool](llvm::raw_ostream& out) { out << tool << " " << CRINN_VERSION << "\n"; });
  std::string messages;
  llvm::raw_string_ostream message_stream(messages);
  StderrCapture capture;
  bool parsed = parse(message_stream);
  std::string option_errors = capture.restore();
  if (parsed) {
    llvm::errs() << option_errors;  // warnings, if llvm::cl had any
    return true;
  }
  std::string program = llvm::sys::path::filename(argv0).str();
  llvm::errs() << tool << ": error: " << tool_message(option_errors.empty() ? messages : option_errors, program)
               << " (see --help)\n";
  return false;
}

bool parse_command_line(int argc, const char* const* argv, const char* tool, llvm::cl::OptionCategory& category,
                        llvm::StringRef overview) {
  llvm::cl::HideUnrelatedOptions(category);
  return parse_command_line(tool, argv[0], [&](llvm::raw_ostream& messages) {
    return llvm::cl::ParseCommandLineOptions(argc, argv, overview, &messages);
  });
}

void take_option_name(llvm::cl::Option& option, llvm::StringRef name) {
  llvm::StringMap<llvm::cl::Option*>& registered = llvm::cl::getRegisteredOptions();
  auto holder = registered.find(name);
  if (holder != registered.end() && holder->second != &option) holder->second->removeArgument();
  option.setArgStr(name);
}

}  // namespace crinn::tools
