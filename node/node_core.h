// NodeCore: one validator without its network. It owns the consensus core and carries
// out the core's actions against the store and the application (DESIGN.md "Threads in
// the node"):
//   - PersistAction: one synced WriteBatch each, in the order emitted (the storage
//     writer); then Core::OnPersisted, which releases the sends that waited for it;
//   - CommitAction: the committed blocks go to the executor (node/executor.h), in order,
//     off the consensus thread; each executed height goes back as Core::OnExecuted;
//   - sends, payload requests and evidence go to the NodeOutput (network, mempool, RPC);
//   - evidence also enters the evidence pool (evidence_pool.h): a payload request is
//     forwarded with bytes_max less the pending evidence set aside for it, and the
//     answer (OnPayloadReady) carries that evidence, so evidence comes before
//     transactions; a proposal whose evidence the core refused is logged;
//   - a peer's BlockRequest for a block the core's tree lacks (a peer catching up from far
//     behind) is answered from the store by the block server (see OnMessage), since the
//     core does no I/O; the response is cut to CoreConfig::sync_response_bytes_max.
//
// On Open it recovers: the executor brings the app to the store's committed height
// (replaying what the app lacks), and the core restarts from the stored safety data, block
// tree, certificates and executed height. A validator whose store holds no safety data
// does not sign at all (SafetyRules) until an operator calls InitializeSafety: its key may
// have signed before the data was lost.
//
// When the application fails (a socket app that died, say), execution stops at that
// height, the node says so (log, execution_status()) and retries with backoff; consensus
// goes on until the missing execution holds it back (a proposal must carry the executed
// state), and everything resumes where it stopped once the app answers. Nothing is lost:
// the committed blocks are in the store.
//
// Fatal conditions halt the node (halted() not OK, every later input ignored): a store
// write that fails (safety data could not be made durable), this validator's app hash
// disagreeing with the chain's, a commit that conflicts with a certified block (more than
// f faulty validators), an execution error that retrying cannot mend (kCorruption,
// kSafetyViolation; kFailedPrecondition: the app's state is not this chain's;
// kInvalidArgument: an answer that breaks the app's contract). Other execution errors (an
// app that does not answer, kIoError and the like) are retried.
//
// Storage writes are grouped: the writer makes everything queued durable in one synced
// batch, so under load one sync covers several inputs. The executor works from heights,
// reading committed blocks from the store: nothing piles up while the app is down.
//
// Two modes. With threads (a node): the storage writer, the executor and the block server
// run on their own threads and call NodeOutput::Wake when Poll has results to hand over.
// Without (deterministic tests): Poll itself carries out the writes, block requests and
// executions queued before the call, on the caller's thread; destroying the NodeCore between two
// Polls is a crash that loses exactly the writes not yet carried out.
//
// Thread-safety: every public member is called from one thread (the consensus thread),
// except NodeOutput::Wake, which the worker threads call.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "app/application.h"
#include "consensus/core.h"
#include "crypto/signer.h"
#include "crypto/status.h"
#include "node/evidence_pool.h"
#include "node/executor.h"
#include "storage/store.h"

