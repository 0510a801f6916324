// The LLM policy against a real HTTP server on 127.0.0.1, started by the test,
// that answers from a script of canned chat-completion responses.
#include "Policy/LlmPolicy.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <thread>

namespace crinn::policy {
namespace {

class LocalChatServer {
 public:
  struct Response {
    int status;
    std::string body;
  };

  explicit LocalChatServer(std::vector<Response> script) : script_(std::move(script)) {
    listener_ = socket(AF_INET, SOCK_STREAM, 0);
    int yes = 1;
    setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address);
    listen(listener_, 8);
    socklen_t length = sizeof address;
    getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { serve(); });
  }

  ~LocalChatServer() {
    stop_ = true;
    thread_.join();
    close(listener_);
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v1/chat/completions"; }

  std::vector<std::string> requests() {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_;
  }

 private:
  void serve() {
    while (!stop_) {
      pollfd pfd{listener_, POLLIN, 0};
      if (poll(&pfd, 1, 50) <= 0) continue;
      int connection = accept(listener_, nullptr, nullptr);
      if (connection < 0) continue;
      std::string request;
      char buffer[4096];
      size_t body_start = std::string::npos, content_length = 0;
      while (body_start == std::string::npos || request.size() < body_start + content_length) {
        ssize_t n = read(connection, buffer, sizeof buffer);
        if (n <= 0) break;
        request.append(buffer, size_t(n));
        if (body_start == std::string::npos && (body_start = request.find("\r\n\r\n")) != std::string::npos) {
          body_start += 4;
          size_t header = request.find("Content-Length: ");
          if (header != std::string::npos) content_length = std::stoul(request.substr(header + 16));
        }
      }
      Response response{500, "{}"};
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (requests_.size() < script_.size()) response = script_[requests_.size()];
        requests_.push_back(request);
      }
      std::string reply = "HTTP/1.1 " + std::to_string(response.status) +
                          " Scripted\r\nContent-Type: application/json\r\nContent-Length: " +
                          std::to_string(response.body.size()) + "\r\nConnection: close\r\n\r\n" + response.body;
      // MSG_NOSIGNAL: a client that hangs up mid-reply (a reply over its size
      // limit) must not end the test with SIGPIPE.
      for (size_t sent = 0; sent < reply.size();) {
        ssize_t n = send(connection, reply.data() + sent, reply.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) break;
        sent += size_t(n);
      }
      close(connection);
    }
  }

