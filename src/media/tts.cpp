#include "media/tts.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>
#include <thread>
#include <vector>

namespace sb::media {
namespace {

namespace fs = std::filesystem;
using Millis = std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

constexpr int kPromptRate = 8000;
constexpr int kMaxPromptSeconds = 600;
constexpr std::size_t kMaxLangChars = 32;
constexpr std::size_t kStderrExcerpt = 300;
constexpr std::string_view kTempPrefix = ".tmp-";
constexpr auto kStaleTemp = std::chrono::hours(1);  // far beyond any render timeout
constexpr std::string_view kFliteVoices[] = {"slt", "kal", "awb", "rms"};

// One engine invocation, decided from the voice name alone.
struct EngineCall {
  bool espeak = false;
  std::string voiceArg;  // flite -voice (empty: built-in), espeak-ng -v
};

bool isLangChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '+';
}

std::optional<EngineCall> parseVoice(std::string_view voice) {
  if (voice == "flite") return EngineCall{};
  if (voice.starts_with("flite:")) {
    const std::string_view name = voice.substr(6);
    if (std::find(std::begin(kFliteVoices), std::end(kFliteVoices), name) == std::end(kFliteVoices))
      return std::nullopt;
    return EngineCall{false, std::string(name)};
  }
  if (voice.starts_with("espeak:")) {
    const std::string_view lang = voice.substr(7);
    // A leading '-' would read as an option; the charset keeps the name a plain voice token.
    if (lang.empty() || lang.size() > kMaxLangChars || lang.front() == '-' ||
        !std::all_of(lang.begin(), lang.end(), isLangChar))
      return std::nullopt;
    return EngineCall{true, std::string(lang)};
  }
  return std::nullopt;
}

Result<std::string> sha256Hex(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr) != 1)
    return fail(Errc::kIo, "tts: SHA-256 failed");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * len);
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 0xF];
  }
  return out;
}

// Removes the listed files when the render ends, whatever the outcome.
class TempFiles {
 public:
  explicit TempFiles(std::string base) : base_(std::move(base)) {}
  ~TempFiles() {
    for (const auto& p : paths_) ::unlink(p.c_str());
  }
  TempFiles(const TempFiles&) = delete;
  TempFiles& operator=(const TempFiles&) = delete;
  std::string add(std::string_view suffix) {
    paths_.push_back(base_ + std::string(suffix));
    return paths_.back();
  }

 private:
  std::string base_;
  std::vector<std::string> paths_;
};

Result<void> writeTextFile(const std::string& path, const std::string& text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return fail(Errc::kIo, "tts: cannot create " + path + ": " + std::strerror(errno));
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int e = errno;
      ::close(fd);
      return fail(Errc::kIo, "tts: cannot write " + path + ": " + std::strerror(e));
    }
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
  return {};
}

// The start of the engine's stderr, printable ASCII only, for error messages.
std::string stderrExcerpt(const std::string& path) {
  std::string out;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return out;
  char buf[kStderrExcerpt];
  const ssize_t n = ::read(fd, buf, sizeof buf);
  ::close(fd);
  for (ssize_t i = 0; i < n; ++i) {
    const char c = buf[i];
    out += (c >= 0x20 && c < 0x7F) ? c : ' ';
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// Waits for `pid` until `deadline`; true with its status once it exited, false on timeout.
// pidfd + poll where the kernel has it (5.3+), else a short sleep/waitpid(WNOHANG) loop.
bool waitUntil(pid_t pid, SteadyClock::time_point deadline, int& status) {
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  auto sleepFor = Millis(1);
  for (;;) {
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid || (r < 0 && errno != EINTR)) break;
    const auto left = std::chrono::duration_cast<Millis>(deadline - SteadyClock::now());
    if (left.count() <= 0) {
      if (pidfd >= 0) ::close(pidfd);
      return false;
    }
    if (pidfd >= 0) {
      pollfd p{pidfd, POLLIN, 0};
      (void)::poll(&p, 1, static_cast<int>(std::min<Millis::rep>(left.count() + 1, 1000)));
    } else {
      std::this_thread::sleep_for(std::min(sleepFor, left));
      sleepFor = std::min(sleepFor * 2, Millis(20));
    }
  }
  if (pidfd >= 0) ::close(pidfd);
  return true;
}

// Starts `argv` (argv[0] an absolute path; no shell, no PATH search) with stdin/stdout on
// /dev/null and stderr into `errPath`, in a process group of its own.
Result<pid_t> spawnEngine(const std::vector<std::string>& argv, const std::string& errPath) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  // A fixed environment: nothing of ours (tokens, LD_PRELOAD) leaks into the engine.
  char envPath[] = "PATH=/usr/bin:/bin";
  char envLang[] = "LANG=C.UTF-8";
  char* env[] = {envPath, envLang, nullptr};

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, errPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
  // Sockets and files other components opened without O_CLOEXEC stay out of the engine.
  posix_spawn_file_actions_addclosefrom_np(&fa, 3);
#endif
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD, SIGUSR1, SIGUSR2})
    sigaddset(&defaults, sig);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(
      &attr,
      static_cast<short>(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF));
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, args[0], &fa, &attr, args.data(), env);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return fail(Errc::kIo, "tts: cannot start " + argv[0] + ": " + std::strerror(rc));
  return pid;
}

