// The LLM policy against a real HTTP server on 127.0.0.1, started by the test,
// that answers from a script of canned chat-completion responses.
#include "Policy/LlmPolicy.h"

#include <arpa/inet.h>
#include "SiteListing.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
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
  nlohmann::json patience = {{"type", "int"}, {"min", 1}, {"max", 256}, {"default", 16},
                             {"doc", "consecutive expansions without a new result"}};
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

using test::offers_of;

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
  EXPECT_NE(prompt.find("Worse: failed (no reason recorded)"), std::string::npos);
  EXPECT_NE(prompt.find("+ simd-distance at distance-kernel:l2 {\"width\":256}"), std::string::npos) << prompt;
  EXPECT_NE(prompt.find("- early-termination at neighbor-loop:search"), std::string::npos);
  EXPECT_NE(prompt.find("explain"), std::string::npos);
}

LlmPolicyConfig config() {
  LlmPolicyConfig c;
  c.run = {"synthetic:n=2000", 2000, 80, 16, "euclidean", {"Test CPU 9000", 8, {"avx2", "fma"}, {"L1d 48K", "L2 2048K"}}};
  return c;
}

// A history whose failure has its reason and whose variants have their code.
std::vector<Evaluated> history_with_code() {
  std::vector<Evaluated> h = history();
  h[0].diff = "--- a/hnsw.cpp\n+++ b/hnsw.cpp\n@@ -1 +1 @@\n-float l2()\n+float l2_avx()\n";
  h[1].diff = "--- a/hnsw.cpp\n+++ b/hnsw.cpp\n@@ -9 +9 @@\n-for (;;)\n+for (int stall = 0; stall < 4;)\n";
  h[1].failure_reason = "recall: recall 0.61 at ef 80,\nbelow the window's 0.99";
  return h;
}

// Issue 19: what a model needs to reason about speed: the dataset, the CPU,
// what each parameter means, the code the variants changed, why failures failed.
TEST(LlmPolicy, ThePromptHasTheRunTheCodeAndTheFailuresWithReasons) {
  LlmPolicy policy(sites(), LlmEndpoint{}, check, config());
  std::string prompt = policy.prompt(history_with_code());
  EXPECT_NE(prompt.find("Dataset: synthetic:n=2000: 2000 base vectors, 80 queries, dimension 16, metric euclidean."),
            std::string::npos) << prompt;
  EXPECT_NE(prompt.find("CPU: Test CPU 9000, 8 logical cores; SIMD: avx2 fma; caches: L1d 48K, L2 2048K."),
            std::string::npos);
  EXPECT_NE(prompt.find("  - patience int in [1, 256], default 16: consecutive expansions without a new result"),
            std::string::npos);
  EXPECT_NE(prompt.find("## The code of the best variant (reward 1.8), as a diff against the original\n```diff\n"
                        "--- a/hnsw.cpp\n+++ b/hnsw.cpp\n@@ -1 +1 @@\n-float l2()\n+float l2_avx()\n```"),
            std::string::npos);
  EXPECT_NE(prompt.find("## The code of the worst variant, as a diff against the original\n```diff\n"
                        "--- a/hnsw.cpp\n+++ b/hnsw.cpp\n@@ -9 +9 @@\n-for (;;)\n+for (int stall = 0; stall < 4;)"),
            std::string::npos);
  // The reason on one line, where a failure used to show as reward 0.
  EXPECT_NE(prompt.find("Worse: failed (recall: recall 0.61 at ef 80, below the window's 0.99): {\"plan\""),
            std::string::npos);
  EXPECT_NE(prompt.find("## Failed variants, latest first, and why they failed\n- recall: recall 0.61"),
            std::string::npos);
}

TEST(LlmPolicy, TheMembersOfAGroupGetDifferentPromptsAndTemperatures) {
  std::vector<Evaluated> h = history_with_code();
  for (int i = 0; i < 6; ++i)
    h.push_back({{{"distance-kernel:l2", "simd-distance", {{"width", 0}}}}, 1.0 + 0.1 * i, false, -1});
  LlmPolicy policy(sites(), LlmEndpoint{}, check, config());
  std::string first = policy.prompt(h, 0, 2), second = policy.prompt(h, 1, 2);
  EXPECT_NE(first, second);
  EXPECT_NE(first.find("build it around a rewrite at a distance-kernel site"), std::string::npos);
  EXPECT_NE(second.find("build it around a rewrite at a neighbor-loop site"), std::string::npos);
  // Other exemplars, not only another closing line.
  auto exemplars = [](const std::string& prompt) { return prompt.substr(prompt.find("## Variants"), 600); };
  EXPECT_NE(exemplars(first), exemplars(second));
  EXPECT_DOUBLE_EQ(LlmPolicy::temperature(0, 4), 0.2);
  EXPECT_DOUBLE_EQ(LlmPolicy::temperature(3, 4), 1.0);

  LocalChatServer server({completion(kGoodPlan),
                          completion("```json\n{\"plan\": [{\"site\": \"neighbor-loop:search\", \"rewrite\": "
                                     "\"early-termination\", \"params\": {\"patience\": 8}}]}\n```")});
  LlmPolicy asked(sites(), endpoint(server), check, config());
  ASSERT_EQ(asked.propose(h, 2).size(), 2u);
  std::vector<std::string> requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_NE(requests[0].find("\"temperature\":0.2"), std::string::npos);
  EXPECT_NE(requests[1].find("\"temperature\":1.0"), std::string::npos);
}

