// The tools' command lines on llvm::cl: numbers checked whole and against
// their range (`--runs 1x` and `--runs 4294967296` are errors naming the
// option, never a truncated value), and a bad command line reported as one
// line, "<tool>: error: ...".
#pragma once

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/Support/CommandLine.h"

#include <limits>

namespace crinn::tools {

// Parses a number for a cl::opt or cl::list of int, long long or double,
// failing unless the whole text is a number within the range that InRange set.
template <typename Number>
class RangeParser : public llvm::cl::parser<Number> {
 public:
  explicit RangeParser(llvm::cl::Option& option) : llvm::cl::parser<Number>(option) {}

  void set_range(Number min, Number max) {
    min_ = min;
    max_ = max;
  }

  bool parse(llvm::cl::Option& option, llvm::StringRef name, llvm::StringRef text, Number& value);

 private:
  Number min_ = std::numeric_limits<Number>::lowest();
  Number max_ = std::numeric_limits<Number>::max();
};

extern template class RangeParser<int>;
extern template class RangeParser<long long>;
extern template class RangeParser<double>;

template <typename Number>
using NumberOption = llvm::cl::opt<Number, false, RangeParser<Number>>;
template <typename Number>
using NumberList = llvm::cl::list<Number, bool, RangeParser<Number>>;

// The modifier giving a NumberOption or NumberList its range: InRange{1, 1000}.
template <typename Number>
struct InRange {
  Number min, max;

  template <typename Option>
  void apply(Option& option) const {
    option.getParser().set_range(min, max);
  }
};
template <typename Number>
InRange(Number, Number) -> InRange<Number>;

// Parses argv into the options of `category`, the only ones --help shows. A bad
// command line gets one line on stderr, "<tool>: error: <what> (see --help)",
// and false.
bool parse_command_line(int argc, const char* const* argv, const char* tool, llvm::cl::OptionCategory& category,
                        llvm::StringRef overview);

// The same for a tool whose parse is another's (crinn-opt's, clang's
// CommonOptionsParser): `parse` runs llvm::cl on argv, writing its messages
// to the stream it is given, and returns whether the command line was good.
bool parse_command_line(const char* tool, const char* argv0, llvm::function_ref<bool(llvm::raw_ostream&)> parse);

// Gives `option` the name `name` when a linked library's option holds it
// already: clang's tooling registers --executor for executors these tools
// never use, and crinn-tune's --executor must be its own. Call before parsing.
void take_option_name(llvm::cl::Option& option, llvm::StringRef name);

}  // namespace crinn::tools
