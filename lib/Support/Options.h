// Numbers given on a command line, checked whole and against their range:
// `--runs 1x`, `--runs 4294967296` and `--ef 4294967297` are errors naming
// the option, never a silently truncated value.
#pragma once

#include <stdexcept>
#include <string>

namespace crinn::support {

struct OptionError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

// An integer in [min, max]; anything else is an OptionError naming `option`.
long long parse_integer(const std::string& option, const std::string& text, long long min, long long max);

// A finite real number in [min, max].
double parse_real(const std::string& option, const std::string& text, double min, double max);

}  // namespace crinn::support
