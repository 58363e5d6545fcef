// SqliteStore: the derived records (CDRs, agent intervals, recordings, interval sums).

#include <nlohmann/json.hpp>

#include "store/internal/sqlite_db.h"
#include "store/sqlite_store.h"

namespace sb::store {

using sqlite::dbError;
using sqlite::Statement;
using sqlite::Transaction;

namespace {

std::string legsJson(const std::vector<CdrLeg>& legs) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& l : legs) {
    a.push_back({{"leg", l.leg}, {"role", l.role}, {"peer", l.peer}, {"agent", l.agent},
                 {"created_ms", l.createdMs}, {"ringing_ms", l.ringingMs},
                 {"answered_ms", l.answeredMs}, {"ended_ms", l.endedMs}, {"cause", l.cause}});
  }
  return a.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::vector<CdrLeg> legsFromJson(const std::string& text) {
  std::vector<CdrLeg> out;
  auto a = nlohmann::json::parse(text, nullptr, false);
  if (!a.is_array()) return out;
  for (const auto& j : a) {
    CdrLeg l;
    l.leg = j.value("leg", std::uint64_t{0});
    l.role = j.value("role", "");
    l.peer = j.value("peer", "");
    l.agent = j.value("agent", "");
    l.createdMs = j.value("created_ms", std::int64_t{0});
    l.ringingMs = j.value("ringing_ms", std::int64_t{0});
    l.answeredMs = j.value("answered_ms", std::int64_t{0});
    l.endedMs = j.value("ended_ms", std::int64_t{0});
    l.cause = j.value("cause", "");
    out.push_back(std::move(l));
  }
  return out;
}

constexpr const char* kCdrColumns =
    "id, run, call_id, tenant, number, caller, start_ms, answer_ms, queued_ms, offered_ms, "
    "accepted_ms, end_ms, wrap_up_end_ms, queue, agent, disposition, hangup_cause, hangup_side, "
    "recording, ivr_ms, wait_ms, talk_ms, hold_ms, wrap_up_ms, answered_in_sl, abandoned_in_sl, "
    "short_abandon, legs";

Cdr cdrFromRow(const Statement& q) {
  Cdr c;
  c.id = q.u64(0);
  c.run = q.u64(1);
  c.call = q.u64(2);
  c.tenant = q.text(3);
  c.number = q.text(4);
  c.caller = q.text(5);
  c.startMs = q.i64(6);
  c.answerMs = q.i64(7);
  c.queuedMs = q.i64(8);
  c.offeredMs = q.i64(9);
  c.acceptedMs = q.i64(10);
  c.endMs = q.i64(11);
  c.wrapUpEndMs = q.i64(12);
  c.queue = q.text(13);
  c.agent = q.text(14);
  (void)dispositionFromName(q.text(15), c.disposition);
  c.hangupCause = q.text(16);
  c.hangupSide = q.text(17);
  c.recording = q.text(18);
  c.ivrMs = q.i64(19);
  c.waitMs = q.i64(20);
  c.talkMs = q.i64(21);
  c.holdMs = q.i64(22);
  c.wrapUpMs = q.i64(23);
  c.answeredInSl = q.i64(24) != 0;
  c.abandonedInSl = q.i64(25) != 0;
  c.shortAbandon = q.i64(26) != 0;
  c.legs = legsFromJson(q.text(27));
  return c;
}

void bindCdr(Statement& s, const Cdr& c) {
  int i = 1;
  s.bind(i++, c.run);
  s.bind(i++, c.call);
  s.bind(i++, c.tenant);
  s.bind(i++, c.number);
  s.bind(i++, c.caller);
  for (std::int64_t v : {c.startMs, c.answerMs, c.queuedMs, c.offeredMs, c.acceptedMs, c.endMs,
                         c.wrapUpEndMs}) {
    s.bind(i++, v);
  }
  s.bind(i++, c.queue);
  s.bind(i++, c.agent);
  s.bind(i++, std::string_view(dispositionName(c.disposition)));
  s.bind(i++, c.hangupCause);
  s.bind(i++, c.hangupSide);
  s.bind(i++, c.recording);
  for (std::int64_t v : {c.ivrMs, c.waitMs, c.talkMs, c.holdMs, c.wrapUpMs}) s.bind(i++, v);
  s.bind(i++, c.answeredInSl);
  s.bind(i++, c.abandonedInSl);
  s.bind(i++, c.shortAbandon);
  s.bind(i++, legsJson(c.legs));
}

/// Adds one inserted CDR into the sums of the interval it was queued in (floored), handle
/// times of answered CDRs only (docs/metrics.md "Intervals", report::addCdr).
void bindSums(Statement& s, const Cdr& c) {
  auto is = [&](Disposition d) { return std::int64_t{c.disposition == d ? 1 : 0}; };
  std::int64_t start = c.queuedMs - (((c.queuedMs % kIntervalMs) + kIntervalMs) % kIntervalMs);
  int i = 1;
  s.bind(i++, c.tenant);
  s.bind(i++, start);
  s.bind(i++, c.queue);
  bool answered = c.disposition == Disposition::kAnswered;
  bool abandoned = c.disposition == Disposition::kAbandoned;
  for (std::int64_t v :
       {std::int64_t{1}, is(Disposition::kAnswered), is(Disposition::kAbandoned),
        std::int64_t{abandoned && c.shortAbandon}, is(Disposition::kCallback),
        is(Disposition::kLeft), std::int64_t{answered && c.answeredInSl},
        std::int64_t{abandoned && c.abandonedInSl}, answered ? c.waitMs : 0,
        abandoned ? c.waitMs : 0, c.waitMs, answered ? c.talkMs : 0, answered ? c.holdMs : 0,
        answered ? c.wrapUpMs : 0}) {
    s.bind(i++, v);
  }
}

}  // namespace

