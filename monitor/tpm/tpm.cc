#include "monitor/tpm/tpm.h"

#include <dlfcn.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <tss2/tss2_esys.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <mutex>
#include <set>
#include <string>
#include <utility>

#include "monitor/tpm/tss_convert.h"

namespace imawatch::tpm {
namespace {

constexpr size_t kMaxNonceSize = 64;
constexpr int kPcrReadAttempts = 5;

struct EsysFree {
  void operator()(void* p) const { Esys_Free(p); }
};
template <typename T>
using EsysPtr = std::unique_ptr<T, EsysFree>;

// A socket TCTI writing to a TPM that died raises SIGPIPE, which would kill the process.
// Block it in this thread for the duration of TPM calls and swallow one raised meanwhile.
class SigpipeGuard {
 public:
  SigpipeGuard() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
  }
  ~SigpipeGuard() {
    sigset_t pending;
    sigpending(&pending);
    if (!was_pending_ && sigismember(&pending, SIGPIPE) == 1) {
      timespec zero{};
      sigtimedwait(&pipe_, nullptr, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeGuard(const SigpipeGuard&) = delete;
  SigpipeGuard& operator=(const SigpipeGuard&) = delete;

 private:
  sigset_t pipe_;
  sigset_t old_;
  bool was_pending_ = false;
};

std::string HandleHex(uint32_t handle) {
  char text[16];
  std::snprintf(text, sizeof(text), "0x%08x", handle);
  return text;
}

bool AnySelected(const TPML_PCR_SELECTION& tpml) {
  for (uint32_t i = 0; i < tpml.count; ++i) {
    const auto& s = tpml.pcrSelections[i];
    for (uint8_t b = 0; b < s.sizeofSelect; ++b) {
      if (s.pcrSelect[b] != 0) return true;
    }
  }
  return false;
}

TPMS_PCR_SELECTION* FindBank(TPML_PCR_SELECTION& tpml, TPMI_ALG_HASH hash) {
  for (uint32_t i = 0; i < tpml.count; ++i) {
    if (tpml.pcrSelections[i].hash == hash) return &tpml.pcrSelections[i];
  }
  return nullptr;
}

}  // namespace

// An ESYS object handle released at scope end: transient objects are flushed from the TPM (a
// TPM without resource manager runs out of object slots otherwise: 0x902), persistent ones
// only closed in ESYS. A handle from an earlier connection is left alone.
class Tpm::Handle {
 public:
  Handle(Tpm* tpm, ESYS_TR tr, bool persistent)
      : tpm_(tpm), tr_(tr), persistent_(persistent), generation_(tpm->generation_) {}
  Handle(Handle&& other) noexcept
      : tpm_(other.tpm_),
        tr_(std::exchange(other.tr_, ESYS_TR_NONE)),
        persistent_(other.persistent_),
        generation_(other.generation_) {}
  Handle& operator=(Handle&&) = delete;
  ~Handle() {
    if (tr_ == ESYS_TR_NONE || !tpm_->esys_ || tpm_->generation_ != generation_) return;
    SigpipeGuard guard;
    if (persistent_) {
      Esys_TR_Close(tpm_->esys_, &tr_);
    } else if (TSS2_RC rc = Esys_FlushContext(tpm_->esys_, tr_); IsTransportError(rc)) {
      tpm_->Disconnect();
    }
  }
  ESYS_TR get() const { return tr_; }

 private:
  Tpm* tpm_;
  ESYS_TR tr_;
  bool persistent_;
  uint64_t generation_;
};

Result<std::unique_ptr<Tpm>> Tpm::Open(std::string tcti) {
  std::unique_ptr<Tpm> tpm(new Tpm(std::move(tcti)));
  if (Status s = tpm->Connect(); !s) return s.error();
  return tpm;
}

Tpm::~Tpm() { Disconnect(); }

// The TCTI loader dlopens its module on every connection and dlcloses it on finalize. The
// daemon connects once per poll (swtpm serves one client at a time), so the module would be
// mapped and unmapped twice a second, each unmap flushing every CPU's TLB: most of an idle
// daemon's CPU time. Keep the module loaded for the process's life.
static void PinTctiModule(const std::string& conf) {
  static std::mutex mutex;
  static std::set<std::string> pinned;
  const std::string name = conf.substr(0, conf.find(':'));
  std::lock_guard lock(mutex);
  if (name.empty() || !pinned.insert(name).second) return;
  // The loader's own search order for a short name.
  for (const std::string& file : {"libtss2-tcti-" + name + ".so.0", "libtss2-tcti-" + name + ".so", name}) {
    if (dlopen(file.c_str(), RTLD_NOW | RTLD_NODELETE) != nullptr) return;
  }
}

Status Tpm::Connect() {
  if (tcti_.empty()) return InvalidInput("empty TCTI string (expected e.g. device:/dev/tpmrm0)");
  SigpipeGuard guard;
  QuietTssLogging();
  PinTctiModule(tcti_);
  TSS2_TCTI_CONTEXT* tcti = nullptr;
  if (TSS2_RC rc = Tss2_TctiLdr_Initialize(tcti_.c_str(), &tcti); rc != TSS2_RC_SUCCESS) {
    return Error(ErrorKind::kTpm, "cannot open TPM '" + tcti_ + "': " + Tss2_RC_Decode(rc));
  }
  ESYS_CONTEXT* esys = nullptr;
  if (TSS2_RC rc = Esys_Initialize(&esys, tcti, nullptr); rc != TSS2_RC_SUCCESS) {
    Tss2_TctiLdr_Finalize(&tcti);
    return TpmError("Esys_Initialize(" + tcti_ + ")", rc);
  }
  tcti_ctx_ = tcti;
  esys_ = esys;
  ++generation_;
  TSS2_RC rc = Esys_Startup(esys_, TPM2_SU_CLEAR);
  if (rc != TSS2_RC_SUCCESS && rc != TPM2_RC_INITIALIZE) {
    Error error = TpmError("Esys_Startup(" + tcti_ + ")", rc);
    Disconnect();
    return error;
  }
  return {};
}

void Tpm::Disconnect() {
  if (!esys_ && !tcti_ctx_) return;
  SigpipeGuard guard;
  if (esys_) Esys_Finalize(&esys_);
  if (tcti_ctx_) Tss2_TctiLdr_Finalize(&tcti_ctx_);
  esys_ = nullptr;
  tcti_ctx_ = nullptr;
}

Status Tpm::Reconnect() {
  Disconnect();
  return Connect();
}

Status Tpm::Check(std::string_view operation, uint32_t rc) {
  if (rc == TSS2_RC_SUCCESS) return {};
  Error error = TpmError(operation, rc);
  if (IsTransportError(rc)) {
    Disconnect();
    return Error(ErrorKind::kTpm, error.message() + "; lost the TPM at '" + tcti_ + "' (Reconnect to retry)");
  }
  if (rc == TPM2_RC_INITIALIZE) {  // outside Startup: the TPM was reset and awaits Startup
    Disconnect();
    return Error(ErrorKind::kTpm,
                 error.message() + "; the TPM was reset under this connection (Reconnect starts it)");
  }
  return error;
}

Status Tpm::RequireConnection() const {
  if (esys_) return {};
  return Error(ErrorKind::kTpm, "not connected to the TPM at '" + tcti_ + "' (Reconnect to retry)");
}

Result<std::vector<ima::HashAlgo>> Tpm::ActiveBanks() {
  if (Status s = RequireConnection(); !s) return s.error();
  SigpipeGuard guard;
  TPMI_YES_NO more = TPM2_NO;
  TPMS_CAPABILITY_DATA* raw = nullptr;
  TSS2_RC rc =
      Esys_GetCapability(esys_, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, TPM2_CAP_PCRS, 0, 1, &more, &raw);
  EsysPtr<TPMS_CAPABILITY_DATA> data(raw);
  if (Status s = Check("Esys_GetCapability(PCRS)", rc); !s) return s.error();
  std::vector<ima::HashAlgo> banks;
  const TPML_PCR_SELECTION& assigned = data->data.assignedPCR;
  for (uint32_t i = 0; i < assigned.count && i < TPM2_NUM_PCR_BANKS; ++i) {
    const auto& s = assigned.pcrSelections[i];
    auto bank = ima::HashAlgoFromTpmId(s.hash);
    bool any = std::any_of(s.pcrSelect, s.pcrSelect + std::min<size_t>(s.sizeofSelect, TPM2_PCR_SELECT_MAX),
                           [](uint8_t b) { return b != 0; });
    if (bank && any) banks.push_back(*bank);
  }
  return banks;
}

Result<ima::PcrValues> Tpm::ReadPcrs(const PcrSelection& selection) {
  if (Status s = RequireConnection(); !s) return s.error();
  auto requested = ToTpml(selection);
  if (!requested) return requested.error();
  SigpipeGuard guard;
  for (int attempt = 0; attempt < kPcrReadAttempts; ++attempt) {
    TPML_PCR_SELECTION remaining = *requested;
    ima::PcrValues values;
    std::optional<uint32_t> counter;
    bool changed = false;
    while (AnySelected(remaining)) {
      uint32_t update_counter = 0;
      TPML_PCR_SELECTION* raw_selection = nullptr;
      TPML_DIGEST* raw_digests = nullptr;
      TSS2_RC rc = Esys_PCR_Read(esys_, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &remaining, &update_counter,
                                 &raw_selection, &raw_digests);
      EsysPtr<TPML_PCR_SELECTION> returned(raw_selection);
      EsysPtr<TPML_DIGEST> digests(raw_digests);
      if (Status s = Check("Esys_PCR_Read", rc); !s) return s.error();
      if (counter && *counter != update_counter) {
        changed = true;
        break;
      }
      counter = update_counter;
      // Digests come in the order of the returned selection: bank by bank, ascending index.
      uint32_t next = 0;
      for (uint32_t i = 0; i < returned->count; ++i) {
        const TPMS_PCR_SELECTION& got = returned->pcrSelections[i];
        TPMS_PCR_SELECTION* want = FindBank(remaining, got.hash);
        auto bank = ima::HashAlgoFromTpmId(got.hash);
        for (uint32_t index = 0; index < std::min<uint32_t>(got.sizeofSelect, TPM2_PCR_SELECT_MAX) * 8;
             ++index) {
          uint8_t bit = static_cast<uint8_t>(1u << (index % 8));
          if (!(got.pcrSelect[index / 8] & bit)) continue;
          if (!want || !bank || index / 8 >= want->sizeofSelect || !(want->pcrSelect[index / 8] & bit)) {
            return Error(ErrorKind::kTpm, "TPM returned PCR " + std::to_string(index) + " of bank " +
                                              std::to_string(got.hash) + " that was not asked for");
          }
          if (next >= digests->count || digests->digests[next].size != ima::DigestSize(*bank)) {
            return Error(ErrorKind::kTpm, "TPM returned a PCR selection that does not match its digests");
          }
          const TPM2B_DIGEST& d = digests->digests[next++];
          values.Set(*bank, index, ima::Digest(*bank, std::span<const uint8_t>(d.buffer, d.size)));
          want->pcrSelect[index / 8] &= static_cast<uint8_t>(~bit);
        }
      }
      if (next == 0) {  // nothing came back: those PCRs or banks are not there
        auto missing = FromTpml(remaining);
        return Error(ErrorKind::kTpm, "TPM at '" + tcti_ + "' does not provide PCRs " +
                                          (missing ? missing->ToString() : std::string("(unknown)")) +
                                          " (bank not active?)");
      }
    }
    if (!changed) return values;
  }
  return Error(ErrorKind::kTpm, "PCR values kept changing while being read");
}

Status Tpm::ExtendPcr(uint32_t index, std::span<const ima::Digest> digests) {
  if (index > ima::kMaxPcrIndex) return InvalidInput("PCR index " + std::to_string(index) + " is not 0..23");
  if (digests.empty()) return InvalidInput("PCR extend needs at least one digest");
  if (digests.size() > TPM2_NUM_PCR_BANKS) return InvalidInput("too many digests for one PCR extend");
  TPML_DIGEST_VALUES values{};
  for (const ima::Digest& d : digests) {
    auto alg = TpmHashAlg(d.algo);
    if (!alg) return alg.error();
    if (d.size != ima::DigestSize(d.algo)) {
      return InvalidInput(std::string(ima::Name(d.algo)) + " digest has " + std::to_string(d.size) +
                          " bytes");
    }
    for (uint32_t i = 0; i < values.count; ++i) {
      if (values.digests[i].hashAlg == *alg)
        return InvalidInput("two digests for bank " + std::string(Name(d.algo)));
    }
    TPMT_HA& ha = values.digests[values.count++];
    ha.hashAlg = *alg;
    std::memcpy(&ha.digest, d.bytes.data(), d.size);
  }
  if (Status s = RequireConnection(); !s) return s;
  SigpipeGuard guard;
  TSS2_RC rc =
      Esys_PCR_Extend(esys_, ESYS_TR_PCR0 + index, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &values);
  return Check("Esys_PCR_Extend(" + std::to_string(index) + ")", rc);
}

Result<AttestationKey> Tpm::ReadAk(Handle& handle, const AkLocation& location) {
  TPM2B_PUBLIC* raw_public = nullptr;
  TPM2B_NAME* raw_name = nullptr;
  TPM2B_NAME* raw_qualified = nullptr;
  TSS2_RC rc = Esys_ReadPublic(esys_, handle.get(), ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &raw_public,
                               &raw_name, &raw_qualified);
  EsysPtr<TPM2B_PUBLIC> pub(raw_public);
  EsysPtr<TPM2B_NAME> name(raw_name);
  EsysPtr<TPM2B_NAME> qualified(raw_qualified);
  if (Status s = Check("Esys_ReadPublic", rc); !s) return s.error();
  auto ak = DescribeAk(*pub, *name);
  if (!ak) return ak.error();
  ak->location = location;
  return ak;
}

Result<Tpm::Handle> Tpm::LoadAkHandle(const AkLocation& location) {
  ESYS_TR tr = ESYS_TR_NONE;
  if (location.persistent_handle) {
    TSS2_RC rc = Esys_TR_FromTPMPublic(esys_, *location.persistent_handle, ESYS_TR_NONE, ESYS_TR_NONE,
                                       ESYS_TR_NONE, &tr);
    if (Status s = Check("no AK at persistent handle " + HandleHex(*location.persistent_handle), rc); !s) {
      return s.error();
    }
    return Handle(this, tr, /*persistent=*/true);
  }
  auto context =
      Unmarshal(Tss2_MU_TPMS_CONTEXT_Unmarshal, location.saved_context, "AK context (TPMS_CONTEXT)");
  if (!context) return context.error();
  TSS2_RC rc = Esys_ContextLoad(esys_, &*context, &tr);
  if (Status s = Check("Esys_ContextLoad(AK)", rc); !s) return s.error();
  return Handle(this, tr, /*persistent=*/false);
}

Result<AttestationKey> Tpm::LoadAk(const AkLocation& location) {
  if (Status s = RequireConnection(); !s) return s.error();
  SigpipeGuard guard;
  auto handle = LoadAkHandle(location);
  if (!handle) return handle.error();
  return ReadAk(*handle, location);
}

Status Tpm::EvictPersistent(uint32_t handle) {
  if (Status s = RequireConnection(); !s) return s;
  SigpipeGuard guard;
  ESYS_TR tr = ESYS_TR_NONE;
  TSS2_RC rc = Esys_TR_FromTPMPublic(esys_, handle, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &tr);
  if (Status s = Check("no object at persistent handle " + HandleHex(handle), rc); !s) return s;
  Handle existing(this, tr, /*persistent=*/true);
  ESYS_TR none = ESYS_TR_NONE;
  rc = Esys_EvictControl(esys_, ESYS_TR_RH_OWNER, existing.get(), ESYS_TR_PASSWORD, ESYS_TR_NONE,
                         ESYS_TR_NONE, handle, &none);
  return Check("Esys_EvictControl(evict " + HandleHex(handle) + ")", rc);
}

Result<AttestationKey> Tpm::CreateAk(AkType type, std::optional<uint32_t> persist_handle, bool replace) {
  if (Status s = RequireConnection(); !s) return s.error();
  SigpipeGuard guard;
  if (persist_handle) {
    if (*persist_handle < kFirstOwnerPersistentHandle || *persist_handle > kLastOwnerPersistentHandle) {
      return InvalidInput(HandleHex(*persist_handle) + " is not an owner persistent handle");
    }
    ESYS_TR tr = ESYS_TR_NONE;
    TSS2_RC rc = Esys_TR_FromTPMPublic(esys_, *persist_handle, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &tr);
    if (IsTransportError(rc)) return Check("Esys_TR_FromTPMPublic", rc).error();
    if (rc == TSS2_RC_SUCCESS) {
      Handle existing(this, tr, /*persistent=*/true);
      if (!replace) {
        return Error(ErrorKind::kInvalidInput, "persistent handle " + HandleHex(*persist_handle) +
                                                   " is already in use (replace it explicitly)");
      }
      if (Status s = EvictPersistent(*persist_handle); !s) return s.error();
    }
  }
  std::array<uint8_t, 32> unique{};
  if (RAND_bytes(unique.data(), static_cast<int>(unique.size())) != 1) {
    return Error(ErrorKind::kInternal, "no random bytes for the AK template");
  }
  TPM2B_PUBLIC in_public = AkTemplate(type, unique);
  TPM2B_SENSITIVE_CREATE in_sensitive{};
  TPM2B_DATA outside_info{};
  TPML_PCR_SELECTION creation_pcr{};
  ESYS_TR tr = ESYS_TR_NONE;
  TPM2B_PUBLIC* raw_public = nullptr;
  TPM2B_CREATION_DATA* raw_creation_data = nullptr;
  TPM2B_DIGEST* raw_creation_hash = nullptr;
  TPMT_TK_CREATION* raw_ticket = nullptr;
  TSS2_RC rc = Esys_CreatePrimary(esys_, ESYS_TR_RH_ENDORSEMENT, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
                                  &in_sensitive, &in_public, &outside_info, &creation_pcr, &tr, &raw_public,
                                  &raw_creation_data, &raw_creation_hash, &raw_ticket);
  EsysPtr<TPM2B_PUBLIC> out_public(raw_public);
  EsysPtr<TPM2B_CREATION_DATA> creation_data(raw_creation_data);
  EsysPtr<TPM2B_DIGEST> creation_hash(raw_creation_hash);
  EsysPtr<TPMT_TK_CREATION> ticket(raw_ticket);
  if (Status s = Check("Esys_CreatePrimary(endorsement AK)", rc); !s) return s.error();
  Handle key(this, tr, /*persistent=*/false);

  AkLocation location;
  if (persist_handle) {
    ESYS_TR persistent = ESYS_TR_NONE;
    rc = Esys_EvictControl(esys_, ESYS_TR_RH_OWNER, key.get(), ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
                           *persist_handle, &persistent);
    if (Status s = Check("Esys_EvictControl(persist AK at " + HandleHex(*persist_handle) + ")", rc); !s) {
      return s.error();
    }
    Handle closer(this, persistent, /*persistent=*/true);
    location = AkLocation::Persistent(*persist_handle);
  } else {
    TPMS_CONTEXT* raw_context = nullptr;
    rc = Esys_ContextSave(esys_, key.get(), &raw_context);
    EsysPtr<TPMS_CONTEXT> context(raw_context);
    if (Status s = Check("Esys_ContextSave(AK)", rc); !s) return s.error();
    auto bytes = Marshal(Tss2_MU_TPMS_CONTEXT_Marshal, *context, "TPMS_CONTEXT");
    if (!bytes) return bytes.error();
    location = AkLocation::Context(std::move(*bytes));
  }
  return ReadAk(key, location);
}

Result<Quote> Tpm::QuotePcrs(const AkLocation& ak, const PcrSelection& selection,
                             std::span<const uint8_t> nonce) {
  if (nonce.size() > kMaxNonceSize) {
    return InvalidInput("nonce has " + std::to_string(nonce.size()) + " bytes, at most 64 fit in a quote");
  }
  if (selection.empty()) return InvalidInput("a quote needs at least one PCR");
  auto tpml = ToTpml(selection);
  if (!tpml) return tpml.error();
  if (Status s = RequireConnection(); !s) return s.error();
  SigpipeGuard guard;
  auto key = LoadAkHandle(ak);
  if (!key) return key.error();
  TPM2B_DATA qualifying{};
  qualifying.size = static_cast<UINT16>(nonce.size());
  std::copy(nonce.begin(), nonce.end(), qualifying.buffer);
  TPMT_SIG_SCHEME scheme{};
  scheme.scheme = TPM2_ALG_NULL;  // the key's own scheme
  TPM2B_ATTEST* raw_attest = nullptr;
  TPMT_SIGNATURE* raw_signature = nullptr;
  TSS2_RC rc = Esys_Quote(esys_, key->get(), ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &qualifying,
                          &scheme, &*tpml, &raw_attest, &raw_signature);
  EsysPtr<TPM2B_ATTEST> attest(raw_attest);
  EsysPtr<TPMT_SIGNATURE> signature(raw_signature);
  if (Status s = Check("Esys_Quote", rc); !s) return s.error();
  auto signature_bytes = Marshal(Tss2_MU_TPMT_SIGNATURE_Marshal, *signature, "TPMT_SIGNATURE");
  if (!signature_bytes) return signature_bytes.error();
  return Quote{Bytes(attest->attestationData, attest->size), std::move(*signature_bytes)};
}

}  // namespace imawatch::tpm