// Runs the engine to completion, killing its process group at `timeout`. kIo with the exit
// status and the start of its stderr on failure.
Result<void> runEngine(const std::vector<std::string>& argv, const std::string& errPath,
                       Millis timeout) {
  const auto deadline = SteadyClock::now() + timeout;
  auto spawned = spawnEngine(argv, errPath);
  if (!spawned) return spawned.error();
  const pid_t pid = *spawned;
  const std::string name = fs::path(argv[0]).filename().string();
  int status = 0;
  if (!waitUntil(pid, deadline, status)) {
    ::kill(-pid, SIGKILL);  // its process group: anything it forked goes too
    ::kill(pid, SIGKILL);
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return fail(Errc::kIo,
                "tts: " + name + " timed out after " + std::to_string(timeout.count()) + " ms");
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
  std::string why = WIFEXITED(status)     ? "exit status " + std::to_string(WEXITSTATUS(status))
                    : WIFSIGNALED(status) ? "killed by signal " + std::to_string(WTERMSIG(status))
                                          : "status " + std::to_string(status);
  const std::string err = stderrExcerpt(errPath);
  return fail(Errc::kIo, "tts: " + name + " failed, " + why + (err.empty() ? "" : ": " + err));
}

Result<void> syncFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(Errc::kIo, "tts: cannot reopen " + path + ": " + std::strerror(errno));
  const int rc = ::fsync(fd);
  const int e = errno;
  ::close(fd);
  if (rc != 0) return fail(Errc::kIo, "tts: cannot sync " + path + ": " + std::strerror(e));
  return {};
}

// Temporaries a crashed process left behind (its renders can no longer finish).
void removeStaleTemps(const std::string& dir) {
  std::error_code ec;
  const auto now = fs::file_time_type::clock::now();
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!name.starts_with(kTempPrefix)) continue;
    std::error_code timeEc;
    const auto mtime = fs::last_write_time(it->path(), timeEc);
    if (!timeEc && now - mtime > kStaleTemp) fs::remove(it->path(), timeEc);
  }
}

bool isCachedFile(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 44;
}

// What one render needs, validated.
struct RenderJob {
  std::string key;
  EngineCall engine;
};

Result<RenderJob> prepare(const std::string& text, const std::string& voice) {
  if (text.empty()) return fail(Errc::kInvalidInput, "tts: empty text");
  if (text.size() > kMaxTtsTextBytes)
    return fail(Errc::kInvalidInput, "tts: text longer than " + std::to_string(kMaxTtsTextBytes) +
                                         " bytes (" + std::to_string(text.size()) + ")");
  auto engine = parseVoice(voice);
  if (!engine) return fail(Errc::kInvalidInput, "tts: unknown voice '" + voice.substr(0, 64) + "'");
  auto key = sha256Hex(voice + "\n" + text);
  if (!key) return key.error();
  return RenderJob{std::move(*key), std::move(*engine)};
}

std::vector<std::string> engineArgv(const EngineCall& e, const TtsOptions& o,
                                    const std::string& textPath, const std::string& rawPath) {
  if (e.espeak) return {o.espeakPath, "-v", e.voiceArg, "-b", "1", "-f", textPath, "-w", rawPath};
  std::vector<std::string> argv{o.flitePath};
  if (!e.voiceArg.empty()) argv.insert(argv.end(), {"-voice", e.voiceArg});
  argv.insert(argv.end(), {"-f", textPath, "-o", rawPath});
  return argv;
}

}  // namespace

