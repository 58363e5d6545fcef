#include "media/recorder.h"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <bit>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace sb::media {
namespace {

constexpr std::size_t kHeaderBytes = 44;  // RIFF + fmt (16-byte PCM) + data chunk headers
constexpr std::size_t kBytesPerSample = 2;
// The RIFF size field is 32 bits and counts everything after itself (36 header bytes + data).
constexpr std::uint64_t kMaxDataBytes = 0xFFFFFFFFull - (kHeaderBytes - 8);
constexpr int kAutoFlushSeconds = 8;
constexpr int kMinRate = 1000;
constexpr int kMaxRate = 192000;

void putU16(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v & 0xFF);
  p[1] = static_cast<std::uint8_t>((v >> 8) & 0xFF);
}

void putU32(std::uint8_t* p, std::uint32_t v) {
  putU16(p, v & 0xFFFF);
  putU16(p + 2, v >> 16);
}

// The canonical 44-byte PCM WAV header for `dataBytes` of sample data.
std::array<std::uint8_t, kHeaderBytes> wavHeader(int channels, int rate, std::uint64_t dataBytes) {
  std::array<std::uint8_t, kHeaderBytes> h{};
  const auto ch = static_cast<std::uint32_t>(channels);
  const auto sr = static_cast<std::uint32_t>(rate);
  const auto data = static_cast<std::uint32_t>(dataBytes);  // <= kMaxDataBytes
  std::memcpy(h.data(), "RIFF", 4);
  putU32(h.data() + 4, data + static_cast<std::uint32_t>(kHeaderBytes - 8));
  std::memcpy(h.data() + 8, "WAVE", 4);
  std::memcpy(h.data() + 12, "fmt ", 4);
  putU32(h.data() + 16, 16);  // fmt chunk size for WAVE_FORMAT_PCM
  putU16(h.data() + 20, 1);   // WAVE_FORMAT_PCM
  putU16(h.data() + 22, ch);
  putU32(h.data() + 24, sr);
  putU32(h.data() + 28, sr * ch * kBytesPerSample);  // byte rate
  putU16(h.data() + 32, ch * kBytesPerSample);       // block align
  putU16(h.data() + 34, 16);                         // bits per sample
  std::memcpy(h.data() + 36, "data", 4);
  putU32(h.data() + 40, data);
  return h;
}

std::string errnoText(int e) {
  return std::strerror(e);
}

}  // namespace

WavRecorder::WavRecorder(std::string path, int fd, int channels, int rate)
    : path_(std::move(path)), fd_(fd), channels_(channels), rate_(rate) {}

WavRecorder::~WavRecorder() {
  if (fd_ >= 0) (void)close();
}

Result<std::unique_ptr<WavRecorder>> WavRecorder::create(const std::string& path, int channels,
                                                         int rate) {
  if (channels != 1 && channels != 2)
    return fail(Errc::kInvalidInput, "recording " + path + ": channels must be 1 or 2");
  if (rate < kMinRate || rate > kMaxRate)
    return fail(Errc::kInvalidInput, "recording " + path + ": bad rate " + std::to_string(rate));
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) return fail(Errc::kIo, "cannot create directory for " + path + ": " + ec.message());
  }
  // Recordings hold personal data: owner and group only.
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) return fail(Errc::kIo, "cannot create " + path + ": " + errnoText(errno));
  std::unique_ptr<WavRecorder> rec(new WavRecorder(path, fd, channels, rate));
  if (auto r = rec->writeHeader(); !r) {
    (void)rec->close();
    return r.error();
  }
  return rec;
}

void WavRecorder::write(const std::int16_t* left, const std::int16_t* right, std::size_t frames) {
  if (fd_ < 0 || frames == 0) return;
  const auto blockBytes = static_cast<std::uint64_t>(channels_) * kBytesPerSample;
  const std::uint64_t used = dataBytesOnDisk_ + buffer_.size() * kBytesPerSample;
  const std::uint64_t room = used >= kMaxDataBytes ? 0 : (kMaxDataBytes - used) / blockBytes;
  if (frames > room) frames = static_cast<std::size_t>(room);
  if (frames == 0) return;

  const std::size_t start = buffer_.size();
  buffer_.resize(start + frames * static_cast<std::size_t>(channels_), 0);
  std::int16_t* out = buffer_.data() + start;
  if (channels_ == 1) {
    if (left != nullptr) std::memcpy(out, left, frames * kBytesPerSample);
  } else {
    for (std::size_t i = 0; i < frames; ++i) {
      if (left != nullptr) out[2 * i] = left[i];
      if (right != nullptr) out[2 * i + 1] = right[i];
    }
  }
  frames_ += frames;
  autoFlush();
}

void WavRecorder::writeSilence(std::size_t frames) {
  write(nullptr, nullptr, frames);
}

void WavRecorder::autoFlush() {
  const auto limit =
      static_cast<std::size_t>(rate_) * kAutoFlushSeconds * static_cast<std::size_t>(channels_);
  if (buffer_.size() < limit) return;
  if (auto r = flush(); !r && !pendingError_) pendingError_ = r.error();
}

Result<void> WavRecorder::writeAll(const void* data, std::size_t size, std::uint64_t offset) {
  const auto* p = static_cast<const std::uint8_t*>(data);
  while (size > 0) {
    const ssize_t n = ::pwrite(fd_, p, size, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(Errc::kIo, "cannot write " + path_ + ": " + errnoText(errno));
    }
    if (n == 0) return fail(Errc::kIo, "cannot write " + path_ + ": no progress");
    p += n;
    size -= static_cast<std::size_t>(n);
    offset += static_cast<std::uint64_t>(n);
  }
  return {};
}

Result<void> WavRecorder::writeHeader() {
  const auto h = wavHeader(channels_, rate_, dataBytesOnDisk_);
  return writeAll(h.data(), h.size(), 0);
}

Result<void> WavRecorder::flush() {
  if (fd_ < 0) return {};
  Result<void> result;
  if (!buffer_.empty()) {
    if constexpr (std::endian::native == std::endian::big) {
      for (auto& s : buffer_) {
        const auto u = static_cast<std::uint16_t>(s);
        s = static_cast<std::int16_t>(static_cast<std::uint16_t>((u >> 8) | (u << 8)));
      }
    }
    const std::size_t bytes = buffer_.size() * kBytesPerSample;
    // Data first, header second: a kill in between leaves a header that undercounts, which
    // every reader accepts; the reverse order would promise bytes that are not there.
    result = writeAll(buffer_.data(), bytes, kHeaderBytes + dataBytesOnDisk_);
    if (result) {
      dataBytesOnDisk_ += bytes;
    } else {
      frames_ -= buffer_.size() / static_cast<std::size_t>(channels_);
    }
    buffer_.clear();
    if (result) result = writeHeader();
  }
  if (pendingError_) {
    Error e = std::move(*pendingError_);
    pendingError_.reset();
    return e;
  }
  return result;
}

Result<std::uint64_t> WavRecorder::close() {
  if (fd_ < 0) return kHeaderBytes + dataBytesOnDisk_;
  Result<void> flushed = flush();
  const int rc = ::close(fd_);
  const int closeErrno = errno;
  fd_ = -1;
  buffer_.clear();
  buffer_.shrink_to_fit();
  if (!flushed) return flushed.error();
  if (rc != 0) return fail(Errc::kIo, "cannot close " + path_ + ": " + errnoText(closeErrno));
  return kHeaderBytes + dataBytesOnDisk_;
}

std::uint64_t WavRecorder::frames() const {
  return frames_;
}

const std::string& WavRecorder::path() const {
  return path_;
}

}  // namespace sb::media
