#include "Support/Options.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <sstream>

namespace crinn::support {

namespace {

std::string number_text(double value) {
  std::ostringstream text;
  text << value;
  return text.str();
}

}  // namespace

long long parse_integer(const std::string& option, const std::string& text, long long min, long long max) {
  char* end = nullptr;
  errno = 0;
  long long value = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno == ERANGE || value < min || value > max)
    throw OptionError(option + " needs an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "], got '" +
                      text + "'");
  return value;
}

double parse_real(const std::string& option, const std::string& text, double min, double max) {
  char* end = nullptr;
  errno = 0;
  double value = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || errno == ERANGE || !std::isfinite(value) || value < min || value > max)
    throw OptionError(option + " needs a number in [" + number_text(min) + ", " + number_text(max) + "], got '" + text +
                      "'");
  return value;
}

}  // namespace crinn::support
