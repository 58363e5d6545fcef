#pragma once
// What answers a tenant's numbers until IVR flows land (issue 4): the apps of NumberConfig —
// answer (ring, answer, optional greeting, optional timed hangup), connect (straight to an
// extension) and the demo IVR
// (speech welcome; 1: read a digit back, 2: connect to an extension, 3: leave a message).
// Also resolves extensions to registered contacts for bridging and REFER transfers.
// Control loop only.

#include <string>
#include <unordered_map>

#include "app/config.h"
#include "app/dialplan.h"
#include "app/directory.h"
#include "base/timer_wheel.h"
#include "call/call_manager.h"

namespace sb::app {

/// The CallApp of the node.
class NumberApps final : public call::CallApp {
 public:
  NumberApps(call::CallManager& calls, TimerWheel& timers, const Directory& directory,
             const Dialplan& dialplan, const MediaSettings& media);
  ~NumberApps() override;

  void onIncoming(const call::IncomingCall& call) override;
  void onDigit(call::LegId leg, char digit) override;
  void onLegEnded(call::LegId leg, call::HangupCause cause) override;
  void onTransferRequest(call::LegId leg, const std::string& target) override;

  /// Calls in an app right now.
  std::size_t active() const { return active_.size(); }

 private:
  enum class Stage : std::uint8_t {
    kRinging,
    kAnswered,
    kMenu,
    kReadBack,
    kConnecting,
    kConnected,
    kMessage,
    kGoodbye,
  };
  struct Active {
    const TenantConfig* tenant = nullptr;
    const NumberConfig* number = nullptr;
    call::IncomingCall info;
    Stage stage = Stage::kRinging;
    TimerId timer;
    int menuTries = 0;
    call::LegId agent = 0;
  };
  Active* find(call::LegId leg);
  void answered(call::LegId leg);
  void menu(call::LegId leg);
  void onMenuChoice(call::LegId leg, const call::CollectResult& r);
  void readBack(call::LegId leg);
  void connect(call::LegId leg);
  /// kConnect: early media (ringback) while the extension rings, answer when it answers.
  void connectEarly(call::LegId leg);
  void leaveMessage(call::LegId leg);
  /// "Press 2" (or a connect number) could not reach the extension.
  void notConnected(call::LegId leg, const std::string& why, call::HangupCause cause);
  void goodbye(call::LegId leg, const std::string& text);
  void say(call::LegId leg, const std::string& text, std::function<void(bool)> done = {});

  call::CallManager& calls_;
  TimerWheel& timers_;
  const Directory& directory_;
  const Dialplan& dialplan_;
  MediaSettings media_;
  std::unordered_map<call::LegId, Active> active_;
  std::unordered_map<call::LegId, call::LegId> agents_;  // agent leg -> caller leg
};

}  // namespace sb::app
