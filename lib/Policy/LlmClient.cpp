#include "Policy/LlmClient.h"

#include <curl/curl.h>

#include <chrono>
#include <thread>

namespace crinn::policy {

namespace {

// The reply body as it arrives, up to a limit: an endpoint (or a proxy in
// front of it) that sends gigabytes must cost a failed proposal, not the run.
struct BoundedBody {
  std::string text;
  size_t limit;
  bool too_large = false;
};

size_t collect(char* data, size_t size, size_t count, void* out) {
  auto* body = static_cast<BoundedBody*>(out);
  size_t bytes = size * count;
  if (bytes > body->limit - body->text.size()) {
    body->too_large = true;
    return 0;  // curl ends the transfer with CURLE_WRITE_ERROR
  }
  body->text.append(data, bytes);
  return bytes;
}

// curl_global_init is not thread-safe; do it once.
void init_curl() {
  static const bool done = [] { return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK; }();
  (void)done;
}

}  // namespace

LlmClient::LlmClient(LlmEndpoint endpoint) : endpoint_(std::move(endpoint)) { init_curl(); }

ChatReply LlmClient::chat(const nlohmann::json& messages) {
  const std::string body = nlohmann::json{{"model", endpoint_.model}, {"messages", messages}}.dump();
  ChatReply reply;
  double backoff = endpoint_.backoff_seconds;
  for (int attempt = 1; attempt <= endpoint_.max_attempts; ++attempt) {
    if (attempt > 1) {
      ++usage_.retries;
      std::this_thread::sleep_for(std::chrono::duration<double>(backoff));
      backoff *= 2;
    }
    ++usage_.requests;
    CURL* curl = curl_easy_init();
    if (!curl) return {"", "cannot start an HTTP request"};
    BoundedBody response{"", endpoint_.max_reply_bytes};
    curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
    std::string authorization;
    if (!endpoint_.api_key.empty()) {
      authorization = "Authorization: Bearer " + endpoint_.api_key;
      headers = curl_slist_append(headers, authorization.c_str());
    }
    curl_easy_setopt(curl, CURLOPT_URL, endpoint_.url.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, long(body.size()));
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, long(endpoint_.timeout_seconds * 1000));
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    CURLcode code = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);

    if (response.too_large)  // the same request would get the same answer: not retried
      return {"", "the endpoint's answer is longer than " + std::to_string(endpoint_.max_reply_bytes >> 20) +
                      " MiB, the limit of a reply"};
    if (code != CURLE_OK) {
      reply.error = std::string("request failed: ") + curl_easy_strerror(code);
      continue;  // transport errors and timeouts are retried
    }
    if (status == 429 || status >= 500) {
      reply.error = "the endpoint answered HTTP " + std::to_string(status);
      continue;
    }
    if (status != 200) return {"", "the endpoint answered HTTP " + std::to_string(status)};
    try {
      nlohmann::json parsed = nlohmann::json::parse(response.text);
      if (parsed.contains("usage")) {
        usage_.prompt_tokens += parsed["usage"].value("prompt_tokens", 0L);
        usage_.completion_tokens += parsed["usage"].value("completion_tokens", 0L);
      }
      return {parsed.at("choices").at(0).at("message").at("content").get<std::string>(), ""};
    } catch (const nlohmann::json::exception&) {
      return {"", "the endpoint's answer is not a chat completion"};
    }
  }
  reply.error += " (gave up after " + std::to_string(endpoint_.max_attempts) + " attempts)";
  return reply;
}

}  // namespace crinn::policy
