#include "sip/registrar.h"

#include <algorithm>
#include <optional>

#include "sip/transaction.h"

namespace sb::sip {
namespace {

std::uint32_t secondsLeft(TimePoint expires, TimePoint now) {
  if (expires <= now) return 0;
  auto s = std::chrono::duration_cast<std::chrono::seconds>(expires - now).count();
  return static_cast<std::uint32_t>(std::max<std::int64_t>(s, 1));
}

int parseQ(std::optional<std::string_view> q) {
  if (!q || q->empty()) return 1000;
  // qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
  int whole = (*q)[0] == '1' ? 1000 : 0;
  int frac = 0;
  int scale = 100;
  for (std::size_t i = 2; i < q->size() && i < 5; ++i) {
    char c = (*q)[i];
    if (c < '0' || c > '9') break;
    frac += (c - '0') * scale;
    scale /= 10;
  }
  return std::min(1000, whole + frac);
}

}  // namespace

Registrar::Registrar(const Clock& clock, RegistrarConfig config)
    : clock_(clock), config_(config) {}

RegisterOutcome Registrar::apply(std::string_view aor, const Message& reg) {
  RegisterOutcome out;
  TimePoint now = clock_.now();
  std::optional<std::uint32_t> headerExpires;
  if (std::string_view e = reg.header(HeaderId::kExpires); !e.empty()) {
    headerExpires = parseNumber(trim(e));
    if (!headerExpires) return {400, "Invalid Expires", {}};
  }
  std::vector<NameAddr> contacts;
  bool wildcard = false;
  bool bad = false;
  reg.forEach(HeaderId::kContact, [&](std::string_view v) {
    auto na = parseNameAddr(v);
    if (!na) {
      bad = true;
      return;
    }
    wildcard = wildcard || na->wildcard;
    contacts.push_back(*na);
  });
  if (bad) return {400, "Invalid Contact", {}};

  auto key = std::string(aor);
  auto it = aors_.find(key);
  if (wildcard) {
    // §10.3 step 6: "*" only alone and only with Expires: 0.
    if (contacts.size() != 1 || !headerExpires || *headerExpires != 0) {
      return {400, "Invalid Wildcard Contact", {}};
    }
    if (it != aors_.end()) {
      for (const auto& b : it->second) {
        if (b.callId == reg.callId() && reg.cseq().number <= b.cseq) {
          return {500, "Out of Order Request", {}};
        }
      }
      aors_.erase(it);
    }
    return out;
  }

  if (!contacts.empty() && it == aors_.end()) {
    if (aors_.size() >= config_.maxAors) return {503, "Registrar Full", {{"Retry-After", "60"}}};
    it = aors_.emplace(key, std::vector<Binding>{}).first;
  }
  for (const auto& c : contacts) {
    std::uint32_t expires = config_.defaultExpires;
    if (auto p = c.param("expires")) {
      auto v = parseNumber(*p);
      expires = v ? *v : config_.defaultExpires;
    } else if (headerExpires) {
      expires = *headerExpires;
    }
    if (expires != 0 && expires < config_.minExpires) {
      out = {423, "Interval Too Brief", {{"Min-Expires", std::to_string(config_.minExpires)}}};
      return out;
    }
    expires = std::min(expires, config_.maxExpires);
    std::string uri(c.uri.raw);
    auto& list = it->second;
    auto existing = std::find_if(list.begin(), list.end(),
                                 [&](const Binding& b) { return b.contact == uri; });
    if (existing != list.end() && existing->callId == reg.callId() &&
        reg.cseq().number <= existing->cseq) {
      return {500, "Out of Order Request", {}};  // §10.3 step 7
    }
    if (expires == 0) {
      if (existing != list.end()) list.erase(existing);
      continue;
    }
    if (existing == list.end()) {
      if (list.size() >= config_.maxBindingsPerAor) {
        // Replace the binding refreshed longest ago: phones that re-register with a new
        // port must not lock themselves out.
        existing = std::min_element(list.begin(), list.end(), [](const Binding& a, const Binding& b) {
          return a.updated < b.updated;
        });
      } else {
        existing = list.insert(list.end(), Binding{});
      }
    }
    existing->contact = std::move(uri);
    existing->callId = reg.callId();
    existing->cseq = reg.cseq().number;
    existing->expires = now + std::chrono::seconds(expires);
    existing->q1000 = parseQ(c.param("q"));
    existing->flow = responseDestination(reg);
    existing->userAgent = reg.header(HeaderId::kUserAgent);
    existing->updated = now;
  }
  if (it != aors_.end()) {
    auto& list = it->second;
    list.erase(std::remove_if(list.begin(), list.end(),
                              [&](const Binding& b) { return b.expires <= now; }),
               list.end());
    for (const auto& b : list) {
      out.headers.emplace_back("Contact",
                               "<" + b.contact + ">;expires=" + std::to_string(secondsLeft(b.expires, now)));
    }
    if (list.empty()) aors_.erase(it);
  }
  return out;
}

std::vector<Binding> Registrar::lookup(std::string_view aor) const {
  std::vector<Binding> result;
  auto it = aors_.find(std::string(aor));
  if (it == aors_.end()) return result;
  TimePoint now = clock_.now();
  for (const auto& b : it->second) {
    if (b.expires > now) result.push_back(b);
  }
  std::sort(result.begin(), result.end(), [](const Binding& a, const Binding& b) {
    return a.q1000 != b.q1000 ? a.q1000 > b.q1000 : a.updated > b.updated;
  });
  return result;
}

std::size_t Registrar::purgeExpired() {
  TimePoint now = clock_.now();
  std::size_t removed = 0;
  for (auto it = aors_.begin(); it != aors_.end();) {
    auto& list = it->second;
    auto before = list.size();
    list.erase(std::remove_if(list.begin(), list.end(),
                              [&](const Binding& b) { return b.expires <= now; }),
               list.end());
    removed += before - list.size();
    it = list.empty() ? aors_.erase(it) : std::next(it);
  }
  return removed;
}

std::size_t Registrar::bindingCount() const {
  std::size_t n = 0;
  for (const auto& [k, v] : aors_) n += v.size();
  return n;
}

}  // namespace sb::sip
