// Queue and tenant figures over interval sums (docs/metrics.md "Queue figures", "Service
// level"): every ratio is "no value" when its denominator is 0, and carries its formula.

#include "report/metrics.h"

#include <algorithm>
#include <initializer_list>

namespace sb::report {

namespace {

std::string num(std::int64_t v) {
  return std::to_string(v);
}

// Concatenation by append: GCC 12 warns (-Wrestrict, a false positive) on literal + temporary.
std::string cat(std::initializer_list<std::string_view> parts) {
  std::string s;
  for (auto p : parts) s += p;
  return s;
}

Figure count(const char* name, std::int64_t v) {
  return {static_cast<double>(v), "calls", cat({name, " = ", num(v)})};
}

// value = scale * numerator / denominator, no value when denominator <= 0.
Figure ratio(std::string unit, double scale, std::int64_t numerator, std::int64_t denominator,
             std::string_view names, std::string_view numbers) {
  Figure f;
  f.unit = std::move(unit);
  f.formula = cat({names, " = ", numbers});
  if (denominator > 0) {
    f.value = scale * static_cast<double>(numerator) / static_cast<double>(denominator);
  } else {
    f.formula += " (no calls: no value)";
  }
  return f;
}

Figure serviceLevel(const store::IntervalSums& s, SlVariant v) {
  std::int64_t base = s.offered - s.shortAbandoned - s.callbacks;
  const std::string_view baseNames = "(offered - short_abandoned - callbacks)";
  std::string baseNumbers =
      cat({"(", num(s.offered), " - ", num(s.shortAbandoned), " - ", num(s.callbacks), ")"});
  switch (v) {
    case SlVariant::kAnsweredOverAnswered:
      return ratio("%", 100.0, s.answeredInSl, s.answered, "100 * answered_in_sl / answered",
                   cat({"100 * ", num(s.answeredInSl), " / ", num(s.answered)}));
    case SlVariant::kAnsweredOverOffered:
      return ratio("%", 100.0, s.answeredInSl, base, cat({"100 * answered_in_sl / ", baseNames}),
                   cat({"100 * ", num(s.answeredInSl), " / ", baseNumbers}));
    case SlVariant::kAnsweredAndAbandonedOverOffered:
      return ratio(
          "%", 100.0, s.answeredInSl + s.abandonedInSl, base,
          cat({"100 * (answered_in_sl + abandoned_in_sl) / ", baseNames}),
          cat({"100 * (", num(s.answeredInSl), " + ", num(s.abandonedInSl), ") / ", baseNumbers}));
  }
  return {};
}

}  // namespace

std::string_view slVariantName(SlVariant v) {
  switch (v) {
    case SlVariant::kAnsweredOverAnswered:
      return "answered";
    case SlVariant::kAnsweredOverOffered:
      return "offered";
    case SlVariant::kAnsweredAndAbandonedOverOffered:
      return "offered_with_abandons";
  }
  return "answered";
}

std::optional<SlVariant> parseSlVariant(std::string_view name) {
  for (auto v : {SlVariant::kAnsweredOverAnswered, SlVariant::kAnsweredOverOffered,
                 SlVariant::kAnsweredAndAbandonedOverOffered}) {
    if (slVariantName(v) == name) return v;
  }
  return std::nullopt;
}

void addSums(store::IntervalSums& a, const store::IntervalSums& b) {
  a.offered += b.offered;
  a.answered += b.answered;
  a.abandoned += b.abandoned;
  a.shortAbandoned += b.shortAbandoned;
  a.callbacks += b.callbacks;
  a.left += b.left;
  a.answeredInSl += b.answeredInSl;
  a.abandonedInSl += b.abandonedInSl;
  a.waitAnsweredMs += b.waitAnsweredMs;
  a.waitAbandonedMs += b.waitAbandonedMs;
  a.maxWaitMs = std::max(a.maxWaitMs, b.maxWaitMs);
  a.talkMs += b.talkMs;
  a.holdMs += b.holdMs;
  a.wrapUpMs += b.wrapUpMs;
}

QueueFigures queueFigures(const store::IntervalSums& s, SlVariant v) {
  QueueFigures q;
  q.tenant = s.tenant;
  q.queue = s.queue;
  q.offered = count("offered", s.offered);
  q.answered = count("answered", s.answered);
  q.abandoned = count("abandoned", s.abandoned);
  q.shortAbandoned = count("short_abandoned", s.shortAbandoned);
  q.callbacks = count("callbacks", s.callbacks);
  q.left = count("left", s.left);
  q.serviceLevel = serviceLevel(s, v);
  q.abandonRate =
      ratio("%", 100.0, s.abandoned - s.shortAbandoned, s.offered - s.shortAbandoned - s.callbacks,
            "100 * (abandoned - short_abandoned) / (offered - short_abandoned - callbacks)",
            cat({"100 * (", num(s.abandoned), " - ", num(s.shortAbandoned), ") / (", num(s.offered),
                 " - ", num(s.shortAbandoned), " - ", num(s.callbacks), ")"}));
  q.asa = ratio("ms", 1.0, s.waitAnsweredMs, s.answered, "wait_answered_ms / answered",
                cat({num(s.waitAnsweredMs), " / ", num(s.answered)}));
  q.aht = ratio("ms", 1.0, s.talkMs + s.holdMs + s.wrapUpMs, s.answered,
                "(talk_ms + hold_ms + wrap_up_ms) / answered",
                cat({"(", num(s.talkMs), " + ", num(s.holdMs), " + ", num(s.wrapUpMs), ") / ",
                     num(s.answered)}));
  q.averageAbandonTime =
      ratio("ms", 1.0, s.waitAbandonedMs, s.abandoned, "wait_abandoned_ms / abandoned",
            cat({num(s.waitAbandonedMs), " / ", num(s.abandoned)}));
  q.longestWait.unit = "ms";
  q.longestWait.formula = cat({"max(wait_ms) = ", num(s.maxWaitMs)});
  if (s.offered > 0) {
    q.longestWait.value = static_cast<double>(s.maxWaitMs);
  } else {
    q.longestWait.formula = "max(wait_ms) over no calls: no value";
  }
  return q;
}

}  // namespace sb::report
