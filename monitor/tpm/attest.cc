#include "monitor/tpm/attest.h"

#include "monitor/ima/binary_reader.h"
#include "monitor/ima/hash.h"
#include "monitor/tpm/quote_verify.h"

namespace imawatch::tpm {
namespace {

struct QuotedPcrs {
  Quote quote;
  ima::PcrValues pcrs;
  QuoteVerification check;
};

// The quote and the values it covers. TPM2_Quote returns only their digest, so the values are
// read just after it; if the kernel extended a PCR in between they do not hash to the quoted
// digest and the pair is taken again.
Result<QuotedPcrs> QuoteWithValues(Tpm& tpm, const AttestationKey& ak, const PcrSelection& selection,
                                   const AttestOptions& options) {
  std::string last_failure;
  for (int attempt = 0; attempt < std::max(options.attempts, 1); ++attempt) {
    auto quote = tpm.QuotePcrs(ak.location, selection, options.nonce);
    if (!quote) return quote.error();
    auto pcrs = tpm.ReadPcrs(selection);
    if (!pcrs) return pcrs.error();
    auto check = VerifyQuote(*quote, ak.pem, {options.nonce, *pcrs, selection});
    if (!check) return check.error();
    if (check->ok()) return QuotedPcrs{std::move(*quote), std::move(*pcrs), std::move(*check)};
    bool pcrs_moved = check->failures.size() == 1 && check->failures[0].check == kCheckPcrDigest;
    last_failure = check->failures[0].check + ": " + check->failures[0].detail;
    if (!pcrs_moved) break;
  }
  return Error(ErrorKind::kTpm, "the TPM's quote does not verify with its own AK: " + last_failure);
}

}  // namespace

Result<Evidence> Attest(Tpm& tpm, Env& env, const AttestOptions& options) {
  if (options.nonce.empty()) return InvalidInput("the nonce is empty: a verifier's challenge is needed");
  auto ak = tpm.LoadAk(options.ak);
  if (!ak) return ak.error();
  std::vector<ima::HashAlgo> banks = options.banks;
  if (banks.empty()) {
    auto active = tpm.ActiveBanks();
    if (!active) return active.error();
    banks = *active;
  }
  PcrSelection selection = PcrSelection::Of(banks, options.pcrs);
  if (selection.empty()) return InvalidInput("no PCRs to quote");

  // 1. The quote (with the values it covers) ...
  auto quoted = QuoteWithValues(tpm, *ak, selection, options);
  if (!quoted) return quoted.error();

  // 2. ... then the list, so that it holds every entry the quote covers.
  auto text = env.ReadFile(options.list_path, options.max_list_bytes);
  if (!text) return text.error();
  std::vector<uint8_t> list(text->begin(), text->end());
  text->clear();
  auto file = NewMemoryFile(options.list_path, list);
  ima::BinaryLogReader reader(*file, {});
  uint64_t entries = 0;
  for (;;) {
    auto batch = reader.Next();
    if (!batch) return batch.error();
    if (batch->empty()) break;
    entries += batch->size();
  }
  // A copy of a list may end in a partial entry (securityfs never shows one): keep whole ones.
  list.resize(reader.position().byte_offset);

  Evidence e;
  e.time = Rfc3339Now();
  e.hostname = options.hostname;
  e.node_name = options.node_name;
  e.nonce = options.nonce;
  e.ak_type = ak->type;
  e.ak_name = ak->name;
  e.ak_pem = ak->pem;
  e.selection = selection;
  e.quote = std::move(quoted->quote);
  e.clock = quoted->check.clock;
  e.firmware_version = quoted->check.firmware_version;
  e.pcrs = std::move(quoted->pcrs);
  e.list.source = options.list_path;
  e.list.entries = entries;
  e.list.size = list.size();
  e.list.sha256.resize(32);
  ima::Hash(ima::HashAlgo::kSha256, {list}, e.list.sha256.data());
  if (options.include_list) e.list.data = std::move(list);
  return e;
}

}  // namespace imawatch::tpm
