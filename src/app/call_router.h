#pragma once
// The CallApp of the node: hands a new call to the contact center when its number runs a flow
// or is an agent's feature code (*1, ...), and to the number apps otherwise; later callbacks go to
// whichever owns the leg. Control loop.

#include "app/contact_center.h"
#include "app/directory.h"
#include "app/number_apps.h"
#include "call/call_manager.h"

namespace sb::app {

/// Dispatches call-layer callbacks between the contact center and the number apps.
class CallRouter final : public call::CallApp {
 public:
  CallRouter(const Directory& directory, NumberApps& apps, ContactCenter& center)
      : directory_(directory), apps_(apps), center_(center) {}

  void onIncoming(const call::IncomingCall& call) override {
    auto n = directory_.number(call.number);
    bool featureCode = !n && call.number.size() >= 2 && call.number.front() == '*';
    if (featureCode || (n && n->second->app == NumberApp::kFlow)) {
      center_.onIncoming(call);
    } else {
      apps_.onIncoming(call);
    }
  }
  void onDigit(call::LegId leg, char digit) override { app(leg).onDigit(leg, digit); }
  void onLegEnded(call::LegId leg, call::HangupCause cause) override {
    app(leg).onLegEnded(leg, cause);
  }
  void onTransferRequest(call::LegId leg, const std::string& target) override {
    app(leg).onTransferRequest(leg, target);
  }

 private:
  call::CallApp& app(call::LegId leg) {
    if (center_.owns(leg)) return center_;
    return apps_;
  }

  const Directory& directory_;
  NumberApps& apps_;
  ContactCenter& center_;
};

}  // namespace sb::app
