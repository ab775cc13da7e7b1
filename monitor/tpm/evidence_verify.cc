#include "monitor/tpm/evidence_verify.h"

#include <openssl/pem.h>
#include <tss2/tss2_tpm2_types.h>

#include <algorithm>

#include "monitor/base/hex.h"
#include "monitor/ima/hash.h"
#include "monitor/tpm/ossl.h"

namespace imawatch::tpm {
namespace {

constexpr size_t kMaxPem = 1 << 20;

ossl::Ptr<EVP_PKEY> ReadPem(std::string_view pem) {
  if (pem.empty() || pem.size() > kMaxPem) return nullptr;  // BIO lengths are ints
  ossl::Ptr<BIO> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  ossl::Ptr<EVP_PKEY> key(bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!key) ossl::LastError();  // the caller reports it in its own words
  return key;
}

// The qualified name of a primary key in the endorsement hierarchy: nameAlg ||
// H_nameAlg(TPM_RH_ENDORSEMENT || name) (TPM 2.0 part 1, "Qualified Name"). A quote's
// qualifiedSigner is the AK's qualified name.
std::optional<std::vector<uint8_t>> EndorsementQualifiedName(std::span<const uint8_t> name) {
  if (name.size() < 2) return std::nullopt;
  auto algo = ima::HashAlgoFromTpmId(static_cast<uint16_t>(name[0] << 8 | name[1]));
  if (!algo || ima::DigestSize(*algo) + 2 != name.size()) return std::nullopt;
  const uint32_t hierarchy = TPM2_RH_ENDORSEMENT;
  const uint8_t handle[4] = {static_cast<uint8_t>(hierarchy >> 24), static_cast<uint8_t>(hierarchy >> 16),
                             static_cast<uint8_t>(hierarchy >> 8), static_cast<uint8_t>(hierarchy)};
  std::vector<uint8_t> out(name.begin(), name.begin() + 2);
  out.resize(name.size());
  ima::Hash(*algo, {handle, name}, out.data() + 2);
  return out;
}

std::string FileName(const std::string& path) {
  size_t slash = path.rfind('/');
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  return name.empty() ? "measurement_list" : name;
}

class Checks {
 public:
  explicit Checks(EvidenceVerification& out) : out_(out) {}
  void Fail(std::string_view check, std::string detail) {
    out_.failures.push_back({std::string(check), std::move(detail)});
  }

