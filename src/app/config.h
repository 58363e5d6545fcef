#pragma once
// The node configuration and the provisioning file (YAML): listeners, limits, security and
// tenants with their domains, extensions and numbers. See docs/config.md for every key.

#include <cstdint>
#include <map>
#include <optional>
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

/// What answers a number.
enum class NumberApp : std::uint8_t {
  kFlow,     ///< the tenant's IVR flow `flow` (the contact center: menus, queues, agents)
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
  std::string flow;                 ///< kFlow: name of the tenant's flow
};

/// A person who takes calls (R4): reached on a registered extension or on their own mobile
/// through a trunk (press 1 to accept).
struct AgentConfig {
  std::string name;
  std::string extension;  ///< the tenant's extension that rings; empty when `mobile` is set
  std::string mobile;     ///< external number rung out `trunk`; the agent presses 1 to accept
  std::string trunk;
  std::vector<std::pair<std::string, int>> skills;  ///< skill name, level 1..10
  /// Queues served: "sales" (this tenant) or "tenant/queue" (a shared seat in another tenant
  /// that lists this agent in its `shared_agents`).
  std::vector<std::string> queues;
  bool loggedIn = false;  ///< logged in and ready when the node starts
};

/// A queue of waiting callers (R1, R2). Durations in seconds.
struct QueueConfig {
  std::string name;
  std::string strategy = "longest_idle";            ///< longest_idle, round_robin, fewest_calls,
                                                    ///< least_talk_time, ring_all, random, skills
  std::vector<std::pair<std::string, int>> skills;  ///< required skill, minimum level
  std::vector<std::pair<std::uint32_t, int>> widening;  ///< after s waiting, lower levels by
  std::uint32_t maxWaitS = 0;                           ///< 0: no limit
  std::uint32_t maxLength = 0;                          ///< 0: no limit
  bool joinWhenNoAgents = false;
  bool leaveWhenNoAgents = true;
  std::string overflow;  ///< queue of this tenant that takes callers after max_wait_s
  double weight = 1.0;   ///< cross-queue fairness: wait counts this much more
  std::uint32_t wrapUpS = 10;
  std::uint32_t offerTimeoutS = 20;  ///< an agent's phone rings this long
  std::uint32_t missDelayS = 5;      ///< after a missed offer, the agent rests this long
  std::uint32_t maxMisses = 3;       ///< consecutive misses before not ready "no_answer"
  std::uint32_t announceEveryS = 0;  ///< position / expected wait announcements; 0: never
  std::string musicOnHold;           ///< WAV file looped while waiting; empty: a tone
  bool record = false;               ///< record calls answered from this queue
  bool assignOwner = false;          ///< a customer without an owner gets the agent who answers
};

/// A known customer (C1, owner routing R2).
struct CustomerConfig {
  std::string number;  ///< caller number, the lookup key
  std::string name;
  std::string owner;  ///< agent name; empty: no owner yet
  std::map<std::string, std::string> fields;
};

/// An IVR flow of a tenant as text (YAML or JSON), parsed and validated by sb::flow.
struct FlowSource {
  std::string name;  ///< filled by the parser from the flow text
  std::string text;
  std::string source;  ///< file name (or config file name) for error messages
};

/// One client company.
/// How a tenant's reports count (docs/metrics.md).
struct ReportingConfig {
  std::uint32_t serviceLevelS = 20;  ///< answered within this counts as met
  std::uint32_t shortAbandonS = 5;   ///< abandons within this are short abandons
  /// "answered" (in SL / answered), "offered" (in SL / offered minus short abandons) or
  /// "offered_with_abandons" (in SL plus abandoned in SL, over offered minus short abandons).
  std::string serviceLevelVariant = "offered";
};

/// An outgoing webhook of a tenant: events POSTed as JSON, signed, retried from a spool.
struct WebhookConfig {
  std::string url;                  ///< http:// or https://
  std::string secret;               ///< HMAC-SHA256 key of the signature header; never logged
  std::vector<std::string> kinds;   ///< event kinds to send ("call_ended", ...); empty: all
};

