// PgStore's derived records: inserting what a batch produced (CDRs with their interval sums,
// agent state intervals, recordings) and the RecordStore reads.

#include <nlohmann/json.hpp>

#include <algorithm>

#include "store/internal/pg_store_db.h"

namespace sb::store {

using nlohmann::json;
using pg::Params;
using pg::storable;

namespace {

/// Inserts a batch's derived records in one statement (one round trip). Each part is a jsonb
/// array of rows ($1 CDRs, $2 agent intervals, $3 recordings; $4 = kIntervalMs). Only the
/// CDRs actually inserted (ON CONFLICT DO NOTHING ... RETURNING) are added into interval_sums,
/// so a replayed CDR is neither stored nor counted twice. The interval is floor(queued_ms /
/// kIntervalMs) * kIntervalMs; the sums are docs/metrics.md "Intervals" (report::rollUp is
/// the reference): a flag counts only with its disposition, talk/hold/wrap-up only for
/// answered CDRs (AHT divides by answered).
constexpr const char* kInsertDerivedSql =
    "WITH c AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS x("
    "  run bigint, call_id bigint, tenant text, number text, caller text, start_ms bigint,"
    "  answer_ms bigint, queued_ms bigint, offered_ms bigint, accepted_ms bigint, end_ms bigint,"
    "  wrap_up_end_ms bigint, queue text, agent text, disposition text, hangup_cause text,"
    "  hangup_side text, recording text, ivr_ms bigint, wait_ms bigint, talk_ms bigint,"
    "  hold_ms bigint, wrap_up_ms bigint, answered_in_sl boolean, abandoned_in_sl boolean,"
    "  short_abandon boolean, legs jsonb)),"
    "ins AS (INSERT INTO cdrs (run, call_id, tenant, number, caller, start_ms, answer_ms,"
    "  queued_ms, offered_ms, accepted_ms, end_ms, wrap_up_end_ms, queue, agent, disposition,"
    "  hangup_cause, hangup_side, recording, ivr_ms, wait_ms, talk_ms, hold_ms, wrap_up_ms,"
    "  answered_in_sl, abandoned_in_sl, short_abandon, legs)"
    "  SELECT run, call_id, tenant, number, caller, start_ms, answer_ms, queued_ms, offered_ms,"
    "  accepted_ms, end_ms, wrap_up_end_ms, queue, agent, disposition, hangup_cause, hangup_side,"
    "  recording, ivr_ms, wait_ms, talk_ms, hold_ms, wrap_up_ms, answered_in_sl,"
    "  abandoned_in_sl, short_abandon, legs FROM c"
    "  ON CONFLICT (run, call_id) DO NOTHING"
    "  RETURNING tenant, queue, queued_ms, disposition, wait_ms, talk_ms, hold_ms, wrap_up_ms,"
    "  answered_in_sl, abandoned_in_sl, short_abandon),"
    "sums AS (INSERT INTO interval_sums (tenant, interval_start_ms, queue, offered, answered,"
    "  abandoned, short_abandoned, callbacks, left_queue, answered_in_sl, abandoned_in_sl,"
    "  wait_answered_ms, wait_abandoned_ms, max_wait_ms, talk_ms, hold_ms, wrap_up_ms)"
    "  SELECT tenant, queued_ms - ((queued_ms % $4::bigint) + $4::bigint) % $4::bigint, queue,"
    "  count(*),"
    "  count(*) FILTER (WHERE disposition = 'answered'),"
    "  count(*) FILTER (WHERE disposition = 'abandoned'),"
    "  count(*) FILTER (WHERE short_abandon AND disposition = 'abandoned'),"
    "  count(*) FILTER (WHERE disposition = 'callback'),"
    "  count(*) FILTER (WHERE disposition = 'left'),"
    "  count(*) FILTER (WHERE answered_in_sl AND disposition = 'answered'),"
    "  count(*) FILTER (WHERE abandoned_in_sl AND disposition = 'abandoned'),"
    "  COALESCE(sum(wait_ms) FILTER (WHERE disposition = 'answered'), 0)::bigint,"
    "  COALESCE(sum(wait_ms) FILTER (WHERE disposition = 'abandoned'), 0)::bigint,"
    "  max(wait_ms),"
    "  COALESCE(sum(talk_ms) FILTER (WHERE disposition = 'answered'), 0)::bigint,"
    "  COALESCE(sum(hold_ms) FILTER (WHERE disposition = 'answered'), 0)::bigint,"
    "  COALESCE(sum(wrap_up_ms) FILTER (WHERE disposition = 'answered'), 0)::bigint"
    "  FROM ins WHERE queue <> '' GROUP BY 1, 2, 3"
    "  ON CONFLICT (tenant, interval_start_ms, queue) DO UPDATE SET"
    "  offered = interval_sums.offered + EXCLUDED.offered,"
    "  answered = interval_sums.answered + EXCLUDED.answered,"
    "  abandoned = interval_sums.abandoned + EXCLUDED.abandoned,"
    "  short_abandoned = interval_sums.short_abandoned + EXCLUDED.short_abandoned,"
    "  callbacks = interval_sums.callbacks + EXCLUDED.callbacks,"
    "  left_queue = interval_sums.left_queue + EXCLUDED.left_queue,"
    "  answered_in_sl = interval_sums.answered_in_sl + EXCLUDED.answered_in_sl,"
    "  abandoned_in_sl = interval_sums.abandoned_in_sl + EXCLUDED.abandoned_in_sl,"
    "  wait_answered_ms = interval_sums.wait_answered_ms + EXCLUDED.wait_answered_ms,"
    "  wait_abandoned_ms = interval_sums.wait_abandoned_ms + EXCLUDED.wait_abandoned_ms,"
    "  max_wait_ms = GREATEST(interval_sums.max_wait_ms, EXCLUDED.max_wait_ms),"
    "  talk_ms = interval_sums.talk_ms + EXCLUDED.talk_ms,"
    "  hold_ms = interval_sums.hold_ms + EXCLUDED.hold_ms,"
    "  wrap_up_ms = interval_sums.wrap_up_ms + EXCLUDED.wrap_up_ms),"
    "ag AS (INSERT INTO agent_states (run, tenant, agent, state, reason, start_ms, end_ms)"
    "  SELECT run, tenant, agent, state, reason, start_ms, end_ms"
    "  FROM jsonb_to_recordset($2::jsonb) AS a(run bigint, tenant text, agent text, state text,"
    "  reason text, start_ms bigint, end_ms bigint)"
    "  ON CONFLICT (run, agent, start_ms, state) DO NOTHING),"
    "rec AS (INSERT INTO recordings (run, call_id, leg, tenant, agent, path, start_ms,"
    "  duration_ms, bytes, sha256)"
    "  SELECT run, call_id, leg, tenant, agent, path, start_ms, duration_ms, bytes, sha256"
    "  FROM jsonb_to_recordset($3::jsonb) AS r(run bigint, call_id bigint, leg bigint,"
    "  tenant text, agent text, path text, start_ms bigint, duration_ms bigint, bytes bigint,"
    "  sha256 text)"
    "  ON CONFLICT (run, leg, path) DO NOTHING)"
    "SELECT count(*) FROM ins";

json legsJson(const std::vector<CdrLeg>& legs) {
  json out = json::array();
  for (const auto& l : legs) {
    out.push_back({{"leg", l.leg},
                   {"role", storable(l.role)},
                   {"peer", storable(l.peer)},
                   {"agent", storable(l.agent)},
                   {"created_ms", l.createdMs},
                   {"ringing_ms", l.ringingMs},
                   {"answered_ms", l.answeredMs},
                   {"ended_ms", l.endedMs},
                   {"cause", storable(l.cause)}});
  }
  return out;
}

json cdrJson(const Cdr& c) {
  return {{"run", c.run},
          {"call_id", c.call},
          {"tenant", storable(c.tenant)},
          {"number", storable(c.number)},
          {"caller", storable(c.caller)},
          {"start_ms", c.startMs},
          {"answer_ms", c.answerMs},
          {"queued_ms", c.queuedMs},
          {"offered_ms", c.offeredMs},
          {"accepted_ms", c.acceptedMs},
          {"end_ms", c.endMs},
          {"wrap_up_end_ms", c.wrapUpEndMs},
          {"queue", storable(c.queue)},
          {"agent", storable(c.agent)},
          {"disposition", dispositionName(c.disposition)},
          {"hangup_cause", storable(c.hangupCause)},
          {"hangup_side", storable(c.hangupSide)},
          {"recording", storable(c.recording)},
          {"ivr_ms", c.ivrMs},
          {"wait_ms", c.waitMs},
          {"talk_ms", c.talkMs},
          {"hold_ms", c.holdMs},
          {"wrap_up_ms", c.wrapUpMs},
          {"answered_in_sl", c.answeredInSl},
          {"abandoned_in_sl", c.abandonedInSl},
          {"short_abandon", c.shortAbandon},
          {"legs", legsJson(c.legs)}};
}

json agentStateJson(const AgentStateInterval& a) {
  return {{"run", a.run},
          {"tenant", storable(a.tenant)},
          {"agent", storable(a.agent)},
          {"state", storable(a.state)},
          {"reason", storable(a.reason)},
          {"start_ms", a.startMs},
          {"end_ms", a.endMs}};
}

json recordingJson(const RecordingEntry& r) {
  return {{"run", r.run},
          {"call_id", r.call},
          {"leg", r.leg},
          {"tenant", storable(r.tenant)},
          {"agent", storable(r.agent)},
          {"path", storable(r.path)},
          {"start_ms", r.startMs},
          {"duration_ms", r.durationMs},
          {"bytes", r.bytes},
          {"sha256", storable(r.sha256)}};
}

template <class T, class F>
std::string jsonArray(const std::vector<T>& items, F toJson) {
  json out = json::array();
  for (const auto& item : items) out.push_back(toJson(item));
  return out.dump();  // text is storable(), so valid UTF-8: dump() does not throw
}

}  // namespace

Result<void> PgStore::insertDerived(const Derived& derived) {
  if (derived.empty()) return {};
  Params params;
  try {
    params.add(jsonArray(derived.cdrs, cdrJson))
        .add(jsonArray(derived.agentStates, agentStateJson))
        .add(jsonArray(derived.recordings, recordingJson))
        .add(kIntervalMs);
  } catch (const json::exception& e) {
    return fail(Errc::kInvalidInput, std::string("derived records: ") + e.what());
  }
  auto r = db_->conn.query(kInsertDerivedSql, params, "derived records");
  if (!r) return r.error();
  return {};
}

namespace {

constexpr const char* kCdrColumns =
    "id, run, call_id, tenant, number, caller, start_ms, answer_ms, queued_ms, offered_ms,"
    " accepted_ms, end_ms, wrap_up_end_ms, queue, agent, disposition, hangup_cause, hangup_side,"
    " recording, ivr_ms, wait_ms, talk_ms, hold_ms, wrap_up_ms, answered_in_sl, abandoned_in_sl,"
    " short_abandon, legs";

Result<std::vector<CdrLeg>> decodeLegs(const std::string& text) {
  try {
    std::vector<CdrLeg> legs;
    for (const auto& j : json::parse(text)) {
      legs.push_back(
          CdrLeg{j.at("leg").get<std::uint64_t>(), j.at("role").get<std::string>(),
                 j.at("peer").get<std::string>(), j.at("agent").get<std::string>(),
                 j.at("created_ms").get<std::int64_t>(), j.at("ringing_ms").get<std::int64_t>(),
                 j.at("answered_ms").get<std::int64_t>(), j.at("ended_ms").get<std::int64_t>(),
                 j.at("cause").get<std::string>()});
    }
    return legs;
  } catch (const json::exception& e) {
    return fail(Errc::kIo, std::string("malformed CDR legs: ") + e.what());
  }
}

Result<std::vector<Cdr>> decodeCdrs(const pg::Rows& rows) {
  std::vector<Cdr> out;
  out.reserve(static_cast<std::size_t>(rows.size()));
  for (int i = 0; i < rows.size(); ++i) {
    Cdr c;
    c.id = rows.u64(i, 0);
    c.run = rows.u64(i, 1);
    c.call = rows.u64(i, 2);
    c.tenant = rows.text(i, 3);
    c.number = rows.text(i, 4);
    c.caller = rows.text(i, 5);
    c.startMs = rows.i64(i, 6);
    c.answerMs = rows.i64(i, 7);
    c.queuedMs = rows.i64(i, 8);
    c.offeredMs = rows.i64(i, 9);
    c.acceptedMs = rows.i64(i, 10);
    c.endMs = rows.i64(i, 11);
    c.wrapUpEndMs = rows.i64(i, 12);
    c.queue = rows.text(i, 13);
    c.agent = rows.text(i, 14);
    if (!dispositionFromName(rows.text(i, 15), c.disposition)) {
      return fail(Errc::kIo, "CDR " + std::to_string(c.id) + ": unknown disposition '" +
                                 rows.text(i, 15) + "'");
    }
    c.hangupCause = rows.text(i, 16);
    c.hangupSide = rows.text(i, 17);
    c.recording = rows.text(i, 18);
    c.ivrMs = rows.i64(i, 19);
    c.waitMs = rows.i64(i, 20);
    c.talkMs = rows.i64(i, 21);
    c.holdMs = rows.i64(i, 22);
    c.wrapUpMs = rows.i64(i, 23);
    c.answeredInSl = rows.boolean(i, 24);
    c.abandonedInSl = rows.boolean(i, 25);
    c.shortAbandon = rows.boolean(i, 26);
    auto legs = decodeLegs(rows.text(i, 27));
    if (!legs) return legs.error();
    c.legs = std::move(*legs);
    out.push_back(std::move(c));
  }
  return out;
}

constexpr const char* kRecordingColumns =
    "run, call_id, leg, tenant, agent, path, start_ms, duration_ms, bytes, sha256";

std::vector<RecordingEntry> decodeRecordings(const pg::Rows& rows) {
  std::vector<RecordingEntry> out;
  out.reserve(static_cast<std::size_t>(rows.size()));
  for (int i = 0; i < rows.size(); ++i) {
    out.push_back(RecordingEntry{rows.u64(i, 0), rows.u64(i, 1), rows.u64(i, 2), rows.text(i, 3),
                                 rows.text(i, 4), rows.text(i, 5), rows.i64(i, 6), rows.i64(i, 7),
                                 rows.i64(i, 8), rows.text(i, 9)});
  }
  return out;
}

}  // namespace

Result<std::vector<Cdr>> PgStore::cdrs(const CdrQuery& q) {
  // "$n = '' OR" folds away: unnamed statements are planned with the actual values.
  std::string sql = std::string("SELECT ") + kCdrColumns +
                    " FROM cdrs WHERE tenant = $1 AND start_ms >= $2 AND start_ms < $3"
                    " AND ($4 = '' OR queue = $4) AND ($5 = '' OR agent = $5)"
                    " AND ($6 = '' OR disposition = $6) AND id > $7 ORDER BY id LIMIT $8";
  Params p;
  p.add(q.tenant).add(q.fromMs).add(q.toMs).add(q.queue).add(q.agent);
  p.add(q.disposition ? dispositionName(*q.disposition) : "").add(q.afterId).addLimit(q.limit);
  auto rows = db_->conn.query(sql.c_str(), p, "cdrs");
  if (!rows) return rows.error();
  return decodeCdrs(*rows);
}

Result<std::optional<Cdr>> PgStore::cdr(std::string_view tenant, std::uint64_t run,
                                        std::uint64_t call) {
  std::string sql = std::string("SELECT ") + kCdrColumns +
                    " FROM cdrs WHERE run = $1 AND call_id = $2 AND tenant = $3";
  auto rows = db_->conn.query(sql.c_str(), Params().add(run).add(call).add(tenant), "cdr");
  if (!rows) return rows.error();
  auto cdrs = decodeCdrs(*rows);
  if (!cdrs) return cdrs.error();
  if (cdrs->empty()) return std::optional<Cdr>();
  return std::optional<Cdr>(std::move(cdrs->front()));
}

Result<std::vector<IntervalSums>> PgStore::intervals(std::string_view tenant, std::int64_t fromMs,
                                                     std::int64_t toMs, std::string_view queue) {
  auto rows = db_->conn.query(
      "SELECT queue, interval_start_ms, offered, answered, abandoned, short_abandoned,"
      " callbacks, left_queue, answered_in_sl, abandoned_in_sl, wait_answered_ms,"
      " wait_abandoned_ms, max_wait_ms, talk_ms, hold_ms, wrap_up_ms FROM interval_sums"
      " WHERE tenant = $1 AND interval_start_ms >= $2 AND interval_start_ms < $3"
      " AND ($4 = '' OR queue = $4) ORDER BY interval_start_ms, queue",
      Params().add(tenant).add(fromMs).add(toMs).add(queue), "intervals");
  if (!rows) return rows.error();
  std::vector<IntervalSums> out;
  out.reserve(static_cast<std::size_t>(rows->size()));
  for (int i = 0; i < rows->size(); ++i) {
    IntervalSums s;
    s.tenant = std::string(tenant);
    s.queue = rows->text(i, 0);
    std::int64_t* fields[] = {
        &s.intervalStartMs, &s.offered,   &s.answered,     &s.abandoned,     &s.shortAbandoned,
        &s.callbacks,       &s.left,      &s.answeredInSl, &s.abandonedInSl, &s.waitAnsweredMs,
        &s.waitAbandonedMs, &s.maxWaitMs, &s.talkMs,       &s.holdMs,        &s.wrapUpMs};
    int col = 1;
    for (auto* f : fields) *f = rows->i64(i, col++);
    out.push_back(std::move(s));
  }
  return out;
}

Result<std::vector<AgentStateInterval>> PgStore::agentStates(std::string_view tenant,
                                                             std::int64_t fromMs, std::int64_t toMs,
                                                             std::string_view agent) {
  auto rows = db_->conn.query(
      "SELECT run, agent, state, reason, start_ms, end_ms FROM agent_states"
      " WHERE tenant = $1 AND start_ms < $3 AND end_ms > $2 AND ($4 = '' OR agent = $4)"
      " ORDER BY start_ms, agent, state",
      Params().add(tenant).add(fromMs).add(toMs).add(agent), "agent states");
  if (!rows) return rows.error();
  std::vector<AgentStateInterval> out;
  out.reserve(static_cast<std::size_t>(rows->size()));
  for (int i = 0; i < rows->size(); ++i) {
    out.push_back(AgentStateInterval{rows->u64(i, 0), std::string(tenant), rows->text(i, 1),
                                     rows->text(i, 2), rows->text(i, 3), rows->i64(i, 4),
                                     rows->i64(i, 5)});
  }
  return out;
}

Result<std::vector<RecordingEntry>> PgStore::recordings(const RecordingQuery& q) {
  std::string sql = std::string("SELECT ") + kRecordingColumns +
                    " FROM recordings WHERE tenant = $1 AND start_ms >= $2 AND start_ms < $3"
                    " AND ($5::bigint = 0 OR (run = $4::bigint AND call_id = $5::bigint))"
                    " AND ($6 = '' OR agent = $6) ORDER BY start_ms, id LIMIT $7";
  Params p;
  p.add(q.tenant).add(q.fromMs).add(q.toMs).add(q.run).add(q.call).add(q.agent).addLimit(q.limit);
  auto rows = db_->conn.query(sql.c_str(), p, "recordings");
  if (!rows) return rows.error();
  return decodeRecordings(*rows);
}

Result<std::vector<RecordingEntry>> PgStore::expireRecordings(std::string_view tenant,
                                                              std::int64_t beforeMs) {
  // DELETE ... RETURNING has no order; the CTE lets the outer query sort what it removed.
  std::string sql = std::string(
                        "WITH gone AS (DELETE FROM recordings WHERE tenant = $1 AND "
                        "start_ms < $2 RETURNING id, ") +
                    kRecordingColumns + ") SELECT " + kRecordingColumns +
                    " FROM gone ORDER BY start_ms, id";
  auto rows = db_->conn.query(sql.c_str(), Params().add(tenant).add(beforeMs), "expire recordings");
  if (!rows) return rows.error();
  return decodeRecordings(*rows);
}

}  // namespace sb::store
