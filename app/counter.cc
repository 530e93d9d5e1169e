#include "app/counter.h"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <filesystem>
#include <limits>
#include <system_error>

#include "app/big_endian.h"
#include "app/text.h"
#include "crypto/sha256.h"

namespace hotbft::app {
namespace {

constexpr char kAppName[] = "counter";
constexpr char kAppVersion[] = "1";
constexpr char kQueryPathCount[] = "/count";
constexpr char kStateFileName[] = "counter.state";
constexpr char kTempSuffix[] = ".tmp";

static_assert(!IsReservedCode(Counter::kCodeBadNonce));
static_assert(!IsReservedCode(Counter::kCodeHeightUnavailable));

// The state file: magic, last height, initial height, count (u64 big-endian each), then
// the first kChecksumBytes of SHA-256 over all that, so a damaged file is refused, not
// misread.
constexpr std::string_view kMagic = "HBCOUNT1";
constexpr size_t kChecksumBytes = 8;
constexpr size_t kBodyBytes = kMagic.size() + 3 * kU64Bytes;
constexpr size_t kFileBytes = kBodyBytes + kChecksumBytes;

std::string Checksum(std::string_view body) {
  const Hash32 digest = Sha256(AsBytes(body));
  return std::string(digest.bytes.begin(), digest.bytes.begin() + kChecksumBytes);
}

std::string ErrnoText() {
  return std::error_code(errno, std::generic_category()).message();
}

Status IoFailure(std::string_view what, const std::string& path) {
  return Status::IoError("counter: " + std::string(what) + " '" + EscapeBytes(path) +
                         "': " + ErrnoText());
}

// Writes all of `data` to `path` and fsyncs it.
Status WriteFileSynced(const std::string& path, std::string_view data) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return IoFailure("cannot create", path);
  size_t written = 0;
  while (written < data.size()) {
    const ssize_t n = ::write(fd, data.data() + written, data.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const Status status = IoFailure("cannot write", path);
      ::close(fd);
      return status;
    }
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    const Status status = IoFailure("cannot fsync", path);
    ::close(fd);
    return status;
  }
  if (::close(fd) != 0) return IoFailure("cannot close", path);
  return Status::Ok();
}

// Makes a rename in `dir` durable.
Status SyncDirectory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return IoFailure("cannot open directory", dir);
  const int result = ::fsync(fd);
  const Status status = result == 0 ? Status::Ok() : IoFailure("cannot fsync directory", dir);
  ::close(fd);
  return status;
}

// The file's bytes; an empty string if it does not exist.
Result<std::string> ReadSmallFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) return std::string();
  if (fd < 0) return IoFailure("cannot open", path);
  std::array<char, kFileBytes + 1> buffer{};  // one spare byte reveals an overlong file
  size_t read = 0;
  while (read < buffer.size()) {
    const ssize_t n = ::read(fd, buffer.data() + read, buffer.size() - read);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const Status status = IoFailure("cannot read", path);
      ::close(fd);
      return status;
    }
    if (n == 0) break;
    read += static_cast<size_t>(n);
  }
  ::close(fd);
  return std::string(buffer.data(), read);
}

Result<uint64_t> DecodeNonce(ByteView tx) {
  const std::optional<uint64_t> nonce =
      ParseU64Be(std::string_view(reinterpret_cast<const char*>(tx.data()), tx.size()));
  if (!nonce) {
    return Status::InvalidArgument("a nonce is 8 bytes big-endian; got " +
                                   std::to_string(tx.size()) + " bytes");
  }
  return *nonce;
}

Bytes CountHash(uint64_t count) {
  const std::string be = U64Be(count);
  return Bytes(be.begin(), be.end());
}

std::string BadNonceLog(uint64_t nonce, uint64_t expected) {
  return "nonce " + std::to_string(nonce) + ", expected " + std::to_string(expected);
}

}  // namespace

Counter::Counter(std::string path) : path_(std::move(path)) {}

Result<std::unique_ptr<Counter>> Counter::Open(const std::string& dir) {
  if (dir.empty()) return Status::InvalidArgument("counter needs a data directory");
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) {
    return Status::IoError("counter: cannot create '" + EscapeBytes(dir) + "': " + error.message());
  }
  std::unique_ptr<Counter> counter(new Counter(dir + "/" + kStateFileName));
  HOTBFT_RETURN_IF_ERROR(counter->Load());
  return counter;
}

Status Counter::Load() {
  Result<std::string> bytes = ReadSmallFile(path_);
  if (!bytes.ok()) return bytes.status();
  if (bytes->empty()) return Status::Ok();  // a new counter
  const std::string_view file = *bytes;
  if (file.size() != kFileBytes || !file.starts_with(kMagic) ||
      Checksum(file.substr(0, kBodyBytes)) != file.substr(kBodyBytes)) {
    return Status::Corruption("counter: '" + EscapeBytes(path_) + "' (" +
                              std::to_string(file.size()) + " bytes) is not a counter state");
  }
  std::lock_guard<std::mutex> lock(mutex_);
  const std::string_view fields = file.substr(kMagic.size());
  state_.last_height = *ParseU64Be(fields.substr(0, kU64Bytes));
  state_.initial_height = *ParseU64Be(fields.substr(kU64Bytes, kU64Bytes));
  state_.count = *ParseU64Be(fields.substr(2 * kU64Bytes, kU64Bytes));
  checked_count_ = state_.count;
  return Status::Ok();
}

