#include "webhook/internal/spool.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <string_view>
#include <system_error>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

namespace sb::webhook::internal {
namespace {

constexpr std::size_t kChunk = 64 * 1024;
constexpr std::string_view kIdPrefix = "{\"id\":";

Error ioError(const std::filesystem::path& path, std::string_view what) {
  return fail(Errc::kIo, "webhook spool " + path.filename().string() + ": " + std::string(what) +
                             ": " + std::error_code(errno, std::generic_category()).message());
}

Result<void> writeAll(int fd, std::string_view data, const std::filesystem::path& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return ioError(path, "write");
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

Result<void> syncDir(const std::filesystem::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ioError(dir, "open directory");
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return ioError(dir, "fsync directory");
  return {};
}

// Complete lines of [from, to) of a file, read in chunks. A last line without its newline (a
// torn append) is not returned; offset() then says where it starts.
class LineReader {
 public:
  LineReader(int fd, std::uint64_t from, std::uint64_t to) : fd_(fd), start_(from), to_(to) {}

  // The next line without its '\n': true; false at the end.
  Result<bool> next(std::string& line, const std::filesystem::path& path) {
    while (true) {
      auto nl = buf_.find('\n', pos_);
      if (nl != std::string::npos) {
        line.assign(buf_, pos_, nl - pos_);
        pos_ = nl + 1;
        return true;
      }
      std::uint64_t readAt = start_ + buf_.size();
      if (readAt >= to_) return false;
      buf_.erase(0, pos_);
      start_ += pos_;
      pos_ = 0;
      readAt = start_ + buf_.size();
      std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, to_ - readAt));
      std::size_t old = buf_.size();
      buf_.resize(old + want);
      ssize_t n = ::pread(fd_, buf_.data() + old, want, static_cast<off_t>(readAt));
      buf_.resize(old + static_cast<std::size_t>(std::max<ssize_t>(n, 0)));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return ioError(path, "read");
      if (n == 0) to_ = readAt;  // the file is shorter than we were told
    }
  }
  // The offset just after the last line returned.
  std::uint64_t offset() const { return start_ + pos_; }

 private:
  int fd_;
  std::uint64_t start_;  // file offset of buf_[0]
  std::uint64_t to_;
  std::string buf_;
  std::size_t pos_ = 0;  // next unread byte of buf_
};

}  // namespace

std::uint64_t recordId(std::string_view line) {
  if (!line.starts_with(kIdPrefix)) return 0;
  line.remove_prefix(kIdPrefix.size());
  std::uint64_t id = 0;
  auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), id);
  if (ec != std::errc() || end == line.data() + line.size() || (*end != ',' && *end != '}')) {
    return 0;
  }
  return id;
}

Spool::Spool(std::filesystem::path path, std::filesystem::path cursor, int fd)
    : path_(std::move(path)), cursorPath_(std::move(cursor)), fd_(fd) {}

Spool::Spool(Spool&& o) noexcept
    : path_(std::move(o.path_)),
      cursorPath_(std::move(o.cursorPath_)),
      fd_(std::exchange(o.fd_, -1)),
      size_(o.size_),
      head_(o.head_),
      generation_(o.generation_),
      pending_(o.pending_),
      lastDroppedId_(o.lastDroppedId_) {}

Spool::~Spool() {
  if (fd_ >= 0) ::close(fd_);
}

Result<Spool> Spool::open(const std::filesystem::path& dir, const std::string& name) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return fail(Errc::kIo, "webhook spool directory: " + ec.message());
  std::filesystem::path path = dir / (name + ".spool");
  std::filesystem::path cursorPath = dir / (name + ".cursor");
  auto cursor = readCursor(cursorPath);
  if (!cursor && cursor.error().code != Errc::kInvalidInput) return cursor.error();
  if (!cursor) {
    // Unreadable cursor: everything in the spool is sent again (receivers de-duplicate by id).
    spdlog::warn("webhook spool {}: damaged cursor, resending the whole spool", name);
  }
  int fd = ::open(path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return ioError(path, "open");
  Spool spool(std::move(path), std::move(cursorPath), fd);
  if (auto r = spool.scan(cursor ? *cursor : 0); !r) return r.error();
  return Result<Spool>(std::move(spool));
}

