#include "monitor/tpm/ossl.h"

#include <openssl/err.h>

namespace imawatch::tpm::ossl {

std::string LastError() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  char text[256];
  ERR_error_string_n(code, text, sizeof(text));
  return text;
}

}  // namespace imawatch::tpm::ossl
