#include "Policy/LlmClient.h"

#include <curl/curl.h>

#include <chrono>
#include <fstream>
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

void LlmClient::record(const nlohmann::json& request, long status, const std::string& body,
                       const std::string& error) const {
  if (endpoint_.transcript_path.empty()) return;
  nlohmann::json line = {{"request", request}};
  if (error.empty()) {
    line["status"] = status;
    line["body"] = body;
  } else {
    line["error"] = error;
  }
  std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  // An endpoint that echoes the Authorization header must not put the key in the file.
  for (size_t at; !endpoint_.api_key.empty() && (at = text.find(endpoint_.api_key)) != std::string::npos;)
    text.replace(at, endpoint_.api_key.size(), "<CRINN_LLM_API_KEY>");
  // Appended and flushed per exchange: a killed run keeps what it was told.
  std::ofstream out(endpoint_.transcript_path, std::ios::app);
  out << text << "\n";
  if (!out.flush()) throw std::runtime_error(endpoint_.transcript_path + ": cannot write the transcript");
}

ChatReply LlmClient::chat(const nlohmann::json& messages, double temperature) {
  nlohmann::json request = {{"model", endpoint_.model}, {"messages", messages}};
  if (temperature >= 0) request["temperature"] = temperature;
  const std::string body = request.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
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
    std::string unanswered;
    if (response.too_large) unanswered = "the answer is longer than the limit of a reply";
    else if (code != CURLE_OK) unanswered = std::string("request failed: ") + curl_easy_strerror(code);
    record(request, status, response.text, unanswered);

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
      std::string content = parsed.at("choices").at(0).at("message").at("content").get<std::string>();
      if (parsed.contains("usage") && parsed["usage"].is_object()) {
        usage_.prompt_tokens += parsed["usage"].value("prompt_tokens", 0L);
        usage_.completion_tokens += parsed["usage"].value("completion_tokens", 0L);
      } else {
        ++usage_.estimated_replies;
        usage_.prompt_tokens += long(double(body.size()) / kCharsPerToken);
        usage_.completion_tokens += long(double(content.size()) / kCharsPerToken);
      }
      return {content, ""};
    } catch (const nlohmann::json::exception&) {
      return {"", "the endpoint's answer is not a chat completion"};
    }
  }
  reply.error += " (gave up after " + std::to_string(endpoint_.max_attempts) + " attempts)";
  return reply;
}

}  // namespace crinn::policy
