// A client for any OpenAI-compatible chat-completions endpoint, over libcurl:
// a request timeout, retries with exponential backoff on 429 and 5xx and on
// transport errors, a bounded reply size, and token usage counted. The API
// key goes only into the Authorization header: no error message, log line or
// state carries it.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>

namespace crinn::policy {

struct LlmEndpoint {
  std::string url;      // e.g. http://127.0.0.1:8080/v1/chat/completions
  std::string model;
  std::string api_key;  // from CRINN_LLM_API_KEY; may be empty for local servers
  double timeout_seconds = 120.0;
  int max_attempts = 4;
  double backoff_seconds = 1.0;  // doubled after each retry
  // A longer reply is an error: a chat completion holding one plan is a few KB.
  size_t max_reply_bytes = size_t(8) << 20;
};

struct LlmUsage {
  long requests = 0;
  long retries = 0;
  long prompt_tokens = 0;
  long completion_tokens = 0;
};

struct ChatReply {
  std::string content;
  std::string error;  // empty on success
};

class LlmClient {
 public:
  explicit LlmClient(LlmEndpoint endpoint);
  // `messages` as the chat API takes them: [{"role": ..., "content": ...}].
  ChatReply chat(const nlohmann::json& messages);
  const LlmUsage& usage() const { return usage_; }

 private:
  LlmEndpoint endpoint_;
  LlmUsage usage_;
};

}  // namespace crinn::policy