TtsCache::TtsCache(std::string cacheDir, std::chrono::milliseconds timeout)
    : TtsCache(std::move(cacheDir), TtsOptions{.timeout = timeout}) {}

TtsCache::TtsCache(std::string cacheDir, TtsOptions options)
    : cacheDir_(std::move(cacheDir)), options_(std::move(options)) {
  std::error_code ec;
  fs::create_directories(cacheDir_, ec);  // a failure resurfaces as kIo from render()
  if (!ec) removeStaleTemps(cacheDir_);
}

Result<std::string> TtsCache::render(const std::string& text, const std::string& voice) {
  auto job = prepare(text, voice);
  if (!job) return job.error();
  const std::string finalPath = cacheDir_ + "/" + job->key + ".wav";
  if (isCachedFile(finalPath)) return finalPath;

  const std::string& binary = job->engine.espeak ? options_.espeakPath : options_.flitePath;
  if (::access(binary.c_str(), X_OK) != 0)
    return fail(Errc::kUnsupported, "tts: engine not installed: " + binary);
  std::error_code ec;
  fs::create_directories(cacheDir_, ec);
  if (ec)
    return fail(Errc::kIo, "tts: cannot create cache directory " + cacheDir_ + ": " + ec.message());

  // Unique per process and render: concurrent renders of one key never share a temporary.
  TempFiles temps(cacheDir_ + "/" + std::string(kTempPrefix) + job->key + "-" +
                  std::to_string(::getpid()) + "-" + std::to_string(tempSeq_.fetch_add(1)));
  const std::string textPath = temps.add(".txt");
  const std::string rawPath = temps.add(".raw.wav");
  const std::string errPath = temps.add(".err");
  const std::string outPath = temps.add(".wav");
  if (auto r = writeTextFile(textPath, text); !r) return r.error();

  renderCount_.fetch_add(1, std::memory_order_relaxed);
  auto ran =
      runEngine(engineArgv(job->engine, options_, textPath, rawPath), errPath, options_.timeout);
  if (!ran) {
    if (job->engine.espeak && ran.error().message.find("voice does not exist") != std::string::npos)
      return fail(Errc::kInvalidInput, "tts: unknown voice '" + voice + "'");
    return ran.error();
  }
  auto pcm = loadAudioFile(rawPath, kPromptRate, kMaxPromptSeconds);
  if (!pcm) return fail(Errc::kIo, "tts: engine output unusable: " + pcm.error().message);
  if ((*pcm)->empty()) return fail(Errc::kIo, "tts: engine produced no audio for voice " + voice);
  if (auto r = writeWavFile(outPath, **pcm, kPromptRate); !r) return r.error();
  // Durable before it becomes visible under the key: a crash leaves the old state or the
  // whole file, never a prefix.
  if (auto r = syncFile(outPath); !r) return r.error();
  if (::rename(outPath.c_str(), finalPath.c_str()) != 0)
    return fail(Errc::kIo, "tts: cannot rename into " + finalPath + ": " + std::strerror(errno));
  return finalPath;
}

Result<SharedSamples> TtsCache::load(const std::string& text, const std::string& voice) {
  auto job = prepare(text, voice);
  if (!job) return job.error();
  {
    std::lock_guard lock(mu_);
    if (auto it = index_.find(job->key); it != index_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second);
      return it->second->samples;
    }
  }
  auto path = render(text, voice);
  if (!path) return path.error();
  auto pcm = loadAudioFile(*path, kPromptRate, kMaxPromptSeconds);
  if (!pcm) return fail(Errc::kIo, "tts: cached prompt unreadable: " + pcm.error().message);
  remember(job->key, *pcm);
  return pcm;
}

void TtsCache::remember(const std::string& key, const SharedSamples& samples) {
  const std::size_t size = samples->size() * sizeof(std::int16_t);
  if (size > options_.memoryBytes) return;
  std::lock_guard lock(mu_);
  if (index_.contains(key)) return;  // another thread loaded it meanwhile
  lru_.push_front(Entry{key, samples});
  index_.emplace(key, lru_.begin());
  bytes_ += size;
  while (bytes_ > options_.memoryBytes && !lru_.empty()) {
    const Entry& victim = lru_.back();
    bytes_ -= victim.samples->size() * sizeof(std::int16_t);
    index_.erase(victim.key);
    lru_.pop_back();
  }
}

std::size_t TtsCache::memoryBytes() const {
  std::lock_guard lock(mu_);
  return bytes_;
}

}  // namespace sb::media