namespace hotbft::node {

struct NodeCoreConfig {
  CoreConfig core;
  uint32_t self = 0;
  ExecutorConfig execution;
  bool threads = true;  // see the file comment
  // Backoff of execution retries while the app fails: doubles from min to max.
  uint64_t app_retry_ms_min = 100;
  uint64_t app_retry_ms_max = 5'000;
  // App hashes of the last executed heights the core recovers (it checks proposals'
  // execution claims against them).
  size_t recovered_app_hashes = 64;
  // Pending evidence kept for blocks to carry (EvidencePool).
  size_t evidence_pool_max = 1'024;
};

// Where NodeCore's effects go. Called on the consensus thread, except Wake.
class NodeOutput {
 public:
  virtual ~NodeOutput() = default;
  virtual void Send(uint32_t to, const Message& message) = 0;
  virtual void Broadcast(const Message& message) = 0;
  // Answer with NodeCore::OnPayloadReady (at once or later).
  virtual void RequestPayload(const RequestPayloadAction& request) = 0;
  // A height was executed: the block and what its transactions did.
  virtual void Executed(const Block& block, const ExecutedBlock& result) {
    (void)block;
    (void)result;
  }
  virtual void NewEvidence(const Evidence& evidence) { (void)evidence; }
  // Threads mode: a worker has results; call Poll on the consensus thread soon.
  virtual void Wake() {}
};

// Everything a NodeCore uses and does not own; each must outlive it.
struct NodeCoreDeps {
  const ValidatorSet* validators = nullptr;
  const Verifier* verifier = nullptr;
  const LeaderElection* election = nullptr;
  storage::Store* store = nullptr;
  app::Application* app = nullptr;
  NodeOutput* output = nullptr;
};

// Writes fresh safety data for `epoch` into a store that has none: the operator's explicit
// act for a new validator, or one whose key is known never to have signed on this chain.
// Fails with kFailedPrecondition if the store already has safety data.
Status InitializeSafety(storage::Store& store, Epoch epoch);

class NodeCore {
 public:
  // Recovers (see the file comment) and builds the core; does not start it. Fails if the
  // store cannot be read or the app cannot be brought to the store's height (the error
  // says which; e.g. an app that does not answer).
  static Result<std::unique_ptr<NodeCore>> Open(NodeCoreConfig config, NodeCoreDeps deps,
                                                std::unique_ptr<Signer> signer);
  ~NodeCore();  // stops the workers; writes not yet carried out are dropped
  NodeCore(const NodeCore&) = delete;
  NodeCore& operator=(const NodeCore&) = delete;

  // The core's inputs (consensus.h), with the actions carried out.
  void Start(uint64_t now_ms);
  void OnMessage(uint32_t from, const Message& message, uint64_t now_ms);
  void OnTick(uint64_t now_ms);
  void OnPayloadReady(Round round, std::shared_ptr<const Payload> payload, uint64_t now_ms);
  void OnTxsAvailable(uint64_t now_ms);
  // Hands finished writes and executions to the core. Without threads, first carries out
  // the writes and executions queued before the call (an app retry only once due).
  void Poll(uint64_t now_ms);

  // Without threads: writes or executions wait for Poll (executions may wait for a
  // retry, see next_retry_ms). With threads: results wait for Poll.
  bool has_work() const;
  // No write or execution queued or being carried out (results may wait for Poll).
  bool idle() const;
  // Without threads, while the app fails: when Poll retries it.
  uint64_t next_retry_ms() const;
  // When OnTick is due.
  uint64_t deadline_ms() const { return deadline_ms_; }

  // Not OK once the node halted (see the file comment); the message says why.
  Status halted() const;
  // OK, or the app's error while execution waits for it to come back.
  Status execution_status() const;
  bool can_sign() const;  // false without safety data
  const Core& core() const;
  Height executed_height() const;
  // Blocks sent to peers from the store (BlockRequests for blocks the core's tree lacks).
  uint64_t blocks_served_from_store() const;
  // Evidence waiting for a block (thread-safe to read).
  const EvidencePool& evidence_pool() const { return *evidence_pool_; }

 private:
  class Workers;
  NodeCore(NodeCoreConfig config, NodeCoreDeps deps);
  void Carry(std::vector<Action> actions);
  void RequestPayload(RequestPayloadAction request);
  void Halt(Status status);
  void CheckCore();

  const NodeCoreConfig config_;
  const NodeCoreDeps deps_;
  std::unique_ptr<Core> core_;
  std::unique_ptr<Workers> workers_;
  uint64_t deadline_ms_ = 0;
  Status halted_;
  std::unique_ptr<EvidencePool> evidence_pool_;
  // The evidence set aside for the payload of a round, added when the payload arrives.
  Round reserved_round_ = 0;
  std::vector<Bytes> reserved_evidence_;
  uint64_t evidence_refusals_logged_ = 0;  // the core's invalid_evidence drops logged
};

}  // namespace hotbft::node
