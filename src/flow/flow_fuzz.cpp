// libFuzzer entry point for flow definitions: parseFlow over arbitrary YAML/JSON, then
// validate() with a small tenant context, then a short interpreter walk with canned outcomes.
// Beyond "no crash": every parse error and every issue names the source, and a run always
// ends within its budgets.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "flow/flow.h"
#include "flow/run.h"

namespace {

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "flow_fuzz invariant broken: %s\n", what);
    std::abort();
  }
}

class FuzzEnv final : public sb::flow::FlowEnv {
 public:
  std::int64_t unixMs() const override { return 1780000000000; }
  bool inList(std::string_view list, std::string_view) const override { return list == "vip"; }
  std::string tenantName() const override { return "Fuzz Ltd"; }
};

// Answers every action with a plausible outcome, cycling through variants by `seed`.
sb::flow::Outcome outcomeFor(const sb::flow::Action& a, unsigned seed) {
  using namespace sb::flow;
  if (a.as<Collect>())
    return CollectOutcome{seed % 3 == 0 ? "" : "1", CollectOutcome::End::kMaxDigits};
  if (a.as<Lookup>()) return LookupOutcome{seed % 2 == 0, false, {{"name", "Li"}, {"owner", "a1"}}};
  if (a.as<Http>())
    return HttpOutcome{200, R"({"status":"ok","n":{"x":1}})", HttpOutcome::Error::kNone};
  if (a.as<Queue>()) return QueueOutcome{static_cast<QueueOutcome::Kind>(1 + seed % 3), {}};
  if (a.as<Transfer>()) return TransferOutcome{false};
  if (a.as<Voicemail>()) return VoicemailOutcome{true, "/tmp/vm.wav"};
  if (a.as<Callback>()) return CallbackOutcome{true};
  return PlayOutcome{true};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto flow = sb::flow::parseFlow(text, "fuzz.yaml");
  if (!flow) {
    check(flow.error().message.rfind("fuzz.yaml", 0) == 0, "parse error without source name");
    return 0;
  }
  sb::flow::ValidationContext ctx;
  ctx.queues = {"sales", "support"};
  ctx.lists = {"blacklist", "vip"};
  ctx.agents = {"a1"};
  ctx.extensions = {"1001"};
  ctx.promptExists = [](const std::string& path) { return path.rfind("prompts/", 0) == 0; };
  auto issues = sb::flow::validate(*flow, ctx);
  for (const auto& issue : issues) {
    check(issue.message.rfind("fuzz.yaml", 0) == 0, "issue without source name");
  }
  auto version = std::make_shared<sb::flow::FlowVersion>();
  version->definition = std::move(*flow);
  FuzzEnv env;
  sb::flow::FlowRun run(version, env, {"t1", "+8613800000000", "4001", "c1"});
  auto action = run.start();
  for (unsigned i = 0; i < 2000 && !run.finished(); ++i) {
    action = run.resume(outcomeFor(action, i));
  }
  check(run.finished(), "a run did not end within its action budget");
  return 0;
}
