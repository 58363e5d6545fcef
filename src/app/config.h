#pragma once
// The node configuration and the provisioning file (YAML): listeners, limits, security and
// tenants with their domains, extensions and numbers. See docs/config.md for every key.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "sip/registrar.h"
#include "sip/transport.h"

namespace sb::app {

/// A SIP extension (agent phone) that may register.
struct Extension {
  std::string user;
  std::string password;  ///< never logged
  std::string displayName;
};

/// What answers a number until IVR flows exist (issue 4).
enum class NumberApp : std::uint8_t {
  kAnswer,   ///< ring `answerAfterMs`, answer, optionally play `greeting`, hang up after
             ///< `hangupAfterMs` (0: wait for the caller)
  kDemoIvr,  ///< speech welcome and a menu: 1 read a digit back, 2 connect to `connectTo`,
             ///< 3 leave a recorded message
  kConnect,  ///< answer and connect straight to extension `connectTo` (ringback meanwhile)
};

/// A number (DID) of a tenant and the app that answers it.
struct NumberConfig {
  std::string number;
  NumberApp app = NumberApp::kAnswer;
  std::uint32_t answerAfterMs = 0;  ///< ring this long before 200 OK
  std::uint32_t hangupAfterMs = 0;  ///< 0 = wait for the caller's BYE
  std::string greeting;             ///< kAnswer: text spoken after answer; empty: silence
  std::string welcome;              ///< kDemoIvr: the menu text; empty: the built-in one
  std::string voice;                ///< TTS voice ("flite", "espeak:zh"); empty: node default
  std::string connectTo;            ///< kDemoIvr, kConnect: extension to ring
  std::string trunk;                ///< kDemoIvr, kConnect: ring `dial` out this trunk instead
  std::string dial;                 ///< the external number to dial out `trunk`
  bool record = false;              ///< record every call to this number
};

/// One client company.
struct TenantConfig {
  std::string id;
  std::string name;
  std::vector<std::string> domains;  ///< SIP domains; the first is the digest realm
  std::vector<Extension> extensions;
  std::vector<NumberConfig> numbers;
};

/// Authentication-failure policy.
struct SecurityConfig {
  int authFailLimit = 5;
  std::uint32_t authFailWindowS = 60;
  std::uint32_t banS = 300;
  std::string nonceSecret;  ///< random per start when empty (nonces then die with the process)
  /// Digest algorithms offered in a 401, in order: "MD5", "SHA-256".
  std::vector<std::string> digestAlgorithms{"MD5"};
};

/// A SIP trunk to a carrier or gateway (T1): where to send, how to authenticate, how many
/// calls at once.
struct TrunkConfig {
  std::string name;
  std::string address;              ///< IP literal of the carrier's SIP server
  std::uint16_t port = 5060;
  sip::Transport transport = sip::Transport::kUdp;
  std::string username;             ///< answers the carrier's 401/407; empty: no auth
  std::string password;             ///< never logged
  int channels = 30;                ///< concurrent outgoing calls; more are refused at once
};

/// The media engine and its files.
struct MediaSettings {
  std::string address;  ///< RTP bind and SDP address; empty: the first SIP address
  std::uint16_t portMin = 20000;
  std::uint16_t portMax = 29999;
  int loops = 0;                   ///< media threads; 0: one per core
  int rtpTimeoutS = 60;            ///< hang up a call that sent no RTP this long; 0: never
  std::string ttsVoice = "flite";  ///< default text-to-speech voice
  std::string ttsCacheDir = "var/tts";
  std::string recordingDir = "var/recordings";  ///< per tenant: <dir>/<tenant>/...
  std::string tonePlan = "us";                  ///< "us", "eu", "cn": ringback/busy cadences
};

/// Whole-node configuration.
struct Config {
  std::vector<sip::ListenSpec> sip;
  std::string httpAddress = "127.0.0.1";
  std::uint16_t httpPort = 8080;
  std::string logLevel = "info";
  std::size_t maxCalls = 50000;  ///< concurrent dialogs; new INVITEs beyond get 503
  SecurityConfig security;
  sip::RegistrarConfig registrar;
  MediaSettings media;
  std::vector<TrunkConfig> trunks;
  std::vector<TenantConfig> tenants;
};

/// Parses and validates YAML text. Errors name the source and line: "quickstart.yaml:12: ...".
Result<Config> parseConfig(std::string_view yaml, std::string_view sourceName);
/// Reads and parses a file.
Result<Config> loadConfig(const std::string& path);

}  // namespace sb::app