  std::vector<Response> script_;
  std::vector<std::string> requests_;
  std::mutex mutex_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

LocalChatServer::Response completion(const std::string& content) {
  return {200, nlohmann::json{{"choices", {{{"message", {{"role", "assistant"}, {"content", content}}}}}},
                              {"usage", {{"prompt_tokens", 120}, {"completion_tokens", 30}}}}
                   .dump()};
}

nlohmann::json sites() {
  nlohmann::json width = {{"type", "int"}, {"min", 0}, {"max", 512}, {"default", 512}, {"choices", {0, 256, 512}}};
  nlohmann::json patience = {{"type", "int"}, {"min", 1}, {"max", 256}, {"default", 16}};
  return {{"sites",
           {{{"id", "distance-kernel:l2"}, {"kind", "distance-kernel"}, {"function", "l2"},
             {"excerpt", "for (int i = 0; i < dim; ++i) sum += (a[i] - b[i]) * (a[i] - b[i]);"},
             {"rewrites", {{{"rewrite", "simd-distance"}, {"preserves_results", false}, {"note", "float reassociation"},
                            {"params", {{"width", width}}}}}}},
            {{"id", "neighbor-loop:search"}, {"kind", "neighbor-loop"}, {"function", "search"},
             {"excerpt", "for (int n : links[node]) {"},
             {"rewrites", {{{"rewrite", "early-termination"}, {"preserves_results", false}, {"note", "may stop early"},
                            {"params", {{"patience", patience}}}}}}}}}};
}

// The offers of sites written as --list-sites prints them.
std::vector<Offer> offers_of(const nlohmann::json& sites) {
  std::vector<schema::SiteRecord> records;
  for (const nlohmann::json& site : sites.at("sites")) records.push_back(schema::site_from_json(site));
  return schema::offers(records);
}

// Checks a plan against the options the sites offer (in crinn-tune this is
// crinn-opt's own plan validation).
std::string check(const Plan& plan) {
  std::vector<Offer> options = offers_of(sites());
  for (const PlanEntry& entry : plan) {
    auto option = std::find_if(options.begin(), options.end(), [&](const Offer& o) {
      return o.site == entry.site && o.rewrite == entry.rewrite;
    });
    if (option == options.end()) return "unknown site or rewrite '" + entry.rewrite + "' at '" + entry.site + "'";
    for (const auto& [name, value] : entry.params) {
      auto range = std::find_if(option->params.begin(), option->params.end(), [&](auto& p) { return p.name == name; });
      if (range == option->params.end() || value < range->min || value > range->max)
        return "parameter '" + name + "' is out of range";
    }
  }
  return "";
}

const char kGoodPlan[] =
    "The faster variants compute distances with SIMD; early termination cost recall.\n"
    "```json\n{\"plan\": [{\"site\": \"distance-kernel:l2\", \"rewrite\": \"simd-distance\", \"params\": {\"width\": 512}}]}\n```";

LlmEndpoint endpoint(const LocalChatServer& server) {
  LlmEndpoint e;
  e.url = server.url();
  e.model = "test-model";
  e.api_key = "sk-test-secret";
  e.timeout_seconds = 5;
  e.max_attempts = 3;
  e.backoff_seconds = 0.01;
  return e;
}

std::vector<Evaluated> history() {
  Evaluated fast{{{"distance-kernel:l2", "simd-distance", {{"width", 256}}}}, 1.8, false, -1};
  Evaluated slow{{{"neighbor-loop:search", "early-termination", {{"patience", 4}}}}, 0.0, true, -1};
  return {fast, slow};
}

TEST(LlmPolicy, AGoodReplyBecomesAProposal) {
  LocalChatServer server({completion(kGoodPlan)});
  LlmPolicy policy(sites(), endpoint(server), check);
  std::vector<Proposal> proposals = policy.propose(history(), 1);
  ASSERT_EQ(proposals.size(), 1u);
  EXPECT_EQ(proposals[0].plan, (Plan{{"distance-kernel:l2", "simd-distance", {{"width", 512}}}}));
  std::vector<std::string> requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_NE(requests[0].find("Authorization: Bearer sk-test-secret"), std::string::npos);
  EXPECT_NE(requests[0].find("\"model\":\"test-model\""), std::string::npos);
  EXPECT_EQ(policy.usage().prompt_tokens, 120);
  EXPECT_EQ(policy.usage().completion_tokens, 30);
}

TEST(LlmPolicy, ThePromptIsContrastive) {
  LlmPolicy policy(sites(), LlmEndpoint{}, check);
  std::string prompt = policy.prompt(history());
  EXPECT_NE(prompt.find("### distance-kernel:l2"), std::string::npos);
  EXPECT_NE(prompt.find("for (int i = 0; i < dim; ++i)"), std::string::npos);
  EXPECT_NE(prompt.find("width int in [0, 512], default 512, one of [0,256,512]"), std::string::npos);
  EXPECT_NE(prompt.find("Better: reward 1.8"), std::string::npos);
  EXPECT_NE(prompt.find("Worse: reward 0 (failed)"), std::string::npos);
  EXPECT_NE(prompt.find("+ simd-distance at distance-kernel:l2 {\"width\":256.0}"), std::string::npos) << prompt;
  EXPECT_NE(prompt.find("- early-termination at neighbor-loop:search"), std::string::npos);
  EXPECT_NE(prompt.find("explain"), std::string::npos);
}

TEST(LlmPolicy, BadJsonGetsOneRetryWithTheErrorQuoted) {
  LocalChatServer server({completion("```json\n{\"plan\": [oops\n```"), completion(kGoodPlan)});
  LlmPolicy policy(sites(), endpoint(server), check);
  ASSERT_EQ(policy.propose(history(), 1).size(), 1u);
  std::vector<std::string> requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_NE(requests[1].find("That answer cannot be used: the JSON plan does not parse"), std::string::npos);
  EXPECT_EQ(policy.failed_proposals(), 0);
}

TEST(LlmPolicy, AnInvalidPlanTwiceIsAFailedProposal) {
  const char invalid[] = "```json\n{\"plan\": [{\"site\": \"pruning:none\", \"rewrite\": \"edge-pruning\"}]}\n```";
  LocalChatServer server({completion(invalid), completion(invalid)});
  LlmPolicy policy(sites(), endpoint(server), check);
  std::vector<Proposal> proposals = policy.propose(history(), 1);
  ASSERT_EQ(proposals.size(), 1u);
  EXPECT_EQ(proposals[0].failure, "unknown site or rewrite 'edge-pruning' at 'pruning:none'");
  EXPECT_TRUE(proposals[0].plan.empty());
  EXPECT_EQ(policy.failed_proposals(), 1);
  std::vector<std::string> requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_NE(requests[1].find("unknown site or rewrite 'edge-pruning' at 'pruning:none'"), std::string::npos);
}

TEST(LlmPolicy, RateLimitsAreRetriedWithBackoff) {
  LocalChatServer server({{429, "{\"error\": \"slow down\"}"}, {503, "{}"}, completion(kGoodPlan)});
  LlmPolicy policy(sites(), endpoint(server), check);
  ASSERT_EQ(policy.propose(history(), 1).size(), 1u);
  EXPECT_EQ(policy.usage().retries, 2);
  EXPECT_EQ(server.requests().size(), 3u);
}

// Issue 16 case 14: a reply body of gigabytes aborted crinn-tune; past the
// limit (8 MiB) the transfer stops and the proposal fails with the reason.
TEST(LlmPolicy, AReplyLongerThanTheLimitIsAFailedProposal) {
  LocalChatServer::Response huge = completion(kGoodPlan + std::string(size_t(9) << 20, ' '));
  LocalChatServer server({huge, huge});
  LlmClient client(endpoint(server));
  EXPECT_EQ(client.chat(nlohmann::json::array()).error,
            "the endpoint's answer is longer than 8 MiB, the limit of a reply");
  EXPECT_EQ(client.usage().retries, 0);
  LlmPolicy policy(sites(), endpoint(server), check);
  policy.propose(history(), 1);
  EXPECT_EQ(policy.failed_proposals(), 1);
  EXPECT_EQ(server.requests().size(), 2u);
}

// Issue 16 case 17: a refused key is a failed proposal that carries its
// cause to the tuner, and it ends the round: the rest of the group would ask
// the same failing endpoint again, each time after the client's retries.
TEST(LlmPolicy, ARefusedRequestIsAFailedProposalWithItsCause) {
  LocalChatServer server({{401, "{\"error\": \"invalid key\"}"}, completion(kGoodPlan)});
  LlmPolicy policy(sites(), endpoint(server), check);
  std::vector<Proposal> proposals = policy.propose(history(), 4);
  ASSERT_EQ(proposals.size(), 1u);
  EXPECT_EQ(proposals[0].failure, "the endpoint answered HTTP 401");
  EXPECT_TRUE(proposals[0].plan.empty());
  EXPECT_EQ(server.requests().size(), 1u);
  EXPECT_EQ(policy.failed_proposals(), 1);
  EXPECT_EQ(policy.state().at("last_failure"), "the endpoint answered HTTP 401");
}

// Issue 16 case 17: nothing listening at the URL, and rate limits that never
// end, are failed proposals naming the cause after the configured attempts.
TEST(LlmPolicy, NothingListeningOrEndlessRateLimitsAreFailedProposals) {
  int probe = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(probe, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  socklen_t length = sizeof address;
  getsockname(probe, reinterpret_cast<sockaddr*>(&address), &length);
  close(probe);  // a port nothing listens on
  LocalChatServer limited({{429, "{}"}, {429, "{}"}, {429, "{}"}});
  LlmEndpoint closed = endpoint(limited);
  closed.url = "http://127.0.0.1:" + std::to_string(ntohs(address.sin_port)) + "/v1/chat/completions";
  closed.max_attempts = 2;
  std::vector<Proposal> refused = LlmPolicy(sites(), closed, check).propose(history(), 1);
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].failure, "request failed: Couldn't connect to server (gave up after 2 attempts)");
  std::vector<Proposal> limited_proposals = LlmPolicy(sites(), endpoint(limited), check).propose(history(), 2);
  ASSERT_EQ(limited_proposals.size(), 1u);
  EXPECT_EQ(limited_proposals[0].failure, "the endpoint answered HTTP 429 (gave up after 3 attempts)");
}

TEST(LlmPolicy, TheKeyStaysOutOfErrorsAndState) {
  LocalChatServer server({{500, "{}"}, {500, "{}"}, {500, "{}"}});
  LlmEndpoint e = endpoint(server);
  LlmClient client(e);
  ChatReply reply = client.chat(nlohmann::json::array());
  EXPECT_EQ(reply.error, "the endpoint answered HTTP 500 (gave up after 3 attempts)");
  LlmPolicy policy(sites(), endpoint(server), check);
  policy.propose({}, 1);
  EXPECT_EQ(policy.state().dump().find("sk-test-secret"), std::string::npos);
  EXPECT_EQ(reply.error.find("sk-test"), std::string::npos);
}

}  // namespace
}  // namespace crinn::policy