Result<void> SqliteStore::insertDerived(const Derived& derived) {
  sqlite3* h = db_->handle;
  if (!derived.cdrs.empty()) {
    Statement insert(h,
                     "INSERT OR IGNORE INTO cdrs (run, call_id, tenant, number, caller, start_ms, "
                     "answer_ms, queued_ms, offered_ms, accepted_ms, end_ms, wrap_up_end_ms, "
                     "queue, agent, disposition, hangup_cause, hangup_side, recording, ivr_ms, "
                     "wait_ms, talk_ms, hold_ms, wrap_up_ms, answered_in_sl, abandoned_in_sl, "
                     "short_abandon, legs) VALUES "
                     "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    Statement sums(h,
                   "INSERT INTO interval_sums (tenant, interval_start_ms, queue, offered, "
                   "answered, abandoned, short_abandoned, callbacks, left_queue, answered_in_sl, "
                   "abandoned_in_sl, wait_answered_ms, wait_abandoned_ms, max_wait_ms, talk_ms, "
                   "hold_ms, wrap_up_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
                   "ON CONFLICT (tenant, interval_start_ms, queue) DO UPDATE SET "
                   "offered = offered + excluded.offered, answered = answered + excluded.answered,"
                   " abandoned = abandoned + excluded.abandoned,"
                   " short_abandoned = short_abandoned + excluded.short_abandoned,"
                   " callbacks = callbacks + excluded.callbacks,"
                   " left_queue = left_queue + excluded.left_queue,"
                   " answered_in_sl = answered_in_sl + excluded.answered_in_sl,"
                   " abandoned_in_sl = abandoned_in_sl + excluded.abandoned_in_sl,"
                   " wait_answered_ms = wait_answered_ms + excluded.wait_answered_ms,"
                   " wait_abandoned_ms = wait_abandoned_ms + excluded.wait_abandoned_ms,"
                   " max_wait_ms = MAX(max_wait_ms, excluded.max_wait_ms),"
                   " talk_ms = talk_ms + excluded.talk_ms, hold_ms = hold_ms + excluded.hold_ms,"
                   " wrap_up_ms = wrap_up_ms + excluded.wrap_up_ms");
    if (!insert || !sums) return dbError(h, "insert cdrs");
    for (const auto& c : derived.cdrs) {
      bindCdr(insert, c);
      if (insert.step() != SQLITE_DONE) return dbError(h, "insert cdr");
      insert.reset();
      // Only a CDR actually inserted counts: a replayed one (same run and call) was ignored.
      if (sqlite3_changes(h) != 1 || c.queue.empty()) continue;
      bindSums(sums, c);
      if (sums.step() != SQLITE_DONE) return dbError(h, "interval sums");
      sums.reset();
    }
  }
  if (!derived.agentStates.empty()) {
    Statement insert(h,
                     "INSERT OR IGNORE INTO agent_states (run, tenant, agent, state, reason, "
                     "start_ms, end_ms) VALUES (?,?,?,?,?,?,?)");
    if (!insert) return dbError(h, "insert agent states");
    for (const auto& a : derived.agentStates) {
      insert.bind(1, a.run);
      insert.bind(2, a.tenant);
      insert.bind(3, a.agent);
      insert.bind(4, a.state);
      insert.bind(5, a.reason);
      insert.bind(6, a.startMs);
      insert.bind(7, a.endMs);
      if (insert.step() != SQLITE_DONE) return dbError(h, "insert agent state");
      insert.reset();
    }
  }
  if (!derived.recordings.empty()) {
    Statement insert(h,
                     "INSERT OR IGNORE INTO recordings (run, call_id, leg, tenant, agent, path, "
                     "start_ms, duration_ms, bytes, sha256) VALUES (?,?,?,?,?,?,?,?,?,?)");
    if (!insert) return dbError(h, "insert recordings");
    for (const auto& r : derived.recordings) {
      insert.bind(1, r.run);
      insert.bind(2, r.call);
      insert.bind(3, r.leg);
      insert.bind(4, r.tenant);
      insert.bind(5, r.agent);
      insert.bind(6, r.path);
      insert.bind(7, r.startMs);
      insert.bind(8, r.durationMs);
      insert.bind(9, r.bytes);
      insert.bind(10, r.sha256);
      if (insert.step() != SQLITE_DONE) return dbError(h, "insert recording");
      insert.reset();
    }
  }
  return {};
}

