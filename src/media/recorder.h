#pragma once
// Crash-safe WAV recording of a call. Audio is buffered in memory and written with pwrite();
// every flush() rewrites the RIFF and data chunk sizes, so after SIGKILL the file is a valid
// WAV holding everything up to the last flush (the page cache survives the process; no
// fdatasync per flush). Owning thread: one media loop; not thread-safe.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"

namespace sb::media {

/// Stereo (channel 0 = caller/left, channel 1 = agent/right) or mono 16-bit PCM WAV, 8 kHz by
/// default. Data beyond the 4 GiB RIFF limit (about 37 h of 8 kHz stereo) is dropped.
class WavRecorder {
 public:
  /// Creates (or truncates) `path`, creating parent directories; kIo with the path on failure,
  /// kInvalidInput unless `channels` is 1 or 2 and `rate` 1000..192000 Hz. Blocking (one open).
  static Result<std::unique_ptr<WavRecorder>> create(const std::string& path, int channels = 2,
                                                     int rate = 8000);
  /// Flushes and closes.
  ~WavRecorder();
  WavRecorder(const WavRecorder&) = delete;
  WavRecorder& operator=(const WavRecorder&) = delete;

  /// Appends `frames` frames; `left`/`right` may be nullptr for silence on that channel (right
  /// ignored when mono). Ignored after close(). Buffers in memory; flushes by itself past
  /// about 8 s of audio (an error there is reported by the next flush()).
  void write(const std::int16_t* left, const std::int16_t* right, std::size_t frames);
  /// Appends silence (used for pause: the pause stays in the timeline as silence).
  void writeSilence(std::size_t frames);
  /// Writes buffered audio and fixes the header sizes. Called by the engine about once a second
  /// and when stopping. kIo (with the path and errno text) when a write failed since the last
  /// flush; the recording then keeps what reached the file.
  Result<void> flush();
  /// Flushes and closes; further writes are ignored. Returns the final file size in bytes.
  Result<std::uint64_t> close();
  /// Frames written so far (incl. silence and audio not yet flushed).
  std::uint64_t frames() const;
  /// The file being written.
  const std::string& path() const;
  /// Channels per frame (1 or 2).
  int channels() const { return channels_; }
  /// True after close().
  bool closed() const { return fd_ < 0; }

 private:
  WavRecorder(std::string path, int fd, int channels, int rate);
  Result<void> writeAll(const void* data, std::size_t size, std::uint64_t offset);
  Result<void> writeHeader();
  void autoFlush();

  std::string path_;
  int fd_ = -1;
  int channels_ = 2;
  int rate_ = 8000;
  std::vector<std::int16_t> buffer_;   // interleaved frames not yet written
  std::uint64_t dataBytesOnDisk_ = 0;  // bytes of the data chunk already in the file
  std::uint64_t frames_ = 0;           // frames accepted (on disk + buffered)
  std::optional<Error> pendingError_;  // from an automatic flush, reported by flush()
};

}  // namespace sb::media
