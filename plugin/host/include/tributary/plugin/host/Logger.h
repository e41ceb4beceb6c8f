// Where the provider's log lines go (the host's log callback). Never pass secrets.
// Thread rules: any thread.
#pragma once

#include <string>

namespace tributary::plugin {

enum class LogLevel { kDebug = 10, kInfo = 20, kWarn = 30, kError = 40 };

class Logger {
 public:
  virtual ~Logger() = default;
  virtual bool enabled(LogLevel level) const = 0;
  virtual void log(LogLevel level, const std::string& message) = 0;
};

class NullLogger final : public Logger {
 public:
  bool enabled(LogLevel) const override { return false; }
  void log(LogLevel, const std::string&) override {}
};

}  // namespace tributary::plugin