Result<std::vector<Cdr>> SqliteStore::cdrs(const CdrQuery& q) {
  std::string sql = std::string("SELECT ") + kCdrColumns +
                    " FROM cdrs WHERE tenant = ?1 AND id > ?2 AND start_ms >= ?3 AND start_ms < ?4"
                    " AND (?5 = '' OR queue = ?5) AND (?6 = '' OR agent = ?6)"
                    " AND (?7 = '' OR disposition = ?7) ORDER BY id LIMIT ?8";
  Statement s(db_->handle, sql.c_str());
  if (!s) return dbError(db_->handle, "cdrs");
  s.bind(1, q.tenant);
  s.bind(2, q.afterId);
  s.bind(3, q.fromMs);
  s.bind(4, q.toMs);
  s.bind(5, q.queue);
  s.bind(6, q.agent);
  s.bind(7, std::string_view(q.disposition ? dispositionName(*q.disposition) : ""));
  s.bind(8, static_cast<std::uint64_t>(q.limit));
  std::vector<Cdr> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) out.push_back(cdrFromRow(s));
  if (rc != SQLITE_DONE) return dbError(db_->handle, "cdrs");
  return out;
}

Result<std::optional<Cdr>> SqliteStore::cdr(std::string_view tenant, std::uint64_t run,
                                            std::uint64_t call) {
  std::string sql = std::string("SELECT ") + kCdrColumns +
                    " FROM cdrs WHERE tenant = ? AND run = ? AND call_id = ?";
  Statement s(db_->handle, sql.c_str());
  if (!s) return dbError(db_->handle, "cdr");
  s.bind(1, tenant);
  s.bind(2, run);
  s.bind(3, call);
  int rc = s.step();
  if (rc == SQLITE_ROW) return std::optional<Cdr>(cdrFromRow(s));
  if (rc != SQLITE_DONE) return dbError(db_->handle, "cdr");
  return std::optional<Cdr>();
}

Result<std::vector<IntervalSums>> SqliteStore::intervals(std::string_view tenant,
                                                         std::int64_t fromMs, std::int64_t toMs,
                                                         std::string_view queue) {
  Statement s(db_->handle,
              "SELECT queue, interval_start_ms, offered, answered, abandoned, short_abandoned, "
              "callbacks, left_queue, answered_in_sl, abandoned_in_sl, wait_answered_ms, "
              "wait_abandoned_ms, max_wait_ms, talk_ms, hold_ms, wrap_up_ms FROM interval_sums "
              "WHERE tenant = ?1 AND interval_start_ms >= ?2 AND interval_start_ms < ?3 "
              "AND (?4 = '' OR queue = ?4) ORDER BY interval_start_ms, queue");
  if (!s) return dbError(db_->handle, "intervals");
  s.bind(1, tenant);
  s.bind(2, fromMs);
  s.bind(3, toMs);
  s.bind(4, queue);
  std::vector<IntervalSums> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    IntervalSums x;
    x.tenant = std::string(tenant);
    x.queue = s.text(0);
    x.intervalStartMs = s.i64(1);
    std::int64_t* fields[] = {&x.offered,        &x.answered,      &x.abandoned,
                              &x.shortAbandoned, &x.callbacks,     &x.left,
                              &x.answeredInSl,   &x.abandonedInSl, &x.waitAnsweredMs,
                              &x.waitAbandonedMs, &x.maxWaitMs,    &x.talkMs,
                              &x.holdMs,         &x.wrapUpMs};
    int col = 2;
    for (std::int64_t* f : fields) *f = s.i64(col++);
    out.push_back(std::move(x));
  }
  if (rc != SQLITE_DONE) return dbError(db_->handle, "intervals");
  return out;
}