struct TenantConfig {
  std::string id;
  std::string name;
  std::vector<std::string> domains;  ///< SIP domains; the first is the digest realm
  std::vector<Extension> extensions;
  std::vector<NumberConfig> numbers;
  std::vector<AgentConfig> agents;
  std::vector<std::string> sharedAgents;  ///< "tenant/agent" seats of other tenants allowed here
  std::vector<QueueConfig> queues;
  std::vector<FlowSource> flows;
  std::map<std::string, std::vector<std::string>> lists;  ///< black/white/VIP lists of numbers
  std::vector<CustomerConfig> customers;
  ReportingConfig reporting;
  std::uint32_t recordingRetentionDays = 0;  ///< recordings older are deleted; 0 = keep
  std::vector<WebhookConfig> webhooks;
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
  std::string address;  ///< IP literal of the carrier's SIP server
  std::uint16_t port = 5060;
  sip::Transport transport = sip::Transport::kUdp;
  std::string username;  ///< answers the carrier's 401/407; empty: no auth
  std::string password;  ///< never logged
  int channels = 30;     ///< concurrent outgoing calls; more are refused at once
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

/// `switchboard demo`: simulated customers and agents (sb::crowd) placing and answering real
/// SIP calls over loopback against this node.
struct DemoConfig {
  std::string tenant;                ///< whose number the customers call
  std::string number;                ///< the number customers call
  std::vector<std::string> agents;   ///< extensions the simulated agents register as
  double callsPerMinute = 20;        ///< Poisson arrivals
  std::uint32_t talkMeanS = 25;      ///< mean handling time
  std::uint32_t patienceMeanS = 60;  ///< mean time a caller waits for an agent
  std::string menuDigits = "1";      ///< what callers press after the welcome
  double agentNoAnswer = 0.1;        ///< share of offers a simulated agent lets ring out
  std::uint16_t rtpPortMin = 45000;  ///< the crowd's own RTP ports
  std::uint16_t rtpPortMax = 49999;
};

/// The embedded store (SQLite in WAL mode): the append-only event log.
struct StoreConfig {
  std::string path = "var/switchboard.db";  ///< SQLite file; empty: no store (only log lines)
  bool syncFull = false;  ///< synchronous=FULL (survives power loss) instead of NORMAL
  std::string postgres;   ///< libpq conninfo: PostgreSQL instead of the SQLite file
  /// True when events are stored (a SQLite path or a PostgreSQL conninfo).
  bool enabled() const { return !path.empty() || !postgres.empty(); }
};

/// One API credential: an API token (by its SHA-256) or a user (by an argon2id hash).
struct ApiCredential {
  std::string name;
  std::string role;    ///< "operator", "tenant_admin", "supervisor", "agent"
  std::string tenant;  ///< empty only for operators
  std::string agent;   ///< role agent: the agent it acts as
  std::string secretHash;  ///< tokens: hex SHA-256 of the token; users: crypto_pwhash_str text
};

/// The REST/WebSocket API's credentials.
struct ApiConfig {
  std::vector<ApiCredential> tokens;
  std::vector<ApiCredential> users;
  std::uint32_t sessionHours = 8;  ///< lifetime of a login session token
};

/// Whole-node configuration.
struct Config {
  std::vector<sip::ListenSpec> sip;
  std::string httpAddress = "127.0.0.1";
  std::uint16_t httpPort = 8080;
  std::string logLevel = "info";
  std::size_t maxCalls = 50000;  ///< concurrent dialogs; new INVITEs beyond get 503
  /// Live server transactions (a completed one lingers 32 s, RFC 6026 Timer L / RFC 3261
  /// Timer J: two per call); new INVITEs beyond get 503.
  std::size_t maxTransactions = 500000;
  SecurityConfig security;
  sip::RegistrarConfig registrar;
  MediaSettings media;
  StoreConfig store;
  ApiConfig api;
  std::vector<TrunkConfig> trunks;
  std::vector<TenantConfig> tenants;
  std::optional<DemoConfig> demo;
};

/// Where call `call` of `tenant` records `kind` ("full", "queue", "voicemail", "message"):
/// `<recordings>/<tenant>/<UTC day>/call-<call>-<kind>.wav`. Tenant and call ids are ours,
/// never the caller's, so no path is built from input.
std::string recordingPath(const MediaSettings& media, std::string_view tenant, std::uint64_t call,
                          std::string_view kind);

/// Parses and validates YAML text. Errors name the source and line: "quickstart.yaml:12: ...".
/// Flow files named by `flows: [{file: ...}]` are read relative to `baseDir`.
Result<Config> parseConfig(std::string_view yaml, std::string_view sourceName,
                           const std::string& baseDir = ".");
/// Reads and parses a file.
Result<Config> loadConfig(const std::string& path);

}  // namespace sb::app
