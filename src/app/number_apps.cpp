#include "app/number_apps.h"

#include <chrono>

#include "base/log.h"

namespace sb::app {
namespace {

using call::CollectResult;
using call::CollectSpec;
using call::HangupCause;
using call::LegId;
using call::Prompt;

constexpr int kMenuTries = 3;

constexpr const char* kDefaultWelcome =
    "Welcome to Switchboard. Press 1 to hear a digit read back. Press 2 to speak to an agent. "
    "Press 3 to leave a message.";

std::string spokenDigit(char d) {
  switch (d) {
    case '*':
      return "star";
    case '#':
      return "pound";
    default:
      return std::string(1, d);
  }
}

}  // namespace

NumberApps::NumberApps(call::CallManager& calls, TimerWheel& timers, const Directory& directory,
                       const Dialplan& dialplan, const MediaSettings& media)
    : calls_(calls), timers_(timers), directory_(directory), dialplan_(dialplan), media_(media) {}

NumberApps::~NumberApps() {
  for (auto& [leg, a] : active_) timers_.cancel(a.timer);
}

NumberApps::Active* NumberApps::find(LegId leg) {
  auto it = active_.find(leg);
  return it == active_.end() ? nullptr : &it->second;
}

void NumberApps::onIncoming(const call::IncomingCall& call) {
  auto n = directory_.number(call.number);
  if (!n) {
    (void)calls_.hangup(call.leg, HangupCause::kUnavailable);
    return;
  }
  Active a;
  a.tenant = n->first;
  a.number = n->second;
  a.info = call;
  LegId leg = call.leg;
  active_.emplace(leg, std::move(a));
  Active& act = active_.at(leg);
  (void)calls_.ring(leg);
  if (act.number->app == NumberApp::kConnect) {
    connectEarly(leg);
    return;
  }
  if (act.number->answerAfterMs == 0) {
    answered(leg);
    return;
  }
  act.timer = timers_.start(std::chrono::milliseconds(act.number->answerAfterMs),
                            [this, leg] { answered(leg); });
}

void NumberApps::say(LegId leg, const std::string& text, std::function<void(bool)> done) {
  Active* a = find(leg);
  std::string voice = a != nullptr ? a->number->voice : std::string();
  (void)calls_.play(leg, Prompt::speech(text, voice), std::move(done));
}

void NumberApps::answered(LegId leg) {
  Active* a = find(leg);
  if (a == nullptr) return;
  a->timer = {};
  if (!calls_.answer(leg)) return;  // the caller went away meanwhile
  a->stage = Stage::kAnswered;
  if (a->number->record)
    (void)calls_.startRecording(leg, recordingPath(media_, a->tenant->id, a->info.call, "full"));
  if (a->number->app == NumberApp::kDemoIvr) {
    menu(leg);
    return;
  }
  if (a->number->app == NumberApp::kConnect) {
    connect(leg);  // an INVITE without an offer: ringback after the answer
    return;
  }
  if (!a->number->greeting.empty()) say(leg, a->number->greeting);
  if (a->number->hangupAfterMs > 0) {
    a->timer = timers_.start(std::chrono::milliseconds(a->number->hangupAfterMs), [this, leg] {
      if (Active* x = find(leg)) x->timer = {};
      (void)calls_.hangup(leg, HangupCause::kNormal);
    });
  }
}

void NumberApps::menu(LegId leg) {
  Active* a = find(leg);
  if (a == nullptr) return;
  if (++a->menuTries > kMenuTries) {
    goodbye(leg, "Goodbye.");
    return;
  }
  a->stage = Stage::kMenu;
  const std::string& text = a->number->welcome.empty() ? kDefaultWelcome : a->number->welcome;
  // The menu is interruptible: a digit typed during it stops the prompt (onDigit) and is
  // taken by the collection from the type-ahead buffer.
  say(leg, text, [this, leg](bool) {
    Active* x = find(leg);
    if (x == nullptr || x->stage != Stage::kMenu) return;
    CollectSpec spec;
    spec.maxDigits = 1;
    spec.terminator = 0;
    spec.firstDigitTimeout = std::chrono::seconds(6);
    (void)calls_.collect(leg, spec, [this, leg](CollectResult r) { onMenuChoice(leg, r); });
  });
}

void NumberApps::onDigit(LegId leg, char digit) {
  (void)digit;
  Active* a = find(leg);
  if (a != nullptr && a->stage == Stage::kMenu) (void)calls_.stopPlay(leg);
}

void NumberApps::onMenuChoice(LegId leg, const CollectResult& r) {
  if (r.end == CollectResult::End::kHangup || find(leg) == nullptr) return;
  if (r.digits == "1") {
    readBack(leg);
  } else if (r.digits == "2") {
    connect(leg);
  } else if (r.digits == "3") {
    leaveMessage(leg);
  } else if (r.digits.empty()) {
    menu(leg);
  } else {
    say(leg, "Sorry, " + spokenDigit(r.digits.front()) + " is not an option.",
        [this, leg](bool) { menu(leg); });
  }
}

void NumberApps::readBack(LegId leg) {
  Active* a = find(leg);
  if (a == nullptr) return;
  a->stage = Stage::kReadBack;
  say(leg, "Press any key.", [this, leg](bool) {
    CollectSpec spec;
    spec.maxDigits = 1;
    spec.terminator = 0;
    spec.firstDigitTimeout = std::chrono::seconds(6);
    (void)calls_.collect(leg, spec, [this, leg](CollectResult r) {
      if (r.end == CollectResult::End::kHangup) return;
      Active* x = find(leg);
      if (x == nullptr) return;
      x->menuTries = 0;
      std::string text = r.digits.empty() ? "You pressed nothing."
                                          : "You pressed " + spokenDigit(r.digits.front()) + ".";
      say(leg, text, [this, leg](bool) { menu(leg); });
    });
  });
}

void NumberApps::connect(LegId leg) {
  Active* a = find(leg);
  if (a == nullptr) return;
  std::string user = a->number->connectTo;
  if (user.empty() && !a->tenant->extensions.empty()) user = a->tenant->extensions.front().user;
  auto spec = a->number->trunk.empty()
                  ? dialplan_.locate(a->tenant->id, user)
                  : dialplan_.dialOut(a->tenant->id, a->number->trunk, a->number->dial);
  if (!spec) {
    notConnected(leg, "Sorry, nobody is available right now.", HangupCause::kUnavailable);
    return;
  }
  if (a->stage != Stage::kRinging) a->stage = Stage::kConnecting;
  spec->call = a->info.call;
  spec->fromUser = a->info.fromUser;
  spec->fromDisplay = a->info.fromDisplay;
  spec->nearMedia = calls_.mediaOf(leg);
  spec->ringTimeout = std::chrono::seconds(20);
  (void)calls_.play(leg, Prompt::tone("ringback"));
  auto placed = calls_.originate(*spec, [this, leg](LegId agent, call::OriginateOutcome out) {
    Active* x = find(leg);
    if (x == nullptr) {
      if (out.answered) (void)calls_.hangup(agent, HangupCause::kPeerGone);
      return;
    }
    x->agent = 0;
    if (!out.answered) {
      notConnected(leg, "Sorry, nobody answered.", out.cause);
      return;
    }
    x->agent = agent;
    agents_[agent] = leg;
    if (x->stage == Stage::kRinging) {
      // Early media until now: the caller is answered only once the extension is.
      if (!calls_.answer(leg)) return;  // the caller's leg ends and clears the agent's
      if (x->number->record)
        (void)calls_.startRecording(leg,
                                    recordingPath(media_, x->tenant->id, x->info.call, "full"));
    }
    x->stage = Stage::kConnected;
    (void)calls_.bridge(leg, agent);
  });
  if (!placed) {
    notConnected(leg, "Sorry, we cannot connect you now.", HangupCause::kUnavailable);
    return;
  }
  a->agent = *placed;
}

void NumberApps::connectEarly(LegId leg) {
  // 183 with our answer SDP, so the caller hears ringback from us (and the call is not
  // billed) while the extension rings. An INVITE without an offer cannot have early media:
  // answer it and play ringback in the call instead.
  if (!calls_.earlyMedia(leg)) {
    answered(leg);
    return;
  }
  connect(leg);
}

void NumberApps::notConnected(LegId leg, const std::string& why, HangupCause cause) {
  Active* a = find(leg);
  if (a == nullptr) return;
  if (a->number->app == NumberApp::kConnect) {
    // Still unanswered: the caller's phone shows the extension's outcome (busy, no answer).
    (void)calls_.hangup(leg, a->stage == Stage::kRinging ? cause : HangupCause::kUnavailable);
    return;
  }
  say(leg, why, [this, leg](bool) { menu(leg); });
}

void NumberApps::leaveMessage(LegId leg) {
  Active* a = find(leg);
  if (a == nullptr) return;
  a->stage = Stage::kMessage;
  say(leg, "Please leave your message after the tone. Press pound when you are done.",
      [this, leg](bool) {
        Active* x = find(leg);
        if (x == nullptr) return;
        (void)calls_.play(leg, Prompt::tone("beep", false), [this, leg](bool) {
          Active* y = find(leg);
          if (y == nullptr) return;
          (void)calls_.startRecording(
              leg, recordingPath(media_, y->tenant->id, y->info.call, "message"));
          CollectSpec spec;
          spec.maxDigits = 64;
          spec.terminator = '#';
          spec.firstDigitTimeout = std::chrono::seconds(60);
          spec.interDigitTimeout = std::chrono::seconds(60);
          spec.flushBuffered = true;
          (void)calls_.collect(leg, spec, [this, leg](CollectResult r) {
            if (r.end == CollectResult::End::kHangup) return;
            (void)calls_.stopRecording(leg);
            goodbye(leg, "Thank you. Your message was recorded. Goodbye.");
          });
        });
      });
}

void NumberApps::goodbye(LegId leg, const std::string& text) {
  Active* a = find(leg);
  if (a == nullptr) return;
  a->stage = Stage::kGoodbye;
  say(leg, text, [this, leg](bool) { (void)calls_.hangup(leg, HangupCause::kNormal); });
}

void NumberApps::onTransferRequest(LegId leg, const std::string& target) {
  transferOnRefer(calls_, dialplan_, leg, target);
}

void NumberApps::onLegEnded(LegId leg, HangupCause cause) {
  (void)cause;
  if (auto it = agents_.find(leg); it != agents_.end()) {
    if (Active* a = find(it->second)) a->agent = 0;
    agents_.erase(it);
    return;
  }
  auto it = active_.find(leg);
  if (it == active_.end()) return;
  timers_.cancel(it->second.timer);
  LegId agent = it->second.agent;
  active_.erase(it);
  if (agent != 0) {
    // The caller left while the agent's phone rang (or talked): clear that leg now rather
    // than at its ring timeout.
    agents_.erase(agent);
    (void)calls_.hangup(agent, HangupCause::kPeerGone);
  }
}

}  // namespace sb::app