Result<std::vector<AgentStateInterval>> SqliteStore::agentStates(std::string_view tenant,
                                                                 std::int64_t fromMs,
                                                                 std::int64_t toMs,
                                                                 std::string_view agent) {
  Statement s(db_->handle,
              "SELECT run, agent, state, reason, start_ms, end_ms FROM agent_states "
              "WHERE tenant = ?1 AND start_ms < ?3 AND end_ms > ?2 AND (?4 = '' OR agent = ?4) "
              "ORDER BY start_ms, agent");
  if (!s) return dbError(db_->handle, "agent states");
  s.bind(1, tenant);
  s.bind(2, fromMs);
  s.bind(3, toMs);
  s.bind(4, agent);
  std::vector<AgentStateInterval> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    out.push_back({s.u64(0), std::string(tenant), s.text(1), s.text(2), s.text(3), s.i64(4),
                   s.i64(5)});
  }
  if (rc != SQLITE_DONE) return dbError(db_->handle, "agent states");
  return out;
}

namespace {

constexpr const char* kRecordingColumns =
    "run, call_id, leg, tenant, agent, path, start_ms, duration_ms, bytes, sha256";

RecordingEntry recordingFromRow(const Statement& s) {
  return {s.u64(0),  s.u64(1),  s.u64(2),  s.text(3), s.text(4),
          s.text(5), s.i64(6), s.i64(7), s.i64(8), s.text(9)};
}

}  // namespace

Result<std::vector<RecordingEntry>> SqliteStore::recordings(const RecordingQuery& q) {
  std::string sql = std::string("SELECT ") + kRecordingColumns +
                    " FROM recordings WHERE tenant = ?1 AND start_ms >= ?2 AND start_ms < ?3"
                    " AND (?5 = 0 OR (run = ?4 AND call_id = ?5)) AND (?6 = '' OR agent = ?6)"
                    " ORDER BY start_ms, id LIMIT ?7";
  Statement s(db_->handle, sql.c_str());
  if (!s) return dbError(db_->handle, "recordings");
  s.bind(1, q.tenant);
  s.bind(2, q.fromMs);
  s.bind(3, q.toMs);
  s.bind(4, q.run);
  s.bind(5, q.call);
  s.bind(6, q.agent);
  s.bind(7, static_cast<std::uint64_t>(q.limit));
  std::vector<RecordingEntry> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) out.push_back(recordingFromRow(s));
  if (rc != SQLITE_DONE) return dbError(db_->handle, "recordings");
  return out;
}

Result<std::vector<RecordingEntry>> SqliteStore::expireRecordings(std::string_view tenant,
                                                                  std::int64_t beforeMs) {
  sqlite3* h = db_->handle;
  Transaction txn(h);
  if (auto r = txn.begin("expire recordings"); !r) return r.error();
  std::string sql = std::string("SELECT ") + kRecordingColumns +
                    " FROM recordings WHERE tenant = ? AND start_ms < ? ORDER BY start_ms";
  Statement s(h, sql.c_str());
  if (!s) return dbError(h, "expire recordings");
  s.bind(1, tenant);
  s.bind(2, beforeMs);
  std::vector<RecordingEntry> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) out.push_back(recordingFromRow(s));
  if (rc != SQLITE_DONE) return dbError(h, "expire recordings");
  Statement del(h, "DELETE FROM recordings WHERE tenant = ? AND start_ms < ?");
  if (!del) return dbError(h, "expire recordings");
  del.bind(1, tenant);
  del.bind(2, beforeMs);
  if (del.step() != SQLITE_DONE) return dbError(h, "expire recordings");
  if (auto r = txn.commit(); !r) return r.error();
  return out;
}

}  // namespace sb::store