 private:
  EvidenceVerification& out_;
};

void CheckQuoteClaims(const Evidence& e, EvidenceVerification& out, Checks& checks) {
  const QuoteVerification& q = out.quote;
  // Without the verifier's nonce, VerifyQuote already held extraData to the bundle's.
  if (out.nonce_from_verifier && q.extra_data != e.nonce) {
    checks.Fail(kCheckNonce,
                "the bundle's nonce " + ToHex(e.nonce) + " is not the quote's " + ToHex(q.extra_data));
  }
  if (q.clock.clock != e.clock.clock || q.clock.reset_count != e.clock.reset_count ||
      q.clock.restart_count != e.clock.restart_count || q.clock.safe != e.clock.safe ||
      q.firmware_version != e.firmware_version) {
    checks.Fail(kCheckClock,
                "the bundle's TPM clock info (reset_count " + std::to_string(e.clock.reset_count) +
                    ", restart_count " + std::to_string(e.clock.restart_count) +
                    ") is not what the quote signed (reset_count " + std::to_string(q.clock.reset_count) +
                    ", restart_count " + std::to_string(q.clock.restart_count) + ")");
  }
  auto qualified = EndorsementQualifiedName(e.ak_name);
  if (!qualified) {
    checks.Fail(kCheckAkName, "the bundle's AK name " + ToHex(e.ak_name) + " is not a TPM name");
  } else if (*qualified != q.qualified_signer) {
    checks.Fail(kCheckAkName, "the quote's signer " + ToHex(q.qualified_signer) +
                                  " is not the bundle's AK (name " + ToHex(e.ak_name) +
                                  ") in the endorsement hierarchy");
  }
}

void CheckReplay(const ima::VerifyReport& report, const Evidence& e, Checks& checks) {
  if (report.entries != e.list.entries) {
    checks.Fail(kCheckListCount, "the list has " + std::to_string(report.entries) +
                                     " entries, the bundle says " + std::to_string(e.list.entries));
  }
  if (report.entries == 0) {
    checks.Fail(kCheckReplay, "the measurement list is empty: it proves nothing");
    return;
  }
  if (report.template_digest_mismatches > 0) {
    std::string examples;
    for (uint64_t i : report.template_digest_mismatch_examples) examples += " " + std::to_string(i);
    checks.Fail(kCheckTemplateDigest,
                std::to_string(report.template_digest_mismatches) +
                    " entries' template digests are not the hash of their data (entries" + examples + ")");
  }
  using BootStatus = ima::BootAggregateCheck::Status;
  if (report.boot_aggregate && report.boot_aggregate->status != BootStatus::kMatch) {
    const auto& ba = *report.boot_aggregate;
    std::string bank = ba.bank ? std::string(ima::Name(*ba.bank)) : "?";
    std::string detail;
    switch (ba.status) {
      case BootStatus::kMismatch:
        detail = "logged " + ba.logged + ", the quoted " + bank + " PCRs give " + ba.computed;
        break;
      case BootStatus::kPcrsUnavailable:
        detail = "the quote does not cover the " + bank + " PCRs the boot_aggregate is computed from";
        break;
      case BootStatus::kNoTpmAtBoot:
        detail = "the boot_aggregate is zero (no TPM at boot), yet the node has one";
        break;
      default:
        detail = "the list's first entry is not the boot_aggregate";
        break;
    }
    checks.Fail(kCheckBootAggregate, detail);
  }
  for (const auto& bank : report.banks) {
    if (bank.status == ima::BankSummary::Status::kVerified) continue;
    std::string name(ima::Name(bank.bank));
    if (bank.status == ima::BankSummary::Status::kNoReading) {
      checks.Fail(kCheckReplay, name + ": no quoted PCR of this bank is extended by the list");
      continue;
    }
    for (const auto& p : report.proofs) {
      if (p.bank != bank.bank || !p.expected || p.matched) continue;
      checks.Fail(kCheckReplay, name + " PCR " + std::to_string(p.pcr) + ": no prefix of the list's " +
                                    std::to_string(p.entries) + " entries replays to the quoted " +
                                    p.expected->hex() + " (the whole list gives " + p.computed[0].hex() +
                                    ")");
    }
  }
}

}  // namespace

bool EvidenceVerification::Failed(std::string_view check) const {
  return std::any_of(failures.begin(), failures.end(),
                     [&](const EvidenceFailure& f) { return f.check == check; });
}

Result<EvidenceVerification> VerifyEvidence(const Evidence& e, std::string_view ak_pem,
                                            const EvidenceExpectation& expect) {
  auto verifier_key = ReadPem(ak_pem);
  if (!verifier_key) return InvalidInput("the AK public key is not a PEM public key");
  EvidenceVerification out;
  Checks checks(out);

  // Who: the bundle must name the verifier's AK (the signature check below uses only --ak).
  if (auto bundle_key = ReadPem(e.ak_pem); !bundle_key) {
    checks.Fail(kCheckAk, "the bundle's AK (/ak/pem) is not a PEM public key");
  } else if (EVP_PKEY_eq(verifier_key.get(), bundle_key.get()) != 1) {
    checks.Fail(kCheckAk, "the bundle's AK is another key than the AK given to the verifier");
  } else if (EVP_PKEY_is_a(bundle_key.get(), e.ak_type == AkType::kEcc ? "EC" : "RSA") != 1) {
    checks.Fail(kCheckAk,
                "the bundle's AK is not an " + std::string(AkTypeName(e.ak_type)) + " key as /ak/type says");
  }

  // What the TPM signed.
  out.nonce_from_verifier = expect.nonce.has_value();
  QuoteExpectation qe{expect.nonce.value_or(e.nonce), e.pcrs, e.selection};
  auto quote = VerifyQuote(e.quote, ak_pem, qe);
  if (!quote) return quote.error();
  out.quote = std::move(*quote);
  for (const auto& f : out.quote.failures) checks.Fail(f.check, f.detail);
  if (out.quote.decoded) CheckQuoteClaims(e, out, checks);

  // Only values the quote covers take part: a value the bundle adds outside the signed
  // selection proves nothing.
  const PcrSelection& covered = out.quote.decoded ? out.quote.selection : e.selection;
  ima::PcrValues reading;
  std::vector<ima::HashAlgo> banks;
  for (const auto& b : covered.banks) {
    for (uint32_t index : b.indexes) {
      if (const ima::Digest* value = e.pcrs.Get(b.bank, index)) reading.Set(b.bank, index, *value);
    }
    if (std::find(b.indexes.begin(), b.indexes.end(), 10u) != b.indexes.end() && reading.Get(b.bank, 10)) {
      banks.push_back(b.bank);
    }
  }

  for (ima::HashAlgo required : expect.banks) {
    auto bank = std::find_if(covered.banks.begin(), covered.banks.end(),
                             [&](const PcrBankSelection& b) { return b.bank == required; });
    bool complete = bank != covered.banks.end();
    for (uint32_t index = 0; complete && index <= 10; ++index) {
      complete = std::binary_search(bank->indexes.begin(), bank->indexes.end(), index);
    }
    if (!complete) {
      checks.Fail(kCheckSelection, "the quote does not cover " + std::string(ima::Name(required)) +
                                       " PCRs 0-10, which the verifier requires");
    }
  }

  // The list: the bundle's bytes (or the verifier's copy), then its replay.
  std::span<const uint8_t> bytes;
  if (expect.list) {
    if (e.list.data && *e.list.data != *expect.list) {
      checks.Fail(kCheckListDigest, "the list given to the verifier is not the bundle's list");
    }
    bytes = *expect.list;
    // The kernel's list only grows: a copy taken after the bundle holds the bundle's list as
    // its first e.list.size bytes (a daemon's periodic quote, checked against today's list).
    if (!e.list.data && bytes.size() > e.list.size) bytes = bytes.first(e.list.size);
  } else if (e.list.data) {
    bytes = *e.list.data;
  } else {
    checks.Fail(kCheckListMissing, "the bundle holds only the list's digest: give the list to the verifier");
    return out;
  }
  if (bytes.size() != e.list.size) {
    checks.Fail(kCheckListDigest, "the list is " + std::to_string(bytes.size()) + " bytes, the bundle says " +
                                      std::to_string(e.list.size));
  }
  ima::Digest sha256;
  sha256.algo = ima::HashAlgo::kSha256;
  sha256.size = 32;
  ima::Hash(ima::HashAlgo::kSha256, {bytes}, sha256.bytes.data());
  if (!std::ranges::equal(sha256.view(), e.list.sha256)) {
    checks.Fail(kCheckListDigest,
                "the list's SHA-256 is " + sha256.hex() + ", the bundle says " + ToHex(e.list.sha256));
  }
  if (banks.empty()) {
    checks.Fail(kCheckReplay, "the quote covers PCR 10 in no bank: the list cannot be proved");
    return out;
  }
  ima::OpenedList opened;
  opened.file = NewMemoryFile(FileName(e.list.source), bytes);
  ima::VerifyOptions options{.banks = banks, .ima_pcrs = {10}, .threads = expect.threads};
  auto report = ima::VerifyOpenedList(opened, reading, options);
  if (!report) {
    checks.Fail(kCheckListFormat, report.error().ToString());
    return out;
  }
  CheckReplay(*report, e, checks);
  out.list = std::move(*report);
  return out;
}

}  // namespace imawatch::tpm
