#pragma once
// One target's spool (README.md "Spool"): an append-only file of JSON lines, one event each
// in id order, whose records from `head` on are undelivered, plus a cursor file holding the
// id of the last record resolved (delivered or rejected), replaced atomically. Not
// thread-safe: the Dispatcher guards each Spool with its mutex.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "base/result.h"

namespace sb::webhook::internal {

/// An event as spooled: its id and its JSON object on one line, `{"id":<id>,` first.
struct Record {
  std::uint64_t id = 0;
  std::string line;  ///< without the newline
};

/// Records read from a spool's head, in id order.
struct Batch {
  std::vector<std::string> records;  ///< valid JSON lines only
  std::uint64_t firstId = 0;         ///< id of records.front()
  std::uint64_t lastId = 0;          ///< id of records.back()
  std::size_t lines = 0;             ///< lines covered, corrupt ones included
  std::uint64_t endOffset = 0;       ///< file offset after the last line covered
  std::uint64_t generation = 0;      ///< the file's generation when read
};

/// What resolve() took off the head.
struct Resolved {
  std::size_t events = 0;   ///< valid records
  std::size_t corrupt = 0;  ///< lines that were not a record (damaged file)
};

/// The id a spool line starts with (`{"id":123,`); 0 when it does not.
std::uint64_t recordId(std::string_view line);

/// A target's spool file and cursor file.
class Spool {
 public:
  /// Opens or creates `<dir>/<name>.spool` and reads `<name>.cursor`: the head is the first
  /// record after the cursor's id; a torn last line (crash while appending) is cut off, a file
  /// with nothing pending is truncated. kIo naming the file.
  static Result<Spool> open(const std::filesystem::path& dir, const std::string& name);
  Spool(Spool&& other) noexcept;
  Spool& operator=(Spool&&) = delete;
  Spool(const Spool&) = delete;
  ~Spool();

  /// Appends `records` (ids increasing, above every id in the file) and fdatasyncs. When the
  /// file would exceed `capBytes`, first rewrites it (temp file + rename) without the
  /// delivered prefix; if the undelivered records, incoming ones included, take more than
  /// 3/4 of capBytes, the oldest are dropped down to capBytes / 2. Returns how many records
  /// were dropped. kIo: nothing was appended, the file is as before.
  Result<std::size_t> append(const std::vector<Record>& records, std::uint64_t capBytes);
  /// Up to `maxEvents` valid records from the head, stopping before `maxBytes` of record text
  /// (but at least one). Empty when nothing is pending. kIo.
  Result<Batch> readBatch(std::size_t maxEvents, std::size_t maxBytes) const;
  /// Whether `batch` is still at the head: none of its records dropped since it was read.
  bool holds(const Batch& batch) const { return batch.firstId > lastDroppedId_; }
  /// Moves the head past `batch` (or past what is left of it after a rewrite), truncating the
  /// file to zero when nothing is pending. Returns what it removed.
  Resolved resolve(const Batch& batch);
  /// Lines from the head to the end of the file.
  std::size_t pending() const { return pending_; }
  /// The file's size.
  std::uint64_t fileBytes() const { return size_; }
  /// The cursor file (for writeCursor()).
  const std::filesystem::path& cursorPath() const { return cursorPath_; }

 private:
  Spool(std::filesystem::path path, std::filesystem::path cursor, int fd);
  Result<void> scan(std::uint64_t cursor);
  Result<std::size_t> rewrite(const std::vector<Record>& records, std::uint64_t capBytes);
  void truncateIfDone();

  std::filesystem::path path_;
  std::filesystem::path cursorPath_;
  int fd_ = -1;                      // O_RDWR | O_APPEND
  std::uint64_t size_ = 0;           // bytes in the file
  std::uint64_t head_ = 0;           // offset of the first undelivered line
  std::uint64_t generation_ = 0;     // bumped when the file is rewritten (offsets change)
  std::size_t pending_ = 0;          // lines in [head_, size_)
  std::uint64_t lastDroppedId_ = 0;  // highest id dropped for space
};

/// Reads a cursor file: the last resolved id; 0 when the file does not exist. kIo, or
/// kInvalidInput when it holds no number.
Result<std::uint64_t> readCursor(const std::filesystem::path& path);
/// Replaces a cursor file atomically (temp file, fdatasync, rename, directory fsync). kIo.
Result<void> writeCursor(const std::filesystem::path& path, std::uint64_t id);

}  // namespace sb::webhook::internal