TEST(LlmPolicy, TheModelsExplanationGoesWithItsPlan) {
  LocalChatServer server({completion(kGoodPlan)});
  LlmPolicy policy(sites(), endpoint(server), check);
  std::vector<Proposal> proposals = policy.propose(history(), 1);
  ASSERT_EQ(proposals.size(), 1u);
  EXPECT_EQ(proposals[0].explanation,
            "The faster variants compute distances with SIMD; early termination cost recall.");
  EXPECT_EQ(explanation_from_reply("Because.\n{\"plan\": []} That is all."), "Because.\n That is all.");
}

// Issue 19: every exchange is in the transcript a recorded endpoint replays,
// and the key is not, even when the endpoint echoes it.
TEST(LlmPolicy, TheTranscriptHoldsEachExchangeAndNotTheKey) {
  std::string path = ::testing::TempDir() + "/transcript-" + std::to_string(getpid()) + ".jsonl";
  std::remove(path.c_str());
  LocalChatServer server({{500, "{\"echo\": \"Bearer sk-test-secret\"}"}, completion(kGoodPlan)});
  LlmEndpoint e = endpoint(server);
  e.transcript_path = path;
  LlmPolicy policy(sites(), e, check, config());
  ASSERT_EQ(policy.propose(history(), 1).size(), 1u);
  std::ifstream in(path);
  std::vector<nlohmann::json> lines;
  for (std::string line; std::getline(in, line);) {
    EXPECT_EQ(line.find("sk-test-secret"), std::string::npos) << line;
    lines.push_back(nlohmann::json::parse(line));
  }
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].at("status"), 500);
  EXPECT_EQ(lines[0].at("body"), "{\"echo\": \"Bearer <CRINN_LLM_API_KEY>\"}");
  EXPECT_EQ(lines[1].at("status"), 200);
  EXPECT_EQ(lines[1].at("request").at("model"), "test-model");
  EXPECT_NE(lines[1].at("request").at("messages").at(1).at("content").get<std::string>().find("Dataset: synthetic"),
            std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(lines[1].at("body").get<std::string>()), nlohmann::json::parse(completion(kGoodPlan).body));
  std::remove(path.c_str());
}

// A catalogue of many sites with long code: the prompt's budget grows with
// it, up to the model's context, and the prompt stays within the budget.
TEST(LlmPolicy, ThePromptFitsABudgetThatGrowsWithTheCatalogue) {
  nlohmann::json many = sites();
  nlohmann::json site = many["sites"][0];
  for (int i = 0; i < 300; ++i) {
    site["id"] = "distance-kernel:l2#" + std::to_string(i);
    site["excerpt"] = std::string(3000, 'x');
    many["sites"].push_back(site);
  }
  LlmPolicyConfig small_context = config();
  small_context.context_tokens = 16384;
  LlmPolicy large(many, LlmEndpoint{}, check, small_context);
  EXPECT_EQ(large.prompt_budget_tokens(), 16384 - kReplyReserveTokens);
  std::vector<Evaluated> h = history_with_code();
  h[0].diff = std::string(200000, 'd');
  std::string prompt = large.prompt(h);
  EXPECT_LE(double(prompt.size()) / kCharsPerToken, double(large.prompt_budget_tokens())) << prompt.size();
  EXPECT_NE(prompt.find("## Task"), std::string::npos);
  EXPECT_NE(prompt.find("cut to fit the prompt budget"), std::string::npos);

  LlmPolicy two_sites(sites(), LlmEndpoint{}, check, config());
  EXPECT_EQ(two_sites.prompt_budget_tokens(), kPromptBaseTokens + 2 * kPromptTokensPerSite);
  std::string whole = two_sites.prompt(history_with_code());
  EXPECT_EQ(whole.find("cut to fit"), std::string::npos);
}

TEST(LlmPolicy, TokensAreEstimatedWhenTheEndpointReportsNoUsage) {
  LocalChatServer server({{200, nlohmann::json{{"choices", {{{"message", {{"content", kGoodPlan}}}}}}}.dump()}});
  LlmClient client(endpoint(server));
  nlohmann::json messages = {{{"role", "user"}, {"content", std::string(4000, 'p')}}};
  ASSERT_EQ(client.chat(messages).error, "");
  EXPECT_EQ(client.usage().estimated_replies, 1);
  EXPECT_GE(client.usage().prompt_tokens, 1000);
  EXPECT_LT(client.usage().prompt_tokens, 1100);
  EXPECT_EQ(client.usage().completion_tokens, long(std::string(kGoodPlan).size() / kCharsPerToken));
}

// A resumed run's report counts the tokens of the whole run, not of its last process.
TEST(LlmPolicy, ARestoredPolicyKeepsItsTokenCounts) {
  LocalChatServer server({completion(kGoodPlan)});
  LlmPolicy before(sites(), endpoint(server), check, config());
  ASSERT_EQ(before.propose(history(), 1).size(), 1u);
  LlmPolicy after(sites(), LlmEndpoint{}, check, config());
  after.restore(before.state());
  EXPECT_EQ(after.usage().requests, 1);
  EXPECT_EQ(after.usage().prompt_tokens, 120);
  EXPECT_EQ(after.usage().completion_tokens, 30);
  EXPECT_EQ(after.state().at("largest_prompt_tokens"), before.state().at("largest_prompt_tokens"));
  EXPECT_GT(after.state().at("largest_prompt_tokens").get<long>(), 0);
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