// Finds the head (the first record after `cursor`; ids increase down the file) and counts
// what is pending from there.
Result<void> Spool::scan(std::uint64_t cursor) {
  struct stat st {};
  if (::fstat(fd_, &st) != 0) return ioError(path_, "stat");
  size_ = static_cast<std::uint64_t>(st.st_size);
  LineReader reader(fd_, 0, size_);
  std::string line;
  bool headFound = false;
  head_ = 0;
  while (true) {
    std::uint64_t start = reader.offset();
    auto more = reader.next(line, path_);
    if (!more) return more.error();
    if (!*more) break;
    if (!headFound && recordId(line) <= cursor) continue;
    if (!headFound) head_ = start;
    headFound = true;
    ++pending_;
  }
  if (reader.offset() < size_) {
    // An append cut short by a crash; its events were never acknowledged as spooled.
    spdlog::warn("webhook spool {}: cutting a torn last line ({} bytes)", path_.filename().string(),
                 size_ - reader.offset());
    if (::ftruncate(fd_, static_cast<off_t>(reader.offset())) != 0) {
      return ioError(path_, "truncate");
    }
    size_ = reader.offset();
  }
  if (!headFound) head_ = size_;
  truncateIfDone();
  return {};
}

Result<std::size_t> Spool::append(const std::vector<Record>& records, std::uint64_t capBytes) {
  if (records.empty()) return std::size_t{0};
  std::string text;
  for (const Record& r : records) {
    text += r.line;
    text += '\n';
  }
  if (size_ + text.size() > capBytes) return rewrite(records, capBytes);
  auto written = writeAll(fd_, text, path_);
  if (written && ::fdatasync(fd_) != 0) written = ioError(path_, "fdatasync");
  if (!written) {
    // Leave the file as it was, so no half line and nothing counted twice.
    if (::ftruncate(fd_, static_cast<off_t>(size_)) != 0) {
      spdlog::error("webhook spool {}: cannot cut a failed append", path_.filename().string());
    }
    return written.error();
  }
  size_ += text.size();
  pending_ += records.size();
  return std::size_t{0};
}

// The file reached the cap: write a new one without the delivered prefix. If the undelivered
// records (incoming included) take more than 3/4 of the cap, drop the oldest down to half of
// it, so the next rewrite is at least a quarter cap of appends away (copying stays linear).
Result<std::size_t> Spool::rewrite(const std::vector<Record>& records, std::uint64_t capBytes) {
  std::uint64_t incoming = 0;
  for (const Record& r : records) incoming += r.line.size() + 1;
  std::uint64_t total = (size_ - head_) + incoming;
  std::uint64_t keep = total > capBytes / 4 * 3 ? capBytes / 2 : total;
  std::uint64_t from = head_;  // the old file is copied from here
  std::uint64_t lastDropped = lastDroppedId_;
  std::size_t droppedLines = 0;
  LineReader reader(fd_, head_, size_);
  std::string line;
  while (total > keep) {
    auto more = reader.next(line, path_);
    if (!more) return more.error();
    if (!*more) break;
    total -= line.size() + 1;
    from = reader.offset();
    lastDropped = std::max(lastDropped, recordId(line));
    ++droppedLines;
  }
  std::size_t skipped = 0;  // incoming records dropped
  while (total > keep && skipped < records.size()) {
    total -= records[skipped].line.size() + 1;
    lastDropped = std::max(lastDropped, records[skipped].id);
    ++skipped;
  }

  std::filesystem::path tmp = path_;
  tmp += ".tmp";
  int out = ::open(tmp.c_str(), O_RDWR | O_APPEND | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (out < 0) return ioError(tmp, "open");
  auto copied = [&]() -> Result<void> {
    std::string buf(kChunk, '\0');
    for (std::uint64_t at = from; at < size_;) {
      std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, size_ - at));
      ssize_t n = ::pread(fd_, buf.data(), want, static_cast<off_t>(at));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return ioError(path_, "read");
      if (auto w = writeAll(out, {buf.data(), static_cast<std::size_t>(n)}, tmp); !w) return w;
      at += static_cast<std::uint64_t>(n);
    }
    std::string text;
    for (std::size_t i = skipped; i < records.size(); ++i) {
      text += records[i].line;
      text += '\n';
    }
    if (auto w = writeAll(out, text, tmp); !w) return w;
    if (::fdatasync(out) != 0) return ioError(tmp, "fdatasync");
    if (::rename(tmp.c_str(), path_.c_str()) != 0) return ioError(tmp, "rename");
    return syncDir(path_.parent_path());
  }();
  if (!copied) {
    ::close(out);
    ::unlink(tmp.c_str());
    return copied.error();
  }
  ::close(fd_);
  fd_ = out;
  ++generation_;
  head_ = 0;
  size_ = total;
  pending_ = pending_ - droppedLines + (records.size() - skipped);
  lastDroppedId_ = lastDropped;
  return droppedLines + skipped;
}

