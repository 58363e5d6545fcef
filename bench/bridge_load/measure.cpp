// bridge_load: histogram percentiles, per-stream RFC 3550 accounting and run totals (measure.h).
#include "measure.h"

namespace bridge_load {

double Histogram::percentileMs(double p) const {
  if (count_ == 0) return 0;
  auto want = static_cast<std::uint64_t>(std::ceil(p / 100.0 * static_cast<double>(count_)));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < bins_.size(); ++i) {
    seen += bins_[i];
    if (seen >= want) return static_cast<double>((static_cast<Ns>(i) + 1) * kBin) / 1e6;
  }
  return maxMs();
}

void RxStream::addInWindow(std::uint16_t seq, std::uint32_t ts, Ns rx, Ns sentAt) {
  ++inWindow;
  if (!seqInit) {
    seqInit = true;
    maxSeq = seq;
    baseSeq = seq;
    tsBase = ts;
  } else if (static_cast<std::uint16_t>(seq - maxSeq) < 3000) {  // RFC 3550 A.1: in order
    if (seq < maxSeq) cycles += 65536;
    maxSeq = seq;
  }
  ++seqReceived;
  // RFC 3550 A.8 in ns: transit = arrival - RTP timestamp (8 kHz: 125 µs per unit).
  rfc.add(rx - static_cast<Ns>(static_cast<std::uint32_t>(ts - tsBase)) * 125'000);
  added.add(rx - sentAt);
}

std::vector<double> sorted(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v;
}

double pct(const std::vector<double>& s, double p) {
  if (s.empty()) return 0;
  auto i = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(s.size())));
  return s[std::min(s.size() - 1, i == 0 ? 0 : i - 1)];
}

double mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0 : s / static_cast<double>(v.size());
}

double lossPct(std::uint64_t e, std::uint64_t r) {
  return e == 0
             ? 0.0
             : 100.0 * (static_cast<double>(e) - static_cast<double>(r)) / static_cast<double>(e);
}

void StreamTotals::add(const RxStream& rx, const TxStream& tx) {
  if (tx.winFirst == kNoSeq) return;
  ++streams;
  std::uint64_t e = tx.winLast - tx.winFirst + 1;
  expected += e;
  received += rx.inWindow;
  lossy += rx.inWindow < e;
  if (rx.seqInit) {
    seqExpected += rx.cycles + rx.maxSeq - rx.baseSeq + 1;
    seqReceived += rx.seqReceived;
  }
  if (rx.rfc.have) {
    jRfc.push_back(rx.rfc.j / 1e6);
    jAdded.push_back(rx.added.j / 1e6);
    jPeak.push_back(rx.rfc.peak / 1e6);
  }
  if (tx.lateness.have) jTool.push_back(tx.lateness.j / 1e6);
}

void StreamTotals::sort() {
  jRfc = sorted(jRfc);
  jAdded = sorted(jAdded);
  jTool = sorted(jTool);
  jPeak = sorted(jPeak);
}

}  // namespace bridge_load