Status Counter::Store(const State& state) const {
  std::string file(kMagic);
  AppendU64Be(&file, state.last_height);
  AppendU64Be(&file, state.initial_height);
  AppendU64Be(&file, state.count);
  file += Checksum(file);
  HOTBFT_ASSERT(file.size() == kFileBytes);
  // Write a new file and rename it over the old: a crash leaves one or the other, whole.
  const std::string temp = path_ + kTempSuffix;
  HOTBFT_RETURN_IF_ERROR(WriteFileSynced(temp, file));
  if (::rename(temp.c_str(), path_.c_str()) != 0) return IoFailure("cannot rename onto", path_);
  return SyncDirectory(std::filesystem::path(path_).parent_path().string());
}

Height Counter::NextHeight() const {
  if (state_.last_height == 0) return state_.initial_height;
  HOTBFT_ASSERT(state_.last_height < std::numeric_limits<Height>::max());
  return state_.last_height + 1;
}

Result<InfoResult> Counter::Info() {
  std::lock_guard<std::mutex> lock(mutex_);
  Bytes hash = state_.last_height == 0 ? Bytes() : CountHash(state_.count);
  return InfoResult{kAppName, kAppVersion, state_.last_height, std::move(hash)};
}

Result<Bytes> Counter::InitChain(const InitChainRequest& request) {
  if (!request.app_state.empty()) {
    return Status::InvalidArgument("counter takes no genesis state; app_state has " +
                                   std::to_string(request.app_state.size()) + " bytes");
  }
  if (request.initial_height == 0) {
    return Status::InvalidArgument("initial_height is 0; heights start at 1");
  }
  std::lock_guard<std::mutex> lock(mutex_);
  if (state_.last_height != 0 || pending_) {
    return Status::FailedPrecondition("counter: InitChain on a chain already at height " +
                                      std::to_string(state_.last_height));
  }
  State next = state_;
  next.initial_height = request.initial_height;
  HOTBFT_RETURN_IF_ERROR(Store(next));
  state_ = next;
  return CountHash(0);
}

Result<CheckTxResult> Counter::CheckTx(ByteView tx, CheckTxKind /*kind*/) {
  Result<uint64_t> nonce = DecodeNonce(tx);
  if (!nonce.ok()) return CheckTxResult{kCodeBadEncoding, nonce.status().message(), 0};
  std::lock_guard<std::mutex> lock(mutex_);
  if (*nonce != checked_count_) {
    return CheckTxResult{kCodeBadNonce, BadNonceLog(*nonce, checked_count_), 0};
  }
  ++checked_count_;
  return CheckTxResult{};
}

Result<std::vector<Bytes>> Counter::PrepareProposal(Height /*height*/, std::vector<Bytes> txs,
                                                    uint64_t bytes_max) {
  std::vector<Bytes> kept;
  uint64_t total = 0;
  for (Bytes& tx : txs) {
    if (tx.size() != kU64Bytes) continue;
    if (tx.size() > bytes_max - total) break;
    total += tx.size();
    kept.push_back(std::move(tx));
  }
  HOTBFT_ASSERT(total <= bytes_max);
  return kept;
}

Result<bool> Counter::ProcessProposal(Height /*height*/, const Hash32& /*block_id*/,
                                      const std::vector<Bytes>& txs) {
  for (const Bytes& tx : txs) {
    if (tx.size() != kU64Bytes) return false;
  }
  return true;
}

Result<FinalizeBlockResult> Counter::FinalizeBlock(const FinalizeBlockRequest& request) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (pending_) {
    return Status::FailedPrecondition("counter: FinalizeBlock at height " +
                                      std::to_string(request.height) + " while height " +
                                      std::to_string(pending_->height) + " awaits Commit");
  }
  if (request.height != NextHeight()) {
    return Status::FailedPrecondition("counter: FinalizeBlock at height " +
                                      std::to_string(request.height) + ", expected height " +
                                      std::to_string(NextHeight()));
  }
  uint64_t count = state_.count;
  FinalizeBlockResult result;
  result.tx_results.reserve(request.txs.size());
  for (const Bytes& tx : request.txs) {
    Result<uint64_t> nonce = DecodeNonce(tx);
    if (!nonce.ok()) {
      result.tx_results.push_back(TxResult{kCodeBadEncoding, {}, nonce.status().message(), {}});
    } else if (*nonce != count) {
      result.tx_results.push_back(TxResult{kCodeBadNonce, {}, BadNonceLog(*nonce, count), {}});
    } else {
      // Reaching 2^64 - 1 takes as many executed transactions: unreachable, but checked.
      HOTBFT_ASSERT(count < std::numeric_limits<uint64_t>::max());
      ++count;
      result.tx_results.push_back(TxResult{});
    }
  }
  pending_ = Pending{request.height, count};
  return result;
}

Result<CommitResult> Counter::Commit() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!pending_) return Status::FailedPrecondition("counter: Commit without a FinalizeBlock");
  State next = state_;
  next.last_height = pending_->height;
  next.count = pending_->count;
  HOTBFT_RETURN_IF_ERROR(Store(next));
  state_ = next;
  checked_count_ = state_.count;
  pending_.reset();
  return CommitResult{CountHash(state_.count), 0};
}

Result<QueryResult> Counter::Query(const QueryRequest& request) {
  if (!request.path.empty() && request.path != kQueryPathCount) {
    return QueryResult{
        kCodeUnknownPath,
        {},
        {},
        0,
        "unknown path \"" + EscapeBytes(request.path) + "\"; counter answers \"/count\""};
  }
  std::lock_guard<std::mutex> lock(mutex_);
  const Height last = state_.last_height;
  if (request.height != 0 && request.height != last) {
    return QueryResult{kCodeHeightUnavailable,
                       {},
                       {},
                       request.height,
                       "counter keeps only the last height, " + std::to_string(last)};
  }
  return QueryResult{kCodeOk, {}, CountHash(state_.count), last, {}};
}

}  // namespace hotbft::app