Result<Batch> Spool::readBatch(std::size_t maxEvents, std::size_t maxBytes) const {
  Batch batch;
  batch.generation = generation_;
  batch.endOffset = head_;
  LineReader reader(fd_, head_, size_);
  std::string line;
  std::size_t bytes = 0;
  while (batch.records.size() < std::max<std::size_t>(maxEvents, 1)) {
    auto more = reader.next(line, path_);
    if (!more) return more.error();
    if (!*more) break;
    if (!batch.records.empty() && bytes + line.size() > maxBytes) break;
    ++batch.lines;
    batch.endOffset = reader.offset();
    std::uint64_t id = recordId(line);
    if (id == 0 || !nlohmann::json::accept(line)) {
      spdlog::warn("webhook spool {}: skipping a damaged line", path_.filename().string());
      continue;
    }
    if (batch.records.empty()) batch.firstId = id;
    batch.lastId = id;
    bytes += line.size();
    batch.records.push_back(std::move(line));
  }
  return batch;
}

Resolved Spool::resolve(const Batch& batch) {
  Resolved resolved;
  if (batch.generation == generation_) {
    head_ = batch.endOffset;
    pending_ -= batch.lines;
    resolved.events = batch.records.size();
    resolved.corrupt = batch.lines - batch.records.size();
  } else {
    // Rewritten while the batch was out (records dropped for space): remove what is left of it.
    LineReader reader(fd_, head_, size_);
    std::string line;
    while (true) {
      auto more = reader.next(line, path_);
      if (!more) {
        spdlog::error("{}", more.error().message);
        break;
      }
      if (!*more) break;
      std::uint64_t id = recordId(line);
      if (id > batch.lastId) break;
      head_ = reader.offset();
      --pending_;
      ++(id != 0 ? resolved.events : resolved.corrupt);
    }
  }
  truncateIfDone();
  return resolved;
}

// Compaction: once everything is delivered, the file starts over (appends stay O_APPEND).
void Spool::truncateIfDone() {
  if (pending_ != 0 || size_ == 0) return;
  if (::ftruncate(fd_, 0) != 0) {
    spdlog::warn("webhook spool {}: cannot truncate", path_.filename().string());
    return;
  }
  size_ = 0;
  head_ = 0;
  ++generation_;
}

Result<std::uint64_t> readCursor(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) return std::uint64_t{0};
  if (fd < 0) return ioError(path, "open");
  char buf[32];
  ssize_t n = ::read(fd, buf, sizeof buf);
  ::close(fd);
  if (n < 0) return ioError(path, "read");
  std::uint64_t id = 0;
  auto [end, ec] = std::from_chars(buf, buf + n, id);
  if (ec != std::errc() || end == buf + n || *end != '\n') {
    return fail(Errc::kInvalidInput, "webhook cursor " + path.filename().string() + ": no id");
  }
  return id;
}

Result<void> writeCursor(const std::filesystem::path& path, std::uint64_t id) {
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return ioError(tmp, "open");
  std::string text = std::to_string(id) + "\n";
  auto r = writeAll(fd, text, tmp);
  if (r && ::fdatasync(fd) != 0) r = ioError(tmp, "fdatasync");
  ::close(fd);
  if (r && ::rename(tmp.c_str(), path.c_str()) != 0) r = ioError(tmp, "rename");
  if (!r) {
    ::unlink(tmp.c_str());
    return r;
  }
  return syncDir(path.parent_path());
}

}  // namespace sb::webhook::internal
