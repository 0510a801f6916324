// A client for any OpenAI-compatible chat-completions endpoint, over libcurl:
// a request timeout, retries with exponential backoff on 429 and 5xx and on
// transport errors, a bounded reply size, token usage counted, and every
// exchange appended to a transcript (JSON lines) that a recorded endpoint can
// replay. The API key goes only into the Authorization header: no error
// message, log line, state or transcript carries it.
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
  // Where each request and its answer are appended, one JSON line per HTTP
  // attempt: {"request": <body sent>, "status": <HTTP status>, "body": <answer
  // as received>} or, when no answer came, {"request": ..., "error": ...}.
  // Empty: no transcript.
  std::string transcript_path;
};

// A token is taken as this many characters where the endpoint reports no
// usage: the usual rule of thumb for English text and code with GPT-style
// tokenizers, good to about 25 %.
inline constexpr double kCharsPerToken = 4.0;

struct LlmUsage {
  long requests = 0;
  long retries = 0;
  long prompt_tokens = 0;
  long completion_tokens = 0;
  // Answers without a "usage" object, whose tokens above are estimated
  // from the characters sent and received (kCharsPerToken).
  long estimated_replies = 0;
};

struct ChatReply {
  std::string content;
  std::string error;  // empty on success
};

class LlmClient {
 public:
  explicit LlmClient(LlmEndpoint endpoint);
  // `messages` as the chat API takes them: [{"role": ..., "content": ...}];
  // a negative temperature leaves it to the endpoint.
  ChatReply chat(const nlohmann::json& messages, double temperature = -1.0);
  const LlmUsage& usage() const { return usage_; }
  // A resumed run continues its predecessor's counts.
  void restore_usage(const LlmUsage& usage) { usage_ = usage; }

 private:
  void record(const nlohmann::json& request, long status, const std::string& body, const std::string& error) const;

  LlmEndpoint endpoint_;
  LlmUsage usage_;
};

}  // namespace crinn::policy
